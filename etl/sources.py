"""Input files: finding them, reading and decoding them, and minting documents with their identity."""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import DocumentTooLarge, NoParser, UnreadableInput
from .model import Document, Segment, doc_id_for

# Media types the standard library does not know, by file-name ending (longest match wins).
_EXTRA_TYPES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".jsonl": "application/jsonl",
    ".ndjson": "application/jsonl",
    ".json": "application/json",
    ".warc": "application/warc",
    ".warc.gz": "application/warc",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}
# Decompressed data is read this much at a time, so that a bound is never overshot by more.
CHUNK = 1 << 16
_PAST_LIMIT = "more than {:,} bytes once decompressed (reading stopped there)"


def source_uri(path: str | Path) -> str:
    """The one identity of an input file: its resolved location as a `file://` URI (`doc_id` hashes it)."""
    return Path(path).resolve().as_uri()


def guess_media_type(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(_EXTRA_TYPES, key=len, reverse=True):
        if name.endswith(suffix):
            return _EXTRA_TYPES[suffix]
    return mimetypes.guess_type(name)[0]


@dataclass
class Source:
    """One input file, as parse plugins see it.

    `read_bytes()` and `read_text()` enforce the per-document size limit (a plain file is one document);
    `open()` streams without a limit, for containers whose records are checked one by one in `document`.
    """

    path: Path
    max_document_bytes: int
    media_type: str | None = None
    size: int = 0
    #: Set by the host: asks the parse plugins, in order, for a source (see `parse_record`).
    parse_with: Callable[[Source], tuple[str, Iterable[Document]] | None] | None = field(default=None, repr=False)
    _bytes: bytes | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)
    _sha256: str | None = field(default=None, repr=False)
    _uri: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.media_type is None:
            self.media_type = guess_media_type(self.path)
        if not self.size and self._bytes is None:
            self.size = self.path.stat().st_size

    @property
    def uri(self) -> str:
        if self._uri is None:
            self._uri = source_uri(self.path)
        return self._uri

    @property
    def sha256(self) -> str:
        """Digest of the whole file, computed by streaming (the file may be larger than the limit)."""
        if self._sha256 is None:
            if self._bytes is not None:
                self._sha256 = hashlib.sha256(self._bytes).hexdigest()
            else:
                digest = hashlib.sha256()
                with self.open() as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
                self._sha256 = digest.hexdigest()
        return self._sha256

    def open(self) -> IO[bytes]:
        return io.BytesIO(self._bytes) if self._bytes is not None else self.path.open("rb")

    def read_bytes(self) -> bytes:
        if self.size > self.max_document_bytes:
            raise DocumentTooLarge(_too_large(self.size, self.max_document_bytes))
        if self._bytes is None:
            self._bytes = self.path.read_bytes()
        return self._bytes

    def read_text(self) -> str:
        """The file decoded to text (see `decode_text`); cached, so several parsers may sniff it."""
        if self._text is None:
            self._text = decode_text(self.read_bytes())
        return self._text

    def document(self, *, index: int | None = None, raw: bytes | None = None, **fields: Any) -> Document:
        """A new Document with its identity filled in.

        For the file itself, leave `index` out. For the n-th record of a container, pass `index=n` and
        the record's `raw` bytes: its URI is the file's plus ``#n`` and its digest is that of `raw`.
        """
        if index is None:
            uri, digest = self.uri, self.sha256
        else:
            if raw is None:
                raise TypeError("source.document(index=...) needs the record's raw bytes")
            uri, digest = f"{self.uri}#{index}", hashlib.sha256(raw).hexdigest()
        return Document(doc_id=doc_id_for(uri), source_uri=uri, content_sha256=digest,
                        media_type=fields.pop("media_type", self.media_type or "text/plain"), **fields)

    def failed(self, *, index: int, raw: bytes, error: BaseException | str) -> Document:
        """A Document for a container record that cannot be used: it becomes an `errors` row.

        Yield it in place of the record, and go on with the next one. Only the error's type and message
        are kept: its traceback would hold the frames that raised it, and with them the record's bytes.
        """
        doc = self.document(index=index, raw=raw)
        doc.error = _detached(error) if isinstance(error, BaseException) else UnreadableInput(str(error))
        return doc

    def check_record_size(self, raw: bytes) -> None:
        if len(raw) > self.max_document_bytes:
            raise self.too_large(len(raw))

    def too_large(self, size: int | str, what: str = "document") -> DocumentTooLarge:
        """The error for a record over the limit, when its size is known without holding it whole:
        a byte count, or words such as "over 10,485,760 bytes decompressed"; `what` names the record
        or member ("record #3", "member 'word/document.xml'")."""
        return DocumentTooLarge(_too_large(size, self.max_document_bytes, what))

    def read_capped(self, stream: IO[bytes], what: str) -> bytes:
        """All of `stream` (a decompressing reader, say), refused as soon as it passes the limit."""
        limit = self.max_document_bytes
        parts, size = [], 0
        while chunk := stream.read(min(CHUNK, limit + 1 - size)):
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                raise self.too_large(_PAST_LIMIT.format(limit), what)
        return b"".join(parts)

    def decompress(self, data: bytes, encoding: str, what: str) -> bytes:
        """`data` decoded from an HTTP content encoding (gzip, x-gzip, deflate), at most the limit of it.

        Decompression stops as soon as the output passes `max_document_bytes` (a few kilobytes of
        gzip can unpack to gigabytes). Input that ends before its stream does keeps what it held, as
        browsers do. Raises `UnreadableInput` for another encoding, `zlib.error` for corrupt data.
        """
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            return self._inflate(data, 16 + zlib.MAX_WBITS, what)
        if encoding == "deflate":
            try:
                return self._inflate(data, zlib.MAX_WBITS, what)
            except zlib.error:
                # Many servers send raw deflate under this name, without the zlib header.
                return self._inflate(data, -zlib.MAX_WBITS, what)
        raise UnreadableInput(f"content encoding {encoding!r} is not supported")

    def _inflate(self, data: bytes, wbits: int, what: str) -> bytes:
        limit = self.max_document_bytes
        parts, size = [], 0
        while data:
            inflater = zlib.decompressobj(wbits)
            while not inflater.eof:
                chunk = inflater.decompress(data, min(CHUNK, limit + 1 - size))
                data = inflater.unconsumed_tail
                parts.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise self.too_large(_PAST_LIMIT.format(limit), what)
                if not chunk and not data:
                    break
            # Concatenated gzip members are one stream (RFC 1952); after deflate, trailing bytes are junk.
            data = inflater.unused_data if inflater.eof and wbits > zlib.MAX_WBITS else b""
        return b"".join(parts)

    def open_zip(self, data: bytes, kind: str) -> zipfile.ZipFile:
        """`data` as a zip archive that unpacks to at most `max_document_bytes`, its members summed.

        A library given the archive (python-docx reads every part) then holds at most that much. The
        directory's sizes are checked first, then every member is really decompressed against what is
        left of the limit, since a directory can lie. Raises `DocumentTooLarge`, or `UnreadableInput`
        for a damaged archive (zipfile checks each member's CRC on the way).
        """
        limit = self.max_document_bytes
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            if total > limit:
                largest = max(members, key=lambda member: member.file_size)
                raise self.too_large(total, f"the {kind}, unpacked (its member {largest.filename!r} "
                                            f"alone {largest.file_size:,} bytes),")
            budget = limit
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(min(CHUNK, budget + 1)):
                        budget -= len(chunk)
                        if budget < 0:
                            raise self.too_large(_PAST_LIMIT.format(limit) + " with the members before it",
                                                 f"member {member.filename!r} of the {kind}")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error) as exc:
            raise UnreadableInput(f"not a readable {kind} file: {exc}") from None
        return archive

    def parse_record(self, *, index: int, raw: bytes, media_type: str, **fields: Any) -> Iterator[Document]:
        """Parse the n-th record of a container with whichever installed parser takes `media_type`.

        An HTML page inside a WARC or a JSONL record goes through the installed HTML parser (so
        replacing that parser changes it everywhere). `fields` fill metadata the parser leaves empty
        (the URL a crawler fetched, say). A record that fails becomes a failed document; the
        container goes on with its next record.
        """
        try:
            self.check_record_size(raw)
            record = Source(self.path, self.max_document_bytes, media_type=media_type, size=len(raw),
                            parse_with=self.parse_with, _bytes=raw, _uri=f"{self.uri}#{index}")
            found = self.parse_with(record) if self.parse_with else None
            if found is None:
                raise NoParser(f"no parser for record #{index} of {self.path.name!r} (media type {media_type})")
            documents = list(found[1])
        except Exception as exc:  # noqa: BLE001 - whatever a parser raises costs this record only
            yield self.failed(index=index, raw=raw, error=exc)
            return
        for doc in documents:
            for name, value in fields.items():
                if getattr(doc, name) in (None, "", []):
                    setattr(doc, name, value)
            yield doc


