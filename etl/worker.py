"""The per-document stages: parse, clean and extract a task's sources and write Parquet part files.

This runs inside worker processes (or in the main process with one worker). A failing plugin is
charged to the documents it failed on: the batch call is undone and retried document by document, and
only the documents that still fail become `errors` rows. Nothing here touches the manifest; the main
process makes a part live by committing the outcome that names it.
"""

from __future__ import annotations

import copy
import os
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import DocumentError, NoParser, SchemaError
from .model import HOST_TABLES, Document, doc_id_for, mention_id_for, rows_to_table
from .pipeline import Pipeline, Step
from .sources import Source, segments_from_text

PART_COMPRESSION = "zstd"


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


@dataclass
class DocOutcome:
    doc_id: str
    source_uri: str
    content_sha256: str | None
    status: str  # ok | failed
    part: str | None = None
    existed: bool = False  # the manifest knew this document before this run


@dataclass
class SourceOutcome:
    """What happened to one file: its new state and the documents it produced or kept."""

    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    docs: list[DocOutcome] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    whole_file_unchanged: bool = False
    #: Documents parsed but left alone because the task named `only` others (status "held").
    held: list[DocOutcome] = field(default_factory=list)


@dataclass
class Failure:
    doc_id: str
    source_uri: str
    stage: str
    plugin: str | None
    error_type: str
    message: str


@dataclass(frozen=True)
class WorkContext:
    """What a worker needs besides the pipeline: where to write and how to judge documents."""

    run_id: str
    parts_dir: str
    fingerprint: str
    retry_errors: bool = False


