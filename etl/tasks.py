"""What travels between the main process and the workers: tasks of sources, and what became of them.

Plain picklable records, imported by the worker, the executors and the store alike; they import
nothing of those modules, so the dependencies point one way.
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class KnownDoc:
    content_sha256: str
    fingerprint: str
    status: str


@dataclass(frozen=True)
class SourceTask:
    """One file to look at, with what the manifest knows of it."""

    path: str
    known_sha256: str | None = None
    known_docs: dict[str, KnownDoc] = field(default_factory=dict)
    #: Only these documents go through clean and extract; the others are parsed and listed in `held`.
    #: None means all. Used to find the one document of a container that kills its worker process.
    only: frozenset[str] | None = None


#: A document's status in the manifest: loaded whole, loaded without some plugin's rows, or not loaded.
OK, PARTIAL, FAILED, HELD = "ok", "partial", "failed", "held"


@dataclass
class DocOutcome:
    doc_id: str
    source_uri: str
    content_sha256: str | None
    status: str  # OK | PARTIAL | FAILED | HELD
    part: str | None = None
    existed: bool = False  # the manifest knew this document before this run
    #: (stage, plugin) of each plugin that failed on this document (not those skipped because of it).
    plugin_failures: list[tuple[str, str]] = field(default_factory=list)
    #: The files of `part` as written: {table: [bytes, mtime_ns]}, so that a later run can tell a part
    #: that lost a file from one written without that table. One dict shared by the part's documents.
    part_files: dict[str, list[int]] | None = None


#: A source's outcome keeps at most this many documents in memory; the rest wait in its spool file.
SPOOL_AT = 10_000


@dataclass
class SourceOutcome:
    """What happened to one file: its new state and the documents it produced or kept.

    A container of a million records would hold a million `DocOutcome`s until the file is done, in the
    worker and again in the main process that commits it. So once `SPOOL_AT` documents are settled
    (written in a part), they move to a spool file beside the parts (`spill`), and readers go through
    `all_docs` and `all_unchanged`, which read the spool back in chunks. The main process removes the
    spool once the outcome is committed (`discard_spool`); one left by a killed run is swept with the
    part folders nobody names.
    """

    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    docs: list[DocOutcome] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    whole_file_unchanged: bool = False
    #: Documents parsed but left alone because the task named `only` others (status "held").
    held: list[DocOutcome] = field(default_factory=list)
    spool: str | None = None
    spooled_docs: int = 0
    spooled_unchanged: int = 0

    @property
    def doc_count(self) -> int:
        return self.spooled_docs + len(self.docs)

    @property
    def unchanged_count(self) -> int:
        return self.spooled_unchanged + len(self.unchanged)

    def spill(self, folder: str) -> None:
        """Move the documents and unchanged ids held in memory to the spool file (created in `folder`)."""
        if self.spool is None:
            self.spool = str(Path(folder) / f"spool-{uuid.uuid4().hex}")
        with open(self.spool, "ab") as handle:
            pickle.dump((self.docs, self.unchanged), handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.spooled_docs += len(self.docs)
        self.spooled_unchanged += len(self.unchanged)
        self.docs, self.unchanged = [], []

    def chunks(self) -> Iterator[tuple[list[DocOutcome], list[str]]]:
        """(documents, unchanged ids) a chunk at a time: the spool's, then those still in memory."""
        if self.spool is not None:
            with open(self.spool, "rb") as handle:
                while True:
                    try:
                        yield pickle.load(handle)
                    except EOFError:
                        break
        yield self.docs, self.unchanged

    def all_docs(self) -> Iterator[DocOutcome]:
        for docs, _ in self.chunks():
            yield from docs

    def all_unchanged(self) -> Iterator[str]:
        for _, unchanged in self.chunks():
            yield from unchanged

    def discard_spool(self) -> None:
        if self.spool is not None:
            try:
                os.unlink(self.spool)
            except FileNotFoundError:
                pass


@dataclass
class Failure:
    """One `errors` row in the making."""

    doc_id: str | None
    source_uri: str | None
    stage: str
    plugin: str | None
    error_type: str
    message: str


@dataclass(frozen=True)
class WorkContext:
    """What a worker needs besides the pipeline: where to write and how to judge documents."""

    run_id: str
    out: str
    parts_dir: str
    fingerprint: str
    retry_errors: bool = False


def part_files(folder: Path, tables: Iterable[str]) -> dict[str, list[int]]:
    """{table: [bytes, mtime_ns]} of the part files just written in `folder`: what later runs verify."""
    stats = {name: (Path(folder) / f"{name}.parquet").stat() for name in tables}
    return {name: [st.st_size, st.st_mtime_ns] for name, st in sorted(stats.items())}