def _detached(error: BaseException) -> BaseException:
    """`error` without its traceback, cause and context, which keep the frames that raised them alive."""
    error.__traceback__ = error.__cause__ = error.__context__ = None
    return error


def _too_large(size: int | str, limit: int, what: str = "document") -> str:
    amount = f"{size:,} bytes" if isinstance(size, int) else size
    return (f"{what} is {amount}, over the limit of {limit:,} bytes; "
            f"raise `max_document_bytes` in the config to accept it")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


_COMMON_CODE_PAGES = {"cp1252": 3, "latin_1": 2, "iso8859_15": 2, "cp1251": 2, "cp1250": 1}


def decode_text(data: bytes) -> str:
    """Decode bytes of unknown encoding: a BOM, else UTF-8, else charset-normalizer's best guess.

    Raises `UnreadableInput` for empty input and for binary content (NUL bytes or control characters
    that no text encoding explains).
    """
    if not data.strip():
        raise UnreadableInput("empty file: no text to parse")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom):].decode(encoding.replace("-sig", "")), encoding)
            except UnicodeDecodeError as exc:
                raise UnreadableInput(f"starts with a {encoding} byte-order mark but is not {encoding}: {exc}") from exc
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise UnreadableInput("binary content: not text in any encoding that could be detected")
    # On short texts several code pages are about equally clean; charset-normalizer's first pick is
    # then often a rare one (cp775 for French). Among the near-cleanest, take the most coherent
    # language, and on a tie the most common code page for news.
    cleanest = min(m.chaos for m in matches)
    near = [m for m in matches if m.chaos <= cleanest + 0.1]
    best = max(near, key=lambda m: (round(m.coherence, 2), _COMMON_CODE_PAGES.get(m.encoding, 0)))
    return _checked(str(best), best.encoding)


