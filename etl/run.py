"""One `etl run`: sources through parse, clean and extract in batches, then enrich, load and publish."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from .changes import Changes
from .config import Config
from .errors import ConfigError, EtlError, PluginError, PluginFailed, StoreError
from .executors import WorkerSpec, check_executor, make_executor
from .languages import uncovered_warning
from .manager import PluginManager, get_plugin_manager
from .model import doc_id_for
from .pipeline import Pipeline
from .progress import SilentProgress
from .published import DOC_ORDER_TABLE, read_published
from .sources import Discovery, Found, discover, printable, source_path, source_uri, still_there
from .stages import run_enrich, run_load
from .store import DamagedParts, Store, failure
from .store.enrich_state import DATABASE as ENRICH_DATABASE
from .store.enrich_state import Delta, EnrichState
from .store.enrich_state import delta as state_delta
from .store.enrich_state import record as record_state
from .tasks import FAILED, PARTIAL, DocOutcome, SourceOutcome, SourceTask, WorkContext
from .worker import BatchWriter, failure_of

#: A task (the unit sent to a worker) holds at most this many bytes of input, however many files.
TASK_MAX_BYTES = 64 * 1024 * 1024


class Progress(Protocol):
    def start(self, total_sources: int) -> None: ...
    def advance(self, sources: int, documents: int) -> None: ...
    def stage(self, name: str) -> None: ...


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished worker, in MB (Linux: KiB units)."""
    import resource

    def mb(who: int) -> float:
        return round(resource.getrusage(who).ru_maxrss / 1024, 1)

    return {"main": mb(resource.RUSAGE_SELF), "workers": mb(resource.RUSAGE_CHILDREN)}


