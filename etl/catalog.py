"""The DuckDB catalog: a small database file holding only views over the published Parquet files.

Any DuckDB client opens it (it is written in the v1.0 storage format so that DuckDB 1.x can read it).
Views read Parquet by absolute path; `etl views` rewrites them after the output folder moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

import duckdb

STORAGE_VERSION = "v1.0.0"
#: The catalog's file name, in every published version and as the link at the top of the output folder.
CATALOG_NAME = "etl.duckdb"


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_view_sql(table: str, parquet: Path) -> str:
    return (f"-- The {table} table as published (see the README for its columns).\n"
            f"SELECT * FROM read_parquet({_quote_literal(str(parquet))})")


def write_catalog(path: Path, parquet_dir: Path, tables: list[str], views: Mapping[str, str]) -> list[str]:
    """Write `path` with one view per table in `parquet_dir` plus `views`; return views left out.

    Views are created in dependency order; a view whose statement fails (it reads a table that is
    not published, say) is left out and named in the result rather than breaking the catalog.
    """
    tmp = path.with_name(path.name + ".tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    definitions = {t: table_view_sql(t, (parquet_dir / f"{t}.parquet").absolute()) for t in tables}
    definitions.update(views)
    failed: dict[str, str] = {}
    with closing(duckdb.connect()) as con:
        con.execute(f"ATTACH {_quote_literal(str(tmp))} AS catalog (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("USE catalog")
        remaining = dict(definitions)
        while remaining:
            progress = False
            for name, sql in list(remaining.items()):
                try:
                    con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql.strip().rstrip(";")}')
                except duckdb.Error as exc:
                    failed[name] = str(exc).splitlines()[0]
                    continue
                failed.pop(name, None)
                del remaining[name]
                progress = True
            if not progress:
                break
        con.execute("USE memory")
        con.execute("DETACH catalog")
    tmp.replace(path)
    return sorted(f"{name}: {why}" for name, why in failed.items())
