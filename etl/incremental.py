"""What each incremental enrich plugin is told was touched: the documents whose rows, in what it reads,
an earlier enrich plugin of the run changed.

The host does not trust plugins to report what they changed: before a plugin runs, each name it provides
that a later plugin reads (`entities.entity_id`, `articles.dup_group`, a whole table) is summarised per
document (a hash of its rows' values and row ids), and again after; the documents whose summary differs
are the ones it changed. This is one scan of the provided columns per plugin, in DuckDB, and only for
names somebody reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import duckdb

from .changes import CHANGES_TABLE, Changes
from .contracts import Contract

#: Stands for "every document": a change to a table without a `doc_id` column cannot be narrowed down.
EVERY_DOCUMENT = None


def overlaps(read: str, provided: str) -> bool:
    """Whether reading `read` sees what providing `provided` changes (a table and its columns overlap)."""
    return read == provided or provided.startswith(read + ".") or read.startswith(provided + ".")


class Touched:
    """The documents each enrich plugin's outputs changed during one incremental run."""

    def __init__(self, db: duckdb.DuckDBPyConnection, columns: Mapping[str, Sequence[str]],
                 plan: Sequence[str], contracts: Mapping[str, Contract]) -> None:
        self.db = db
        self.columns = columns
        self.plan = list(plan)
        self.contracts = contracts
        #: provided name -> documents changed (None: every document).
        self.changed: dict[str, set[str] | None] = {}

    def watched(self, plugin: str) -> list[str]:
        """The names `plugin` provides that a plugin after it reads, and that are tables here."""
        later = self.plan[self.plan.index(plugin) + 1:]
        reads = [name for p in later for name in self.contracts[p].inputs]
        return [name for name in self.contracts[plugin].provides
                if name.split(".", 1)[0] in self.columns and any(overlaps(r, name) for r in reads)]

    def summaries(self, names: Sequence[str]) -> dict[str, dict[str | None, int] | None]:
        """For each of `names`: {doc_id: hash of its rows' values of the name}, or None when the table has
        no `doc_id`. One scan per table, whatever the number of its names."""
        found: dict[str, dict[str | None, int] | None] = {}
        by_table: dict[str, list[str]] = {}
        for name in names:
            by_table.setdefault(name.split(".", 1)[0], []).append(name)
        for table, named in by_table.items():
            if "doc_id" not in self.columns[table]:
                found.update(dict.fromkeys(named))
                continue
            # Hashed twice: DuckDB combines the hashes of several arguments by XOR, so that in a bit_xor
            # over a document's rows two rows holding the same value cancel it out (two mentions of an
            # event whose id changed would not show the change).
            hashes = ", ".join(f"bit_xor(hash(hash(rowid, {self._values(name)})))" for name in named)
            rows = self.db.execute(f'SELECT doc_id, {hashes} FROM "{table}" GROUP BY doc_id').fetchall()
            for k, name in enumerate(named, start=1):
                found[name] = {row[0]: row[k] for row in rows}
        return found

    def _values(self, name: str) -> str:
        """The SQL of what `name` covers: its column, or every column of its table."""
        table, _, column = name.partition(".")
        return f'"{column}"' if column else ", ".join(f'"{c}"' for c in self.columns[table])

    def record(self, name: str, before: dict[str | None, int] | None, after: dict[str | None, int] | None) -> None:
        if before is None or after is None or self.changed.get(name, set()) is EVERY_DOCUMENT:
            self.changed[name] = EVERY_DOCUMENT
            return
        found = {doc for doc in before.keys() | after.keys() if before.get(doc) != after.get(doc)}
        found.discard(None)
        self.changed.setdefault(name, set()).update(found)  # type: ignore[union-attr]

    def changes_for(self, plugin: str, base: Changes, every: Callable[[], Iterable[str]]) -> Changes:
        """`base` with `touched` set to the documents changed in what `plugin` reads (`every()`: all doc ids,
        asked only when a change cannot be narrowed down to documents)."""
        touched: set[str] = set()
        for name, docs in self.changed.items():
            if not any(overlaps(read, name) for read in self.contracts[plugin].inputs):
                continue
            if docs is EVERY_DOCUMENT:
                touched.update(every())
            else:
                touched.update(docs)
        return Changes(added=base.added, removed=base.removed, touched=frozenset(touched - base.added))


def register(db: duckdb.DuckDBPyConnection, changes: Changes) -> None:
    db.register("_etl_changes", changes.as_arrow())
    db.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGES_TABLE} AS SELECT * FROM _etl_changes")
    db.unregister("_etl_changes")
