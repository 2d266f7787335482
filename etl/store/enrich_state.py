"""The enrich state: the enrich database a run leaves, kept for the next run's incremental enrich.

After a run publishes, its enrich database (every table as enrich left it, with the plugins' working
tables) is kept at `.etl/enrich/enrich.duckdb`, with the documents it holds (`doc_id`, and the run that
extracted each) and the fingerprint of the pipeline that made it. The next run takes it over when the
fingerprint is the same and every enrich plugin in the plan is incremental; it deletes the rows of the
documents gone or changed since, inserts those of the documents new or changed, and hands the plugins
`etl.Changes`. Anything else (no state, another fingerprint, a plugin that cannot work incrementally,
a plugin that failed in the run that left it) and the run enriches the whole corpus from the layer.

The state is moved, not copied, into the run's work folder: a run that fails leaves no state, and the
next run enriches in full. Nothing in it is published.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ..changes import Changes

STATE_FOLDER = "enrich"
DATABASE = "enrich.duckdb"
#: Host tables in the enrich database: what the state was made by, and of which documents.
META_TABLE = "etl_state"
DOCS_TABLE = "etl_state_docs"


@dataclass(frozen=True)
class Delta:
    """What changed in the live documents since a state was kept."""

    changes: Changes
    #: (doc_id, part) of the documents whose rows are to be inserted (new or changed).
    added_parts: pa.Table


class EnrichState:
    """The kept enrich database of one output folder (`state` is its `.etl` folder)."""

    def __init__(self, state: Path) -> None:
        self.folder = state / STATE_FOLDER

    @property
    def database(self) -> Path:
        return self.folder / DATABASE

    def drop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def take(self, work: Path, fingerprint: str) -> tuple[Path | None, str]:
        """Move the kept database into `work` if it was made by `fingerprint`; returns (its path, or None,
        and why the run enriches in full when None)."""
        if not self.database.exists():
            return None, "no enrich state was kept (a first run, or the last one failed or enriched in part)"
        target = work / DATABASE
        _move(self.database, target)
        self.drop()
        try:
            with duckdb.connect(str(target), read_only=True) as db:
                made_by = db.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'").fetchone()
        except duckdb.Error:
            made_by = None
        if made_by is None or made_by[0] != fingerprint:
            for path in _files_of(target):
                path.unlink(missing_ok=True)
            return None, "the plugins, their settings or the tables changed since the enrich state was kept"
        return target, ""

    def keep(self, database: Path) -> None:
        """Keep the (closed) enrich database `database` as the state for the next run."""
        self.drop()
        self.folder.mkdir(parents=True)
        _move(database, self.database)


def _files_of(database: Path) -> tuple[Path, Path]:
    """A DuckDB database's files: itself and its write-ahead log."""
    return database, Path(f"{database}.wal")


def _move(database: Path, target: Path) -> None:
    for source, destination in zip(_files_of(database), _files_of(target)):
        if source.exists():
            os.replace(source, destination)


def record(db: duckdb.DuckDBPyConnection, fingerprint: str, live: pa.Table) -> None:
    """Write into `db` what the state is made of: the pipeline's fingerprint and the live documents."""
    db.execute(f"CREATE OR REPLACE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
    db.execute(f"INSERT INTO {META_TABLE} VALUES ('fingerprint', ?)", [fingerprint])
    db.register("_live", live.select(["doc_id", "run_id"]))
    db.execute(f"CREATE OR REPLACE TABLE {DOCS_TABLE} AS SELECT * FROM _live")
    db.unregister("_live")


def delta(db: duckdb.DuckDBPyConnection, live: pa.Table) -> Delta:
    """The documents added (new or extracted again) and removed (gone or extracted again) since the state
    in `db` was recorded, against `live` ((doc_id, run_id, part) of the live documents now)."""
    db.register("_live", live)
    added = db.sql(f"SELECT l.doc_id, l.part FROM _live l ANTI JOIN {DOCS_TABLE} s "
                   f"ON l.doc_id = s.doc_id AND l.run_id IS NOT DISTINCT FROM s.run_id").to_arrow_table()
    removed = db.execute(f"SELECT s.doc_id FROM {DOCS_TABLE} s ANTI JOIN _live l "
                         f"ON l.doc_id = s.doc_id AND l.run_id IS NOT DISTINCT FROM s.run_id").fetchall()
    db.unregister("_live")
    changes = Changes(added=frozenset(added.column("doc_id").to_pylist()),
                      removed=frozenset(row[0] for row in removed))
    return Delta(changes, added)