@dataclass
class RunSummary:
    run_id: str
    out: str
    status: str
    documents: dict[str, int]
    rows: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    peak_rss_mb: dict[str, float] = field(default_factory=peak_rss_mb)
    #: Seconds spent in parse/clean/extract (with compaction), in enrich plugins, and publishing.
    timings: dict[str, float] = field(default_factory=dict)
    #: Plugins that failed on more than half of the documents this run processed: a broken plugin.
    broken_plugins: list[dict[str, Any]] = field(default_factory=list)
    #: The version readers see after this run: its own, or (status "unchanged") the one it left published.
    published: str | None = None
    #: How enrich ran: {"mode": "incremental", "added": n, "removed": n} or {"mode": "full", "why": ...},
    #: with each plugin's "seconds".
    enrich: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "out": self.out, "status": self.status, "documents": self.documents,
                "rows": self.rows, "errors": self.errors, "seconds": round(self.seconds, 3),
                "warnings": self.warnings, "broken_plugins": self.broken_plugins,
                "peak_rss_mb": self.peak_rss_mb, "timings": self.timings, "published": self.published,
                "enrich": self.enrich}


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def run(paths: Sequence[str | Path], config: Config, *, pm: PluginManager | None = None,
        load_entrypoints: bool = True, retry_errors: bool = False, prune: bool = False,
        progress: Progress | None = None, rebuild: bool = False) -> RunSummary:
    """Run the pipeline over `paths` into `config.out` and publish; return the summary.

    With `rebuild`, the manifest and the extraction layer start afresh (the published tables stay
    until this run publishes): every input is extracted again.
    """
    progress = progress or SilentProgress()
    for path in paths:
        if not os.path.lexists(path):  # a dangling link given by name is reported like any other
            raise EtlError(f"input path {printable(path)} does not exist")
    if pm is None:
        pm = get_plugin_manager(load_entrypoints=load_entrypoints, plugins_dirs=config.plugins_dir,
                                disabled=config.disable)
    check_executor(config.executor, config.ray_address)
    with closing(duckdb.connect()) as probe:  # a limit DuckDB cannot read fails now, not after extracting
        set_memory_limit(probe, config.enrich_memory_limit)
    pipeline = Pipeline(pm, config)
    config = pipeline.config
    fingerprint = pipeline.fingerprint()
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    run_id = new_run_id(started_at)
    warnings = [f"{', '.join(names)} implement {stage} but will not run (disabled or not in [stages] {stage})"
                for stage, names in pipeline.unselected().items()]
    warnings += [why for _, _, why in pm.shadowed]

    with closing(Store.open(config.out, rebuild=rebuild)) as store:
        manifest = store.manifest
        published = store.current_version()
        try:
            manifest.begin_run(run_id, started_at, pipeline.plugin_versions(), pipeline.config_sha256())
            tally = Tally()
            extract = partial(_extract, pipeline=pipeline, store=store, run_id=run_id, fingerprint=fingerprint,
                              retry_errors=retry_errors, load_entrypoints=load_entrypoints, progress=progress,
                              tally=tally)
            # Checked before extracting, so that the documents of a damaged part are extracted again
            # in this same run, with the inputs, and nothing is published without them.
            repaired = store.verify()
            found = extract(paths)
            if prune:
                # Only sources this run did not find, and whose file is really gone: an alias removed
                # takes nothing with it, since a file is known by its resolved location only.
                seen = {f.uri for f in found.found}
                manifest.prune([key for key in manifest.known_sources()
                                if key not in seen and not still_there(key)])
            _extract_pending(store, extract)
            output_fingerprint = pipeline.output_fingerprint(store.out)
            unchanged_since = _published_unchanged(store, output_fingerprint, rebuild)
            if unchanged_since is not None:
                # Nothing the published tables depend on changed: enrich and publish would redo the same
                # version. The run is recorded (in the manifest) and the version stays.
                manifest.finish_run(run_id, "unchanged", tally.counts, time.perf_counter() - started)
                return RunSummary(
                    run_id=run_id, out=str(Path(config.out).absolute()), status="unchanged",
                    documents=tally.counts, rows=store.versions.row_counts(pipeline.tables),
                    seconds=time.perf_counter() - started, warnings=warnings + alias_warnings(found.aliases),
                    published=unchanged_since,
                    timings={"extract": round(time.perf_counter() - started, 3)})
            enrich: dict[str, Any] = {}
            for attempt in (1, 2):
                try:
                    progress.stage("compacting")
                    store.parts.compact(pipeline.layer_tables, run_id)
                    timings = {"extract": round(time.perf_counter() - started, 3)}
                    # Still "running" in the manifest until published (a kill in enrich or load leaves it
                    # interrupted); the published runs table already shows it completed.
                    manifest.finish_run(run_id, "running", tally.counts, time.perf_counter() - started)
                    generation = manifest.generation()
                    rows, enrich_failures, cleanup = _enrich_and_publish(pipeline, store, run_id, progress, timings,
                                                                          enrich, pipeline.enrich_fingerprint())
                    break
                except DamagedParts as exc:
                    # A part file damaged in a way the quick check cannot see (same size and time) fails
                    # when read: its documents are extracted again, once, before giving up on the disk.
                    store.requeue(exc.damaged)
                    if attempt == 2:
                        raise StoreError(f"{exc}, again after extracting its documents again: the disk under "
                                         f"{store.out} may be failing; nothing was published. The next run "
                                         f"extracts these documents again") from exc
                    repaired.update(exc.damaged)
                    _extract_pending(store, extract)
        except BaseException as exc:
            try:
                manifest.finish_run(run_id, "interrupted", dict.fromkeys(Tally().counts, 0),
                                    time.perf_counter() - started)
            except sqlite3.Error:
                pass  # a damaged or full manifest: the next run marks this run interrupted (`recover_runs`)
            mapped = failure(exc, store.out, published.name if published else None)
            if mapped is None or mapped is exc:
                raise
            raise mapped from exc
        # Published: from here on nothing may turn the run into a failure, only into warnings.
        try:
            manifest.set_run_status(run_id, "completed")
            manifest.record_published(generation, output_fingerprint, run_id)
        except sqlite3.Error as exc:
            cleanup.append(f"the manifest could not record the run as completed ({exc}); the next run does")
    if repaired:
        warnings.append(f"{len(repaired)} part(s) of the extraction layer were missing or damaged and their "
                        f"documents were extracted again (first: {next(iter(repaired.values()))})")
    warnings += [f"run {run_id} is published, but {problem}" for problem in cleanup]
    broken = tally.broken_plugins()
    warnings += alias_warnings(found.aliases)
    # Documents in a language no NLP plugin covers (declared `nlp:<code>` capabilities): one line, per language.
    warnings += uncovered_warning(
        pipeline.contracts.in_plan("extract", pipeline.order()["extract"]),
        lambda: read_published(config.out, "articles", columns=["language"]).column(0).to_pylist())
    warnings += [f"enrich plugin {f.plugin!r} failed: {f.error_type}: {f.cause}" for f in enrich_failures]
    warnings += [f"plugin {b['plugin']!r} failed on {b['documents']} of the {b['of']} documents processed in "
                 f"{b['stage']}: that is a broken plugin, not bad input; see `etl query \"SELECT * FROM "
                 f"error_summary\"`" for b in broken]
    return RunSummary(run_id=run_id, out=str(Path(config.out).absolute()), status="completed",
                      documents=tally.counts, rows=rows, errors=rows.get("errors", 0),
                      seconds=time.perf_counter() - started, warnings=warnings, timings=timings,
                      broken_plugins=broken, published=run_id, enrich=enrich)


