"""The timeline chart's data: the `timeline` view binned by its dates, and the article excerpts the page embeds.

The view holds each event once (with the number of independent sources that report it) and each statement
once (a proposition, with everyone who said or denied it). A bin is one day, or one period (a week or month)
for an event or statement dated to one. Each bin keeps its full counts (events, statements, disputed ones),
its counts per filterable entity, and a capped number of items: the first ones overall (the most reported
first) plus the first few per entity, so that filtering the chart by an entity still opens items that name it.
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
    # The disputes the page lists (the same query as its Contradictions section): an item links to its own.
    disputes = records(con, "SELECT cluster_id, event_id FROM contradictions LIMIT ?", [limits.disputes])
    dispute_of_event: dict[str, str] = {}
    for d in disputes:
        if d["event_id"] is not None:
            dispute_of_event.setdefault(d["event_id"], d["cluster_id"])
    shown_disputes = {d["cluster_id"] for d in disputes}
    items = records(con, f"""
        WITH t AS (
            SELECT row_number() OVER (ORDER BY "date", date_end, kind, sources DESC, published_at NULLS LAST,
                                               doc_id, start, coalesce(event_id, cluster_id)) AS item, *
            FROM timeline
        ), top AS (  -- the filter's entities, numbered as the page's <select> lists them
            SELECT unnest(ids) AS entity_id, unnest(names) AS name, generate_subscripts(ids, 1) - 1 AS k
            FROM (SELECT ?::VARCHAR[] AS ids, ?::VARCHAR[] AS names)
        ), in_sentence AS (  -- entities named in the item's sentence
            SELECT t.item, top.k
            FROM t JOIN entities e ON e.doc_id = t.doc_id AND e.segment IS NULL AND e.start >= t.sentence_offset
                                  AND e."end" <= t.sentence_offset + length(t.sentence)
            JOIN top USING (entity_id)
        ), in_roles AS (  -- and the places, participants, speakers and deniers it names
            SELECT t.item, top.k
            FROM (SELECT item, unnest(coalesce(places, []) || coalesce(participants, []) || coalesce(speakers, [])
                                      || coalesce(denied_by, [])) AS name FROM t) t
            JOIN top USING (name)
        ), named AS (
            SELECT item, list(DISTINCT k ORDER BY k) AS entities
            FROM (SELECT * FROM in_sentence UNION ALL SELECT * FROM in_roles)
            GROUP BY item
        ), ranked AS (
            SELECT t.*, coalesce(n.entities, []) AS entities,
                   row_number() OVER (PARTITION BY t."date", t.date_end ORDER BY t.item) AS rank_in_bin
            FROM t LEFT JOIN named n USING (item)
        )
        SELECT r.*, {outlet_sql()} AS outlet, {label_sql()} AS article
        FROM ranked r JOIN articles a USING (doc_id)
        ORDER BY r."date", r.date_end, r.item""",
                    [[e["entity_id"] for e in entities], [e["name"] for e in entities]])

    bins: dict[tuple[str, str], dict[str, Any]] = {}
    kept_per_entity: dict[tuple[tuple[str, str], int], int] = defaultdict(int)
    for row in items:
        key = (iso(row["date"]), iso(row["date_end"]))
        bin_ = bins.setdefault(key, {"date": key[0], "end": key[1], "granularity": row["granularity"],
                                     "events": 0, "statements": 0, "disputed": 0, "by": {}, "items": []})
        column = 0 if row["kind"] == "event" else 1
        bin_["events" if column == 0 else "statements"] += 1
        bin_["disputed"] += bool(row["disputed"])
        keep = row["rank_in_bin"] <= limits.items_per_bin
        for k in row["entities"]:
            counts = bin_["by"].setdefault(str(k), [0, 0, 0])
            counts[column] += 1
            counts[2] += bool(row["disputed"])
            if kept_per_entity[key, k] < ITEMS_PER_ENTITY:
                kept_per_entity[key, k] += 1
                keep = True
        if keep:
            bin_["items"].append(item(row, store, limits, dispute_of_event, shown_disputes))
    return {"entities": entities, "bins": list(bins.values()), "items": len(items)}


def item(row: dict[str, Any], store: ArticleStore, limits: Limits, dispute_of_event: dict[str, str],
         shown_disputes: set[str]) -> dict[str, Any]:
    """One event or statement as the detail panel lists it, with the independent sources that report it."""
    if row["kind"] == "event":
        dispute = dispute_of_event.get(row["event_id"])
        who = row["participants"] or []
    else:
        dispute = row["cluster_id"] if row["cluster_id"] in shown_disputes else None
        who = row["speakers"] or []
    sentence = None
    if row["sentence"] is not None:
        sentence = excerpt({**row, "sentence_start": row["sentence_offset"]}, "sentence")
    return {
        "kind": row["kind"], "what": row["what"], "text": row["text"], "dated": row["date_source"],
        "places": row["places"] or [], "who": who, "denied_by": row["denied_by"] or [],
        "sources": row["sources"], "articles": row["articles"],
        "disputed": bool(row["disputed"]), "dispute": dispute, "sentence": sentence,
        "reports": reports(row["reports"] or [], store, limits),
        "more_sources": max(0, row["sources"] - limits.sources_per_item),
        "article": row["article"], "outlet": row["outlet"], "published": iso(row["published_at"]),
        "entities": row["entities"], "ref": store.ref(row["doc_id"], row["start"], row["end"]),
    }


def reports(articles: list[dict[str, Any]], store: ArticleStore, limits: Limits) -> list[dict[str, Any]]:
    """The first `sources_per_item` independent sources (copy groups) of an item, earliest first, each linked at its
    first mention in its earliest article, with the group's other articles (copies) linked after it."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for article in articles:
        group = groups.get(article["source"])
        if group is None:
            if len(groups) == limits.sources_per_item:
                continue
            group = groups[article["source"]] = []
        group.append(article)
    return [{"ref": store.ref(first["doc_id"], first["start"], first["end"]),
             "copies": [store.ref(c["doc_id"], c["start"], c["end"]) for c in copies[:limits.sources_per_item]]}
            for first, *copies in groups.values()]


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
