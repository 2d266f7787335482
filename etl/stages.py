"""The stage runner: every plugin call of a run goes through here, under one failure rule.

- **parse** (`parse_source`): the first parse plugin that takes a source wins. A plugin that raises
  costs the source (there is no article without a parse): `PluginFailed`.
- **clean and extract** (`DocumentStages`): each plugin is called on the whole batch; if it raises,
  the batch is put back as it was before the call and the plugin is called again document by document.
  A document it still fails on keeps everything but this plugin's own work (its segment edits in clean,
  its rows in extract); the plugins that *need* what it provides are skipped for that document, and
  each is an `errors` row. Rows that do not fit their table are charged the same way when the batch is
  written (`DocumentStages.drop_unfit`).
- **enrich** (`run_enrich`): each plugin runs in a DuckDB transaction. One that raises, or that changes
  a table outside its contract, is rolled back; the run goes on and publishes.
- **load** (`run_load`): a loader that raises aborts the publish.

A document may take at most `document_timeout` seconds in parse, clean and extract together; past that
the call in progress is interrupted (`DocumentTimeout`, on the main thread of the process; elsewhere
no limit can be enforced) and charged like any failure.
"""

from __future__ import annotations

import copy
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb

from .changes import Changes
from .context import RunContext
from .contracts import Contract
from .errors import DocumentTimeout, NeedNotMet, PluginError, PluginFailed, SchemaError
from .incremental import Touched
from .incremental import register as register_changes
from .model import HOST_TABLES, Document, mention_id_for, rows_to_table
from .pipeline import Pipeline, Step
from .sources import segments_from_text

