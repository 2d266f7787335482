"""Input files: finding them, reading and decoding them, and minting documents with their identity."""

from __future__ import annotations

import errno
import hashlib
import io
import mimetypes
import os
import stat
import unicodedata
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from .errors import DocumentError, DocumentTooLarge, NoParser, UnreadableInput
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
    """The one identity of an input file: its resolved location as a `file://` URI.

    `doc_id` hashes it and the manifest keys sources by it, so every name of one file (a symbolic link,
    the folder given twice) is one source. The path's bytes are percent-encoded, as `Path.as_uri()`
    does on POSIX: any name the file system allows, valid UTF-8 or not, gives an ASCII URI that
    `source_path` turns back into the same bytes. A link that cannot be resolved (dangling, or a
    loop) is named by its own location.
    """
    return _uri(resolved(path))


def _uri(path: Path) -> str:
    return "file://" + quote_from_bytes(os.fsencode(path))


def source_path(uri: str) -> Path:
    """The file a `source_uri` names (the inverse of `source_uri`, byte for byte)."""
    if not uri.startswith("file://"):
        raise ValueError(f"not a file URI: {uri!r}")
    return Path(os.fsdecode(unquote_to_bytes(uri[len("file://"):].split("#", 1)[0])))


def resolved(path: str | Path) -> Path:
    """`path` absolute, with every symbolic link resolved; a link that leads nowhere (dangling, or a
    loop) resolved up to its folder, keeping its own name."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except OSError:
        path = Path(os.path.abspath(path))
        return Path(os.path.realpath(path.parent)) / path.name


def printable(text: str | Path) -> str:
    """`text` (a path, a message holding one) as valid UTF-8, for messages, Parquet and the terminal.

    Bytes of a file name that are not UTF-8 reach Python as lone surrogates, which cannot be written
    anywhere; they are shown as `\\xe9` escapes instead, so the name stays recognisable.
    """
    text = os.fspath(text)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no file name produced
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


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


class NotARegularFile(DocumentError):
    """A FIFO, socket or device file in the input: only regular files are read (it is never opened)."""


class BrokenSymlink(DocumentError):
    """A symbolic link whose target does not exist."""


class SymlinkLoop(DocumentError):
    """A symbolic link that leads back to itself."""


class SymlinkNotFollowed(DocumentError):
    """A symbolic link out of the input folders (or into the output folder): not followed."""


class UnreadableFolder(DocumentError):
    """A folder of the input that cannot be listed or entered: its files were not read."""


class UnreadableEntry(DocumentError):
    """An entry of a folder whose type cannot be looked at (permissions)."""


@dataclass(frozen=True)
class Found:
    """One entry of the inputs: a regular file to read, or one that cannot be read (`problem` says why).

    `path` is where the file is read from (its resolved location; for a problem, where it was found);
    `uri` is its identity (`source_uri`), the manifest's key.
    """

    path: Path
    uri: str
    problem: DocumentError | None = None


@dataclass
class Discovery:
    """What `discover` found: files and problems in order, and the aliases it did not read again."""

    found: list[Found] = field(default_factory=list)
    #: (alias, the name it was read under): a second name of a file or folder (a symbolic link inside
    #: the inputs, a folder given twice, a file inside a folder also given), not read a second time.
    aliases: list[tuple[Path, Path]] = field(default_factory=list)

    @property
    def files(self) -> list[Found]:
        return [f for f in self.found if f.problem is None]

    @property
    def problems(self) -> list[Found]:
        return [f for f in self.found if f.problem is not None]


def discover(paths: list[Path], exclude: list[Path], *, follow_outside: bool = False) -> Discovery:
    """Every regular file under `paths`, once per real file, in order; what cannot be read, as problems.

    Hidden names (starting with ".") and the `exclude` folders (the output folder) are skipped by rule.
    Nothing is opened: entries are only looked at (`lstat`), so a FIFO cannot hang the run. Symbolic
    links inside the inputs are followed after the real folders are walked, so a link to a file or
    folder already found is an alias, never a second source. A link out of the inputs is followed only
    with `follow_outside` (a path given on the command line is always followed: it is the user's).
    """
    return _Walk(paths, exclude, follow_outside).run()


_KINDS = ((stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISSOCK, "socket"),
          (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


class _Walk:
    def __init__(self, paths: list[Path], exclude: list[Path], follow_outside: bool) -> None:
        self.paths = [Path(p) for p in paths]
        self.excluded = [resolved(p) for p in exclude]
        self.inside = [resolved(p) for p in self.paths]
        self.follow_outside = follow_outside
        self.result = Discovery()
        self.seen: dict[str, Path] = {}  # identity -> the name it was found under
        self.walked: dict[Path, Path] = {}  # real folder -> the name it was walked under
        self.links: deque[Path] = deque()  # links met while walking, followed once the real folders are done

    def run(self) -> Discovery:
        for path in self.paths:
            self._entry(path, given=True)
        while self.links:
            self._link(self.links.popleft(), given=False)
        return self.result

    def _entry(self, path: Path, given: bool = False) -> None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return  # gone since its folder was listed: not an input any more
        except OSError as exc:
            self._problem(path, UnreadableEntry(
                f"cannot look at {printable(path)}: {exc.strerror}; make its folder searchable (chmod +x)"))
            return
        if stat.S_ISLNK(info.st_mode):
            if given:
                self._link(path, given=True)
            else:
                self.links.append(path)
        elif stat.S_ISDIR(info.st_mode):
            self._folder(path, path)
        elif stat.S_ISREG(info.st_mode):
            self._file(path, resolved(path))
        else:
            self._special(path, info.st_mode)

    def _link(self, link: Path, given: bool) -> None:
        try:
            target = Path(os.path.realpath(link, strict=True))
            info = os.stat(target)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._problem(link, SymlinkLoop(f"{printable(link)} is a symbolic link that leads back to "
                                                f"itself (a loop); nothing was read from it"))
            elif isinstance(exc, (FileNotFoundError, NotADirectoryError)):
                self._problem(link, BrokenSymlink(f"{printable(link)} is a symbolic link to "
                                                  f"{printable(_link_text(link))}, which does not exist"))
            else:
                self._problem(link, UnreadableEntry(f"cannot follow the symbolic link {printable(link)}: "
                                                    f"{exc.strerror}"))
            return
        if not given:
            # A link not followed is named by its own location, not by the file it leads to.
            own = _uri(resolved(link.parent) / link.name)
            if any(_within(target, out) for out in self.excluded):
                self._problem(link, own=own, error=SymlinkNotFollowed(
                    f"{printable(link)} is a symbolic link into the output folder ({printable(target)}); "
                    f"not followed: the output is never read as input"))
                return
            if not self.follow_outside and not any(_within(target, root) for root in self.inside):
                self._problem(link, own=own, error=SymlinkNotFollowed(
                    f"{printable(link)} is a symbolic link to {printable(target)}, outside the input folders; "
                    f"not followed. Give that path on the command line, or set "
                    f"`follow_symlinks_outside = true` in the config to follow such links"))
                return
        if stat.S_ISDIR(info.st_mode):
            self._folder(target, link)
        elif stat.S_ISREG(info.st_mode):
            self._file(link, target)
        else:
            self._special(link, info.st_mode)

    def _folder(self, real: Path, name: Path) -> None:
        real = resolved(real)
        if any(real == out for out in self.excluded):
            return  # the output folder inside an input: skipped by rule
        if real in self.walked:
            self.result.aliases.append((name, self.walked[real]))
            return
        self.walked[real] = name
        try:
            with os.scandir(real) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as exc:
            self._problem(name, UnreadableFolder(
                f"cannot list the folder {printable(name)}: {exc.strerror}; none of its files were read. "
                f"Make it readable (chmod +rx) and run again"))
            return
        for entry in names:
            if not entry.startswith("."):
                self._entry(name / entry)

    def _file(self, name: Path, real: Path) -> None:
        uri = source_uri(real)
        if uri in self.seen:
            self.result.aliases.append((name, self.seen[uri]))
            return
        self.seen[uri] = name
        self.result.found.append(Found(real, uri))

    def _special(self, name: Path, mode: int) -> None:
        kind = next((what for test, what in _KINDS if test(mode)), "special file")
        self._problem(name, NotARegularFile(f"{printable(name)} is a {kind}, not a regular file: only regular "
                                            f"files are read, and it was not opened"))

    def _problem(self, name: Path, error: DocumentError, own: str | None = None) -> None:
        uri = own or source_uri(name)
        if uri in self.seen:
            self.result.aliases.append((name, self.seen[uri]))
            return
        self.seen[uri] = name
        self.result.found.append(Found(name, uri, error))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _link_text(link: Path) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "?"


def still_there(uri: str) -> bool:
    """Whether the source `uri` names still exists as a regular file (for `etl run --prune`).

    Only a definite answer counts as gone: no such file, or something else in its place (a folder,
    a FIFO). A file that cannot be looked at (a folder made unreadable) is kept, not forgotten.
    """
    try:
        return stat.S_ISREG(os.lstat(source_path(uri)).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True


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