def _checked(text: str, encoding: str) -> str:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch not in "\n\r\t\f" and unicodedata.category(ch) == "Cc")
    if controls and controls > len(sample) * 0.01:
        raise UnreadableInput(
            f"binary content: {controls} control characters (such as NUL) in the first "
            f"{len(sample):,} characters decoded as {encoding}"
        )
    if not text.strip():
        raise UnreadableInput("empty file: only white space")
    return text


def discover(paths: list[Path], exclude: list[Path]) -> Iterator[Path]:
    """Every regular file under `paths`, sorted, skipping hidden names and the `exclude` folders."""
    excluded = {p.resolve() for p in exclude}
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames
                                 if not d.startswith(".") and (here / d).resolve() not in excluded)
            for name in sorted(filenames):
                if not name.startswith(".") and (here / name).is_file():
                    yield here / name


def split_paragraphs(text: str) -> list[str]:
    """Split plain text into blocks: a line each, except hard-wrapped paragraphs, joined into one.

    Blank lines separate paragraphs. Inside a paragraph, lines are kept apart (a headline, a caption
    and a credit often sit on consecutive lines) unless they look hard-wrapped: several lines of
    similar length that do not end a sentence, which are joined with spaces.
    """
    blocks: list[str] = []
    for paragraph in _blank_line_split(text):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if _hard_wrapped(lines):
            blocks.append(" ".join(lines))
        else:
            blocks.extend(lines)
    return blocks


def _blank_line_split(text: str) -> list[str]:
    paragraphs, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _hard_wrapped(lines: list[str]) -> bool:
    if len(lines) < 3:
        return False
    body = lines[:-1]
    widths = [len(line) for line in body]
    ends_sentence = sum(line.rstrip()[-1] in ".!?\"'”’»" for line in body)
    return min(widths) >= 40 and max(widths) <= 100 and max(widths) - min(widths) <= 25 \
        and ends_sentence <= len(body) // 2


def segments_from_text(text: str, plugin: str | None = None) -> list[Segment]:
    return [Segment(text=block, label="body", seq=i, plugin=plugin) for i, block in enumerate(split_paragraphs(text))]
