"""WARC files: every archived HTML page becomes a document, parsed by the installed HTML parser.

Which files: `application/warc` (`.warc`, `.warc.gz`), and files of unknown type whose content starts
with a WARC header, plain or gzip-compressed (`crawl-00001.gz`, a file without an extension). Read
with warcio, streaming: one record in memory at a time, no network.

Which records: `response` records of a 2xx HTTP response whose Content-Type is HTML (or, without a
Content-Type, whose body starts like HTML), and `resource` records of an HTML page (captures stored
without the HTTP envelope). Their body, de-chunked and decompressed (gzip, deflate; br when `brotli`
is installed), goes to `source.parse_record` with the WARC-Target-URI as `url` and the WARC-Date as
`fetched_at`. Everything else (warcinfo, request, metadata, revisit, redirects, images ...) is skipped
without an error.

Identity: record `n` is `file://...#n`, `n` counting every record of the file from 0, skipped ones
included, so indexes do not move when the skip rules change.

Damage: a page over `max_document_bytes` (raw, de-chunked or decompressed: decompression stops as
soon as it passes the limit), one whose WARC-Block-Digest does not
match, or one whose body cannot be decompressed is an `errors` row of its own, and the next record is
read. A truncated or corrupt file loads the pages before the damage, then raises one `DocumentError`
naming the record where the damage starts: the host records it against the file. (A file cut exactly
between two records is a valid, shorter WARC: no reader can tell.)
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone

from dateutil import parser as dateparser
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

from etl import DocumentError, DocumentTooLarge, UnreadableInput, hookimpl

NAME = "warc"
WARC_TYPE = "application/warc"
# Types a WARC may be guessed as from its name alone; only these are sniffed.
SNIFFED_TYPES = {None, "application/octet-stream", "application/gzip", "application/x-gzip"}
WARC_MAGIC = (b"WARC/1.0", b"WARC/1.1")
GZIP_MAGIC = b"\x1f\x8b"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PAGE_RECORDS = {"response", "resource"}
HTML_START = (b"<!doctype html", b"<html")
CHUNK = 1 << 16
# Compressed bytes brotli is given per step: its output per step stays within a few megabytes.
BROTLI_READ = 1024


class BrokenRecord(Exception):
    """A record that is cut short or lacks the headers every WARC record has: the file is damaged."""


class GzipUntilDamage:
    """The decompressed bytes of a gzip file, ending where the file is cut or corrupt.

    Python's gzip reads a file of one gzip member per record and a file gzipped whole alike (warcio
    refuses the latter). But warcio takes an EOFError for the end of the file, and a read that fails
    loses what it had decompressed: so the stream ends quietly at the damage, keeps it in `damage`, and
    the records before it are read in full.
    """

    def __init__(self, handle) -> None:
        self.gzip = gzip.GzipFile(fileobj=handle)
        self.position = 0
        self.damage: Exception | None = None

    def read(self, size: int = -1) -> bytes:
        if self.damage is not None:
            return b""
        try:
            data = self.gzip.read1(size if size and size > 0 else CHUNK)
        except (EOFError, OSError, zlib.error) as exc:
            self.damage = exc
            return b""
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position


@hookimpl
def etl_parse(source, config):
    if not is_warc(source):
        return None
    return warc_documents(source)


def is_warc(source) -> bool:
    if source.media_type == WARC_TYPE:
        return True
    if source.media_type not in SNIFFED_TYPES:
        return False
    with source.open() as handle:
        head = handle.read(512)
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(WARC_MAGIC)


def warc_documents(source) -> Iterator:
    index = 0  # the record being read, so that damage names the first record it cost
    with source.open() as handle:
        gzipped = handle.read(2) == GZIP_MAGIC
        handle.seek(0)
        stream = GzipUntilDamage(handle) if gzipped else handle
        records = ArchiveIterator(stream, check_digests=True)
        while True:
            try:
                record = next(records, None)
                page = None if record is None else read_page(source, index, record)
            except BrokenRecord as exc:
                raise DocumentError(f"damaged WARC: record #{index} {exc}") from exc
            except Exception as exc:  # warcio raises whatever damaged bytes lead it to, AttributeError included
                raise DocumentError(f"damaged WARC: record #{index} cannot be read: "
                                    f"{type(exc).__name__}: {exc}") from exc
            if record is None:
                break
            if isinstance(page, bytes):
                yield from source.parse_record(
                    index=index, raw=page, media_type="text/html",
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    fetched_at=parse_warc_date(record.rec_headers.get_header("WARC-Date")))
            elif page is not None:
                yield page
            index += 1
        if getattr(stream, "damage", None) is not None:
            raise DocumentError(f"damaged WARC: record #{index} cannot be read: the gzip stream is broken: "
                                f"{type(stream.damage).__name__}: {stream.damage}")
        # warcio stops quietly when the file ends inside a record's headers: bytes are left over.
        if records.offset < stream.tell():
            raise DocumentError(f"damaged WARC: record #{index} is cut short: the last "
                                f"{stream.tell() - records.offset:,} bytes are not a complete record")
    if index == 0:
        raise DocumentError("empty WARC: no records")


def read_page(source, index: int, record):
    """The HTML body of a page record, a failed document when the body is unusable, or None to skip.

    Raises when the file itself is damaged at this record.
    """
    if not record.rec_type or not (record.rec_headers.get_header("Content-Length") or "").strip().isdigit():
        raise BrokenRecord("has no WARC-Type or no valid Content-Length (the file is cut or corrupt there)")
    if not is_page(record):
        read_block(record, 0)
        return None
    limit = source.max_document_bytes
    payload, size = read_block(record, limit + 1)
    if size > limit:
        return source.failed(index=index, raw=payload, error=source.too_large(size, f"record #{index}"))
    # Only the block digest: payload digests of chunked responses disagree between writers.
    corrupt = [p for p in record.digest_checker.problems if p.startswith("block digest failed")]
    if corrupt:
        return source.failed(index=index, raw=payload, error=DocumentError(
            f"WARC record #{index} is corrupt: {'; '.join(corrupt)}"))
    try:
        body = decoded_body(source, index, record, payload)
    except DocumentTooLarge as exc:
        return source.failed(index=index, raw=payload, error=exc)
    except (zlib.error, OSError, EOFError, UnreadableInput) as exc:
        return source.failed(index=index, raw=payload, error=DocumentError(
            f"WARC record #{index}: cannot decode the HTTP body: {exc}"))
    if html_type(record) is None and not body.lstrip()[:20].lower().startswith(HTML_START):
        return None
    return body


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
    return value.split(";", 1)[0].strip().lower() in HTML_TYPES


def read_block(record, keep: int) -> tuple[bytes, int]:
    """The first `keep` bytes of the record's payload and its full size, checking the record is whole."""
    stream = record.raw_stream
    kept, size = [], 0
    while chunk := stream.read(CHUNK):
        if size < keep:
            kept.append(chunk[: keep - size])
        size += len(chunk)
    # The stream is limited to the record's Content-Length; reading less than that means the file ends early.
    if isinstance(record.length, int) and stream.tell() < record.length:
        raise BrokenRecord(f"ends after {stream.tell():,} of its {record.length:,} bytes")
    return b"".join(kept), size


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
