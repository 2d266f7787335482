"""Web archives: every archived HTML page (and every WET text record) becomes a document.

Which files: `application/warc` (`.warc`, `.warc.gz`), and files of unknown type whose content starts
with a WARC or ARC header, plain, gzip-compressed or lz4-compressed (`.arc`, `.arc.gz`, `.warc.lz4`,
Common Crawl's `.warc.wet.gz` and `.warc.wat.gz`, `crawl-00001.gz`, a file without an extension).
Read with warcio (ARC records converted to WARC by its `arc2warc`), streaming: one record in memory at
a time, no network. The members of a compressed file are decompressed by `streams.MemberStream`.

Which records:
- `response` records of a 2xx HTTP response whose Content-Type is HTML (or, without a Content-Type,
  whose body starts like HTML), and `resource` records of an HTML page (captures stored without the
  HTTP envelope). Their body, de-chunked and decompressed (gzip, deflate; br when `brotli` is
  installed; a body declared gzip that is not, as ClueWeb09 stored them, is taken as it is), goes to
  `source.parse_record` as `text/html` with the WARC-Target-URI as `url` and the WARC-Date as
  `fetched_at`. Only the HTTP body reaches the HTML parser: the record's date and the HTTP headers
  are never read as the page's publication date.
- `conversion` records (WET: the text a crawler extracted from a page) become `text/plain` documents,
  with the same `url` and `fetched_at`.
- `revisit` records of a page (a page fetched again, stored as a reference to the record holding the
  same payload) become documents with the original's payload and their own `url` and `fetched_at`,
  when the original is in the same file (found by WARC-Refers-To, the payload digest, or the
  refers-to address and date). A revisit whose original is not in the file is an `errors` row naming
  the original it refers to.
- WAT `metadata` records (JSON about pages, no text) are skipped and counted: a file that had any gets
  one `errors` row (`WatMetadataSkipped`) saying how many and which files hold the text instead.
- Everything else (warcinfo, request, other metadata, redirects, images ...) is skipped silently.

Identity: record `n` is `file://...#n`, `n` counting every record of the file from 0, skipped ones
included, so indexes do not move when the skip rules change.

Damage: a page over `max_document_bytes` (raw, de-chunked or decompressed: decompression stops as
soon as it passes the limit), or whose body cannot be decompressed, is an `errors` row of its own, and
the next record is read. A page whose bytes do not match its WARC-Block-Digest is loaded as read (a
wrong digest is more often the writer's mistake than damage; warcio does not check it) and the file
gets one `DigestMismatch` row naming it. A truncated or corrupt file loads the pages before the damage
(a page cut short by the end of the file is loaded from what is there), then raises one `DocumentError`
naming the record where the damage starts: the host records it against the file. (A file cut exactly
between two records is a valid, shorter archive: no reader can tell.)
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from dateutil import parser as dateparser
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

from etl import DocumentError, DocumentTooLarge, UnreadableInput, hookimpl

from .revisits import Originals, Revisit
from .streams import LZ4_MAGIC, Lz4Missing, MemberStream, archive_format, compression

NAME = "warc"
WARC_TYPE = "application/warc"
# Types an archive may be guessed as from its name alone; only these are sniffed.
SNIFFED_TYPES = {None, "application/octet-stream", "application/gzip", "application/x-gzip", "application/x-lz4"}
GZIP_MAGIC = b"\x1f\x8b"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PAGE_RECORDS = {"response", "resource"}
TEXT_RECORDS = {"conversion"}
HTML_START = (b"<!doctype html", b"<html")
CHUNK = 1 << 16
# Compressed bytes brotli is given per step: its output per step stays within a few megabytes.
BROTLI_READ = 1024
SHOWN = 5  # records named in a message, at most


class BrokenRecord(Exception):
    """A record that is cut short or lacks the headers every WARC record has: the file is damaged."""


class DigestMismatch(DocumentError):
    """Pages whose bytes do not match their WARC-Block-Digest were loaded as read."""


class WatMetadataSkipped(DocumentError):
    """A WAT file (or records of one): JSON metadata about pages, no text to load."""


@dataclass
class Page:
    """What a page record holds: its body, or a failed document, or neither (not a page after all)."""

    body: bytes | None = None
    failed: object | None = None
    cut: str | None = None  # the record ends early (the file is cut there)
    digest: str | None = None  # the block digest does not match


@hookimpl
def etl_parse(source, config):
    kind = archive_kind(source)
    if kind is None:
        return None
    return ArchiveReader(source, *kind).documents()


def archive_kind(source) -> tuple[str, str | None] | None:
    """(format, compression) of an archive ('warc' or 'arc'; None, 'gzip' or 'lz4'), or None: not ours."""
    if source.media_type != WARC_TYPE and source.media_type not in SNIFFED_TYPES:
        return None
    try:
        with source.open() as handle:
            found = archive_format(handle)
            handle.seek(0)
            compressed = compression(handle.read(len(LZ4_MAGIC)))
    except Lz4Missing as exc:
        if source.media_type == WARC_TYPE or source.path.name.lower().endswith((".warc.lz4", ".arc.lz4")):
            raise UnreadableInput(str(exc)) from None
        return None
    if found is None and source.media_type != WARC_TYPE:
        return None
    # A file named .warc that is not one is read as one: its first record is the damage reported.
    return found or "warc", compressed


def warc_documents(source) -> Iterator:
    """The documents of an archive file, read as the format its content shows (a WARC when it shows none)."""
    return ArchiveReader(source, *(archive_kind(source) or ("warc", None))).documents()


class ArchiveReader:
    """One pass over the records, yielding documents; a second pass only for revisits of pages."""

    def __init__(self, source, fmt: str, compressed: str | None) -> None:
        self.source = source
        self.compressed = compressed
        self.name = fmt.upper() + (f" ({compressed})" if compressed == "lz4" else "")
        self.originals = Originals()
        self.pending: dict[int, list[Revisit]] = {}  # original's index -> revisits repeating it
        self.unresolved: list[Revisit] = []
        self.digest_problems: list[str] = []
        self.wat_records = 0
        self.cut: str | None = None

    def open_records(self, handle) -> tuple[object, ArchiveIterator]:
        stream = MemberStream(handle, self.compressed) if self.compressed else handle
        return stream, ArchiveIterator(stream, check_digests=True, arc2warc=True)

    def documents(self) -> Iterator:
        index = 0  # the record being read, so that damage names the first record it cost
        damage = None
        with self.source.open() as handle:
            stream, records = self.open_records(handle)
            while True:
                try:
                    record = next(records, None)
                    if record is None:
                        break
                    documents = self.read(index, record)
                except BrokenRecord as exc:
                    damage = f"damaged {self.name}: record #{index} {exc}"
                    break
                except Exception as exc:  # warcio raises whatever damaged bytes lead it to, AttributeError included
                    damage = (f"damaged {self.name}: record #{index} cannot be read: "
                              f"{type(exc).__name__}: {str(exc).strip()}")
                    break
                yield from documents
                if self.cut:
                    damage = f"damaged {self.name}: record #{index} is cut short: {self.cut}"
                    break
                index += 1
            if damage is None and getattr(stream, "damage", None) is not None:
                damage = (f"damaged {self.name}: record #{index} cannot be read: the {self.compressed} stream is "
                          f"broken: {type(stream.damage).__name__}: {stream.damage}")
            # warcio stops quietly when the file ends inside a record's headers: bytes are left over.
            elif damage is None and records.offset < stream.tell():
                damage = (f"damaged {self.name}: record #{index} is cut short: the last "
                          f"{stream.tell() - records.offset:,} bytes are not a complete record")
        if index == 0 and damage is None:
            raise DocumentError(f"empty {self.name}: no records")
        yield from self.revisits()
        self.report(damage)

    def read(self, index: int, record) -> list:
        """The documents of one record (none for a skipped one). Raises `BrokenRecord` for damage."""
        if not record.rec_type or not (record.rec_headers.get_header("Content-Length") or "").strip().isdigit():
            raise BrokenRecord("has no WARC-Type or no valid Content-Length (the file is cut or corrupt there)")
        kind = record.rec_type
        if kind == "revisit":
            read_block(record, 0)
            self.note_revisit(index, record)
            return []
        if kind == "metadata" and media_type_of(record.content_type) == "application/json":
            read_block(record, 0)
            self.wat_records += 1
            return []
        if kind in TEXT_RECORDS:
            return self.text_record(index, record)
        if not is_page(record):
            read_block(record, 0)
            return []
        page = read_page(self.source, index, record)
        self.cut = page.cut
        if page.digest:
            self.digest_problems.append(page.digest)
        if page.failed is not None:
            return [page.failed]
        if page.body is None:
            return []
        self.originals.add(index, record.rec_headers)
        return list(self.source.parse_record(index=index, raw=page.body, media_type="text/html",
                                             **record_fields(record.rec_headers)))

    def text_record(self, index: int, record) -> list:
        """A WET `conversion` record: the text a crawler extracted from a page."""
        if media_type_of(record.content_type) not in ("text/plain", None):
            read_block(record, 0)
            return []
        limit = self.source.max_document_bytes
        payload, size, complete = read_block(record, limit + 1)
        if size > limit:
            return [self.source.failed(index=index, raw=payload, error=self.source.too_large(size, f"record #{index}"))]
        if not complete:
            self.cut = cut_message(record, "text")
        elif problem := digest_problem(index, record):
            self.digest_problems.append(problem)
        return list(self.source.parse_record(index=index, raw=payload, media_type="text/plain",
                                             **record_fields(record.rec_headers)))

    def note_revisit(self, index: int, record) -> None:
        headers = record.http_headers
        if headers is not None:
            status = headers.get_statuscode()
            if not (status.startswith("2") or status == "304") or html_type(record) is False:
                return  # the revisit of something that is not a page
        revisit = Revisit.of(index, record.rec_headers)
        original = self.originals.find(revisit)
        if original is None:
            self.unresolved.append(revisit)
        else:
            self.pending.setdefault(original, []).append(revisit)

    def revisits(self) -> Iterator:
        """Revisits of pages: each with its original's payload, read again in a second pass over the file."""
        for revisit in self.unresolved:
            original = self.originals.find(revisit)  # an original later in the file than its revisit
            if original is not None:
                self.pending.setdefault(original, []).append(revisit)
                continue
            yield self.source.failed(index=revisit.index, raw=revisit.describe().encode(), error=DocumentError(
                f"{self.name} revisit record #{revisit.index} ({revisit.url}) repeats a page that is not in this "
                f"file ({revisit.describe()}); run it with the archive that holds the original"))
        if not self.pending:
            return
        last = max(self.pending)
        with self.source.open() as handle:
            _, records = self.open_records(handle)
            for index, record in enumerate(records):
                if index in self.pending:
                    yield from self.repeat(index, record)
                if index >= last:
                    break

    def repeat(self, index: int, record) -> Iterator:
        page = read_page(self.source, index, record)
        for revisit in self.pending[index]:
            if page.body is None:
                cause = page.failed.error if page.failed is not None else "it is no page"
                yield self.source.failed(index=revisit.index, raw=revisit.describe().encode(), error=DocumentError(
                    f"{self.name} revisit record #{revisit.index} repeats record #{index}, which cannot be "
                    f"loaded: {cause}"))
                continue
            yield from self.source.parse_record(index=revisit.index, raw=page.body, media_type="text/html",
                                                url=revisit.url, fetched_at=parse_warc_date(revisit.date))

    def report(self, damage: str | None) -> None:
        """One error for the file: its damage, its pages with a wrong digest, its WAT records (in that order)."""
        notes = [damage] if damage else []
        if self.digest_problems:
            shown = "; ".join(self.digest_problems[:SHOWN])
            more = f" and {len(self.digest_problems) - SHOWN} more" if len(self.digest_problems) > SHOWN else ""
            notes.append(f"{len(self.digest_problems)} page record(s) whose bytes do not match their "
                         f"WARC-Block-Digest were loaded as read: {shown}{more}")
        if self.wat_records:
            notes.append(f"{self.wat_records} WAT metadata record(s) skipped: WAT holds JSON about crawled pages "
                         f"(headers, links), not their text; load the crawl's WET files (text) or WARC files "
                         f"(pages) instead")
        if not notes:
            return
        kind = DocumentError if damage else DigestMismatch if self.digest_problems else WatMetadataSkipped
        raise kind("; ".join(notes))