# --- time ------------------------------------------------------------------------------------------


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise `DocumentTimeout` in this thread after `seconds` (then every second until the block ends,
    in case the plugin swallowed it). Only the main thread receives signals: elsewhere, no limit."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    if seconds <= 0:
        raise DocumentTimeout("no time left")

    def expire(signum: int, frame: Any) -> None:
        raise DocumentTimeout(f"took longer than {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Clock:
    """Seconds each document has spent in the per-document stages, against `document_timeout`."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent: dict[int, float] = {}

    def left(self, docs: Iterable[Document]) -> float | None:
        if self.limit is None:
            return None
        return min((self.limit - self.spent.get(id(doc), 0.0) for doc in docs), default=self.limit)

    def charge(self, docs: list[Document], seconds: float) -> None:
        share = seconds / max(1, len(docs))
        for doc in docs:
            self.spent[id(doc)] = self.spent.get(id(doc), 0.0) + share

    def forget(self, doc: Document) -> None:
        self.spent.pop(id(doc), None)


def timeout_message(limit: float | None) -> str:
    return (f"the document took longer than document_timeout = {limit:g} s in parse, clean and extract; "
            f"raise `document_timeout` in the config to give it more time")


# --- parse ---------------------------------------------------------------------------------------------


def parse_source(pipeline: Pipeline, run: RunContext, source: Any) -> tuple[str, Iterable[Document]] | None:
    """Ask parse plugins in order; the first that returns an iterable wins. Raises `PluginFailed`."""
    for step in pipeline.plans["parse"]:
        try:
            result = step(source=source, config=pipeline.config, run=run)
        except (Exception, DocumentTimeout) as exc:
            raise PluginFailed(step.plugin, "parse", exc) from exc
        if result is not None:
            return step.plugin, result
    return None


def timed_documents(documents: Iterable[Document], plugin: str, clock: Clock) -> Iterator[Document]:
    """The parsed documents, each charged the time the parser took to produce it."""
    iterator = iter(documents)
    while True:
        started = time.perf_counter()
        try:
            with deadline(clock.limit):
                doc = next(iterator)
        except StopIteration:
            return
        except DocumentTimeout as exc:
            raise PluginFailed(plugin, "parse", DocumentTimeout(timeout_message(clock.limit))) from exc
        clock.spent[id(doc)] = time.perf_counter() - started
        yield doc


# --- clean and extract ---------------------------------------------------------------------------


def unmet_need(contract: Contract, missing: dict[str, str]) -> tuple[str, str] | None:
    """(need, the plugin that failed to provide it) for the first need of `contract` that is missing."""
    for need in contract.needs:
        for name in (need, need.split(".", 1)[0]):
            if name in missing:
                return need, missing[name]
    return None


def mark_missing(missing: dict[str, str], plugin: str, contract: Contract) -> None:
    """Record that what `plugin` provides is missing, because it failed (or was skipped)."""
    for name in (plugin, *contract.provides):
        missing.setdefault(name, plugin)


@dataclass
class DocumentFailure:
    """One plugin's failure on one document (or its skipping, when `cause` is `NeedNotMet`)."""

    document: Document
    error: PluginFailed


@dataclass
class _Owned:
    """Rows `plugin` added to `table` of one document: `records[table][start:end]`."""

    plugin: str
    table: str
    start: int
    end: int


@dataclass
class DocumentStages:
    """Clean and extract for batches of documents, with per-plugin failure isolation (module doc)."""

    pipeline: Pipeline
    run: RunContext
    clock: Clock
    failures: list[DocumentFailure] = field(default_factory=list)
    #: Per document (by id): what is missing because a plugin failed on it -> the plugin that failed.
    missing: dict[int, dict[str, str]] = field(default_factory=dict)
    owned: dict[int, list[_Owned]] = field(default_factory=dict)

    def process(self, batch: list[Document]) -> None:
        """Clean, assemble the text, and extract; failures are collected in `failures`."""
        for doc in batch:
            if not doc.segments:
                doc.segments = segments_from_text(doc.text)
        self._stage("clean", batch)
        for doc in batch:
            assemble_text(doc)
        self._stage("extract", batch)

    def forget(self, batch: list[Document]) -> None:
        for doc in batch:
            self.missing.pop(id(doc), None)
            self.owned.pop(id(doc), None)
            self.clock.forget(doc)
        self.failures = []

    def _stage(self, stage: str, batch: list[Document]) -> None:
        for step in self.pipeline.plans[stage]:
            contract = self.pipeline.contract(stage, step.plugin)
            ready = []
            for doc in batch:
                unmet = self._unmet(doc, contract)
                if unmet:
                    need, failed = unmet
                    self._fail(doc, step.plugin, stage, contract, NeedNotMet(
                        f"skipped: it needs {need!r}, which plugin {failed!r} failed to provide for this document"))
                else:
                    ready.append(doc)
            self._call(stage, step, contract, ready)

    def _unmet(self, doc: Document, contract: Contract) -> tuple[str, str] | None:
        return unmet_need(contract, self.missing.get(id(doc), {}))

    def _call(self, stage: str, step: Step, contract: Contract, docs: list[Document]) -> None:
        if not docs:
            return
        saved = [_snapshot(doc) for doc in docs]
        started = time.perf_counter()
        try:
            with deadline(self.clock.left(docs)):
                step(documents=docs, config=self.pipeline.config, run=self.run)
        except (Exception, DocumentTimeout) as exc:
            for doc, snap in zip(docs, saved):
                _restore(doc, snap)
            if len(docs) == 1:
                self._charge(docs[0], step, stage, contract, exc)
                return
        else:
            self.clock.charge(docs, time.perf_counter() - started)
            for doc, snap in zip(docs, saved):
                self._own(doc, step.plugin, snap)
            return
        for doc, snap in zip(docs, saved):  # again one by one: only what fails alone is charged
            started = time.perf_counter()
            try:
                with deadline(self.clock.left([doc])):
                    step(documents=[doc], config=self.pipeline.config, run=self.run)
            except (Exception, DocumentTimeout) as exc:
                _restore(doc, snap)
                self._charge(doc, step, stage, contract, exc)
            else:
                self._own(doc, step.plugin, snap)
            finally:
                self.clock.charge([doc], time.perf_counter() - started)

    def _charge(self, doc: Document, step: Step, stage: str, contract: Contract, exc: BaseException) -> None:
        if isinstance(exc, DocumentTimeout):
            exc = DocumentTimeout(timeout_message(self.clock.limit))
        self._fail(doc, step.plugin, stage, contract, exc)

    def _fail(self, doc: Document, plugin: str, stage: str, contract: Contract, cause: BaseException) -> None:
        self.failures.append(DocumentFailure(doc, PluginFailed(plugin, stage, cause)))
        mark_missing(self.missing.setdefault(id(doc), {}), plugin, contract)

    def _own(self, doc: Document, plugin: str, snap: _Snapshot) -> None:
        """Name `plugin` on the rows it just added (where it left `plugin` out) and remember they are its."""
        owned = self.owned.setdefault(id(doc), [])
        for table, rows in doc.records.items():
            start = snap.lengths.get(table, 0)
            if len(rows) <= start:
                continue
            schema = self.pipeline.tables.get(table)
            named = schema is not None and "plugin" in schema.names
            for row in rows[start:]:
                if named:
                    row.setdefault("plugin", plugin)
                if table == "entities" and not row.get("mention_id"):
                    row["mention_id"] = mention_id_for(doc.doc_id, row.get("start"), row.get("end"))
            owned.append(_Owned(plugin, table, start, len(rows)))

    def drop_unfit(self, doc: Document) -> None:
        """Charge the plugins whose rows of `doc` do not fit their tables: drop their rows, and those of
        the plugins that need what they provide (they were fed a result the table cannot hold)."""
        schemas = self.pipeline.tables
        bad: dict[str, SchemaError] = {}
        for owned in self.owned.get(id(doc), []):
            if owned.plugin in bad:
                continue
            if owned.table not in schemas or owned.table in HOST_TABLES:
                bad[owned.plugin] = SchemaError(
                    f"rows for unknown table {owned.table!r}; declare new tables with etl_tables")
                continue
            rows = [dict(row, doc_id=doc.doc_id) for row in doc.records[owned.table][owned.start:owned.end]]
            try:
                rows_to_table(owned.table, schemas[owned.table], rows)
            except SchemaError as exc:
                bad[owned.plugin] = exc
        if not bad:
            return
        for plugin, exc in bad.items():
            self._fail(doc, plugin, "extract", self.pipeline.contract("extract", plugin), exc)
        dropped = set(bad)
        for step in self.pipeline.plans["extract"]:
            contract = self.pipeline.contract("extract", step.plugin)
            if step.plugin in dropped:
                continue
            unmet = self._unmet(doc, contract)
            if unmet:
                need, failed = unmet
                self._fail(doc, step.plugin, "extract", contract, NeedNotMet(
                    f"dropped: it needs {need!r}, whose rows from plugin {failed!r} do not fit their table"))
                dropped.add(step.plugin)
        kept: dict[str, list[dict[str, Any]]] = {}
        for owned in self.owned.get(id(doc), []):
            if owned.plugin not in dropped:
                kept.setdefault(owned.table, []).extend(doc.records[owned.table][owned.start:owned.end])
        doc.records = kept


@dataclass
class _Snapshot:
    values: dict[str, Any]
    segments: list[Any]
    lengths: dict[str, int]


_KEEP = {"records", "segments"}
_FIELDS = tuple(name for name in Document.__dataclass_fields__ if name not in _KEEP)


def _snapshot(doc: Document) -> _Snapshot:
    # Containers are copied; other values are kept by reference: copying a spaCy Doc would serialize
    # it, which cost more than the plugins it guards (a plugin replaces a parse, it does not edit it).
    values = {name: _shallow(getattr(doc, name)) for name in _FIELDS}
    return _Snapshot(values, [copy.copy(s) for s in doc.segments], {t: len(r) for t, r in doc.records.items()})


def _shallow(value: Any) -> Any:
    return value.copy() if isinstance(value, (list, dict, set)) else value


def _restore(doc: Document, snap: _Snapshot) -> None:
    for name, value in snap.values.items():
        setattr(doc, name, _shallow(value))
    # Copies again: the snapshot may be restored twice (after the batch call, then after the retry).
    doc.segments = [copy.copy(s) for s in snap.segments]
    doc.records = {t: rows[: snap.lengths[t]] for t, rows in doc.records.items() if t in snap.lengths}


def assemble_text(doc: Document) -> None:
    """Set `doc.text` to the body segments joined by blank lines, with each one's offsets."""
    parts, offset = [], 0
    for segment in doc.segments:
        if segment.label != "body" or not segment.text.strip():
            segment.start = segment.end = None
            continue
        if parts:
            offset += 2
        segment.start, segment.end = offset, offset + len(segment.text)
        parts.append(segment.text)
        offset = segment.end
    doc.text = "\n\n".join(parts)


# --- enrich and load -----------------------------------------------------------------------------------


def run_enrich(pipeline: Pipeline, run: RunContext, db: duckdb.DuckDBPyConnection,
               changes: Changes | None = None, seconds: dict[str, float] | None = None) -> list[PluginFailed]:
    """Every enrich plugin in its own transaction; a failure is rolled back and recorded in `errors`.

    With `changes` (an incremental run: `db` is the previous run's state with the changed documents'
    rows swapped), each plugin is told what changed, and what earlier plugins of this run touched in
    what it reads (`etl.incremental`). `seconds` receives each plugin's time."""
    failures: list[PluginFailed] = []
    seconds = {} if seconds is None else seconds
    missing: dict[str, str] = {}
    plan = [step.plugin for step in pipeline.plans["enrich"]]
    touched = Touched(db, {t: s.names for t, s in pipeline.tables.items()}, plan,
                      {p: pipeline.contract("enrich", p) for p in plan}) if changes is not None else None
    for step in pipeline.plans["enrich"]:
        contract = pipeline.contract("enrich", step.plugin)
        unmet = unmet_need(contract, missing)
        started = time.perf_counter()
        try:
            if unmet:
                raise NeedNotMet(f"skipped: it needs {unmet[0]!r}, which plugin {unmet[1]!r} failed to provide")
            if changes is None or touched is None:  # a whole-corpus run
                _enrich_one(step, contract, pipeline, run, db, None)
                continue
            told = touched.changes_for(step.plugin, changes, lambda: _every_document(db))
            watched = touched.watched(step.plugin)
            before = touched.summaries(watched)
            register_changes(db, told)
            _enrich_one(step, contract, pipeline, run, db, told)
            after = touched.summaries(watched)
            for name in watched:
                touched.record(name, before[name], after[name])
        except Exception as exc:
            failure = PluginFailed(step.plugin, "enrich", exc)
            failures.append(failure)
            mark_missing(missing, step.plugin, contract)
            db.execute("INSERT INTO errors (run_id, stage, plugin, error_type, message, \"at\") "
                       "VALUES (?, 'enrich', ?, ?, ?, now())",
                       [run.run_id, step.plugin, failure.error_type, str(exc) or failure.error_type])
        finally:
            seconds[step.plugin] = round(time.perf_counter() - started, 3)
    return failures


def _every_document(db: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in db.execute("SELECT doc_id FROM articles").fetchall()]


def _enrich_one(step: Step, contract: Contract, pipeline: Pipeline, run: RunContext,
                db: duckdb.DuckDBPyConnection, changes: Changes | None) -> None:
    before = _table_shapes(db, pipeline.tables)
    db.execute("BEGIN TRANSACTION")
    try:
        step(db=db, config=pipeline.config, run=run, changes=changes)
        _check_enrich_contract(step.plugin, contract, before, _table_shapes(db, pipeline.tables))
    except BaseException:
        try:
            db.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the plugin ended the transaction itself; nothing left to undo here
        raise
    db.execute("COMMIT")


def _table_shapes(db: duckdb.DuckDBPyConnection, tables: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    shapes = {}
    for table in tables:
        try:
            columns = tuple(db.execute(f'DESCRIBE "{table}"').fetchall())
            count = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        except duckdb.Error:
            columns, count = (), -1
        shapes[table] = (columns, count)
    return shapes


def _check_enrich_contract(plugin: str, contract: Contract, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every table keeps its columns; a table the plugin does not provide (rows or a column) keeps its rows."""
    written = {name.split(".", 1)[0] for name in contract.provides}
    for table, (columns, count) in before.items():
        new_columns, new_count = after[table]
        if new_columns != columns:
            raise PluginError(f"plugin {plugin!r} changed the columns of table {table!r}; enrich plugins keep "
                              f"every table's columns (declare new tables with etl_tables)")
        if new_count != count and table not in written:
            raise PluginError(f"plugin {plugin!r} changed the rows of table {table!r} ({count} -> {new_count}), "
                              f"which its contract does not provide; declare it in etl_contract's provides")


def run_load(pipeline: Pipeline, run: RunContext, db: duckdb.DuckDBPyConnection) -> None:
    """Every loader in order; the first failure aborts the publish."""
    for step in pipeline.plans["load"]:
        try:
            step(db=db, config=pipeline.config, run=run)
        except Exception as exc:
            raise PluginFailed(step.plugin, "load", exc) from exc

