"""Which archive format a file holds, and its bytes decompressed: gzip or lz4 members, bounded, ending at damage.

warcio reads gzip itself, a member per record, but refuses a file gzipped whole, cannot read lz4, and
loses what it had decompressed when a member is cut. `MemberStream` reads the members in turn (any
number of them: one per record, one for the whole file), never more than the reader asks for at a
time, and ends quietly where the file is cut or corrupt, keeping the cause in `damage` so that the
records before it are read in full.

A member that ends a WARC record is followed by the next record's header line: where a writer counted
the blank lines that end a record inside its Content-Length (the Internet Archive's does), nothing
separates the two once the members are joined, and warcio, which expects that blank line, would take
the next record's first line for it. A line break is therefore put between two members when the
second starts a WARC record, as reading the members one by one (warcio's way) amounts to. A member
that ends in the middle of a record (a writer that compresses fixed-size blocks) gets nothing added.
"""

from __future__ import annotations

import zlib

CHUNK = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"
LZ4_MAGIC = b"\x04\x22\x4d\x18"
WARC_MAGIC = (b"WARC/1.0", b"WARC/1.1", b"WARC/0.1")
ARC_MAGIC = b"filedesc://"
RECORD_START = b"WARC/"
SEPARATOR = b"\r\n"
LZ4_INSTALL = "pip install 'lz4>=4'"


class Lz4Missing(ImportError):
    """An lz4-compressed archive, and the `lz4` package is not installed."""


def lz4_frame():
    try:
        import lz4.frame
    except ImportError as exc:
        raise Lz4Missing(f"an lz4-compressed archive (.warc.lz4) needs the lz4 package: {LZ4_INSTALL}") from exc
    return lz4.frame


def compression(head: bytes) -> str | None:
    """'gzip', 'lz4' or None (not compressed) from a file's first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(LZ4_MAGIC):
        return "lz4"
    return None


def archive_format(handle) -> str | None:
    """'warc' or 'arc' from the first bytes of an open file (decompressed when gzip or lz4); None otherwise."""
    head = handle.read(512)
    kind = compression(head)
    if kind:
        handle.seek(0)
        # An lz4 block gives nothing until it is whole (up to 4 MiB): read through the stream.
        head = MemberStream(handle, kind).read(16)
    if head.startswith(WARC_MAGIC):
        return "warc"
    if head.startswith(ARC_MAGIC):
        return "arc"
    return None


class MemberStream:
    """The decompressed bytes of a file made of compressed members (gzip members, lz4 frames), in turn.

    `read(size)` never returns more than `size` bytes (a member that unpacks to gigabytes is read as
    slowly as the reader reads). The stream ends where the file does, or where it is damaged: then
    `damage` holds the cause (a member cut short, bytes that are not a member).
    """

    def __init__(self, handle, kind: str) -> None:
        self.handle = handle
        self.kind = kind
        self.position = 0
        self.damage: Exception | None = None
        self.members = 0
        self._input = b""
        self._started = False  # the current member has been given bytes
        self._boundary = False  # a member just ended: the next output may start a record
        self._done = False
        self._inflater = self._new()

    def _new(self):
        return zlib.decompressobj(16 + zlib.MAX_WBITS) if self.kind == "gzip" else lz4_frame().LZ4FrameDecompressor()

    def _step(self, size: int) -> bytes:
        """Decompress at most `size` bytes of the current member from the input held."""
        data, self._input = self._input, b""
        if data:
            self._started = True
        if self.kind == "gzip":
            out = self._inflater.decompress(data, size)
            self._input = self._inflater.unconsumed_tail
        else:
            out = self._inflater.decompress(data, max_length=size)
        return out

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else CHUNK
        while self.damage is None and not self._done:
            if not self._started:
                self._input = self._input.lstrip(b"\x00")  # zero padding between members (some writers pad)
            after_member = self._boundary
            try:
                out = self._step(size) if (self._input or self._started) else b""
            except Exception as exc:  # noqa: BLE001 - zlib.error, lz4's RuntimeError: the file is corrupt here
                self.damage = exc
                return b""
            if out:
                self._boundary = False
                if after_member and out.startswith(RECORD_START):
                    out = SEPARATOR + out
            if self._inflater.eof:
                self.members += 1
                # What follows the member; zlib may also leave it in `unconsumed_tail`, so that is dropped.
                self._input = self._inflater.unused_data or b""
                self._inflater, self._started, self._boundary = self._new(), False, True
            if out:
                self.position += len(out)
                return out
            if not self._input:
                chunk = self.handle.read(CHUNK)
                if not chunk:
                    self._finish()
                    return b""
                self._input = chunk
        return b""

    def _finish(self) -> None:
        self._done = True
        if self._started:
            self.damage = EOFError(f"the file ends inside a {self.kind} member (cut short)")

    def tell(self) -> int:
        return self.position
