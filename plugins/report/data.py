"""What the report shows, read from the published catalog: plain Python data, one function per section.

Everything here is bounded, whatever the corpus size: the report aggregates (timeline bins by day, top
entities, the most disputed propositions first) and keeps a capped number of examples per aggregate, so
10,000 articles make a page of a few MB. Each section keeps the `(doc_id, start, end)` spans it links to;
`ArticleStore` turns them into the article excerpts the page embeds.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from etl import PLACE_LABELS

#: The only schemes an article's address may have to become a link; `javascript:`, `data:`, `vbscript:`
#: and anything else are dropped here, server-side, whatever the page's CSP would do with them.
LINK_SCHEMES = frozenset({"http", "https", "file"})
# What a browser ignores in a URL: C0 controls and spaces at either end, tabs and newlines anywhere.
_URL_EDGES = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]+")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")

PERSON, PLACE, ORG = "people", "places", "organisations"
ENTITY_GROUPS = {PERSON: ("PERSON",), PLACE: PLACE_LABELS, ORG: ("ORG",)}


def safe_href(value: str | None) -> str | None:
    """`value` as a link target if it is an http, https or file URL, else None (no link is drawn).

    Character references are decoded and ignored characters removed first, as a browser would, so that
    `&#106;avascript:`, ` jAvAsCrIpT:` or `java\tscript:` are recognised for what they are.
    """
    if not value:
        return None
    url = _TAB_OR_NEWLINE.sub("", html.unescape(str(value)).strip(_URL_EDGES))
    scheme = _SCHEME.match(url)
    return url if scheme and scheme.group(1).lower() in LINK_SCHEMES else None


@dataclass(frozen=True)
class Limits:
    """How much of each aggregate the page keeps; the counts shown are always the full ones."""

    disputes: int = 40            # contradictions, most disputed first
    claims_per_side: int = 12     # independent reports listed per side of a dispute
    entities_per_group: int = 20  # people, places, organisations
    cooccurrence: int = 16        # entities in the co-occurrence matrix
    filter_entities: int = 60     # entities offered by the timeline's filter
    items_per_bin: int = 20       # events and statements kept per timeline bin
    sources_per_item: int = 12    # independent sources listed per timeline item (each with its copies)
    figures: int = 40
    values_per_figure: int = 12   # distinct values listed per figure in conflict
    errors: int = 200
    rewrites: int = 200
    mentions_per_value: int = 8   # linked mentions of one figure value
    article_chars: int = 500_000  # full texts embedded up to this total; beyond it, excerpts


@dataclass
class ArticleStore:
    """The articles the page links to, by position; a link is (article index, start, end)."""

    index: dict[str, int] = field(default_factory=dict)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    def ref(self, doc_id: str, start: int | None, end: int | None) -> dict[str, int]:
        position = self.index.setdefault(doc_id, len(self.index))
        start, end = start or 0, end if end is not None else (start or 0)
        self.spans[doc_id].append((start, end))
        return {"doc": position, "start": start, "end": end}


def outlet_sql(alias: str = "a") -> str:
    """Who published an article: its publisher, else the host of its URL, else its folder."""
    return (f"coalesce({alias}.publisher, nullif(regexp_extract({alias}.url, '^https?://(?:www\\.)?([^/]+)', 1), ''),"
            f" regexp_extract({alias}.source_uri, '([^/]+)/[^/]*$', 1))")


def label_sql(alias: str = "a") -> str:
    """What an article is called: its title, else its file name (and record number)."""
    return f"coalesce({alias}.title, regexp_extract({alias}.source_uri, '[^/]*$'))"


def records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def overview(con) -> dict[str, Any]:
    row = records(con, f"""
        SELECT (SELECT count(*) FROM articles) AS articles,
               (SELECT count(DISTINCT {outlet_sql()}) FROM articles a) AS outlets,
               (SELECT count(DISTINCT dup_group) FROM articles) AS reports,
               (SELECT count(DISTINCT entity_id) FROM entities) AS entities,
               (SELECT count(*) FROM claims) AS claims,
               (SELECT count(*) FROM dates) AS dates,
               (SELECT count(*) FROM errors) AS errors,
               (SELECT min(published_at) FROM articles) AS first_published,
               (SELECT max(published_at) FROM articles) AS last_published""")[0]
    runs = records(con, "SELECT run_id, finished_at, status FROM runs ORDER BY started_at DESC LIMIT 1")
    row["run"] = runs[0] if runs else None
    return row


def disputes(con, store: ArticleStore, limits: Limits) -> list[dict[str, Any]]:
    """The `contradictions` view, each side's claims grouped by copy group so a syndicated report counts once."""
    clusters = records(con, "SELECT * FROM contradictions LIMIT ?", [limits.disputes])
    if not clusters:
        return []
    claims = records(con, f"""
        SELECT c.cluster_id, c.stance, c.doc_id, c.start, c."end", c.quote, c.cue, c.claim_date,
               coalesce(e.canonical_name, c.speaker) AS speaker,
               s.start AS sentence_start, substr(a.text, s.start + 1, s."end" - s.start) AS sentence,
               {outlet_sql()} AS outlet, {label_sql()} AS article, a.published_at,
               coalesce(a.dup_group, a.doc_id) AS copy_group
        FROM claims c JOIN articles a USING (doc_id)
        LEFT JOIN sentences s ON s.doc_id = c.doc_id AND s.sentence = c.sentence_start
        LEFT JOIN (SELECT entity_id, min(canonical_name) AS canonical_name FROM entities GROUP BY 1) e
               ON e.entity_id = c.speaker_entity_id
        WHERE c.cluster_id IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY c.cluster_id, c.stance, a.published_at NULLS LAST, c.doc_id, c.start""",
                     [[c["cluster_id"] for c in clusters]])
    by_side: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for claim in claims:
        by_side[claim["cluster_id"], claim["stance"]][claim["copy_group"]].append(claim)
    for cluster in clusters:
        for stance in ("assert", "deny"):
            reports = []
            for group in by_side[cluster["cluster_id"], stance].values():
                first, copies = group[0], group[1:]
                copies = list({c["doc_id"]: c for c in copies if c["doc_id"] != first["doc_id"]}.values())
                reports.append({
                    "speaker": first["speaker"], "cue": first["cue"], "quote": first["quote"],
                    "outlet": first["outlet"], "article": first["article"], "said": iso(first["claim_date"]),
                    "sentence": excerpt(first, "sentence"),
                    "ref": store.ref(first["doc_id"], first["start"], first["end"]),
                    "copies": [{"article": c["article"], "outlet": c["outlet"],
                                "ref": store.ref(c["doc_id"], c["start"], c["end"])}
                               for c in copies],
                })
            cluster[stance] = reports[:limits.claims_per_side]
            cluster[f"{stance}_more"] = max(0, len(reports) - limits.claims_per_side)
    return clusters


