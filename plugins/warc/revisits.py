"""`revisit` records: a crawler that fetched a page again and found the same payload stores only headers
and a reference to the record holding it. The original is found by the revisit's WARC-Refers-To (the
original's WARC-Record-ID), else by its payload digest, else by WARC-Refers-To-Target-URI and
WARC-Refers-To-Date.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Revisit:
    """A revisit record of a page: its own place, address and date, and what it refers to."""

    index: int
    url: str | None
    date: str | None
    refers_to: str | None
    payload_digest: str | None
    refers_to_url: str | None
    refers_to_date: str | None

    @classmethod
    def of(cls, index: int, headers) -> Revisit:
        get = headers.get_header
        return cls(index, get("WARC-Target-URI"), get("WARC-Date"), _strip(get("WARC-Refers-To")),
                   _strip(get("WARC-Payload-Digest")), get("WARC-Refers-To-Target-URI"), get("WARC-Refers-To-Date"))

    def describe(self) -> str:
        """The original it names, for a message."""
        named = [f"WARC-Refers-To {self.refers_to}" if self.refers_to else "",
                 f"payload digest {self.payload_digest}" if self.payload_digest else "",
                 f"{self.refers_to_url} of {self.refers_to_date}" if self.refers_to_url else ""]
        return ", ".join(part for part in named if part) or "no original named (no WARC-Refers-To, no digest)"


@dataclass
class Originals:
    """The pages read so far in one file, by each key a revisit may name them by."""

    by_id: dict[str, int] = field(default_factory=dict)
    by_digest: dict[str, int] = field(default_factory=dict)
    by_capture: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, index: int, headers) -> None:
        get = headers.get_header
        if record_id := _strip(get("WARC-Record-ID")):
            self.by_id.setdefault(record_id, index)
        if digest := _strip(get("WARC-Payload-Digest")):
            self.by_digest.setdefault(digest, index)
        if (url := get("WARC-Target-URI")) and (date := get("WARC-Date")):
            self.by_capture.setdefault((url.strip(), date.strip()), index)

    def find(self, revisit: Revisit) -> int | None:
        """The index of the page `revisit` repeats, or None when it is not among those read."""
        if revisit.refers_to and revisit.refers_to in self.by_id:
            return self.by_id[revisit.refers_to]
        if revisit.payload_digest and revisit.payload_digest in self.by_digest:
            return self.by_digest[revisit.payload_digest]
        if revisit.refers_to_url and revisit.refers_to_date:
            return self.by_capture.get((revisit.refers_to_url.strip(), revisit.refers_to_date.strip()))
        return None


def _strip(value: str | None) -> str | None:
    return value.strip() or None if value else None
