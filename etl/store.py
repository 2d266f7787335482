"""The output folder: extraction layer, manifest, and atomic publishing.

Layout of an output folder::

    etl.duckdb -> tables/etl.duckdb     the catalog users open (a link into the published version)
    tables -> .versions/<run_id>        the published version: one Parquet file per table
    .versions/<run_id>/                 published versions (the current one and the one before)
    .etl/state.sqlite                   the manifest: sources, documents -> part, parts, runs
    .etl/parts/<part>/<table>.parquet   the extraction layer: one folder of part files per batch
    .etl/lock                           held by the running `etl run`

A part becomes live only when the manifest transaction naming it commits; a version becomes published
only when the `tables` link is replaced, which is one atomic rename. A run killed at any moment leaves
the published tables as they were, and the next run sweeps away what the killed one left half-done.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import StoreError
from .worker import KnownDoc, SourceOutcome

STATE_DIR = ".etl"
VERSIONS_DIR = ".versions"
TABLES_LINK = "tables"
CATALOG_NAME = "etl.duckdb"
#: Parts holding fewer live documents than this are merged by `compact`.
COMPACT_TARGET_DOCS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT, fingerprint TEXT, run_id TEXT);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source_path TEXT NOT NULL, source_uri TEXT, content_sha256 TEXT,
    fingerprint TEXT, status TEXT, part TEXT, run_id TEXT);
CREATE INDEX IF NOT EXISTS documents_by_source ON documents(source_path);
CREATE INDEX IF NOT EXISTS documents_by_part ON documents(part);
CREATE TABLE IF NOT EXISTS parts (part TEXT PRIMARY KEY, run_id TEXT, docs INTEGER);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT, finished_at TEXT, status TEXT, plugins TEXT,
    config_sha256 TEXT, docs_seen INTEGER, docs_new INTEGER, docs_changed INTEGER,
    docs_unchanged INTEGER, docs_failed INTEGER, seconds REAL);
"""


@dataclass(frozen=True)
class KnownSource:
    size: int
    mtime_ns: int
    sha256: str | None
    fingerprint: str | None


