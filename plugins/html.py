"""HTML pages: the article's main text and metadata, with the page furniture left out.

trafilatura finds the main text (navigation, footers, share bars, related links and reader comments
are not part of it) and reads the metadata: title, authors, publication date (htmldate), site name,
canonical URL. The page language comes from the markup (`<html lang>` and its relatives), which
trafilatura does not report; the `language` clean plugin checks it against the text. The rules shared
by every parser (authors that are people, agencies, titles without the site name, the publisher's
fallbacks, dates with their precision) are `etl.metadata`'s.

Decoding: a byte-order mark, else valid UTF-8 (a page saved as UTF-8 that declares ISO-8859-2 is
UTF-8), else a `<meta charset>` declaration, else `etl.decode_text`. Parsing works on the decoded
string with lxml's HTML parser, which never loads a DTD, an external entity or any linked resource,
so reading a page touches no network.

The defaults (`favor_precision`, no reader comments, tables kept) scored best over the whole
article-extraction benchmark (see `bench/html_extraction.py`).
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime

import lxml.html
from lxml import etree

from etl import DocumentError, Setting, decode_text, hookimpl
from etl.metadata import (
    byline_names,
    domain_of,
    language_code,
    parse_published,
    set_published,
    settle,
    sort_authors,
)

NAME = "html"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
SNIFFED_TYPES = {"text/plain", None}
SNIFF_CHARS = 1024
# Where a browser's pre-scan looks for <meta charset>.
CHARSET_SCAN_BYTES = 4096
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# How many opening lines of the main text may be a byline.
BYLINE_LINES = 3

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
# Where a page states when it was published, most specific first; the value keeps its own precision and
# offset, which htmldate's answer (a day, or a time in whatever zone) loses.
_PUBLISHED_XPATHS = (
    "//meta[@property='article:published_time' or @name='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content", "//*[@itemprop='datePublished']/@datetime",
    "//meta[translate(@name,'PUBLISHDATEDC.ISUEGFR-_','publishdatedc.isuegfr')='pubdate' or "
    "translate(@name,'PUBLISHDATEDC.ISUEGFR-_','publishdatedc.isuegfr')='publishdate' or "
    "translate(@name,'PUBLISHDATEDC.ISUEGFR-_','publishdatedc.isuegfr')='dc.date.issued' or "
    "translate(@name,'PUBLISHDATEDC.ISUEGFR-_','publishdatedc.isuegfr')='dcterms.issued' or "
    "@name='sailthru.date' or @name='parsely-pub-date' or @property='og:published_time']/@content",
    "//time[@pubdate]/@datetime",
)
# Bylines in the page's metadata, most specific first (JSON-LD is read before these).
_AUTHOR_XPATHS = (
    "//meta[@property='article:author' or @name='article:author']/@content",
    "//meta[translate(@name,'AUTHORDC.CREATORBYLSPN-','authordc.creatorbylspn')='author' or "
    "translate(@name,'AUTHORDC.CREATORBYLSPN-','authordc.creatorbylspn')='dc.creator' or "
    "@name='byl' or @name='sailthru.author' or @name='parsely-author']/@content",
)
_EDITOR_XPATH = "//meta[translate(@name,'EDITOR','editor')='editor']/@content"
# Where reader comments live: a name found only there is a commenter, not the author.
_COMMENT_BLOCK = re.compile(r"comment|respond|reply|disqus|discussion", re.I)
_ORGANIZATION_TYPES = {"Organization", "NewsMediaOrganization", "Corporation", "OnlineBusiness", "WebSite"}
_PUBLISHER_XPATHS = (
    "//meta[translate(@name,'PUBLISHERDC.','publisherdc.')='publisher' or "
    "translate(@name,'PUBLISHERDC.','publisherdc.')='dc.publisher']/@content",
)


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
    if not raw.isascii():
        try:
            # Valid UTF-8 with multi-byte characters is almost never another encoding by chance, while
            # pages that declare a legacy charset and were saved as UTF-8 are common (trafilatura reads
            # them the same way): the bytes win over the declaration.
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
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
    # Imported here, as in `_extract`: trafilatura's import is a fifth of a second that every `etl`
    # command would pay (an unchanged run, `etl query`) though only HTML pages need it.
    import trafilatura

    # Already decoded: an XML declaration naming an encoding would only make lxml refuse the string.
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        tree = trafilatura.load_html(html)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise DocumentError(f"HTML could not be parsed: {exc}") from exc
    if tree is None:
        raise DocumentError("HTML could not be parsed: no element tree (empty or not HTML)")
    paragraph_chars = sum(len(" ".join(p.text_content().split())) for p in tree.iter("p"))
    result = _extract(tree, settings, settings["favor_precision"], settings["favor_recall"])
    if result is None:
        # trafilatura discards the whole page when its metadata reading fails (htmldate on a date with a
        # +99:00 offset): the text is read without it, and the metadata from the page's own tags.
        result = _extract(trafilatura.load_html(html), settings, settings["favor_precision"],
                          settings["favor_recall"], with_metadata=False)
        if result is not None:
            result.title = _first(tree, "//meta[@property='og:title']/@content", "//title/text()")
            result.sitename = _first(tree, "//meta[@property='og:site_name']/@content")
            result.author = result.date = result.url = None
    text = (result.text or "").strip() if result is not None else ""
    if settings["favor_precision"] and not settings["favor_recall"] and len(text) < paragraph_chars / 2:
        # Precision mode kept less than half of the page's paragraphs: when recall mode finds more than
        # twice as much, precision mode has thrown the article away with the furniture.
        second = _extract(trafilatura.load_html(html), settings, False, True)
        if second is not None and len((second.text or "").strip()) > 2 * len(text):
            if result is None:
                result = second
            result.text, result.comments = second.text, second.comments
            text = (result.text or "").strip()
    if not text:
        raise DocumentError("no article text found in the HTML page: trafilatura found no main text "
                            "(a page of links or navigation only, or a script-rendered page)")
    read_metadata(tree, result, doc)
    add_segments(doc, text, result.comments if settings["include_comments"] else None)


def _extract(tree, settings: dict, favor_precision: bool, favor_recall: bool, with_metadata: bool = True):
    """trafilatura's main text and metadata of the page, in the given mode."""
    import trafilatura

    return trafilatura.bare_extraction(
        tree,
        with_metadata=with_metadata,
        favor_precision=favor_precision,
        favor_recall=favor_recall,
        include_tables=settings["include_tables"],
        include_comments=settings["include_comments"],
        fast=settings["fast"],
        date_extraction_params={
            "original_date": True,
            # htmldate's extensive search reads dates from free text (a copyright year, a comment,
            # a related story) and gave 4 of 5 undated pages a date: metadata dates only, or none.
            "extensive_search": False,
            # trafilatura's own bound: a date after today is a misreading (a copyright year, an event).
            "max_date": datetime.now().astimezone().strftime("%Y-%m-%d"),
            "outputformat": DATE_FORMAT,
        },
    )


