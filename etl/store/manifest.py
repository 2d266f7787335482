"""The manifest (`.etl/state.sqlite`): which sources and documents are known, in which part, and the runs.

A part becomes live only when the transaction naming it commits (`commit`), so a run killed at any
moment leaves the manifest as it was before the outcome it was committing. Each part's row records the
files it was written with (`parts.files`), which is what `Parts.verify` checks the folder against.

A manifest sqlite cannot read is reported as `ManifestDamaged`; `etl run --rebuild` starts afresh.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import StoreError
from ..tasks import FAILED, PARTIAL, KnownDoc, SourceOutcome

#: A part's files as recorded: {table: [bytes, mtime_ns]}.
PartFiles = dict[str, list[int]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT, fingerprint TEXT, run_id TEXT);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source_path TEXT NOT NULL, source_uri TEXT, content_sha256 TEXT,
    fingerprint TEXT, status TEXT, part TEXT, run_id TEXT, ordinal INTEGER);
CREATE INDEX IF NOT EXISTS documents_by_source ON documents(source_path);
CREATE INDEX IF NOT EXISTS documents_by_part ON documents(part);
CREATE TABLE IF NOT EXISTS parts (part TEXT PRIMARY KEY, run_id TEXT, docs INTEGER, files TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
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


class ManifestDamaged(StoreError):
    """sqlite cannot read the manifest (truncated, overwritten, not a database)."""


class Manifest:
    """The manifest database of one output folder (the caller holds the folder's lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # A file cut short with no write-ahead log beside it is a damaged file, whatever sqlite reads
        # of it before reaching the missing pages: the log is gone only after a clean close, and then
        # the header's page count times the page size is exactly the file's size.
        unclean = path.with_name(path.name + "-wal").exists()
        self.db = sqlite3.connect(path, isolation_level=None)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if not unclean and path.stat().st_size:
                pages = self.db.execute("PRAGMA page_count").fetchone()[0]
                page_size = self.db.execute("PRAGMA page_size").fetchone()[0]
                if pages * page_size > path.stat().st_size:
                    raise sqlite3.DatabaseError("database file is shorter than its header says (truncated)")
            self.db.executescript(SCHEMA)
            if "files" not in {row[1] for row in self.db.execute("PRAGMA table_info(parts)")}:
                # Manifests written before parts recorded their files: `Parts.verify` fills it in.
                self.db.execute("ALTER TABLE parts ADD COLUMN files TEXT")
            if "ordinal" not in {row[1] for row in self.db.execute("PRAGMA table_info(documents)")}:
                # Manifests written before documents had an order: they get one, in the order they came.
                self.db.execute("ALTER TABLE documents ADD COLUMN ordinal INTEGER")
                self.db.execute("UPDATE documents SET ordinal = rowid")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('ordinal', "
                                "(SELECT coalesce(max(ordinal), 0) FROM documents))")
            self.db.execute("CREATE INDEX IF NOT EXISTS documents_by_ordinal ON documents(ordinal)")
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    # --- generations: has anything the published tables depend on changed? ---------------------

    def generation(self) -> int:
        """A counter of changes to the live documents: it grows whenever one is added, replaced, dropped
        or taken out of the layer. Equal to the published version's, nothing was extracted since."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _changed(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO meta VALUES ('generation', '1') "
                   "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    @staticmethod
    def _number_new_documents(db: sqlite3.Connection) -> None:
        """Give each document without an ordinal the next ones, in doc_id order within one commit."""
        last = db.execute("SELECT value FROM meta WHERE key = 'ordinal'").fetchone()
        start = int(last[0]) if last else 0
        new = [row[0] for row in db.execute("SELECT doc_id FROM documents WHERE ordinal IS NULL ORDER BY doc_id")]
        if not new:
            return
        db.executemany("UPDATE documents SET ordinal = ? WHERE doc_id = ?",
                       [(start + i + 1, doc_id) for i, doc_id in enumerate(new)])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('ordinal', ?)", (str(start + len(new)),))

    def doc_order(self) -> pa.Table:
        """(doc_id, ordinal) of every live document: the order documents first entered this folder."""
        cursor = self.db.execute("SELECT doc_id, ordinal FROM documents WHERE part IS NOT NULL")
        return _arrow(cursor, {"doc_id": pa.string(), "ordinal": pa.int64()})

    def live_versions(self) -> pa.Table:
        """(doc_id, run_id, part) of every live document: `run_id` is the run that last extracted it, so a
        document whose `run_id` changed since some moment was extracted again (changed) since then."""
        cursor = self.db.execute("SELECT doc_id, run_id, part FROM documents WHERE part IS NOT NULL")
        return _arrow(cursor, {"doc_id": pa.string(), "run_id": pa.string(), "part": pa.string()})

    def published_state(self) -> tuple[int, str, str] | None:
        """(generation, output fingerprint, version) of the last version published, or None."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'published'").fetchone()
        return tuple(json.loads(row[0])) if row else None  # type: ignore[return-value]

    def record_published(self, generation: int, output_fingerprint: str, version: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('published', ?)",
                        (json.dumps([generation, output_fingerprint, version]),))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- sources and documents ------------------------------------------------------------------

    def known_sources(self) -> dict[str, KnownSource]:
        return {row[0]: KnownSource(*row[1:]) for row in
                self.db.execute("SELECT path, size, mtime_ns, sha256, fingerprint FROM sources")}

    def known_docs(self, path: str) -> dict[str, KnownDoc]:
        rows = self.db.execute(
            "SELECT doc_id, content_sha256, fingerprint, status FROM documents WHERE source_path = ?", (path,))
        return {row[0]: KnownDoc(row[1] or "", row[2] or "", row[3]) for row in rows}

    def failed_sources(self) -> set[str]:
        """Sources with a document that failed, or that some plugin failed on (for `--retry-errors`)."""
        return {row[0] for row in self.db.execute(
            "SELECT DISTINCT source_path FROM documents WHERE status IN (?, ?)", (FAILED, PARTIAL))}

    def doc_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT source_path, count(*) FROM documents GROUP BY source_path").fetchall())

    def commit(self, outcomes: Iterable[SourceOutcome], fingerprint: str, run_id: str) -> None:
        """Make the outcomes' parts live and record each source's new state, in one transaction."""
        with self.transaction() as db:
            parts: dict[str, int] = {}
            files: dict[str, PartFiles | None] = {}
            changed = 0
            for outcome in outcomes:
                db.execute(
                    "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                    (outcome.path, outcome.size, outcome.mtime_ns, outcome.sha256, fingerprint, run_id))
                # The documents the source still has, streamed from the outcome's spool into a temporary
                # table: a container of a million records is never a million ids in memory at once.
                db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (doc_id TEXT PRIMARY KEY)")
                db.execute("DELETE FROM keep")
                for docs, unchanged in outcome.chunks():  # the spool is read once
                    db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((d,) for d in unchanged))
                    for doc in docs:
                        changed += 1
                        db.execute("INSERT OR IGNORE INTO keep VALUES (?)", (doc.doc_id,))
                        # A document keeps its ordinal (the order it first came in) when it changes: the
                        # published files are cut by ordinal, so a change rewrites only its own file.
                        db.execute(
                            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT(doc_id) "
                            "DO UPDATE SET source_path = excluded.source_path, source_uri = excluded.source_uri, "
                            "content_sha256 = excluded.content_sha256, fingerprint = excluded.fingerprint, "
                            "status = excluded.status, part = excluded.part, run_id = excluded.run_id",
                            (doc.doc_id, outcome.path, doc.source_uri, doc.content_sha256, fingerprint,
                             doc.status, doc.part, run_id))
                        if doc.part:
                            parts[doc.part] = parts.get(doc.part, 0) + 1
                            files[doc.part] = files.get(doc.part) or doc.part_files
                changed += db.execute("DELETE FROM documents WHERE source_path = ? AND doc_id NOT IN "
                                      "(SELECT doc_id FROM keep)", (outcome.path,)).rowcount
            for part, count in parts.items():
                recorded = json.dumps(files[part]) if files[part] is not None else None
                db.execute("INSERT INTO parts VALUES (?, ?, ?, ?) ON CONFLICT(part) DO UPDATE SET docs = docs + ?",
                           (part, run_id, count, recorded, count))
            if changed:
                self._changed(db)
                self._number_new_documents(db)

    def prune(self, gone: Iterable[str]) -> int:
        """Forget the sources `gone` and their documents; returns how many documents were dropped.

        The caller decides what is gone (`etl.sources.still_there`): keys are source URIs, not paths.
        """
        with self.transaction() as db:
            dropped = 0
            for key in gone:
                dropped += db.execute("DELETE FROM documents WHERE source_path = ?", (key,)).rowcount
                db.execute("DELETE FROM sources WHERE path = ?", (key,))
            if dropped:
                self._changed(db)
        return dropped

    def rekey_sources(self, key_of: Callable[[str], str]) -> tuple[int, int]:
        """Move sources recorded under an absolute path (how earlier versions keyed them) to their
        identity `key_of(path)`; returns how many were re-keyed and how many forgotten to be read again.

        Two old keys of one file (an alias the previous version read twice, leaving duplicate rows)
        are forgotten with the file's documents, so the file is read once more and the duplicates
        leave the published tables; every other source keeps its documents and is not read again.
        """
        old = [row[0] for row in self.db.execute(
            "SELECT path FROM sources WHERE path NOT LIKE 'file://%' "
            "UNION SELECT source_path FROM documents WHERE source_path NOT LIKE 'file://%'")]
        if not old:
            return 0, 0
        current = {row[0] for row in self.db.execute("SELECT path FROM sources WHERE path LIKE 'file://%'")}
        new = {path: key_of(path) for path in old}
        names: dict[str, list[str]] = {}
        for path, key in new.items():
            names.setdefault(key, []).append(path)
        rekeyed = forgotten = 0
        with self.transaction() as db:
            for key, paths in names.items():
                if len(paths) == 1 and key not in current:
                    db.execute("UPDATE sources SET path = ? WHERE path = ?", (key, paths[0]))
                    db.execute("UPDATE documents SET source_path = ? WHERE source_path = ?", (key, paths[0]))
                    rekeyed += 1
                    continue
                for path in [*paths, key]:
                    db.execute("DELETE FROM documents WHERE source_path = ?", (path,))
                    db.execute("DELETE FROM sources WHERE path = ?", (path,))
                forgotten += 1
            if forgotten:
                self._changed(db)
        return rekeyed, forgotten

    # --- parts ------------------------------------------------------------------------------------

    def live_parts(self) -> dict[str, int]:
        """Each part that holds a live document, with how many it holds."""
        return dict(self.db.execute(
            "SELECT part, count(*) FROM documents WHERE part IS NOT NULL GROUP BY part").fetchall())

    def part_sizes(self) -> dict[str, int]:
        """Each part the manifest knows, with how many documents it was written with (dead ones too)."""
        return dict(self.db.execute("SELECT part, docs FROM parts").fetchall())

    def live_docs(self, parts: list[str] | None = None) -> pa.Table:
        """(doc_id, part) of every live document, or of those in `parts`, as Arrow (a million documents
        are two compact string columns, not a million Python tuples)."""
        if parts is None:
            cursor = self.db.execute("SELECT doc_id, part FROM documents WHERE part IS NOT NULL")
        else:
            marks = ",".join("?" * len(parts))
            cursor = self.db.execute(f"SELECT doc_id, part FROM documents WHERE part IN ({marks})", parts)
        return _arrow(cursor, {"doc_id": pa.string(), "part": pa.string()})

    def forget_parts(self, parts: list[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM parts WHERE part = ?", [(p,) for p in parts])

    def replace_parts(self, group: list[str], merged: str, run_id: str, files: PartFiles) -> None:
        """Point every document of `group` at `merged`, in one transaction."""
        with self.transaction() as db:
            marks = ",".join("?" * len(group))
            moved = db.execute(f"UPDATE documents SET part = ? WHERE part IN ({marks})", (merged, *group)).rowcount
            db.executemany("DELETE FROM parts WHERE part = ?", [(p,) for p in group])
            db.execute("INSERT INTO parts VALUES (?, ?, ?, ?)", (merged, run_id, moved, json.dumps(files)))

    def part_files(self, parts: Iterable[str] | None = None) -> dict[str, PartFiles | None]:
        """The recorded files of every live part (or of `parts`); None for a part recorded without them."""
        live = self.live_parts() if parts is None else parts
        recorded = {row[0]: row[1] for row in self.db.execute("SELECT part, files FROM parts")}
        return {p: json.loads(recorded[p]) if recorded.get(p) else None for p in live}

    def record_part_files(self, part: str, files: PartFiles) -> None:
        self.db.execute("UPDATE parts SET files = ? WHERE part = ?", (json.dumps(files), part))

    def requeue(self, parts: Iterable[str]) -> int:
        """Take the documents of `parts` out of the layer and mark them and their sources for extraction.

        The documents keep their rows with no part (so they count as changed, not new, when extracted
        again); their sources lose the size, time, hash and fingerprint that would let a run skip them,
        whole or document by document. Returns how many documents were taken out.
        """
        parts = list(parts)
        with self.transaction() as db:
            marks = ",".join("?" * len(parts))
            db.execute(f"UPDATE sources SET size = -1, sha256 = NULL, fingerprint = NULL WHERE path IN "
                       f"(SELECT DISTINCT source_path FROM documents WHERE part IN ({marks}))", parts)
            moved = db.execute(f"UPDATE documents SET part = NULL, fingerprint = NULL WHERE part IN ({marks})",
                               parts).rowcount
            db.execute(f"DELETE FROM parts WHERE part IN ({marks})", parts)
            if moved:
                self._changed(db)
        return moved

    def pending(self) -> dict[str, int]:
        """Sources with documents taken out of the layer by `requeue` and not extracted since."""
        return dict(self.db.execute(
            "SELECT source_path, count(*) FROM documents WHERE part IS NULL GROUP BY source_path").fetchall())

    # --- runs -----------------------------------------------------------------------------------

    def recover_runs(self, published_run: str | None) -> None:
        """A run still "running" was killed; the one whose version is published did complete."""
        self.db.execute("UPDATE runs SET status = CASE WHEN run_id = ? THEN 'completed' ELSE 'interrupted' END "
                        "WHERE status = 'running'", (published_run or "",))

    def import_runs(self, rows: list[dict[str, Any]]) -> None:
        """Rows of a published `runs` table, into a fresh manifest (`--rebuild` keeps the history)."""
        columns = ("run_id", "started_at", "finished_at", "status", "plugins", "config_sha256", "docs_seen",
                   "docs_new", "docs_changed", "docs_unchanged", "docs_failed", "seconds")
        with self.transaction() as db:
            for row in rows:
                record = {c: row.get(c) for c in columns}
                for stamp in ("started_at", "finished_at"):
                    record[stamp] = record[stamp].isoformat() if record[stamp] else None
                record["plugins"] = json.dumps(record["plugins"] or [])
                marks = ", ".join("?" * len(columns))
                db.execute(f"INSERT OR IGNORE INTO runs ({', '.join(columns)}) VALUES ({marks})",
                           [record[c] for c in columns])

    def begin_run(self, run_id: str, started_at: datetime, plugins: list[dict[str, Any]], config_sha256: str) -> None:
        self.db.execute(
            "INSERT INTO runs (run_id, started_at, status, plugins, config_sha256) VALUES (?, ?, 'running', ?, ?)",
            (run_id, started_at.isoformat(), json.dumps(plugins), config_sha256))

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], seconds: float) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, docs_seen = ?, docs_new = ?, docs_changed = ?, "
            "docs_unchanged = ?, docs_failed = ?, seconds = ? WHERE run_id = ?",
            (datetime.now(timezone.utc).isoformat(), status, counts["seen"], counts["new"], counts["changed"],
             counts["unchanged"], counts["failed"], seconds, run_id))

    def set_run_status(self, run_id: str, status: str) -> None:
        self.db.execute("UPDATE runs SET status = ? WHERE run_id = ?", (status, run_id))

    def runs_table(self, schema: pa.Schema, completing: str | None = None) -> pa.Table:
        """The runs, oldest first; `completing` (the run about to publish) is shown as completed."""
        cursor = self.db.execute("SELECT * FROM runs ORDER BY started_at")
        names = [d[0] for d in cursor.description]
        rows = []
        for row in cursor.fetchall():
            record = dict(zip(names, row))
            if record["run_id"] == completing:
                record["status"] = "completed"
            record["started_at"] = _timestamp(record["started_at"])
            record["finished_at"] = _timestamp(record["finished_at"])
            record["plugins"] = json.loads(record["plugins"] or "[]")
            rows.append(record)
        return pa.Table.from_pylist(rows, schema=schema)


def _timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _arrow(cursor: sqlite3.Cursor, columns: dict[str, pa.DataType], chunk: int = 50_000) -> pa.Table:
    """A query's rows as an Arrow table, converted a chunk at a time."""
    batches = []
    while rows := cursor.fetchmany(chunk):
        batches.append(pa.record_batch([pa.array([row[i] for row in rows], kind)
                                        for i, kind in enumerate(columns.values())], names=list(columns)))
    return pa.Table.from_batches(batches, schema=pa.schema(columns))
