"""Temporal expressions: one `dates` row per expression, normalised to TIMEX3 and anchored.

Rules in the spirit of HeidelTime (`etl_plugins.timex`) find and normalise the expressions; the shared
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
"""

from __future__ import annotations

from datetime import date, datetime

from etl import hookimpl

from . import timex

NAME = "dates"


@hookimpl
def etl_extract(documents, config):
    for doc in documents:
        evidence = [segment.text for segment in doc.segments]
        for row in tag_document(doc.text, doc.nlp, published=doc.published_at, evidence=evidence):
            doc.add("dates", plugin=NAME, **row)


def tag_document(text: str, nlp_doc=None, published: date | datetime | None = None,
                 evidence: list[str] = ()) -> list[dict]:
    """The `dates` rows of one text (without `plugin`), given its spaCy Doc and publication date."""
    anchor, anchor_kind = choose_anchor(text, published, evidence)
    parse = timex.spacy_parse(nlp_doc)
    rows = []
    for t in timex.tag(text, anchor, parse):
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
            "sentence": parse.sentence_of(t.start),
        })
    return rows


def choose_anchor(text: str, published, evidence) -> tuple[date | None, str | None]:
    """The publication date, else the latest full date of the text or its segments, else none."""
    if published is not None:
        return (published.date() if isinstance(published, datetime) else published), "publication"
    found = [d for block in (text, *evidence) for d in timex.explicit_dates(block)]
    return (max(found), "text_date") if found else (None, None)