def excerpt(row: dict[str, Any], text_column: str) -> dict[str, str]:
    """A sentence split around the span it holds, so the page can mark the span without parsing HTML."""
    text, offset = row[text_column] or "", row.get("sentence_start") or 0
    start = min(max(row["start"] - offset, 0), len(text))
    end = min(max(row["end"] - offset, start), len(text))
    return {"before": text[:start], "span": text[start:end], "after": text[end:]}


def entities(con, store: ArticleStore, limits: Limits) -> dict[str, Any]:
    groups = {}
    for group, labels in ENTITY_GROUPS.items():
        rows = records(con, """
            SELECT i.entity_id, i.label, i.canonical_name, i.aliases, i.mentions, i.documents,
                   i.first_published, i.last_published,
                   m.first[1] AS doc_id, m.first[2] AS start, m.first[3] AS "end"
            FROM entity_index i
            JOIN (SELECT entity_id, min((doc_id, start, "end")) AS first FROM entities WHERE segment IS NULL
                  GROUP BY 1) m
              USING (entity_id)
            WHERE i.label IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY i.documents DESC, i.mentions DESC, i.canonical_name LIMIT ?""",
                       [list(labels), limits.entities_per_group])
        for row in rows:
            row["ref"] = store.ref(row.pop("doc_id"), row.pop("start"), row.pop("end"))
            row["first_published"], row["last_published"] = iso(row["first_published"]), iso(row["last_published"])
        groups[group] = rows
    top = sorted((e for rows in groups.values() for e in rows), key=lambda e: (-e["documents"], -e["mentions"]))
    return {"groups": groups, "cooccurrence": cooccurrence(con, top[:limits.cooccurrence])}