def record_fields(headers) -> dict:
    """The metadata a record gives its document: where and when the crawler fetched it."""
    return {"url": headers.get_header("WARC-Target-URI"),
            "fetched_at": parse_warc_date(headers.get_header("WARC-Date"))}


def read_page(source, index: int, record) -> Page:
    """The HTML body of a page record, a failed document when the body is unusable, or neither."""
    limit = source.max_document_bytes
    payload, size, complete = read_block(record, limit + 1)
    if size > limit:
        return Page(failed=source.failed(index=index, raw=payload, error=source.too_large(size, f"record #{index}")))
    page = Page(cut=None if complete else cut_message(record, "page"),
                digest=digest_problem(index, record) if complete else None)
    try:
        body = decoded_body(source, index, record, payload)
    except DocumentTooLarge as exc:
        page.failed = source.failed(index=index, raw=payload, error=exc)
        return page
    except (zlib.error, OSError, EOFError, UnreadableInput) as exc:
        page.failed = source.failed(index=index, raw=payload, error=DocumentError(
            f"WARC record #{index}: cannot decode the HTTP body: {exc}"))
        return page
    if html_type(record) is None and not body.lstrip()[:20].lower().startswith(HTML_START):
        return page
    page.body = body
    return page


def digest_problem(index: int, record) -> str | None:
    # Only the block digest: payload digests of chunked responses disagree between writers.
    wrong = [p for p in record.digest_checker.problems if p.startswith("block digest failed")]
    return f"record #{index} ({'; '.join(wrong)})" if wrong else None


