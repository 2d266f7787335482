"""Where a published version keeps each table: `<version>/<table>/<file>.parquet`.

A table is a folder of Parquet files, each holding the rows of a bounded range of documents (by the order
in which documents first entered the output folder, `etl_doc_order`), so that a version can share the
files that did not change with the version before it (hard links), and a million documents are not a
few multi-gigabyte files. Readers take the folder as one table: DuckDB through `table_glob`, pyarrow
through `read_table`. This module is the one owner of that layout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

#: The host's table in the load stage's database: (doc_id, ordinal), the order each live document first
#: entered the output folder. A document keeps its ordinal when it changes.
DOC_ORDER_TABLE = "etl_doc_order"
#: The index of a version's files: per table, the schema and each file's rows and digest.
INDEX_NAME = "files.json"
#: The file of rows with no document (or of a table without a `doc_id` column).
NO_DOCUMENT = "unassigned"
#: The file written for a table without rows, so that every table folder holds at least one file.
EMPTY = "empty"


def table_dir(version: Path, table: str) -> Path:
    return Path(version) / table


def table_glob(version: Path, table: str) -> str:
    return str(table_dir(version, table).absolute() / "*.parquet")


def file_name(bucket: int | None) -> str:
    """The file of documents of `bucket` (ordinal // documents per file); None: rows with no document."""
    return f"{NO_DOCUMENT}.parquet" if bucket is None or bucket < 0 else f"{bucket:08d}.parquet"


def tables_in(version: Path) -> list[str]:
    """The tables a version holds (folders of Parquet files)."""
    return sorted(p.name for p in Path(version).iterdir() if p.is_dir() and any(p.glob("*.parquet")))


def read_table(version: Path, table: str, **options: Any) -> pa.Table:
    """A published table as one Arrow table (its files in name order)."""
    return pa.concat_tables([pq.read_table(f, **options)
                             for f in sorted(table_dir(version, table).glob("*.parquet"))])


def read_published(out: str | Path, table: str, **options: Any) -> pa.Table:
    """The table `table` as the output folder `out` publishes it now (what its catalog's view reads)."""
    return read_table(Path(out) / "tables", table, **options)


def row_count(version: Path, table: str) -> int:
    """Rows of a published table, from its files' footers (no row is read)."""
    return sum(pq.read_metadata(f).num_rows for f in table_dir(version, table).glob("*.parquet"))


def read_index(version: Path | None) -> dict[str, Any]:
    if version is None:
        return {}
    try:
        return json.loads((Path(version) / INDEX_NAME).read_text())
    except (OSError, ValueError):
        return {}


def write_index(version: Path, index: dict[str, Any]) -> None:
    (Path(version) / INDEX_NAME).write_text(json.dumps(index, sort_keys=True, indent=1))