def cooccurrence(con, top: list[dict[str, Any]]) -> dict[str, Any]:
    """Sentences in which two of the top entities are both mentioned, and the articles they share."""
    ids = [e["entity_id"] for e in top]
    pairs = records(con, """
        WITH m AS (SELECT DISTINCT doc_id, sentence, entity_id FROM entities
                   WHERE entity_id IN (SELECT unnest(?::VARCHAR[])) AND segment IS NULL)
        SELECT a.entity_id AS a, b.entity_id AS b, count(*) AS sentences, count(DISTINCT a.doc_id) AS documents
        FROM m a JOIN m b ON a.doc_id = b.doc_id AND a.sentence = b.sentence AND a.entity_id < b.entity_id
        GROUP BY 1, 2""", [ids])
    counts = {}
    for pair in pairs:
        counts[pair["a"], pair["b"]] = counts[pair["b"], pair["a"]] = (pair["sentences"], pair["documents"])
    names = [e["canonical_name"] for e in top]
    matrix = [[counts.get((a, b), (0, 0))[0] if a != b else None for b in ids] for a in ids]
    return {"names": names, "labels": [e["label"] for e in top], "matrix": matrix,
            "max": max((n for row in matrix for n in row if n), default=0)}


def sources(con, store: ArticleStore, limits: Limits) -> dict[str, Any]:
    outlets = records(con, f"""
        SELECT {outlet_sql()} AS outlet, count(*) AS articles,
               count(DISTINCT coalesce(a.dup_group, a.doc_id)) AS reports,
               sum(a.word_count) AS words, coalesce(sum(c.n), 0) AS claims,
               count(a.derived_from) AS rewrites, min(a.published_at) AS first_published,
               max(a.published_at) AS last_published
        FROM articles a LEFT JOIN (SELECT doc_id, count(*) AS n FROM claims GROUP BY 1) c USING (doc_id)
        GROUP BY 1 ORDER BY articles DESC, outlet""")
    for row in outlets:
        row["first_published"], row["last_published"] = iso(row["first_published"]), iso(row["last_published"])
    rewrites = records(con, f"""
        SELECT a.doc_id, {label_sql('a')} AS article, {outlet_sql('a')} AS outlet, a.published_at,
               o.doc_id AS original_id, {label_sql('o')} AS original, {outlet_sql('o')} AS original_outlet,
               o.published_at AS original_published, a.derived_similarity AS similarity
        FROM articles a JOIN articles o ON o.doc_id = a.derived_from
        ORDER BY a.derived_similarity DESC, a.doc_id LIMIT ?""", [limits.rewrites])
    for row in rewrites:
        row["ref"] = store.ref(row.pop("doc_id"), 0, 0)
        row["original_ref"] = store.ref(row.pop("original_id"), 0, 0)
        row["published_at"], row["original_published"] = iso(row["published_at"]), iso(row["original_published"])
    return {"outlets": outlets, "rewrites": rewrites}


def figure_conflicts(con, store: ArticleStore, limits: Limits) -> list[dict[str, Any]]:
    conflicts = records(con, "SELECT about, measure, unit, distinct_values, \"values\", sources "
                             "FROM figure_conflicts LIMIT ?", [limits.figures])
    for conflict in conflicts:
        conflict["more_values"] = max(0, len(conflict["values"]) - limits.values_per_figure)
        conflict["values"] = conflict["values"][:limits.values_per_figure]
        for value in conflict["values"]:
            mentions = value.pop("mentions", [])
            value["mentions"] = [{"text": m["text"], "article": m["article"],
                                  "ref": store.ref(m["doc_id"], m["start"], m["end"])}
                                 for m in mentions[:limits.mentions_per_value]]
            value["more"] = max(0, len(mentions) - limits.mentions_per_value)
            value.pop("documents", None)
    return conflicts


def errors(con, limits: Limits) -> dict[str, Any]:
    summary = records(con, "SELECT stage, plugin, error_type, documents FROM error_summary")
    rows = records(con, """SELECT source_uri, stage, plugin, error_type, left(message, 400) AS message
                           FROM errors ORDER BY stage, source_uri LIMIT ?""", [limits.errors])
    return {"summary": summary, "rows": rows, "total": sum(r["documents"] for r in summary)}