class BatchWriter:
    """Collects documents into batches, runs clean and extract on them, and writes part files."""

    def __init__(self, pipeline: Pipeline, ctx: WorkContext) -> None:
        self.pipeline = pipeline
        self.config = pipeline.config
        self.ctx = ctx
        self.pending: list[tuple[Document, DocOutcome]] = []
        self.failures: list[tuple[Failure, DocOutcome]] = []

    def add(self, doc: Document, outcome: DocOutcome) -> None:
        self.pending.append((doc, outcome))
        if len(self.pending) >= self.config.batch_size:
            self.flush()

    def fail(self, failure: Failure, outcome: DocOutcome) -> None:
        outcome.status = "failed"
        self.failures.append((failure, outcome))

    def flush(self) -> None:
        if not self.pending and not self.failures:
            return
        docs = {id(doc): (doc, outcome) for doc, outcome in self.pending}
        batch = [doc for doc, _ in self.pending]
        for doc in batch:
            if not doc.segments:
                doc.segments = segments_from_text(doc.text)
        batch = self._stage("clean", batch, docs)
        for doc in batch:
            assemble_text(doc)
        batch = self._stage("extract", batch, docs)
        tables, batch = self._tables(batch, docs)
        part = self._write(tables)
        for doc in batch:
            docs[id(doc)][1].part = part
            doc.nlp = None
        for _, outcome in self.failures:
            outcome.part = part
        self.pending, self.failures = [], []

    def _stage(self, stage: str, batch: list[Document], docs: dict[int, tuple[Document, DocOutcome]]) -> list[Document]:
        for step in self.pipeline.plans[stage]:
            batch = self._call_isolated(stage, step, batch, docs)
        return batch

    def _call_isolated(self, stage: str, step: Step, batch: list[Document],
                       docs: dict[int, tuple[Document, DocOutcome]]) -> list[Document]:
        if not batch:
            return batch
        saved = [_snapshot(doc) for doc in batch]
        try:
            step(documents=batch, config=self.config)
            return batch
        except Exception:
            for doc, snap in zip(batch, saved):
                _restore(doc, snap)
        survivors = []
        for doc, snap in zip(batch, saved):
            try:
                step(documents=[doc], config=self.config)
                survivors.append(doc)
            except Exception as exc:
                _restore(doc, snap)
                self._charge(doc, docs, stage, step.plugin, exc)
        return survivors

    def _charge(self, doc: Document, docs: dict[int, tuple[Document, DocOutcome]], stage: str,
                plugin: str | None, exc: BaseException) -> None:
        outcome = docs[id(doc)][1]
        self.fail(failure_of(doc.doc_id, doc.source_uri, stage, plugin, exc), outcome)

    def _tables(self, batch: list[Document], docs: dict[int, tuple[Document, DocOutcome]]) -> tuple[dict[str, pa.Table], list[Document]]:
        try:
            tables = self._rows_to_tables(batch)
        except SchemaError:
            good = []
            for doc in batch:
                try:
                    self._rows_to_tables([doc])
                    good.append(doc)
                except SchemaError as exc:
                    self._charge(doc, docs, "extract", self._plugin_of_bad_rows(doc), exc)
            batch = good
            tables = self._rows_to_tables(batch)
        errors = [dict(f.__dict__, run_id=self.ctx.run_id, at=datetime.now(timezone.utc)) for f, _ in self.failures]
        if errors:
            tables["errors"] = rows_to_table("errors", self.pipeline.tables["errors"], errors)
        return tables, batch

    def _rows_to_tables(self, batch: list[Document]) -> dict[str, pa.Table]:
        run_id = self.ctx.run_id
        schemas = self.pipeline.tables
        rows: dict[str, list[dict[str, Any]]] = {"articles": [], "segments": []}
        for doc in batch:
            rows["articles"].append(dict(doc.article_row(), run_id=run_id))
            rows["segments"].extend(dict(r, run_id=run_id) for r in doc.segment_rows())
            for table, records in doc.records.items():
                if table not in schemas or table in HOST_TABLES:
                    raise SchemaError(
                        f"rows for unknown table {table!r}; declared record tables: "
                        f"{', '.join(t for t in schemas if t not in HOST_TABLES)}"
                        f" (declare new tables with etl_tables)"
                    )
                out = rows.setdefault(table, [])
                for record in records:
                    row = dict(record, doc_id=doc.doc_id, run_id=run_id)
                    if table == "entities" and not row.get("mention_id"):
                        row["mention_id"] = mention_id_for(doc.doc_id, row.get("start"), row.get("end"))
                    out.append(row)
        return {table: rows_to_table(table, schemas[table], table_rows)
                for table, table_rows in rows.items() if table_rows}

    def _plugin_of_bad_rows(self, doc: Document) -> str | None:
        """The plugin whose rows do not fit their table (rows name their plugin in `plugin`)."""
        for table, records in doc.records.items():
            by_plugin: dict[str | None, list[dict[str, Any]]] = {}
            for record in records:
                by_plugin.setdefault(record.get("plugin"), []).append(dict(record, doc_id=doc.doc_id))
            for plugin, group in by_plugin.items():
                try:
                    rows_to_table(table, self.pipeline.tables[table], group)
                except (SchemaError, KeyError):
                    return plugin
        return None

    def _write(self, tables: dict[str, pa.Table]) -> str:
        part = f"{self.ctx.run_id}-{uuid.uuid4().hex[:12]}"
        final = Path(self.ctx.parts_dir) / part
        staging = final.with_name(part + ".tmp")
        staging.mkdir(parents=True)
        for name, table in tables.items():
            pq.write_table(table, staging / f"{name}.parquet", compression=PART_COMPRESSION)
        os.rename(staging, final)
        return part


_KEEP = {"records", "segments"}


def _snapshot(doc: Document) -> tuple[dict[str, Any], list[Any], dict[str, int]]:
    # Containers are copied; other values are kept by reference: copying a spaCy Doc would serialize
    # it, which cost more than the plugins it guards (a plugin replaces a parse, it does not edit it).
    values = {f.name: _shallow(getattr(doc, f.name)) for f in fields(doc) if f.name not in _KEEP}
    return values, [copy.copy(s) for s in doc.segments], {t: len(r) for t, r in doc.records.items()}


def _shallow(value: Any) -> Any:
    return copy.copy(value) if isinstance(value, (list, dict, set)) else value


def _restore(doc: Document, snap: tuple[dict[str, Any], list[Any], dict[str, int]]) -> None:
    values, segments, lengths = snap
    for name, value in values.items():
        setattr(doc, name, value)
    doc.segments = segments
    doc.records = {t: rows[: lengths[t]] for t, rows in doc.records.items() if t in lengths}


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


def failure_of(doc_id: str, source_uri: str, stage: str, plugin: str | None, exc: BaseException) -> Failure:
    message = str(exc) or type(exc).__name__
    if not isinstance(exc, DocumentError):
        where = f" in plugin {plugin!r}" if plugin else ""
        message = f"{message} (raised{where} during {stage})"
    return Failure(doc_id, source_uri, stage, plugin, type(exc).__name__, message)