def cut_message(record, what: str) -> str:
    return (f"it ends after {record.raw_stream.tell():,} of its {record.length:,} bytes "
            f"(its {what} was loaded from what is there)")


def media_type_of(value: str | None) -> str | None:
    value = (value or "").split(";", 1)[0].strip().lower()
    return value or None


def is_page(record) -> bool:
    """An HTML page, or a response whose type is unknown (its body is looked at)."""
    if record.rec_type not in PAGE_RECORDS:
        return False
    if record.http_headers is None:
        return record.rec_type == "resource" and html_type(record) is True
    if record.rec_type == "response" and not record.http_headers.get_statuscode().startswith("2"):
        return False
    return html_type(record) is not False


def html_type(record) -> bool | None:
    """Whether the page's Content-Type is HTML; None when it has none."""
    headers = record.http_headers
    value = headers.get_header("Content-Type") if headers is not None else record.content_type
    if not value or not value.strip():
        return None
    return media_type_of(value) in HTML_TYPES


def read_block(record, keep: int) -> tuple[bytes, int, bool]:
    """The first `keep` bytes of the record's payload, its size, and whether it is whole.

    A record cut short by the end of the file is damage unless the caller keeps what it has (`keep`).
    """
    stream = record.raw_stream
    kept, size = [], 0
    while chunk := stream.read(CHUNK):
        if size < keep:
            kept.append(chunk[: keep - size])
        size += len(chunk)
    # The stream is limited to the record's Content-Length; reading less than that means the file ends early.
    complete = not (isinstance(record.length, int) and stream.tell() < record.length)
    if not complete and (not keep or not size):
        raise BrokenRecord(f"ends after {stream.tell():,} of its {record.length:,} bytes")
    return b"".join(kept), size, complete


