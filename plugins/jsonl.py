"""JSON Lines and JSON files: one article per record.

Which files: `application/jsonl` (`.jsonl`, `.ndjson`) and `application/json` (`.json`). A JSON file
holds an array of records, or an object with the list of records under one of `list_keys` ("articles",
"data", "items", "results", ...; a dotted path such as "response.docs" reaches a nested list), or a
single record. A `.json` file whose first line is a whole object and that goes on after it is read as
JSON Lines, the usual mislabelling. Both are streamed: a line or an array element at a time.

Identity: record `n` is `file://...#n`, where `n` is the 0-based line number in JSON Lines (blank lines
count, so numbering survives an edit elsewhere) and the position in the list for JSON (a single
object is `#0`). Its content digest is that of the line (or of the record re-serialized canonically),
so editing one record re-processes only that record.

Fields: a record gives the `articles` columns `text`, `title`, `url`, `authors` (a list, a list of
{"name": ...} objects, or a string split at commas and semicolons), `publisher`, `language`,
`published_at` and `fetched_at` (ISO or free-form dates, or Unix seconds or milliseconds; a date
without a zone is UTC), plus `html`: a record with an `html` value is parsed by the installed HTML
parser and the record's own non-empty metadata then overrides what that parser found (the dataset's
metadata is curated; the page's is guessed). A record with neither text nor html, a line that is not
JSON, a record that is not an object or one over `max_document_bytes` becomes an `errors` row; the
other records still load.

Mapping other layouts, in `[plugins.jsonl]`:

    fields = { text = "body", title = "headline", published_at = "meta.date" }

    [plugins.jsonl.sources."guardian-*.jsonl"]      # only for files whose name matches the glob
    text = "fields.bodyText"
    authors = ["byline", "fields.byline"]           # several paths: the first one present wins

A column maps to a key, a dotted path into nested objects (an exact key containing dots is tried
first) or a list of those, tried in order and then the key of the column's own name; "" ignores the
column. `sources` maps a file-name glob (a glob containing "/" is matched against the whole path) to
a mapping applied over `fields`; the first glob that matches wins.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import IO, Any

import ijson
from dateutil import parser as dateparser

from etl import DocumentError, Setting, UnreadableInput, hookimpl, split_paragraphs
from etl.metadata import parse_published, settle

NAME = "jsonl"
JSON_LINES_TYPES = {"application/jsonl", "application/x-ndjson", "application/x-jsonlines"}
JSON_TYPES = {"application/json"}
COLUMNS = ("text", "html", "title", "url", "authors", "publisher", "language", "published_at", "fetched_at")
DATE_COLUMNS = ("published_at", "fetched_at")
DEFAULT_LIST_KEYS = ["articles", "data", "items", "results", "records", "documents", "entries", "posts"]
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}
UTF8_BOM = b"\xef\xbb\xbf"
_AUTHOR_SEPARATORS = str.maketrans({";": ","})
# ijson reads the file this much at a time; the bound on a record allows for one read of slack.
READ_SIZE = 1 << 16
TOO_DEEP = ("is nested too deeply to read (Python's recursion limit); flatten the record, "
            "or leave it out of the file")
# Above this a number is a Unix time in milliseconds: seconds would be past the year 5000.
_EPOCH_MILLIS = 10**11


@hookimpl
def etl_settings():
    return {
        "fields": Setting({}, dict, "where each articles column is in a record: {column = \"key.path\"}"),
        "sources": Setting({}, dict, "per-file mappings over `fields`: {\"file-name glob\" = {column = \"key\"}}"),
        "list_keys": Setting(DEFAULT_LIST_KEYS, list, "in a JSON object, the keys that may hold the records"),
    }


@hookimpl
def etl_parse(source, config):
    if source.media_type not in JSON_LINES_TYPES | JSON_TYPES:
        return None
    settings = config.settings(NAME)
    mapping = field_mapping(settings, source.path)
    as_lines = source.media_type in JSON_LINES_TYPES or json_lines_in_disguise(source)
    records = line_records(source) if as_lines else json_records(source, settings["list_keys"])
    return _documents(source, records, mapping)


def _documents(source, records, mapping) -> Iterator:
    for index, raw, record in records:
        if isinstance(record, BaseException):
            yield source.failed(index=index, raw=raw, error=record)
        else:
            yield from record_documents(source, index, raw, record, mapping)


# --- reading records ---------------------------------------------------------------------------------


def line_records(source) -> Iterator[tuple[int, bytes, Any]]:
    """(line number, line bytes, parsed value or the error) for every non-blank line."""
    limit = source.max_document_bytes
    seen_any = False
    with source.open() as handle:
        for index, (raw, size) in enumerate(_bounded_lines(handle, limit)):
            if index == 0:
                raw = raw.removeprefix(UTF8_BOM)
            if not raw.strip():
                continue
            seen_any = True
            if size > limit:
                yield index, raw, source.too_large(size, f"line {index + 1} (record #{index})")
                continue
            try:
                record = json.loads(raw)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                record = UnreadableInput(f"line {index + 1} (record #{index}) is not valid JSON: {exc}")
            except RecursionError:
                record = UnreadableInput(f"line {index + 1} (record #{index}) {TOO_DEEP}")
            yield index, raw, record
    if not seen_any:
        raise UnreadableInput("empty file: no JSON records")


def _bounded_lines(handle, limit: int) -> Iterator[tuple[bytes, int]]:
    """Each line without its ending and its full size; a line over `limit` is cut, never held whole."""
    while head := handle.readline(limit + 2):
        size, tail = len(head), head
        while not tail.endswith(b"\n") and (tail := handle.readline(1 << 20)):
            size += len(tail)
        ending = len(tail) - len(tail.rstrip(b"\r\n"))
        yield head.rstrip(b"\r\n"), size - ending


def json_lines_in_disguise(source) -> bool:
    """A `.json` file whose first line is a complete object and which has more after it."""
    with source.open() as handle:
        lines = iter(lambda: handle.readline(1 << 20), b"")
        first = next((line.strip() for line in lines if line.strip()), b"").removeprefix(UTF8_BOM)
        if not (first.startswith(b"{") and first.endswith(b"}")):
            return False
        try:
            json.loads(first)
        except ValueError:
            return False
        except RecursionError:
            pass  # a whole line all the same: it fails alone when read as a record
        return any(line.strip() for line in lines)


def json_records(source, list_keys: list[str]) -> Iterator[tuple[int, bytes, Any]]:
    """(position, canonical bytes, record or the error) for every record of a JSON file, streamed."""
    prefix = _records_prefix(source, list_keys)
    index = -1
    with _open_json(source) as handle:
        reader = _CountingReader(handle)
        events = ijson.parse(reader, buf_size=READ_SIZE, use_float=True)
        try:
            for index, record in enumerate(_bounded_items(events, prefix, reader, source.max_document_bytes)):
                # A record not built whole has no canonical bytes: its position stands in for its digest.
                if isinstance(record, _Oversized):
                    yield index, b"%d" % index, source.too_large(
                        f"more than {record.size:,} bytes of JSON (not read further)", f"record #{index}")
                    continue
                try:
                    raw = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
                except RecursionError:
                    yield index, b"%d" % index, UnreadableInput(f"record #{index} {TOO_DEEP}")
                    continue
                if len(raw) > source.max_document_bytes:
                    record = source.too_large(len(raw), f"record #{index}")
                yield index, raw, record
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise UnreadableInput(f"malformed JSON after record #{index}: {_first_line(exc)}") from exc


class _Oversized:
    """In place of a record that grew past the limit while it was read: at least `size` bytes."""

    def __init__(self, size: int) -> None:
        self.size = size


class _CountingReader:
    """A binary file that counts what ijson has read of it: how far into the file the parser is."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.position += len(data)
        return data


