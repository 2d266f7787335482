"""Settle each article's metadata once the clean stage has labelled its blocks (`etl.metadata.settle`).

Parsers apply the rules of `etl.metadata` to what they read. Two things are known only later, so the
rules run again here, after `furniture`:

- a byline block ("By Cristina Alonso", labelled by the parser or by `furniture`) names the reporters
  better than a page's generic metadata ("Online News Editor"): its people become `authors`
  (`authors_source` "byline"), its agencies `agency`;
- a container fills in what its HTML parser could not see (a WARC record's URL and fetch time): the
  publisher falls back to the URL's domain, and a publication date after the fetch time is dropped.

Authors that a clean plugin such as `furniture` set from a byline or biography are sorted by the same
rules (an agency named in a byline is an agency, not an author).
"""

from __future__ import annotations

from etl import hookimpl
from etl.metadata import byline_names, settle, sort_authors

NAME = "metadata"


@hookimpl
def etl_clean(documents, config):
    for doc in documents:
        settle_document(doc)


def settle_document(doc) -> None:
    bylines = [segment.text for segment in doc.segments if segment.label == "byline"]
    names = next((found for text in bylines if (found := byline_names(text))), None)
    if names and doc.authors_source != "byline":
        sort_authors(doc, names, "byline")
    elif doc.authors and not doc.authors_source:
        doc.authors_source = "byline"  # set in the clean stage, from the page's own blocks
    if doc.publisher and not doc.publisher_source:
        doc.publisher_source = "byline"  # an outlet a biography or byline block names
    settle(doc)
