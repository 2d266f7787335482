"""HTML pages: the article's main text and metadata, with the page furniture left out.

trafilatura finds the main text (navigation, footers, share bars, related links and reader comments
are not part of it) and reads the metadata: title, authors, publication date (htmldate), site name,
canonical URL. The page language comes from the markup (`<html lang>` and its relatives), which
trafilatura does not report.

Decoding follows the browser's order: a byte-order mark, else a `<meta charset>` declaration, else
`etl.decode_text`. Parsing works on the decoded string with lxml's HTML parser, which never loads
a DTD, an external entity or any linked resource, so reading a page touches no network.

The defaults (`favor_precision`, no reader comments, tables kept) scored best over the whole
article-extraction benchmark (see `bench/html_extraction.py`).
"""

from __future__ import annotations

import codecs
import re
from datetime import datetime, timezone

import lxml.html
import trafilatura
from lxml import etree

from etl import DocumentError, Setting, decode_text, hookimpl

NAME = "html"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
SNIFFED_TYPES = {"text/plain", None}
SNIFF_CHARS = 1024
# Where a browser's pre-scan looks for <meta charset>.
CHARSET_SCAN_BYTES = 4096
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_LEADING_JUNK = re.compile(r"^(?:\s|\ufeff|<\?xml[^>]*>|<!--.*?-->)*", re.S)
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]")
# A tag that opens a line or follows another tag, not "<body>" quoted in prose.
_HEAD_OR_BODY = re.compile(r"(?:^|>|\n)\s*<(?:head|body)[\s>/]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# The WHATWG encoding standard decodes these labels as windows-1252, and a page that declares a
# UTF-16 charset in ASCII bytes is in fact ASCII-compatible (a real UTF-16 page has a BOM).
_CHARSET_ALIASES = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_1": "cp1252",
                    "utf_16": "utf-8", "utf_16_le": "utf-8", "utf_16_be": "utf-8"}
_LANGUAGE_XPATHS = (
    "/html/@lang", "/html/@xml:lang",
    "//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']/@content",
    "//meta[@property='og:locale']/@content",
    "//meta[translate(@name,'LANGUAGEDC.','languagedc.')='language' or "
    "translate(@name,'LANGUAGEDC.','languagedc.')='dc.language']/@content",
)
_LANGUAGE_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][\w-]+)?$")


@hookimpl
def etl_settings():
    return {
        "favor_precision": Setting(True, bool, "leave out doubtful blocks (trafilatura's precision mode)"),
        "favor_recall": Setting(False, bool, "keep doubtful blocks (trafilatura's recall mode)"),
        "include_tables": Setting(True, bool, "keep the text of tables inside the article"),
        "include_comments": Setting(False, bool,
                                    "keep reader comments, as segments labelled 'other' (never body text)"),
        "fast": Setting(False, bool, "skip trafilatura's fallback extractors and htmldate's extensive search "
                                     "(less accurate, and barely faster once metadata is read)"),
    }


@hookimpl
def etl_parse(source, config):
    recognised = source.media_type in HTML_TYPES or (
        source.media_type in SNIFFED_TYPES and looks_like_html(source.read_text()))
    if not recognised:
        return None
    html = decode_html(source.read_bytes())
    doc = source.document(media_type="text/html")
    extract_article(html, doc, config.settings(NAME))
    return [doc]


def looks_like_html(text: str) -> bool:
    """A doctype or `<html>` first, or a `<head>`/`<body>` tag near the start."""
    head = _LEADING_JUNK.sub("", text[:SNIFF_CHARS * 4], count=1)[:SNIFF_CHARS].lower()
    return bool(_HTML_START.match(head) or _HEAD_OR_BODY.search(head))


def decode_html(raw: bytes) -> str:
    """Decode as a browser would: BOM, then a declared charset, then a guess."""
    if raw.startswith(_BOMS):
        return decode_text(raw)
    codec = declared_codec(raw[:CHARSET_SCAN_BYTES])
    if codec:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            # A few bad bytes in a page that declares its charset are decoded as browsers do; many
            # mean the declaration is wrong, and the content is better guessed.
            text = raw.decode(codec, errors="replace")
            if text.count("\ufffd") <= len(text) // 1000:
                return text
    return decode_text(raw)


def declared_codec(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name.replace("-", "_")
    except (LookupError, UnicodeDecodeError):
        return None
    return _CHARSET_ALIASES.get(name, name)


def extract_article(html: str, doc, settings: dict) -> None:
    """Fill `doc`'s metadata and segments from the page, or raise DocumentError."""
    # Already decoded: an XML declaration naming an encoding would only make lxml refuse the string.
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        tree = trafilatura.load_html(html)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise DocumentError(f"HTML could not be parsed: {exc}") from exc
    if tree is None:
        raise DocumentError("HTML could not be parsed: no element tree (empty or not HTML)")
    fast = settings["fast"]
    result = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        favor_precision=settings["favor_precision"],
        favor_recall=settings["favor_recall"],
        include_tables=settings["include_tables"],
        include_comments=settings["include_comments"],
        fast=fast,
        date_extraction_params={
            "original_date": True,
            "extensive_search": not fast,
            # trafilatura's own bound: a date after today is a misreading (a copyright year, an event).
            "max_date": datetime.now().astimezone().strftime("%Y-%m-%d"),
            "outputformat": DATE_FORMAT,
        },
    )
    text = (result.text or "").strip() if result is not None else ""
    if not text:
        raise DocumentError("no article text found in the HTML page: trafilatura found no main text "
                            "(a page of links or navigation only, or a script-rendered page)")

    doc.title = _clean(result.title)
    doc.authors = [name.strip() for name in (result.author or "").split(";") if name.strip()]
    doc.publisher = _clean(result.sitename)
    doc.url = canonical_url(tree) or _clean(result.url)
    doc.language = page_language(tree)
    if published := parse_date(result.date):
        doc.published_at, doc.published_at_source = published, "metadata"

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if doc.title and lines and _same_text(lines[0], doc.title):
        # The page's own <h1> opened the main text: it is the headline, not a body paragraph.
        doc.add_segment(lines.pop(0), "headline", NAME)
    elif doc.title:
        doc.add_segment(doc.title, "headline", NAME)
    for line in lines:
        doc.add_segment(line, "body", NAME)
    for line in (result.comments or "").splitlines() if settings["include_comments"] else ():
        if line.strip():
            doc.add_segment(line.strip(), "other", NAME)


def canonical_url(tree: lxml.html.HtmlElement) -> str | None:
    """`<link rel="canonical">` when it is an absolute web address: trafilatura prefers og:url,
    which often carries tracking parameters."""
    for href in tree.xpath("//head/link[translate(@rel,'CANONICAL','canonical')='canonical']/@href"):
        href = str(href).strip()
        if href.startswith(("http://", "https://")):
            return href
    return None


def page_language(tree: lxml.html.HtmlElement) -> str | None:
    """The primary language subtag the markup declares ("en" for "en-GB"), lower case."""
    for xpath in _LANGUAGE_XPATHS:
        try:
            values = tree.xpath(xpath, namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
        except etree.XPathError:
            continue
        for value in values:
            if match := _LANGUAGE_TAG.match(str(value).strip()):
                return match.group(1).lower()
    return None


def parse_date(value: str | None) -> datetime | None:
    """htmldate's date, in UTC; a date without a time or zone is taken as midnight UTC."""
    if not value:
        return None
    for fmt in (DATE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            when = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return None


def _clean(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