def decoded_body(source, index: int, record, payload: bytes) -> bytes:
    """The payload without HTTP chunking and content encoding, refused once it passes the limit.

    warcio's readers decompress a whole chunk or block at a time (a 10 MB chunk of gzip can unpack
    to 10 GB), so warcio only de-chunks, which never enlarges, and `source.decompress` inflates with a cap.
    """
    headers = record.http_headers
    if headers is None:
        return payload
    encoding = (headers.get_header("Content-Encoding") or "").strip().lower() or None
    if encoding == "identity":
        encoding = None
    if encoding and encoding not in BufferedReader.get_supported_decompressors():
        hint = " (install brotli)" if encoding == "br" else ""
        raise OSError(f"content encoding {encoding!r} is not supported{hint}")
    if (headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked":
        payload = source.read_capped(ChunkedDataReader(io.BytesIO(payload)), f"record #{index}")
    if encoding is None:
        return payload
    if encoding in ("gzip", "x-gzip") and not payload.startswith(GZIP_MAGIC):
        # The header outlived the encoding: some crawlers (ClueWeb09's) stored bodies decoded. warcio
        # falls back to the bytes as they are too.
        return payload
    what = f"record #{index} (its HTTP body, {encoding}-encoded)"
    if encoding == "br":
        # brotli has no output cap in warcio's reader: small reads keep each step's output small.
        return source.read_capped(BufferedReader(io.BytesIO(payload), block_size=BROTLI_READ, decomp_type="br"),
                                  what)
    return source.decompress(payload, encoding, what)


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = dateparser.isoparse(value.strip())
    except (ValueError, OverflowError):
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)