class Store:
    """One output folder. Open it with `Store.open`, which takes the lock and recovers."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out).absolute()
        self.state = self.out / STATE_DIR
        self.parts = self.state / "parts"
        self.versions = self.out / VERSIONS_DIR
        self._lock_handle: Any = None
        self.db: sqlite3.Connection | None = None

    @classmethod
    def open(cls, out: Path) -> Store:
        store = cls(out)
        if store.out.exists() and not store.out.is_dir():
            raise StoreError(f"output path {store.out} exists and is not a folder")
        store.parts.mkdir(parents=True, exist_ok=True)
        store.versions.mkdir(exist_ok=True)
        store._lock()
        store.db = sqlite3.connect(store.state / "state.sqlite", isolation_level=None)
        store.db.execute("PRAGMA journal_mode=WAL")
        store.db.execute("PRAGMA synchronous=NORMAL")
        store.db.executescript(_SCHEMA)
        store.recover()
        return store

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def _lock(self) -> None:
        handle = (self.state / "lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreError(f"another `etl run` (pid {holder}) is writing to {self.out}; wait for it to finish")
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_handle = handle

    # --- recovery -------------------------------------------------------------------------------

    def recover(self) -> None:
        """Undo what a killed run left: mark it interrupted, drop parts and versions nobody points to."""
        assert self.db is not None
        # A run killed after its version was published (before it could say so) did complete.
        current = self.current_version()
        self.db.execute("UPDATE runs SET status = CASE WHEN run_id = ? THEN 'completed' ELSE 'interrupted' END "
                        "WHERE status = 'running'", (current.name if current else "",))
        live = {row[0] for row in self.db.execute("SELECT part FROM parts")}
        for entry in self.parts.iterdir():
            if entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)
        keep = self._kept_versions()
        for entry in self.versions.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)
        for stray in (self.out / f".{TABLES_LINK}.tmp",):
            if stray.is_symlink() or stray.exists():
                stray.unlink()

    def current_version(self) -> Path | None:
        link = self.out / TABLES_LINK
        return link.resolve() if link.is_symlink() else None

    def _kept_versions(self) -> set[str]:
        current = self.current_version()
        marker = self.state / "previous_version"
        keep = {current.name} if current else set()
        if marker.exists():
            keep.add(marker.read_text().strip())
        return keep

    # --- manifest -------------------------------------------------------------------------------

    def known_sources(self) -> dict[str, KnownSource]:
        assert self.db is not None
        return {row[0]: KnownSource(*row[1:]) for row in
                self.db.execute("SELECT path, size, mtime_ns, sha256, fingerprint FROM sources")}

    def known_docs(self, path: str) -> dict[str, KnownDoc]:
        assert self.db is not None
        rows = self.db.execute(
            "SELECT doc_id, content_sha256, fingerprint, status FROM documents WHERE source_path = ?", (path,))
        return {row[0]: KnownDoc(row[1] or "", row[2] or "", row[3]) for row in rows}

    def failed_sources(self) -> set[str]:
        assert self.db is not None
        return {row[0] for row in self.db.execute("SELECT DISTINCT source_path FROM documents WHERE status = 'failed'")}

    def doc_counts(self) -> dict[str, int]:
        assert self.db is not None
        return dict(self.db.execute("SELECT source_path, count(*) FROM documents GROUP BY source_path").fetchall())

    def commit(self, outcomes: Iterable[SourceOutcome], fingerprint: str, run_id: str) -> None:
        """Make the outcomes' parts live and record each source's new state, in one transaction."""
        assert self.db is not None
        with self._transaction() as db:
            parts: dict[str, int] = {}
            for outcome in outcomes:
                db.execute(
                    "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                    (outcome.path, outcome.size, outcome.mtime_ns, outcome.sha256, fingerprint, run_id))
                keep = set(outcome.unchanged) | {d.doc_id for d in outcome.docs}
                stale = [row[0] for row in db.execute(
                    "SELECT doc_id FROM documents WHERE source_path = ?", (outcome.path,)) if row[0] not in keep]
                db.executemany("DELETE FROM documents WHERE doc_id = ?", [(d,) for d in stale])
                for doc in outcome.docs:
                    db.execute(
                        "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (doc.doc_id, outcome.path, doc.source_uri, doc.content_sha256, fingerprint,
                         doc.status, doc.part, run_id))
                    if doc.part:
                        parts[doc.part] = parts.get(doc.part, 0) + 1
            for part, count in parts.items():
                db.execute("INSERT INTO parts VALUES (?, ?, ?) ON CONFLICT(part) DO UPDATE SET docs = docs + ?",
                           (part, run_id, count, count))

    def _transaction(self) -> Any:
        store = self

        class _Tx:
            def __enter__(self) -> sqlite3.Connection:
                assert store.db is not None
                store.db.execute("BEGIN IMMEDIATE")
                return store.db

            def __exit__(self, exc_type: Any, *_: Any) -> None:
                assert store.db is not None
                store.db.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()

    def prune(self, paths: Iterable[str]) -> int:
        """Forget the documents of sources that no longer exist; returns how many were dropped."""
        gone = [p for p in paths if not Path(p).exists()]
        assert self.db is not None
        with self._transaction() as db:
            dropped = 0
            for path in gone:
                dropped += db.execute("DELETE FROM documents WHERE source_path = ?", (path,)).rowcount
                db.execute("DELETE FROM sources WHERE path = ?", (path,))
        return dropped

    # --- the extraction layer ---------------------------------------------------------------------

    def live_parts(self) -> dict[str, int]:
        assert self.db is not None
        return dict(self.db.execute(
            "SELECT part, count(*) FROM documents WHERE part IS NOT NULL GROUP BY part").fetchall())

    def compact(self, tables: dict[str, pa.Schema], run_id: str, target: int = COMPACT_TARGET_DOCS) -> int:
        """Drop dead parts and merge small or mostly dead ones; returns the number of parts rewritten.

        A run that changed nothing finds nothing to do here, so it rewrites nothing.
        """
        assert self.db is not None
        live = self.live_parts()
        sizes = dict(self.db.execute("SELECT part, docs FROM parts").fetchall())
        dead = [p for p in sizes if p not in live]
        candidates = [p for p, n in live.items() if n < target // 4 or n < sizes.get(p, n) / 2]
        merge = candidates if len(candidates) > 1 or any(live[p] < sizes.get(p, 0) for p in candidates) else []
        groups, current, count = [], [], 0
        for part in sorted(merge):
            current.append(part)
            count += live[part]
            if count >= target:
                groups.append(current)
                current, count = [], 0
        if current:
            groups.append(current)
        rewritten = 0
        for group in groups:
            if len(group) == 1 and live[group[0]] == sizes.get(group[0]):
                continue
            self._merge(group, tables, run_id)
            rewritten += len(group)
        if dead:
            with self._transaction() as db:
                db.executemany("DELETE FROM parts WHERE part = ?", [(p,) for p in dead])
            for part in dead:
                shutil.rmtree(self.parts / part, ignore_errors=True)
        return rewritten

    def _merge(self, group: list[str], tables: dict[str, pa.Schema], run_id: str) -> None:
        assert self.db is not None
        new = f"{run_id}-merged-{uuid.uuid4().hex[:12]}"
        staging = self.parts / f"{new}.tmp"
        staging.mkdir()
        with closing(duckdb.connect()) as con:
            live = self._live_docs_arrow(group)
            con.register("live", live)
            for table, schema in tables.items():
                files = [str(self.parts / p / f"{table}.parquet") for p in group
                         if (self.parts / p / f"{table}.parquet").exists()]
                if not files:
                    continue
                rows = con.sql(
                    f"SELECT t.* EXCLUDE (filename) FROM read_parquet(?, filename = true) t "
                    f"SEMI JOIN live l ON t.doc_id = l.doc_id AND t.filename = l.dir || '/{table}.parquet'",
                    params=[files]).to_arrow_table()
                if rows.num_rows:
                    pq.write_table(rows.select(schema.names).cast(schema), staging / f"{table}.parquet",
                                   compression="zstd")
        os.rename(staging, self.parts / new)
        with self._transaction() as db:
            marks = ",".join("?" * len(group))
            moved = db.execute(f"UPDATE documents SET part = ? WHERE part IN ({marks})", (new, *group)).rowcount
            db.executemany("DELETE FROM parts WHERE part = ?", [(p,) for p in group])
            db.execute("INSERT INTO parts VALUES (?, ?, ?)", (new, run_id, moved))
        for part in group:
            shutil.rmtree(self.parts / part, ignore_errors=True)

    def _live_docs_arrow(self, parts: list[str] | None = None) -> pa.Table:
        assert self.db is not None
        if parts is None:
            rows = self.db.execute("SELECT doc_id, part FROM documents WHERE part IS NOT NULL").fetchall()
        else:
            marks = ",".join("?" * len(parts))
            rows = self.db.execute(f"SELECT doc_id, part FROM documents WHERE part IN ({marks})", parts).fetchall()
        return pa.table({
            "doc_id": pa.array([r[0] for r in rows], pa.string()),
            "dir": pa.array([str(self.parts / r[1]) for r in rows], pa.string()),
        })

    def load_tables(self, con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Schema]) -> None:
        """Create every table in `con` with the current rows of the extraction layer."""
        live = self._live_docs_arrow()
        con.register("_live_docs", live)
        parts = sorted(self.live_parts())
        for table, schema in tables.items():
            con.register("_empty", schema.empty_table())
            con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _empty')
            con.unregister("_empty")
            files = [str(self.parts / p / f"{table}.parquet") for p in parts
                     if (self.parts / p / f"{table}.parquet").exists()]
            if files:
                columns = ", ".join(f't."{c}"' for c in schema.names)
                # Part names are random, so rows are put in one canonical order: enrich and the published
                # files come out the same whichever batches and workers the documents went through.
                con.execute(
                    f'INSERT INTO "{table}" SELECT {columns} FROM read_parquet(?, filename = true, '
                    f"file_row_number = true, union_by_name = true) t SEMI JOIN _live_docs l "
                    f"ON t.doc_id = l.doc_id AND t.filename = l.dir || '/{table}.parquet' "
                    f"ORDER BY t.doc_id, t.file_row_number", [files])
        con.unregister("_live_docs")

    # --- runs -----------------------------------------------------------------------------------

    def begin_run(self, run_id: str, started_at: datetime, plugins: list[dict[str, Any]], config_sha256: str) -> None:
        assert self.db is not None
        self.db.execute(
            "INSERT INTO runs (run_id, started_at, status, plugins, config_sha256) VALUES (?, ?, 'running', ?, ?)",
            (run_id, started_at.isoformat(), json.dumps(plugins), config_sha256))

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], seconds: float) -> None:
        assert self.db is not None
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, docs_seen = ?, docs_new = ?, docs_changed = ?, "
            "docs_unchanged = ?, docs_failed = ?, seconds = ? WHERE run_id = ?",
            (datetime.now(timezone.utc).isoformat(), status, counts["seen"], counts["new"], counts["changed"],
             counts["unchanged"], counts["failed"], seconds, run_id))

    def set_run_status(self, run_id: str, status: str) -> None:
        assert self.db is not None
        self.db.execute("UPDATE runs SET status = ? WHERE run_id = ?", (status, run_id))

    def runs_table(self, schema: pa.Schema, completing: str | None = None) -> pa.Table:
        """The runs, oldest first; `completing` (the run about to publish) is shown as completed."""
        assert self.db is not None
        rows = []
        for row in self.db.execute("SELECT * FROM runs ORDER BY started_at"):
            record = dict(zip([d[0] for d in self.db.execute("SELECT * FROM runs LIMIT 0").description], row))
            if record["run_id"] == completing:
                record["status"] = "completed"
            record["started_at"] = _ts(record["started_at"])
            record["finished_at"] = _ts(record["finished_at"])
            record["plugins"] = json.loads(record["plugins"] or "[]")
            rows.append(record)
        return pa.Table.from_pylist(rows, schema=schema)

    # --- publishing -----------------------------------------------------------------------------

    def new_version_dir(self, run_id: str) -> Path:
        path = self.versions / run_id
        path.mkdir()
        return path

    def publish(self, version_dir: Path) -> None:
        """Switch the `tables` link to `version_dir` in one atomic rename; keep one older version."""
        previous = self.current_version()
        tmp = self.out / f".{TABLES_LINK}.tmp"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(os.path.relpath(version_dir, self.out), tmp)
        os.replace(tmp, self.out / TABLES_LINK)
        _fsync_dir(self.out)
        catalog_link = self.out / CATALOG_NAME
        if (version_dir / CATALOG_NAME).exists() and not catalog_link.is_symlink():
            if catalog_link.exists():
                catalog_link.unlink()
            os.symlink(f"{TABLES_LINK}/{CATALOG_NAME}", catalog_link)
        marker = self.state / "previous_version"
        marker.write_text(previous.name if previous else "")
        keep = {version_dir.name, previous.name if previous else ""}
        for entry in self.versions.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
