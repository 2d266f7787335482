"""The timeline chart's data: the `timeline` view binned by its dates, and the article excerpts the page embeds.

A bin is one day, or one period (a week or month) for expressions that denote one. Each bin keeps its full
counts, its counts per filterable entity, and a capped number of items: the first ones overall plus the
first few per entity, so that filtering the chart by an entity still opens sentences that name it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .data import ArticleStore, Limits, excerpt, iso, label_sql, outlet_sql, records, safe_href

ITEMS_PER_ENTITY = 5
CONTEXT_CHARS = 160  # either side of a linked span, when an article is embedded as excerpts


def timeline(con, store: ArticleStore, limits: Limits) -> dict[str, Any]:
    entities = records(con, """SELECT entity_id, canonical_name AS name, label, documents FROM entity_index
                                ORDER BY documents DESC, mentions DESC, canonical_name LIMIT ?""",
                       [limits.filter_entities])
    items = records(con, f"""
        WITH t AS (
            SELECT row_number() OVER (ORDER BY "date", date_end, published_at NULLS LAST, doc_id, start, kind, "end")
                   AS item, * FROM timeline
        ), top AS (  -- the filter's entities, numbered as the page's <select> lists them
            SELECT unnest(ids) AS entity_id, generate_subscripts(ids, 1) - 1 AS k FROM (SELECT ?::VARCHAR[] AS ids)
        ), located AS (
            SELECT t.item, t.doc_id, s.sentence AS sentence_no, s.start AS sentence_start
            FROM t JOIN sentences s ON s.doc_id = t.doc_id AND t.start >= s.start AND t.start < s."end"
        ), named AS (
            SELECT l.item, list(DISTINCT top.k ORDER BY top.k) AS entities
            FROM located l JOIN entities e ON e.doc_id = l.doc_id AND e.sentence = l.sentence_no
            JOIN top USING (entity_id)
            GROUP BY l.item
        ), ranked AS (
            SELECT t.*, l.sentence_start, coalesce(n.entities, []) AS entities,
                   row_number() OVER (PARTITION BY t."date", t.date_end ORDER BY t.item) AS rank_in_bin
            FROM t LEFT JOIN located l USING (item) LEFT JOIN named n USING (item)
        )
        SELECT r.*, {outlet_sql()} AS outlet, {label_sql()} AS article
        FROM ranked r JOIN articles a USING (doc_id)
        ORDER BY r."date", r.date_end, r.item""", [[e["entity_id"] for e in entities]])

    bins: dict[tuple[str, str], dict[str, Any]] = {}
    kept_per_entity: dict[tuple[tuple[str, str], int], int] = defaultdict(int)
    for row in items:
        key = (iso(row["date"]), iso(row["date_end"]))
        bin_ = bins.setdefault(key, {"date": key[0], "end": key[1], "granularity": row["granularity"],
                                     "events": 0, "statements": 0, "by": {}, "items": []})
        column = 0 if row["kind"] == "event" else 1
        bin_["events" if column == 0 else "statements"] += 1
        keep = row["rank_in_bin"] <= limits.items_per_bin
        for k in row["entities"]:
            counts = bin_["by"].setdefault(str(k), [0, 0])
            counts[column] += 1
            if kept_per_entity[key, k] < ITEMS_PER_ENTITY:
                kept_per_entity[key, k] += 1
                keep = True
        if keep:
            bin_["items"].append({
                "kind": row["kind"], "said": row["said_as"], "value": row["value"], "speaker": row["speaker"],
                "sentence": excerpt(row, "sentence") if row["sentence"] is not None else None,
                "article": row["article"], "outlet": row["outlet"], "published": iso(row["published_at"]),
                "entities": row["entities"], "ref": store.ref(row["doc_id"], row["start"], row["end"]),
            })
    return {"entities": entities, "bins": list(bins.values()), "items": len(items)}


def embedded_articles(con, store: ArticleStore, limits: Limits) -> list[dict[str, Any]]:
    """Every linked article, in link order: full text while the budget lasts (the most linked first),
    then only the text around each linked span."""
    ids = list(store.index)
    rows = {r["doc_id"]: r for r in records(con, f"""
        SELECT doc_id, {label_sql()} AS title, {outlet_sql()} AS outlet, published_at, source_uri, url, text
        FROM articles a WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))""", [ids])}
    budget = limits.article_chars
    full = set()
    for doc_id in sorted(ids, key=lambda d: (-len(store.spans[d]), d)):
        size = len(rows[doc_id]["text"] or "") if doc_id in rows else 0
        if size <= budget:
            full.add(doc_id)
            budget -= size
    out = []
    for doc_id in ids:
        row = rows.get(doc_id)
        if row is None:  # linked from a view but gone from `articles`: say so rather than break the page
            out.append({"title": doc_id, "outlet": None, "published": None, "uri": None, "url": None,
                        "length": 0, "parts": []})
            continue
        text = row["text"] or ""
        parts = [[0, text]] if doc_id in full else windows(text, store.spans[doc_id])
        out.append({"title": row["title"], "outlet": row["outlet"], "published": iso(row["published_at"]),
                    "uri": safe_href(row["source_uri"]), "url": safe_href(row["url"]),
                    "length": len(text), "parts": parts})
    return out


def windows(text: str, spans: list[tuple[int, int]]) -> list[list[Any]]:
    """The text around each span, widened to whitespace and merged where windows overlap."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
        while lo > 0 and not text[lo - 1].isspace() and start - lo < CONTEXT_CHARS + 40:
            lo -= 1
        while hi < len(text) and not text[hi].isspace() and hi - end < CONTEXT_CHARS + 40:
            hi += 1
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [[lo, text[lo:hi]] for lo, hi in merged]