def process_task(pipeline: Pipeline, ctx: WorkContext, task: list[SourceTask]) -> list[SourceOutcome]:
    """Parse, clean and extract every source of `task`; return what happened to each."""
    writer = BatchWriter(pipeline, ctx)
    outcomes = [_process_source(pipeline, ctx, writer, item) for item in task]
    writer.flush()
    return outcomes


def _process_source(pipeline: Pipeline, ctx: WorkContext, writer: BatchWriter, item: SourceTask) -> SourceOutcome:
    path = Path(item.path)
    try:
        stat = path.stat()
        source = Source(path, pipeline.config.max_document_bytes, size=stat.st_size, parse_with=pipeline.parse)
        sha = source.sha256
    except OSError as exc:
        outcome = SourceOutcome(item.path, 0, 0, None)
        uri = path.absolute().as_uri()
        doc = DocOutcome(doc_id_for(uri), uri, None, "failed")
        outcome.docs.append(doc)
        writer.fail(failure_of(doc.doc_id, uri, "parse", None, UnreadableFile(f"cannot read {path}: {exc.strerror}")), doc)
        return outcome
    outcome = SourceOutcome(item.path, stat.st_size, stat.st_mtime_ns, sha)
    if sha == item.known_sha256 and all(_skippable(k, k.content_sha256, ctx) for k in item.known_docs.values()):
        outcome.unchanged = list(item.known_docs)
        outcome.whole_file_unchanged = True
        return outcome

    def source_failure(plugin: str | None, exc: BaseException, stage: str = "parse") -> None:
        doc_id = doc_id_for(source.uri)
        doc = DocOutcome(doc_id, source.uri, sha, "failed", existed=doc_id in item.known_docs)
        outcome.docs.append(doc)
        writer.fail(failure_of(doc.doc_id, source.uri, stage, plugin, exc), doc)

    plugin = None
    try:
        found = pipeline.parse(source)
        if found is None:
            installed = ", ".join(s.plugin for s in pipeline.plans["parse"]) or "none"
            raise NoParser(f"no parser for {path.name!r} (media type {source.media_type or 'unknown'}); "
                           f"installed parsers: {installed}; see `etl plugins`")
        plugin, documents = found
        for doc in documents:
            known = item.known_docs.get(doc.doc_id)
            if item.only is not None and doc.doc_id not in item.only:
                outcome.held.append(DocOutcome(doc.doc_id, doc.source_uri, doc.content_sha256, "held",
                                               existed=known is not None))
            elif known is not None and _skippable(known, doc.content_sha256, ctx):
                # Unchanged, whether it loaded or failed last time: its rows stay where they are.
                outcome.unchanged.append(doc.doc_id)
            elif doc.error is not None:
                out = DocOutcome(doc.doc_id, doc.source_uri, doc.content_sha256, "failed", existed=known is not None)
                outcome.docs.append(out)
                writer.fail(failure_of(doc.doc_id, doc.source_uri, "parse", plugin, doc.error), out)
            else:
                out = DocOutcome(doc.doc_id, doc.source_uri, doc.content_sha256, "ok", existed=known is not None)
                outcome.docs.append(out)
                writer.add(doc, out)
        if not (outcome.docs or outcome.unchanged or outcome.held):
            # Every file is an article or an error: a container whose records were all skipped is one.
            raise NoDocuments(f"parser {plugin!r} found no document to load in {path.name!r} "
                              f"(a container with no record it takes)")
    except Exception as exc:
        if plugin is None:
            plugin = getattr(exc, "etl_plugin", None)
        produced = len(outcome.docs) + len(outcome.unchanged) + len(outcome.held)
        if produced:
            exc = type(exc)(f"{exc} (after {produced} documents)") if isinstance(exc, DocumentError) else exc
        source_failure(plugin, exc)
    return outcome


def _skippable(known: KnownDoc, content_sha256: str | None, ctx: WorkContext) -> bool:
    same = known.content_sha256 == content_sha256 and known.fingerprint == ctx.fingerprint
    return same and (known.status == "ok" or not ctx.retry_errors)


class UnreadableFile(DocumentError):
    """The file vanished or cannot be read (permissions)."""


class NoDocuments(DocumentError):
    """The parser took the file but found nothing in it to load."""