def _bounded_items(events, prefix: str, reader: _CountingReader, limit: int) -> Iterator[Any]:
    """ijson's `items` with a size bound: a record whose bytes pass `limit` is skipped unbuilt.

    Records are built from the parser's events as `ijson.items` builds them, which needs no recursion
    however deeply they nest. Once more than `limit` bytes (plus one read, which may have begun before
    the record) have been read since a record started, its remaining events are passed over and an
    `_Oversized` takes its place, so one huge record costs neither memory nor the records after it.
    (One string token longer than that is held whole by the tokenizer: a file is read in `READ_SIZE`
    pieces, but a token cannot be split.)
    """
    for path, event, value in events:
        if path != prefix or event in ("end_map", "end_array", "map_key"):
            continue
        if event not in ("start_map", "start_array"):
            yield value
            continue
        started, depth = reader.position, 1
        builder: ijson.ObjectBuilder | None = ijson.ObjectBuilder()
        builder.event(event, value)
        for _, event, value in events:
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if builder is not None:
                builder.event(event, value)
                if reader.position - started > limit + READ_SIZE:
                    builder = None  # drops what was built so far
            if not depth:
                break
        yield builder.value if builder is not None else _Oversized(max(reader.position - started - READ_SIZE, limit))


def _records_prefix(source, list_keys: list[str]) -> str:
    """Where the records are, as an ijson prefix: the top-level array, a listed key's array, or the object."""
    wanted = set(list_keys)
    with _open_json(source) as handle:
        start = handle.tell()
        if not handle.read(1 << 16).strip():
            raise UnreadableInput("empty file: no JSON records")
        handle.seek(start)
        try:
            for prefix, event, _ in ijson.parse(handle):
                if prefix == "":
                    if event == "start_array":
                        return "item"
                    if event == "end_map":
                        return ""
                    if event not in ("start_map", "map_key"):
                        raise UnreadableInput(f"the JSON file holds a single {event}, not records")
                elif event == "start_array" and prefix in wanted:
                    return prefix + ".item"
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise UnreadableInput(f"not valid JSON: {_first_line(exc)}") from exc
    raise UnreadableInput("not valid JSON: it ends before its first value is complete")