def set_memory_limit(db: duckdb.DuckDBPyConnection, limit: str | None) -> None:
    """Apply `enrich_memory_limit` to `db`; a value DuckDB cannot read is a `ConfigError`."""
    if not limit:
        return
    try:
        db.execute("SET memory_limit = ?", [limit])
    except duckdb.Error as exc:
        raise ConfigError(f"enrich_memory_limit = {limit!r} is not a size DuckDB understands (write it like "
                          f"'4GB' or '512MB'): {str(exc).splitlines()[0]}") from exc


def _published_unchanged(store: Store, output_fingerprint: str, rebuild: bool) -> str | None:
    """The published version, if it is what this run would publish: no live document was added, changed,
    dropped or taken out of the layer since, and no plugin, setting, view or model differs."""
    current = store.current_version()
    if rebuild or current is None:
        return None
    if store.manifest.published_state() != (store.manifest.generation(), output_fingerprint, current.name):
        return None
    return current.name


def _extract_pending(store: Store, extract: Callable[[Sequence[str | Path]], Discovery]) -> None:
    """Extract the documents taken out of the layer (damaged parts) whose sources were not among the inputs.

    Their sources are extracted from where the manifest knows them. If one is gone, the layer cannot be
    made whole, and nothing is published from it: the user restores the file or prunes it.
    """
    pending = store.manifest.pending()
    if not pending:
        return
    extract(sorted(str(source_path(uri)) for uri in pending if os.path.isfile(source_path(uri))))
    pending = store.manifest.pending()
    if pending:
        first = printable(str(source_path(next(iter(pending)))))
        raise StoreError(
            f"{sum(pending.values())} document(s) of {len(pending)} source(s) lost their part files in "
            f"{store.parts_dir} and cannot be extracted again: {first} no longer exists; nothing was published. "
            f"Restore those files and run again, or run with --prune to drop their documents")


@dataclass
class Tally:
    """What became of the documents of a run, and which plugins failed on how many of them."""

    #: `partial`: loaded, but without the rows of a plugin that failed on it (counted in new or changed too).
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("seen", "new", "changed", "unchanged", "failed", "partial"), 0))
    plugin_failures: dict[tuple[str, str], int] = field(default_factory=dict)
    processed: int = 0

    def add(self, outcome: SourceOutcome) -> int:
        """Count one source's outcome; returns how many documents it had."""
        self.counts["unchanged"] += outcome.unchanged_count
        for doc in outcome.all_docs():
            if doc.status == FAILED:
                self.counts["failed"] += 1
            elif doc.existed:
                self.counts["changed"] += 1
            else:
                self.counts["new"] += 1
            if doc.status != FAILED:
                self.processed += 1
            if doc.status == PARTIAL:
                self.counts["partial"] += 1
            for key in doc.plugin_failures:
                self.plugin_failures[key] = self.plugin_failures.get(key, 0) + 1
        return outcome.doc_count + outcome.unchanged_count

    def broken_plugins(self) -> list[dict[str, Any]]:
        return [{"stage": stage, "plugin": plugin, "documents": failed, "of": self.processed}
                for (stage, plugin), failed in sorted(self.plugin_failures.items())
                if failed * 2 > self.processed]


