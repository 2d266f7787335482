"""Markdown: recognised by extension or by content, its header lines turned into metadata.

Parse splits the file into blocks with markdown-it and reads the title (first heading), the byline
("By [AFP](#)"), a date line and a trailing "Original url:" line into the article's metadata; those
blocks stay as labelled segments, not body text. Clean then turns each segment's Markdown into plain
text: syntax and link targets out, link and image text in.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from dateutil import parser as dateparser

from etl import hookimpl
from etl.metadata import set_published, settle

NAME = "markdown"
MARKDOWN_TYPE = "text/markdown"
HEADER_BLOCKS = 6  # bylines and date lines are looked for among the first blocks only

_SIGNALS = {
    "heading": re.compile(r"^#{1,6}\s+\S", re.M),
    "link": re.compile(r"!?\[[^\]\n]+\]\([^)\s]*\)"),
    "autolink": re.compile(r"<https?://[^>\s]+>"),
    "strong": re.compile(r"(\*\*|__)[^*_\n]+\1"),
    "fence": re.compile(r"^```", re.M),
    "setext": re.compile(r"^\S.*\n(=+|-{3,})\s*$", re.M),
}
_BYLINE = re.compile(r"^by\s+(.{2,120})$", re.I)
_URL_LABEL = re.compile(r"^(original\s+url|source\s+url|original\s+link|url|source)\s*:\s*(\S*)$", re.I)
_URL = re.compile(r"^<?(https?://\S+?)>?$")
_BLOCK_KINDS = {"heading_open": "heading", "paragraph_open": "paragraph", "fence": "code",
                "code_block": "code", "html_block": "html"}
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d|2100)\b")
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")


def looks_like_markdown(text: str) -> bool:
    """Two or more kinds of Markdown syntax, or a heading on the first line, make a Markdown text."""
    found = {name for name, pattern in _SIGNALS.items() if pattern.search(text)}
    first = text.lstrip().split("\n", 1)[0]
    return len(found) >= 2 or bool(_SIGNALS["heading"].match(first))


def _md():
    from markdown_it import MarkdownIt  # on first use: most runs read no Markdown

    return MarkdownIt("commonmark")


@hookimpl
def etl_parse(source, config):
    if source.media_type == MARKDOWN_TYPE:
        text = source.read_text()
    elif source.media_type in ("text/plain", None):
        text = source.read_text()
        if not looks_like_markdown(text):
            return None
    else:
        return None
    doc = source.document(media_type=MARKDOWN_TYPE)
    blocks = markdown_blocks(text)
    labels = ["body"] * len(blocks)
    for i, (kind, raw) in enumerate(blocks):
        plain = to_plain(raw)
        if kind == "heading" and doc.title is None and i < HEADER_BLOCKS:
            doc.title, doc.title_source, labels[i] = plain, "headline", "headline"
        elif i < HEADER_BLOCKS and (match := _BYLINE.match(plain)) and not doc.authors:
            doc.authors = [a for a in _AUTHOR_SPLIT.split(match.group(1).strip()) if a]
            doc.authors_source, labels[i] = "byline", "byline"
        elif i < HEADER_BLOCKS and doc.published_at is None and (when := parse_date_line(plain)):
            granularity = "day" if (when.hour, when.minute, when.second) == (0, 0, 0) else "time"
            set_published(doc, when, granularity)
            labels[i] = "byline"
        elif match := _URL_LABEL.match(plain):
            labels[i] = "other"
            url = match.group(2) or (to_plain(blocks[i + 1][1]) if i + 1 < len(blocks) else "")
            if (found := _URL.match(url)) and doc.url is None:
                doc.url = found.group(1)
                if not match.group(2):
                    labels[i + 1] = "other"
    settle(doc)
    for (kind, raw), label in zip(blocks, labels):
        doc.add_segment(raw, label, NAME)
    return [doc]


@hookimpl
def etl_clean(documents, config):
    for doc in documents:
        if doc.media_type != MARKDOWN_TYPE:
            continue
        for segment in doc.segments:
            if segment.plugin == NAME:
                segment.text = to_plain(segment.text)


def markdown_blocks(text: str) -> list[tuple[str, str]]:
    """Top-level blocks as (kind, raw Markdown source), in order; list items are blocks of their own."""
    lines = text.splitlines()
    blocks = []
    depth = 0

    def source_of(token) -> str:
        return "\n".join(lines[token.map[0]:token.map[1]]).strip()

    for token in _md().parse(text):
        if token.type == "blockquote_open" and depth == 0 and token.map:
            blocks.append(("quote", source_of(token)))
        if token.type in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            depth -= 1
        elif token.type == "list_item_open" and depth == 1 and token.map:
            blocks.append(("item", source_of(token)))
        elif depth == 0 and token.map and token.type in _BLOCK_KINDS:
            blocks.append((_BLOCK_KINDS[token.type], source_of(token)))
    return [(kind, raw) for kind, raw in blocks if raw]


def to_plain(markdown: str) -> str:
    """The text a reader sees: emphasis, link targets, list markers and heading marks removed."""
    out: list[str] = []
    for token in _md().parse(markdown):
        if token.type == "inline":
            out.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            out.append(token.content.rstrip("\n"))
    return "\n".join(part for part in out if part.strip())


def _inline_text(children) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts).strip()


def parse_date_line(text: str):
    """A block that is only a date ("December 11, 2025") gives that date, in UTC; anything else None."""
    if len(text) > 40 or len(text.split()) > 6 or not _YEAR.search(text):
        return None
    try:
        # Missing parts default to the first of January, never to today's month or day.
        when = dateparser.parse(text, fuzzy=False, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