@contextmanager
def _open_json(source) -> Iterator[IO[bytes]]:
    """The file, past a UTF-8 byte-order mark (ijson does not skip one)."""
    with source.open() as handle:
        if handle.read(len(UTF8_BOM)) != UTF8_BOM:
            handle.seek(0)
        yield handle


def _first_line(exc: BaseException) -> str:
    # ijson's messages go on with a drawing of where the error is; the first line says what.
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- records to documents ----------------------------------------------------------------------------


def record_documents(source, index: int, raw: bytes, record: Any, mapping: dict[str, tuple[str, ...]]):
    """The document of one record: from its text, or from its HTML through the installed HTML parser."""
    if not isinstance(record, dict):
        kind = _JSON_KINDS.get(type(record), type(record).__name__)
        yield source.failed(index=index, raw=raw, error=DocumentError(
            f"record #{index} is a JSON {kind}, not an object"))
        return
    metadata = record_metadata(record, mapping)
    html = _string(lookup(record, mapping["html"]))
    if html:
        for doc in source.parse_record(index=index, raw=html.encode("utf-8"), media_type="text/html"):
            # The record is the unit of change: its title or date may change while its HTML does not.
            doc.content_sha256 = hashlib.sha256(raw).hexdigest()
            if doc.error is None:
                for name, value in metadata.items():
                    setattr(doc, name, value)
                settle(doc)
            yield doc
        return
    text = record_text(lookup(record, mapping["text"]))
    if not text:
        looked = " or ".join(repr(p) for p in mapping["text"] + mapping["html"]) or "nothing (text is unmapped)"
        yield source.failed(index=index, raw=raw, error=DocumentError(
            f"record #{index} has no text: looked for {looked}; map the field with [plugins.jsonl] fields"))
        return
    doc = source.document(index=index, raw=raw, **metadata)
    settle(doc)
    if doc.title:
        doc.add_segment(doc.title, "headline", NAME)
    for block in split_paragraphs(text):
        doc.add_segment(block, "body", NAME)
    yield doc