def _extract(paths: Sequence[str | Path], *, pipeline: Pipeline, store: Store, run_id: str, fingerprint: str,
             retry_errors: bool, load_entrypoints: bool, progress: Progress, tally: Tally) -> Discovery:
    config = pipeline.config
    manifest = store.manifest
    # An output folder written by an earlier version keys sources by absolute path: move them to
    # their identity, so that its documents are not extracted again (see `Manifest.rekey_sources`).
    manifest.rekey_sources(source_uri)
    known = manifest.known_sources()
    retry = manifest.failed_sources() if retry_errors else set()
    doc_counts = manifest.doc_counts()
    counts = tally.counts
    todo: list[tuple[str, int]] = []
    problems: list[tuple[Found, int, int]] = []
    found = discover([Path(p) for p in paths], exclude=[config.out], follow_outside=config.follow_symlinks_outside)
    progress.start(len(found.found))
    skipped = 0
    for item in found.found:
        key = item.uri
        size, mtime_ns = _looks(item)
        seen = known.get(key)
        # Unchanged: it looks as it did when last recorded, and was then what it is now (a file that
        # was read, recorded with its digest, or an entry that could not be, recorded without one).
        if (seen and seen.size == size and seen.mtime_ns == mtime_ns and seen.fingerprint == fingerprint
                and (seen.sha256 is None) == (item.problem is not None) and key not in retry):
            counts["unchanged"] += doc_counts.get(key, 0)
            skipped += 1
        elif item.problem is not None:
            problems.append((item, size, mtime_ns))
        else:
            todo.append((key, size))
    progress.advance(skipped, counts["unchanged"])

    ctx = WorkContext(run_id=run_id, out=str(store.out), parts_dir=str(store.parts_dir), fingerprint=fingerprint,
                      retry_errors=retry_errors)
    if problems:
        outcomes = _report_problems(pipeline, ctx, store, problems)
        manifest.commit(outcomes, fingerprint, run_id)
        progress.advance(len(outcomes), sum(tally.add(outcome) for outcome in outcomes))
    spec = WorkerSpec(config, ctx, load_entrypoints)
    if config.executor == "ray":
        workers = config.workers  # a runtime's size; the cluster's CPUs bound the tasks in flight
        planned = task_files(todo, config.batch_size, workers)
    else:
        workers, planned = plan_local(todo, config.batch_size, config.workers)

    def tasks() -> Iterator[list[SourceTask]]:
        for files in planned:
            yield [SourceTask(key, known[key].sha256 if key in known else None, manifest.known_docs(key))
                   for key, _ in files]

    executor = make_executor(config.executor, pipeline, spec, workers, config.ray_address)
    for outcomes in executor.map(tasks()):
        manifest.commit(outcomes, fingerprint, run_id)
        progress.advance(len(outcomes), sum(tally.add(outcome) for outcome in outcomes))
        for outcome in outcomes:
            outcome.discard_spool()
    counts["seen"] = counts["new"] + counts["changed"] + counts["unchanged"] + counts["failed"]
    return found


def _looks(item: Found) -> tuple[int, int]:
    """Size and modification time of a file, or of a problem entry itself (never followed, never opened)."""
    try:
        info = os.lstat(item.path) if item.problem is not None else os.stat(item.path)
    except OSError:
        return 0, 0  # gone or unreadable since discovery: the worker reports it
    return info.st_size, info.st_mtime_ns


def _report_problems(pipeline: Pipeline, ctx: WorkContext, store: Store,
                     problems: list[tuple[Found, int, int]]) -> list[SourceOutcome]:
    """An `errors` row (stage `discover`) per entry that cannot be read, written here: nothing is opened."""
    writer = BatchWriter(pipeline, ctx)
    outcomes = []
    for item, size, mtime_ns in problems:
        doc_id = doc_id_for(item.uri)
        doc = DocOutcome(doc_id, item.uri, None, FAILED, existed=doc_id in store.manifest.known_docs(item.uri))
        writer.fail(failure_of(doc_id, item.uri, "discover", None, item.problem), doc)
        outcomes.append(SourceOutcome(item.uri, size, mtime_ns, None, docs=[doc]))
    writer.flush()
    return outcomes


