"""Temporal expressions: one `dates` row per expression, normalised to TIMEX3 and anchored.

Rules in the spirit of HeidelTime (`etl_plugins.dates.timex`) find and normalise the expressions; the shared
spaCy parse (`document.nlp`, when the spacy plugin ran) gives sentences, the tense around each
expression ("on Friday" is the last Friday in a past-tense sentence, the next one after "will") and
its entity labels (a bare "2000" that spaCy calls CARDINAL is a count, not a year).

Anchoring, as the contract says: relative expressions ("Thursday", "last month", "Dec. 13") resolve
against the publication date when it is known (anchor "publication"); else against the latest full date
written anywhere in the document, captions and other segments included (anchor "text_date"); else they
stay "unresolved" with the year or day unknown ("XXXX-12-13"). Expressions that need no anchor ("July
2022", "three years") are "absolute", with no anchor date. "The next day" and "two days later" count
from the last full day met before them in the text when there is one: anchor "text_date", and
`anchor_date` is that day. A month-day without a year takes the year nearest the anchor, except that
a past-tense sentence does not reach more than 90 days past it ("the vote on March 31", read in
October, is last March).

Intervals: `range_start`/`range_end` are the days the expression covers; mod START/MID/END keep the
first, middle or last third ("late 2022" = 2022-09-01..2022-12-31), "earlier this month" runs from the
month's first day to the anchor. Times of day (kind "time", value "2025-12-11T14:00" or "...TMO") have
granularity day. A year range such as "2013-2014" is one row with value "2013/2014" (an ISO 8601
interval), granularity year, range 2013-01-01..2014-12-31. Durations and sets have no range.

Enrich, after the copy groups are known (this hook runs last): an article without a publication date
gets one — its copy group's source's date when a rewrite was published with its source
(`published_at_source` "group"), else its latest explicit full date ("latest_date"). Its relative
dates are then re-anchored on that date, and claims that took no date get it as their `claim_date`.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pyarrow as pa

from etl import Contract, hookimpl

from . import timex
from .languages import fingerprint as languages_fingerprint
from .languages import guess_language, primary_code
from .timex_languages import ENGLISH, rules_for

NAME = "dates"


@hookimpl
def etl_contract():
    return {
        "extract": Contract(reads=("nlp",), provides=("dates",)),
        # Undated articles take their copy group's date, so copy groups come first.
        "enrich": Contract(
            reads=("dates", "claims", "articles.dup_group", "articles.derived_from"), incremental=True,
            provides=("articles.published_at", "articles.published_at_source", "articles.published_at_granularity",
                      "dates.value", "dates.kind", "dates.mod", "dates.granularity", "dates.range_start",
                      "dates.range_end", "dates.anchor", "dates.anchor_date", "claims.claim_date",
                      "claims.claim_date_granularity")),
    }


#: The segments besides the body whose dates are rows of `dates`: the article's own statements and the
#: date line. Credits, author biographies, related headlines and navigation speak of other things.
SEGMENT_LABELS_READ = ("headline", "standfirst", "caption", "byline", "other")


@hookimpl
def etl_fingerprint(config):
    return "languages=" + languages_fingerprint()


@hookimpl
def etl_extract(documents, config):
    for doc in documents:
        # Body segments are the text itself; the others (captions, bylines) are extra evidence.
        evidence = [segment.text for segment in doc.segments if segment.label != "body"]
        segments = [(s.seq, s.text) for s in doc.segments if s.label in SEGMENT_LABELS_READ]
        for row in tag_document(doc.text, doc.nlp, published=doc.published_at, evidence=evidence,
                                segments=segments, language=doc.language):
            doc.add("dates", plugin=NAME, **row)


def tag_document(text: str, nlp_doc=None, published: date | datetime | None = None,
                 evidence: list[str] = (), segments: list[tuple[int, str]] = (),
                 language: str | None = None) -> list[dict]:
    """The `dates` rows of one article (without `plugin`), given its spaCy Doc and publication date.

    Body rows have offsets into `text` and `segment` None; each of `segments` (seq, text) adds rows
    with offsets into its own text and `segment` its seq. `language` (`articles.language`) chooses
    the rules; unknown, the text's script does (Cyrillic: Russian or Ukrainian, else English).
    """
    rules = rules_for(language_code(language, text or " ".join(t for _, t in segments)))
    parse = timex.spacy_parse(nlp_doc, rules) if nlp_doc is not None else timex.parse_without_nlp(text, rules)
    found = timex.candidates(text, parse, rules)
    anchor, anchor_kind = choose_anchor(text, published, evidence, found, rules)
    rows = [dict(row, sentence=parse.sentence_of(row["start"]), segment=None)
            for row in resolve(text, anchor, anchor_kind, parse, found, rules)]
    for seq, segment_text in segments:
        bare = timex.parse_without_nlp(segment_text, rules)
        rows += [dict(row, sentence=None, segment=seq)
                 for row in resolve(segment_text, anchor, anchor_kind, bare, None, rules)]
    return rows


def resolve(text: str, anchor: date | None, anchor_kind: str | None, parse, found, rules) -> list[dict]:
    rows = []
    for t in timex.tag(text, anchor, parse, found, rules):
        if not t.relative:
            how, anchor_date = "absolute", None
        elif t.base is not None:
            how, anchor_date = "text_date", t.base
        elif t.resolved and anchor is not None:
            how, anchor_date = anchor_kind, anchor
        else:
            how, anchor_date = "unresolved", None
        rows.append({
            "start": t.start, "end": t.end, "text": t.text, "value": t.value, "kind": t.kind,
            "mod": t.mod, "granularity": t.granularity, "range_start": t.range_start,
            "range_end": t.range_end, "anchor": how, "anchor_date": anchor_date,
        })
    return rows


def language_code(language: str | None, text: str) -> str:
    """The code whose rules read this text: `articles.language`'s primary subtag, else a guess by script."""
    return primary_code(language) or guess_language(text)