def add_segments(doc, text: str, comments: str | None) -> None:
    """The headline, a byline, body paragraphs and (when kept) reader comments as segments."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if doc.title and lines and _same_text(lines[0], doc.title):
        # The page's own <h1> opened the main text: it is the headline, not a body paragraph.
        doc.add_segment(lines.pop(0), "headline", NAME)
    elif doc.title:
        doc.add_segment(doc.title, "headline", NAME)
    for index, line in enumerate(lines):
        # A byline opening the text names the reporters better than the page's generic metadata
        # ("Online News Editor"): it wins, and is not body text.
        if index < BYLINE_LINES and (names := byline_names(line)):
            sort_authors(doc, names, "byline", (doc.publisher,))
            doc.add_segment(line, "byline", NAME)
            continue
        doc.add_segment(line, "body", NAME)
    for line in (comments or "").splitlines():
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


def read_metadata(tree: lxml.html.HtmlElement, result, doc) -> None:
    """Title, authors, publisher, URL, language and publication date, by `etl.metadata`'s rules."""
    doc.title = _clean(result.title)
    if doc.title:
        doc.title_source = "metadata"
    doc.url = canonical_url(tree) or _clean(result.url)
    linked = linked_data(tree)
    site_name = site_name_of(result, doc.title, doc.url)
    if publisher := declared_publisher(tree, linked):
        doc.publisher, doc.publisher_source = publisher, "metadata"
    elif site_name:
        doc.publisher, doc.publisher_source = site_name, "site_name"
    if language := page_language(tree):
        doc.language, doc.language_source = language, "markup"
    # A content system that fills `author` with the page's editor credits no writer.
    editors = {_clean(str(value)) for value in tree.xpath(_EDITOR_XPATH)}
    names = [name for name in declared_authors(tree, linked) or (result.author or "").split(";")
             if name.strip() and name.strip() not in editors and not commenter(tree, name.strip())]
    if names:
        sort_authors(doc, names, "metadata", (site_name, *organizations(linked)))
    published = declared_published(tree, linked)
    if published is None and result.date:
        published = htmldate_published(result.date, tree)
    if published:
        set_published(doc, *published)
    settle(doc, site_name)


def site_name_of(result, title: str | None, url: str | None) -> str | None:
    """The site's name as trafilatura reads it (og:site_name and its relatives), unless it is only the
    title again or the URL's host spelled as a word ("Afpbbcom"): then the domain says it better."""
    name = _clean(result.sitename)
    if not name or (title and _same_text(name, title)):
        return None
    host = re.sub(r"[^a-z0-9]", "", (domain_of(url or result.url) or "").lower())
    return None if host and re.sub(r"[^a-z0-9]", "", name.lower()) == host else name


