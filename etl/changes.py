"""What changed since the last enrich: the argument `changes` of an incremental enrich plugin.

An enrich plugin that declares ``Contract(incremental=True)`` is called, when the host can, on the
enrich state the previous run left (every table as it was after that run's enrich), with the rows of
the documents that changed already swapped:

- ``removed``: documents gone, or changed, whose previous rows the host has deleted from every table
  with a ``doc_id`` column;
- ``added``: documents new, or changed, whose rows the host has inserted as extraction wrote them (the
  columns enrich plugins provide hold what extract left there, usually NULL);
- ``touched``: documents whose rows, in the tables and columns this plugin declares it reads, an
  earlier enrich plugin of this run changed (an old article that joined a new copy group, the mentions
  of an entity whose cluster a new document merged with another).

The plugin must leave what it provides exactly as a call over the whole corpus would (`changes` None):
the same values, groupings and ids. During the call the same sets are the DuckDB table
``etl_changes (doc_id VARCHAR, change VARCHAR)``, ``change`` one of 'added', 'removed', 'touched' (a
changed document has both an 'added' and a 'removed' row), for plugins that work in SQL.

A plugin may keep working tables of its own in the database between runs (named after the plugin,
``<plugin>__<name>``, never published): they are there in an incremental call, and absent in a full
one, where the database starts from the extraction layer alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

#: The DuckDB table that holds the changes during an incremental enrich call.
CHANGES_TABLE = "etl_changes"


@dataclass(frozen=True)
class Changes:
    """The documents added, removed and touched since the enrich state a call starts from."""

    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    touched: frozenset[str] = frozenset()

    @property
    def affected(self) -> frozenset[str]:
        """The documents present now whose rows are new or whose inputs changed: added and touched."""
        return self.added | self.touched

    @property
    def table(self) -> str:
        return CHANGES_TABLE

    @staticmethod
    def kept(db: duckdb.DuckDBPyConnection, *tables: str) -> bool:
        """Whether the working tables `tables` a plugin keeps between runs are all in `db` (an incremental
        call on a state left by a version that did not keep them finds them missing)."""
        found = db.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
        return set(tables) <= {name for (name,) in found}

    def as_arrow(self) -> pa.Table:
        rows = [(doc, "added") for doc in sorted(self.added)] + [(doc, "removed") for doc in sorted(self.removed)]
        rows += [(doc, "touched") for doc in sorted(self.touched)]
        return pa.table({"doc_id": pa.array([r[0] for r in rows], pa.string()),
                         "change": pa.array([r[1] for r in rows], pa.string())})