def record_metadata(record: dict, mapping: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """The record's non-empty metadata as Document fields."""
    found: dict[str, Any] = {}
    for column in ("title", "url", "publisher", "language"):
        if value := _string(lookup(record, mapping[column])):
            found[column] = value
    if authors := parse_authors(lookup(record, mapping["authors"])):
        found["authors"] = authors
    for column in DATE_COLUMNS:
        if when := parse_date(lookup(record, mapping[column])):
            found[column] = when
    if "published_at" in found:
        found["published_at_source"] = "metadata"
        found["published_at_granularity"] = date_granularity(lookup(record, mapping["published_at"]),
                                                             found["published_at"])
    for column, source in (("title", "metadata"), ("authors", "metadata"), ("publisher", "metadata"),
                           ("language", "markup")):
        if column in found:
            found[f"{column}_source"] = source
    return found


def date_granularity(value: Any, when: datetime) -> str:
    """How precise a record's date is: an ISO string says ("2021-03" is a month); a Unix time is a time;
    another spelling is a day when it gives no time of day."""
    if isinstance(value, str) and (parsed := parse_published(value)):
        return parsed[1]
    if isinstance(value, str) and (when.hour, when.minute, when.second) == (0, 0, 0):
        return "day"
    return "time"


def lookup(record: dict, paths: tuple[str, ...]) -> Any:
    """The first value found at one of `paths`: an exact key, else a dotted path into nested objects."""
    for path in paths:
        if path in record:
            value = record[path]
        else:
            value = record
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        if value not in (None, "", []):
            return value
    return None


def record_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n\n".join(s.strip() for s in map(_string, value) if s and s.strip())
    return (_string(value) or "").strip()


def parse_authors(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.translate(_AUTHOR_SEPARATORS).split(",")
    elif isinstance(value, dict):
        value = [value]
    elif not isinstance(value, list):
        return []
    names = (_string(item.get("name")) if isinstance(item, dict) else _string(item) for item in value)
    return [name.strip() for name in names if name and name.strip()]


def parse_date(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime, or None when the value is no date (it never fails the record)."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = value / 1000 if abs(value) >= _EPOCH_MILLIS else value
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        if not isinstance(value, str) or not value.strip():
            return None
        # Missing parts default to the first of January, never to today's month or day.
        when = dateparser.parse(value, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError, OSError):
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def _string(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


# --- the field mapping -------------------------------------------------------------------------------


def field_mapping(settings: Mapping[str, Any], path) -> dict[str, tuple[str, ...]]:
    """Each column's paths for this file: its own name, overridden by `fields`, then by the first matching glob."""
    mapping = {column: (column,) for column in COLUMNS}
    layers = [("fields", settings.get("fields") or {})]
    for pattern, given in (settings.get("sources") or {}).items():
        target = path.as_posix() if "/" in pattern else path.name
        if fnmatch.fnmatchcase(target, pattern):
            layers.append((f"sources.{pattern!r}", given))
            break
    for where, given in layers:
        if not isinstance(given, dict):
            raise DocumentError(f"[plugins.{NAME}] {where} must be a table of column = \"key\"")
        for column, paths in given.items():
            if column not in COLUMNS:
                raise DocumentError(f"[plugins.{NAME}] {where} names unknown column {column!r}; "
                                    f"columns: {', '.join(COLUMNS)}")
            paths = [paths] if isinstance(paths, str) else paths
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise DocumentError(f"[plugins.{NAME}] {where} {column} must be a key or a list of keys")
            chosen = [p for p in paths if p]
            if chosen and column not in chosen:
                chosen.append(column)  # the last resort, so that one mapping fits files of both layouts
            mapping[column] = tuple(chosen)
    return mapping