def choose_anchor(text: str, published, evidence, found=None, rules=ENGLISH) -> tuple[date | None, str | None]:
    """The publication date, else the latest full date of the text or its segments, else none."""
    if published is not None:
        return (published.date() if isinstance(published, datetime) else published), "publication"
    dates = timex.explicit_dates(text, found, rules) + [
        d for block in evidence for d in timex.explicit_dates(block, rules=rules)]
    return (max(dates), "text_date") if dates else (None, None)


@hookimpl
def etl_enrich(db, config, changes):
    """Date the undated articles (module doc). What this overwrites (an article's empty date, the
    relative dates it re-anchors, the claims it dates) is remembered in `dates__*` working tables, so
    that an incremental run first puts back what extraction gave the articles it redoes: the articles
    added, those whose copy group changed, and the copies of an article added or removed."""
    scope = _scope(db, changes)
    inferred = infer_publication_dates(db, scope)
    if not inferred:
        return
    articles = {doc_id: (text, language) for doc_id, text, language in db.sql(
        "SELECT doc_id, text, language FROM articles SEMI JOIN _inferred USING (doc_id)").fetchall()}
    evidence: dict[str, list[str]] = {}
    segments: dict[str, list[tuple[int, str]]] = {}
    for doc_id, seq, label, text in db.sql(
            "SELECT doc_id, seq, label, text FROM segments SEMI JOIN _inferred USING (doc_id) ORDER BY doc_id, seq"
    ).fetchall():
        if label != "body":
            evidence.setdefault(doc_id, []).append(text)
        if label in SEGMENT_LABELS_READ:
            segments.setdefault(doc_id, []).append((seq, text))
    updates = []
    for doc_id, (published, how, _) in inferred.items():
        if how == "latest_date":
            continue  # extraction already anchored its relative dates on that same latest full date
        text, language = articles[doc_id]
        for row in tag_document(text, None, published=published, evidence=evidence.get(doc_id, []),
                                segments=segments.get(doc_id, []), language=language):
            if row["anchor"] in ("publication", "text_date"):
                updates.append(dict(row, doc_id=doc_id))
    if updates:
        columns = ("doc_id", "start", "end", *REVISED)
        table = pa.Table.from_pylist([{c: u[c] for c in columns} for u in updates])
        # typed, so that an all-body batch's segment column (all NULL) still compares with dates.segment
        table = table.append_column("segment", pa.array([u["segment"] for u in updates], pa.int32()))
        db.register("_reanchored", table)
        # Only expressions found at the same place as in extraction are revised; their sentence stays.
        where = f"{_same_place('r')} AND dates.anchor <> 'absolute'"
        db.execute(f"INSERT INTO dates__original SELECT {_KEPT} FROM dates, _reanchored r WHERE {where}")
        db.execute(f"UPDATE dates SET {_revised_from('r')} FROM _reanchored r WHERE {where}")
        db.unregister("_reanchored")
    db.execute("""INSERT INTO dates__claims SELECT claim_id FROM claims SEMI JOIN _inferred i USING (doc_id)
                  WHERE claims.claim_date IS NULL""")
    db.execute("""UPDATE claims SET claim_date = CAST(i.published_at AS DATE), claim_date_granularity = 'day'
                  FROM _inferred i
                  WHERE claims.doc_id = i.doc_id AND claims.claim_date IS NULL""")
    db.unregister("_inferred")


#: The columns of a `dates` row that re-anchoring revises; `dates__original` keeps them with the row's place.
REVISED = ("value", "kind", "mod", "granularity", "range_start", "range_end", "anchor", "anchor_date")
_PLACE = ("doc_id", "segment", "start", "end")
_KEPT = ", ".join(f'dates."{c}"' for c in (*_PLACE, *REVISED))


def _same_place(alias: str) -> str:
    """SQL: the `dates` row is at the place of `alias`'s row (one expression, as extraction found it)."""
    return " AND ".join(f'dates."{c}" IS NOT DISTINCT FROM {alias}."{c}"' for c in _PLACE)


def _revised_from(alias: str) -> str:
    return ", ".join(f'"{c}" = {alias}."{c}"' for c in REVISED)


