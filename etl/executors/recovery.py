"""What to do when a worker process dies under a task: find the source or document that kills it.

A worker that dies (out of memory, a crash in a native library, a signal) takes down the tasks it was
running, and with a local process pool every task in flight. Those tasks are suspects, not culprits.
Each is re-run one source at a time, each source alone (so a second death points at one source). A
source that kills its worker alone is parsed again without cleaning or extracting anything, to list
its documents; then its documents are bisected (halves, then halves of the half that dies ...), so a
container of n records costs about 2·log2(n) re-runs per bad record, not n. Only what kills the
worker when alone becomes an `errors` row (`WorkerDied`); every other document loads.

The executor supplies `run_alone(task)`: run one task with nothing else in flight on that worker pool
and return its outcomes, or raise `WorkerDied` if the worker died under it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import DocumentError
from ..model import doc_id_for
from ..pipeline import Pipeline
from ..sources import source_path
from ..tasks import FAILED, DocOutcome, SourceOutcome, SourceTask, WorkContext
from ..worker import BatchWriter, failure_of


class WorkerDied(DocumentError):
    """The worker process running this document or source died (killed, out of memory, crashed)."""


RunAlone = Callable[[list[SourceTask]], list[SourceOutcome]]


class Recovery:
    """Re-runs the tasks of a dead worker and records what kills it again (see the module's doc)."""

    def __init__(self, pipeline: Pipeline, ctx: WorkContext, run_alone: RunAlone, cause: str) -> None:
        self.pipeline = pipeline
        self.ctx = ctx
        self.run_alone = run_alone
        self.cause = cause

    def rerun(self, task: list[SourceTask]) -> list[SourceOutcome]:
        return [self._source(item) for item in task]

    def _source(self, item: SourceTask) -> SourceOutcome:
        try:
            return self._alone(item)
        except WorkerDied:
            pass
        try:
            listing = self._alone(replace(item, only=frozenset()))
        except WorkerDied:
            return self._killed_while_parsing(item)
        if listing.whole_file_unchanged or not listing.held:
            return listing
        # Recovery holds the documents of one source in memory: only a source that kills its worker
        # comes here, and each of its re-runs is charged one document at a time.
        merged = SourceOutcome(listing.path, listing.size, listing.mtime_ns, listing.sha256)
        docs: dict[str, DocOutcome] = {d.doc_id: d for d in listing.all_docs()}
        listing.discard_spool()
        unchanged: dict[str, None] = {}
        killers: list[DocOutcome] = []
        self._bisect(item, listing.held, docs, unchanged, killers)
        if killers:
            writer = BatchWriter(self.pipeline, self.ctx)
            for doc in killers:
                what = "cleaning and extracting this document"
                writer.fail(failure_of(doc.doc_id, doc.source_uri, "extract", None, self._died(what)), doc)
                docs[doc.doc_id] = doc
            writer.flush()
        merged.docs = list(docs.values())
        merged.unchanged = [d for d in unchanged if d not in docs]
        return merged

    def _bisect(self, item: SourceTask, held: list[DocOutcome], docs: dict[str, DocOutcome],
                unchanged: dict[str, None], killers: list[DocOutcome]) -> None:
        try:
            outcome = self._alone(replace(item, only=frozenset(d.doc_id for d in held)))
        except WorkerDied:
            if len(held) == 1:
                (doc,) = held
                killers.append(DocOutcome(doc.doc_id, doc.source_uri, doc.content_sha256, FAILED,
                                          existed=doc.existed))
                return
            middle = len(held) // 2
            self._bisect(item, held[:middle], docs, unchanged, killers)
            self._bisect(item, held[middle:], docs, unchanged, killers)
            return
        docs.update((d.doc_id, d) for d in outcome.all_docs())
        unchanged.update(dict.fromkeys(outcome.all_unchanged()))
        outcome.discard_spool()

    def _alone(self, item: SourceTask) -> SourceOutcome:
        (outcome,) = self.run_alone([item])
        return outcome

    def _killed_while_parsing(self, item: SourceTask) -> SourceOutcome:
        """The source kills its worker before any document reaches clean: charge the whole file."""
        uri = item.path  # a task names its source by its identity (`etl.sources.source_uri`)
        path = source_path(uri)
        try:
            stat = path.stat()
            size, mtime_ns, sha = stat.st_size, stat.st_mtime_ns, _sha256_of(path)
        except OSError:
            size, mtime_ns, sha = 0, 0, None
        doc_id = doc_id_for(uri)
        doc = DocOutcome(doc_id, uri, sha, FAILED, existed=doc_id in item.known_docs)
        writer = BatchWriter(self.pipeline, self.ctx)
        writer.fail(failure_of(doc_id, uri, "parse", None, self._died("parsing this file")), doc)
        writer.flush()
        return SourceOutcome(item.path, size, mtime_ns, sha, docs=[doc])

    def _died(self, what: str) -> WorkerDied:
        return WorkerDied(f"the worker process died ({self.cause}) while {what}, "
                          f"and again when it was retried alone; nothing was loaded from it")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def top_up(pending: dict, tasks: Iterator, limit: int, submit: Callable[[Any], Any]) -> bool:
    """Submit tasks until `limit` are in flight; return True once `tasks` is exhausted.

    A bounded number of tasks in flight keeps memory flat however many sources there are.
    """
    while len(pending) < limit:
        task = next(tasks, None)
        if task is None:
            return True
        pending[submit(task)] = task
    return False
