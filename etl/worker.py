"""The per-document work of a task: parse its sources, batch the documents through clean and extract
(`etl.stages`), and write each batch as a part folder of Parquet files.

This runs inside worker processes (or in the main process with one worker). Nothing here touches the
manifest; the main process makes a part live by committing the outcome that names it.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from stat import S_ISREG
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import DocumentError, DocumentTimeout, NoParser, PluginFailed, SchemaError
from .model import HOST_TABLES, Document, doc_id_for, rows_to_table
from .pipeline import Pipeline
from .sources import NotARegularFile, Source, printable, source_path
from .stages import Clock, DocumentStages, deadline, parse_source, timed_documents, timeout_message
from .tasks import (
    FAILED,
    HELD,
    OK,
    PARTIAL,
    SPOOL_AT,
    DocOutcome,
    Failure,
    KnownDoc,
    SourceOutcome,
    SourceTask,
    WorkContext,
    part_files,
)

PART_COMPRESSION = "zstd"
#: Failed documents are written with the next batch, or on their own once this many wait: a source of a
#: million bad records then holds ten thousand `errors` rows in memory at most, in a hundred parts.
FAILURES_PER_PART = 10_000


class BatchWriter:
    """Collects documents into batches, runs clean and extract on them, and writes part files.

    Failed documents are written with the next batch, or on their own once `FAILURES_PER_PART` wait, so
    that a source of a million bad records does not hold a million `errors` rows in memory.
    """

    def __init__(self, pipeline: Pipeline, ctx: WorkContext, worker_process: bool = False) -> None:
        self.pipeline = pipeline
        self.config = pipeline.config
        self.ctx = ctx
        self.run = pipeline.run_context(ctx.run_id, ctx.out, worker_process=worker_process)
        self.clock = Clock(self.config.document_timeout)
        self.stages = DocumentStages(pipeline, self.run, self.clock)
        self.pending: list[tuple[Document, DocOutcome]] = []
        self.failures: list[tuple[Failure, DocOutcome]] = []

    def add(self, doc: Document, outcome: DocOutcome) -> None:
        self.pending.append((doc, outcome))
        if len(self.pending) >= self.config.batch_size:
            self.flush()

    def fail(self, failure: Failure, outcome: DocOutcome) -> None:
        outcome.status = FAILED
        self.failures.append((failure, outcome))
        if len(self.failures) >= FAILURES_PER_PART:
            self.flush()

    @property
    def settled(self) -> bool:
        """Every document handed over so far is written (its outcome names its part)."""
        return not self.pending and not self.failures

    def flush(self) -> None:
        if self.settled:
            return
        outcomes = {id(doc): outcome for doc, outcome in self.pending}
        batch = [doc for doc, _ in self.pending]
        self.stages.process(batch)
        tables = self._record_tables(batch)
        for failure in self.stages.failures:
            doc, error = failure.document, failure.error
            outcome = outcomes[id(doc)]
            outcome.status = PARTIAL
            if error.error_type != "NeedNotMet":
                outcome.plugin_failures.append((error.stage, error.plugin or ""))
            self.failures.append((failure_of(doc.doc_id, doc.source_uri, error.stage, error.plugin, error),
                                  outcome))
        errors = [dict(f.__dict__, run_id=self.ctx.run_id, at=datetime.now(timezone.utc)) for f, _ in self.failures]
        if errors:
            tables["errors"] = rows_to_table("errors", self.pipeline.tables["errors"], errors)
        part, files = self._write(tables)
        for doc in batch:
            outcomes[id(doc)].part, outcomes[id(doc)].part_files = part, files
            doc.nlp = None
        for _, outcome in self.failures:
            outcome.part, outcome.part_files = part, files
        self.stages.forget(batch)
        self.pending, self.failures = [], []

    def _record_tables(self, batch: list[Document]) -> dict[str, pa.Table]:
        """The batch's rows as Arrow tables. Rows for a table nobody declared, or that do not fit theirs,
        cost the plugin that added them (`DocumentStages.drop_unfit`): each document is checked alone
        only when the batch does not convert, so a clean batch is converted once."""
        try:
            return self._rows_to_tables(batch)
        except SchemaError:
            for doc in batch:
                try:
                    self._rows_to_tables([doc])
                except SchemaError:
                    self.stages.drop_unfit(doc)
        return self._rows_to_tables(batch)

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
                rows.setdefault(table, []).extend(dict(r, doc_id=doc.doc_id, run_id=run_id) for r in records)
        return {table: rows_to_table(table, schemas[table], table_rows)
                for table, table_rows in rows.items() if table_rows}

    def _write(self, tables: dict[str, pa.Table]) -> tuple[str, dict[str, list[int]]]:
        """Write one part folder; return its name and its files as the manifest records them."""
        part = f"{self.ctx.run_id}-{uuid.uuid4().hex[:12]}"
        final = Path(self.ctx.parts_dir) / part
        staging = final.with_name(part + ".tmp")
        staging.mkdir(parents=True)
        for name, table in tables.items():
            pq.write_table(table, staging / f"{name}.parquet", compression=PART_COMPRESSION)
        os.rename(staging, final)
        return part, part_files(final, tables)


def failure_of(doc_id: str | None, source_uri: str | None, stage: str, plugin: str | None,
               exc: BaseException) -> Failure:
    """The `errors` row for `exc`: a `PluginFailed` is unwrapped to what the plugin raised."""
    if isinstance(exc, PluginFailed):
        stage, plugin, exc = exc.stage, exc.plugin or plugin, exc.cause
    # A file name that is not UTF-8 (in an OSError, say) would make the whole errors part unwritable.
    message = printable(str(exc) or type(exc).__name__)
    if not isinstance(exc, DocumentError):
        where = f" in plugin {plugin!r}" if plugin else ""
        message = f"{message} (raised{where} during {stage})"
    return Failure(doc_id, source_uri, stage, plugin, type(exc).__name__, message)


def process_task(pipeline: Pipeline, ctx: WorkContext, task: list[SourceTask],
                 worker_process: bool = False) -> list[SourceOutcome]:
    """Parse, clean and extract every source of `task`; return what happened to each."""
    writer = BatchWriter(pipeline, ctx, worker_process)
    outcomes = [_process_source(pipeline, ctx, writer, item) for item in task]
    writer.flush()
    return outcomes


def _process_source(pipeline: Pipeline, ctx: WorkContext, writer: BatchWriter, item: SourceTask) -> SourceOutcome:
    # The task names the source by its identity (`source_uri`); the file is read at the location it names.
    uri = item.path
    path = source_path(uri)
    run = writer.run
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):
            # Replaced since discovery (by a FIFO, say): opening it could block forever.
            raise NotARegularFile(f"{printable(path)} is no longer a regular file; it was not opened")
        source = Source(path, pipeline.config.max_document_bytes, size=stat.st_size,
                        parse_with=lambda record: parse_source(pipeline, run, record), _uri=uri)
        sha = source.sha256
    except (OSError, NotARegularFile) as exc:
        outcome = SourceOutcome(uri, 0, 0, None)
        doc = DocOutcome(doc_id_for(uri), uri, None, FAILED, existed=doc_id_for(uri) in item.known_docs)
        outcome.docs.append(doc)
        if isinstance(exc, OSError):
            # Recorded unread (no digest), so the next run tries it again.
            exc = UnreadableFile(f"cannot read {printable(path)}: {exc.strerror}; make it readable "
                                 f"(chmod +r): the next run reads it again")
        writer.fail(failure_of(doc.doc_id, uri, "parse", None, exc), doc)
        return outcome
    outcome = SourceOutcome(uri, stat.st_size, stat.st_mtime_ns, sha)
    if sha == item.known_sha256 and all(_skippable(k, k.content_sha256, ctx) for k in item.known_docs.values()):
        outcome.unchanged = list(item.known_docs)
        outcome.whole_file_unchanged = True
        return outcome

    plugin = None
    try:
        with deadline(writer.clock.limit):
            found = parse_source(pipeline, run, source)
        if found is None:
            installed = ", ".join(s.plugin for s in pipeline.plans["parse"]) or "none"
            raise NoParser(f"no parser for {path.name!r} (media type {source.media_type or 'unknown'}); "
                           f"installed parsers: {installed}; see `etl plugins`")
        plugin, documents = found
        for doc in timed_documents(documents, plugin, writer.clock):
            known = item.known_docs.get(doc.doc_id)
            if item.only is not None and doc.doc_id not in item.only:
                writer.clock.forget(doc)
                outcome.held.append(DocOutcome(doc.doc_id, doc.source_uri, doc.content_sha256, HELD,
                                               existed=known is not None))
            elif known is not None and _skippable(known, doc.content_sha256, ctx):
                # Unchanged, whether it loaded or failed last time: its rows stay where they are.
                writer.clock.forget(doc)
                outcome.unchanged.append(doc.doc_id)
            elif doc.error is not None:
                writer.clock.forget(doc)
                out = DocOutcome(doc.doc_id, doc.source_uri, doc.content_sha256, FAILED, existed=known is not None)
                outcome.docs.append(out)
                writer.fail(failure_of(doc.doc_id, doc.source_uri, "parse", plugin, doc.error), out)
            else:
                out = DocOutcome(doc.doc_id, doc.source_uri, doc.content_sha256, OK, existed=known is not None)
                outcome.docs.append(out)
                writer.add(doc, out)
            if len(outcome.docs) + len(outcome.unchanged) >= SPOOL_AT and writer.settled:
                outcome.spill(ctx.parts_dir)
        if not (outcome.doc_count or outcome.unchanged_count or outcome.held):
            # Every file is an article or an error: a container whose records were all skipped is one.
            raise NoDocuments(f"parser {plugin!r} found no document to load in {path.name!r} "
                              f"(a container with no record it takes)")
    except Exception as exc:  # noqa: BLE001 - whatever a parser raises costs this file only
        produced = outcome.doc_count + outcome.unchanged_count + len(outcome.held)
        cause = exc.cause if isinstance(exc, PluginFailed) else exc
        if isinstance(cause, DocumentTimeout):
            cause = DocumentTimeout(timeout_message(writer.clock.limit))
            exc = PluginFailed(exc.plugin if isinstance(exc, PluginFailed) else plugin, "parse", cause)
        if produced and isinstance(cause, (DocumentError, DocumentTimeout)):
            cause = type(cause)(f"{cause} (after {produced} documents)")
            exc = PluginFailed(exc.plugin, "parse", cause) if isinstance(exc, PluginFailed) else cause
        doc_id = doc_id_for(source.uri)
        doc = DocOutcome(doc_id, source.uri, sha, FAILED, existed=doc_id in item.known_docs)
        outcome.docs.append(doc)
        writer.fail(failure_of(doc_id, source.uri, "parse", plugin, exc), doc)
    return outcome


def _skippable(known: KnownDoc, content_sha256: str | None, ctx: WorkContext) -> bool:
    same = known.content_sha256 == content_sha256 and known.fingerprint == ctx.fingerprint
    return same and (known.status == OK or not ctx.retry_errors)


class UnreadableFile(DocumentError):
    """The file vanished or cannot be read (permissions)."""


class NoDocuments(DocumentError):
    """The parser took the file but found nothing in it to load."""