def alias_warnings(aliases: list[tuple[Path, Path]], shown: int = 5) -> list[str]:
    """The run summary's word on aliases: each file was read once, under its first name."""
    if not aliases:
        return []
    listed = "; ".join(f"{printable(alias)} (given twice)" if alias == original
                       else f"{printable(alias)} (same as {printable(original)})"
                       for alias, original in aliases[:shown])
    more = f"; and {len(aliases) - shown} more" if len(aliases) > shown else ""
    return [(f"{len(aliases)} input path(s) are another name (a symbolic link, a folder given twice) for a "
             f"file or folder already read, and were not read again: {listed}{more}")]


def plan_local(todo: Sequence[tuple[str, int]], batch_size: int,
               workers: int) -> tuple[int, list[list[tuple[str, int]]]]:
    """How many worker processes to start for `todo`, and the files of each task.

    One batch or less runs in this process: starting processes (each loads the models) would cost
    more than it saves. Beyond that, as many processes as asked for, but no more than there are tasks.
    """
    if len(todo) <= batch_size:
        workers = 1
    tasks = list(task_files(todo, batch_size, workers))
    return max(1, min(workers, len(tasks))), tasks


def task_files(todo: Sequence[tuple[str, int]], batch_size: int, workers: int) -> Iterator[list[tuple[str, int]]]:
    """`todo` (path, bytes) cut into tasks of at most `batch_size` files and `TASK_MAX_BYTES`, in order.

    Towards the end tasks get smaller: none holds more than a (2 x workers)th of the files left, down
    to an eighth of a batch. Equal tasks would leave a core idle for most of a batch's time at the end
    of every run, while the last worker finishes its last task alone.
    """
    smallest = batch_size if workers == 1 else max(1, batch_size // 8)  # one worker has no one to wait for
    left = len(todo)
    task: list[tuple[str, int]] = []
    size = 0
    for item in todo:
        task.append(item)
        size += item[1]
        if len(task) >= max(smallest, min(batch_size, -(-left // (2 * workers)))) or size >= TASK_MAX_BYTES:
            yield task
            left -= len(task)
            task, size = [], 0
    if task:
        yield task


def _enrich_and_publish(pipeline: Pipeline, store: Store, run_id: str, progress: Progress,
                        timings: dict[str, float], enrich: dict[str, Any],
                        enrich_fingerprint: str) -> tuple[dict[str, int], list[PluginFailed], list[str]]:
    """Load the layer (or take over the kept enrich state), enrich, write and publish a version; returns
    the rows, the enrich failures and what could not be tidied after publishing (the version is
    published all the same)."""
    work = store.state / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    state = EnrichState(store.state)
    try:
        rows, failures, version_dir, publish_started, keep = _enrich_and_load(
            pipeline, store, run_id, progress, timings, work, state, enrich, enrich_fingerprint)
    except BaseException:
        # The work database can be as large as the corpus: a run that failed, on a full disk say,
        # must not leave it taking the space the next run needs.
        shutil.rmtree(work, ignore_errors=True)
        raise
    cleanup = store.versions.publish(version_dir)
    if keep:
        state.keep(work / ENRICH_DATABASE)
    timings["publish"] = round(time.perf_counter() - publish_started, 3)
    shutil.rmtree(work, ignore_errors=True)
    return rows, failures, cleanup


def _open_enrich(pipeline: Pipeline, store: Store, run_id: str, work: Path, state: EnrichState,
                 enrich: dict[str, Any], enrich_fingerprint: str,
                 live: pa.Table) -> tuple[duckdb.DuckDBPyConnection, Changes | None, bool]:
    """The enrich database: the kept state with the changed documents swapped (incremental), or the whole
    layer loaded afresh; `enrich` says which and why. The last value: whether every enrich plugin can
    work incrementally, so that the database is worth keeping for the next run."""
    plan = [step.plugin for step in pipeline.plans["enrich"]]
    full = [p for p in plan if not pipeline.contract("enrich", p).incremental]
    path: Path | None = None
    if full:
        state.drop()
        why = f"enrich plugin {full[0]!r} does not declare incremental=True in its contract"
    else:
        path, why = state.take(work, enrich_fingerprint)
    db = duckdb.connect(str(path or work / ENRICH_DATABASE))
    try:
        db.execute("SET TimeZone = 'UTC'")
        db.execute(f"SET temp_directory = '{work / 'spill'}'")
        # DuckDB draws a progress bar on stdout for long statements: it would corrupt `etl run --json`.
        db.execute("SET enable_progress_bar = false")
        set_memory_limit(db, pipeline.config.enrich_memory_limit)
        changes = None
        if path is None:
            store.parts.load_tables(db, pipeline.layer_tables)
            enrich.update(mode="full", why=why)
        else:
            found = state_delta(db, live)
            changes = found.changes
            _swap_documents(db, store, pipeline.layer_tables, found)
            enrich.update(mode="incremental", added=len(changes.added), removed=len(changes.removed))
        runs = store.manifest.runs_table(pipeline.tables["runs"], completing=run_id)
        db.register("_runs", runs)
        db.execute("CREATE OR REPLACE TABLE runs AS SELECT * FROM _runs")
        db.unregister("_runs")
    except BaseException:
        db.close()
        raise
    return db, changes, not full


def _swap_documents(db: duckdb.DuckDBPyConnection, store: Store, tables: dict[str, Any], found: Delta) -> None:
    """Delete the rows of the documents gone or changed since the state was kept, and insert those of the
    documents new or changed, as extraction wrote them. The previous runs' enrich errors go too: a
    version's `errors` holds its own run's."""
    db.register("_removed", pa.table({"doc_id": pa.array(sorted(found.changes.removed), pa.string())}))
    for table, schema in tables.items():
        if "doc_id" in schema.names:
            db.execute(f'DELETE FROM "{table}" WHERE doc_id IN (SELECT doc_id FROM _removed)')
    db.unregister("_removed")
    db.execute("DELETE FROM errors WHERE doc_id IS NULL")
    store.parts.insert_documents(db, tables, store.parts.live_docs_arrow(live=found.added_parts))


def _enrich_and_load(pipeline: Pipeline, store: Store, run_id: str, progress: Progress, timings: dict[str, float],
                     work: Path, state: EnrichState, enrich: dict[str, Any],
                     enrich_fingerprint: str) -> tuple[dict[str, int], list[PluginFailed], Path, float, bool]:
    run = pipeline.run_context(run_id, store.out)
    progress.stage("enriching")
    enrich_started = time.perf_counter()
    live = store.manifest.live_versions()
    db, changes, keep = _open_enrich(pipeline, store, run_id, work, state, enrich, enrich_fingerprint, live)
    with closing(db):
        enrich["seconds"] = {}
        failures = run_enrich(pipeline, run, db, changes, enrich["seconds"])
        timings["enrich"] = round(time.perf_counter() - enrich_started, 3)
        # A plugin that failed left its outputs as they were: the next run must redo it over everything.
        keep = keep and not failures
        progress.stage("publishing")
        publish_started = time.perf_counter()
        version_dir = store.versions.new(run_id)
        # The order documents came in, by which loaders cut tables into files (`etl.published`).
        db.register("_doc_order", store.manifest.doc_order())
        db.execute(f"CREATE OR REPLACE TABLE {DOC_ORDER_TABLE} AS SELECT * FROM _doc_order")
        db.unregister("_doc_order")
        try:
            run_load(pipeline, run.loading_into(version_dir, store.current_version()), db)
        except PluginFailed as exc:
            shutil.rmtree(version_dir, ignore_errors=True)
            if failure(exc.cause, store.out) is not None:
                raise exc.cause from exc  # a full disk or a read-only folder, not the plugin's fault
            raise PluginError(f"load plugin {exc.plugin!r} failed, nothing was published: "
                              f"{exc.error_type}: {exc.cause}") from exc
        except BaseException:
            shutil.rmtree(version_dir, ignore_errors=True)
            raise
        rows = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in pipeline.tables}
        if keep:
            record_state(db, enrich_fingerprint, live)
    return rows, failures, version_dir, publish_started, keep