def _scope(db, changes) -> str:
    """The articles to (re)date, as a SQL condition on `doc_id`; in an incremental run, first put back
    what extraction gave them. In a full run, the working tables start empty."""
    if changes is None:
        db.execute("CREATE OR REPLACE TABLE dates__filled (doc_id VARCHAR)")
        db.execute(f"CREATE OR REPLACE TABLE dates__original AS SELECT {_KEPT} FROM dates LIMIT 0")
        db.execute("CREATE OR REPLACE TABLE dates__claims (claim_id VARCHAR)")
        return "doc_id IS NOT NULL"
    gone = "(SELECT doc_id FROM etl_changes WHERE change IN ('added', 'removed'))"
    db.execute(f"""CREATE OR REPLACE TEMP TABLE _dates_scope AS
                   SELECT doc_id FROM etl_changes WHERE change IN ('added', 'touched')
                   UNION SELECT doc_id FROM articles WHERE derived_from IN {gone}""")
    # Rows of documents gone or extracted again are gone from the tables: forget what was kept of them.
    for table in ("dates__filled", "dates__original"):
        db.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT doc_id FROM etl_changes WHERE change = 'removed')")
    db.execute("DELETE FROM dates__claims WHERE claim_id NOT IN (SELECT claim_id FROM claims)")
    redo = "doc_id IN (SELECT doc_id FROM _dates_scope)"
    db.execute(f"""UPDATE articles SET published_at = NULL, published_at_source = NULL, published_at_granularity = NULL
                   WHERE {redo} AND doc_id IN (SELECT doc_id FROM dates__filled)""")
    db.execute(f"UPDATE dates SET {_revised_from('o')} FROM dates__original o WHERE {_same_place('o')} AND o.{redo}")
    db.execute(f"""UPDATE claims SET claim_date = NULL, claim_date_granularity = NULL
                   WHERE {redo} AND claim_id IN (SELECT claim_id FROM dates__claims)""")
    db.execute(f"DELETE FROM dates__claims WHERE claim_id IN (SELECT claim_id FROM claims WHERE {redo})")
    for table in ("dates__filled", "dates__original"):
        db.execute(f"DELETE FROM {table} WHERE {redo}")
    return redo


def infer_publication_dates(db, scope: str = "doc_id IS NOT NULL") -> dict[str, tuple[datetime, str, str | None]]:
    """Publication dates for the articles of `scope` that have none: from their copy group's source (as
    extraction dated it), else their text.

    Leaves the result registered in `db` as `_inferred` (doc_id, published_at, published_at_source,
    published_at_granularity), and the articles dated in `dates__filled`.
    """
    rows = db.sql(f"""
        SELECT a.doc_id, s.published_at, s.published_at_granularity
        FROM articles a
        LEFT JOIN (SELECT * FROM articles ANTI JOIN dates__filled USING (doc_id)) s ON s.doc_id = a.derived_from
        WHERE a.published_at IS NULL AND a.{scope}
    """).fetchall()
    missing = {doc_id: (source_date, granularity) for doc_id, source_date, granularity in rows}
    if not missing:
        return {}
    # The latest full date extraction found: written out in the body, or the anchor it took from
    # the text and captions for the document's relative dates.
    latest = dict(db.sql(f"""
        SELECT doc_id, max(CASE WHEN anchor = 'text_date' THEN anchor_date ELSE range_start END)
        FROM dates
        WHERE doc_id IN (SELECT doc_id FROM articles WHERE published_at IS NULL AND {scope})
          AND ((anchor = 'absolute' AND granularity = 'day' AND mod IS NULL AND kind = 'date')
               OR anchor = 'text_date')
        GROUP BY doc_id
    """).fetchall())
    # (published_at, published_at_source, published_at_granularity): a copy takes its source's date as
    # precise as the source gives it; a date read from the text is a day.
    inferred: dict[str, tuple[datetime, str, str | None]] = {}
    for doc_id, (source_date, granularity) in missing.items():
        if source_date is not None:
            inferred[doc_id] = (source_date, "group", granularity)
        elif (day := latest.get(doc_id)) is not None:
            inferred[doc_id] = (datetime(day.year, day.month, day.day, tzinfo=timezone.utc), "latest_date", "day")
    table = pa.table({
        "doc_id": pa.array(list(inferred), pa.string()),
        "published_at": pa.array([v[0] for v in inferred.values()], pa.timestamp("us", tz="UTC")),
        "published_at_source": pa.array([v[1] for v in inferred.values()], pa.string()),
        "published_at_granularity": pa.array([v[2] for v in inferred.values()], pa.string()),
    })
    db.register("_inferred", table)
    db.execute("INSERT INTO dates__filled SELECT doc_id FROM _inferred")
    db.execute("""UPDATE articles SET published_at = i.published_at, published_at_source = i.published_at_source,
                  published_at_granularity = i.published_at_granularity
                  FROM _inferred i WHERE articles.doc_id = i.doc_id""")
    return inferred