def linked_data(tree: lxml.html.HtmlElement) -> list[dict]:
    """The JSON-LD objects of the page (`@graph` members included); a broken block is skipped."""
    objects: list[dict] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(str(script))
        except (ValueError, RecursionError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                objects.append(item)
                graph = item.get("@graph")
                stack.extend(graph if isinstance(graph, list) else [])
            elif isinstance(item, list):
                stack.extend(item)
    return objects


def declared_authors(tree: lxml.html.HtmlElement, linked: list[dict]) -> list[str]:
    """Bylines as the page's metadata writes them (JSON-LD `author` people, then `<meta>` authors):
    trafilatura's own reading drops the dots of initials ("Dana A. Ford")."""
    names: list[str] = []
    for item in linked:
        if not any(kind.endswith("Article") for kind in _types(item)):
            continue
        authors = item.get("author")
        for author in authors if isinstance(authors, list) else [authors]:
            if isinstance(author, dict) and (_types(author) or {"Person"}) & {"Person"}:
                author = author.get("name")
            if isinstance(author, str) and author.strip() and not author.startswith(("http://", "https://")):
                names.append(author.strip())
        if names:
            return names
    for xpath in _AUTHOR_XPATHS:
        values = [_clean(str(value)) for value in tree.xpath(xpath)]
        names = [value for value in values if value and not value.startswith(("http://", "https://"))]
        if names:
            return names
    return []


def commenter(tree: lxml.html.HtmlElement, name: str) -> bool:
    """Whether `name` appears in the page only inside reader comments (trafilatura sometimes takes a
    commenter's name for the author's)."""
    parents = [text.getparent() for text in tree.xpath("//body//text()[contains(., $name)]", name=name)]
    parents = [node for node in parents if node is not None]
    return bool(parents) and all(
        any(_COMMENT_BLOCK.search(f"{up.get('class', '')} {up.get('id', '')}") for up in node.iterancestors(None))
        or _COMMENT_BLOCK.search(f"{node.get('class', '')} {node.get('id', '')}") for node in parents)


def organizations(linked: list[dict]) -> list[str]:
    """Names of the organisations the page's JSON-LD describes (its publisher, owner, website)."""
    names = []
    for item in linked:
        for value in (item, item.get("publisher"), item.get("copyrightHolder"), item.get("sourceOrganization")):
            if isinstance(value, dict) and _types(value) & _ORGANIZATION_TYPES \
                    and isinstance(value.get("name"), str):
                names.append(value["name"])
    return names


def _types(item: dict) -> set[str]:
    """An object's JSON-LD `@type`s (a string or a list of them)."""
    kinds = item.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {kind for kind in kinds if isinstance(kind, str)}


def declared_publisher(tree: lxml.html.HtmlElement, linked: list[dict]) -> str | None:
    """The publisher the page names: JSON-LD `publisher.name`, else `<meta name="publisher">`."""
    for item in linked:
        publisher = item.get("publisher")
        publisher = publisher[0] if isinstance(publisher, list) and publisher else publisher
        name = publisher.get("name") if isinstance(publisher, dict) else None
        if isinstance(name, str) and (name := _clean(name)):
            return name
    for xpath in _PUBLISHER_XPATHS:
        for value in tree.xpath(xpath):
            value = _clean(str(value))
            if value and not value.startswith(("http://", "https://")):
                return value
    return None


def declared_published(tree: lxml.html.HtmlElement, linked: list[dict]) -> tuple[datetime, str] | None:
    """The publication date a page states in its metadata, with its granularity and offset honoured."""
    for item in linked:
        if isinstance(value := item.get("datePublished"), str) and (found := parse_published(value)):
            return found
    for xpath in _PUBLISHED_XPATHS:
        for value in tree.xpath(xpath):
            if found := parse_published(str(value)):
                return found
    return None


def htmldate_published(value: str, tree: lxml.html.HtmlElement) -> tuple[datetime, str] | None:
    """htmldate's answer: a time when it gives one, else a day; the first of January with no such day
    written anywhere in the page is a year (htmldate's reading of a bare year)."""
    found = parse_published(value)
    if found is None:
        return None
    when, _ = found
    if (when.hour, when.minute, when.second) != (0, 0, 0):
        return when, "time"
    if (when.month, when.day) == (1, 1):
        page = lxml.html.tostring(tree, encoding="unicode")
        if not re.search(rf"{when.year}-?01-?01|0?1[./]0?1[./]{when.year}|{when.year}年0?1月0?1日", page):
            return when, "year"
    return when, "day"


def page_language(tree: lxml.html.HtmlElement) -> str | None:
    """The ISO 639-1 code the markup declares ("en" for "en-GB"); a value that is no language
    ("UTF-8" in a Content-Language meta) is passed over."""
    for xpath in _LANGUAGE_XPATHS:
        try:
            values = tree.xpath(xpath, namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
        except etree.XPathError:
            continue
        for value in values:
            if code := language_code(str(value)):
                return code
    return None


def _first(tree: lxml.html.HtmlElement, *xpaths: str) -> str | None:
    for xpath in xpaths:
        for value in tree.xpath(xpath):
            if value := _clean(str(value)):
                return value
    return None


def _clean(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
