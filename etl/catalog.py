"""The DuckDB catalog: a small database file holding only views over the published Parquet files.

Any DuckDB client opens it (it is written in the v1.0 storage format so that DuckDB 1.x can read it).
Views read Parquet by absolute path; `etl views` rewrites them after the output folder moves.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Collection, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import duckdb

from .errors import EtlError, StoreError
from .published import table_glob

STORAGE_VERSION = "v1.0.0"
#: The catalog's file name, in every published version and as the link at the top of the output folder.
CATALOG_NAME = "etl.duckdb"


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_view_sql(table: str, files: str) -> str:
    """The view of a published table over its files (`files`: a glob, see `etl.published`)."""
    return (f"-- The {table} table as published (see the README for its columns).\n"
            f"SELECT * FROM read_parquet({_quote_literal(files)})")


def write_catalog(path: Path, parquet_dir: Path, tables: list[str], views: Mapping[str, str]) -> list[str]:
    """Write `path` with one view per table in `parquet_dir` plus `views`; return views left out.

    Views are created in dependency order; a view whose statement fails (it reads a table that is
    not published, say) is left out and named in the result rather than breaking the catalog.
    """
    tmp = path.with_name(path.name + ".tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    definitions = {t: table_view_sql(t, table_glob(parquet_dir, t)) for t in tables}
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


# --- reading the catalog: `etl query`, `etl report` -------------------------------------------------

#: The statements a query may hold: they read, and write nothing (EXPLAIN ANALYZE runs its SELECT).
READ_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})
_PARQUET_PATH = re.compile(r"read_parquet\('((?:[^']|'')*)'\)")
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.*?)(?: See also|$)")
_DENIED_FILE = re.compile(r'Cannot access file "([^"]*)"')
_MISSING_FILES = re.compile(r'No files found that match the pattern "([^"]*)"')


class QueryError(EtlError):
    """A query was refused by the sandbox, or failed; the message says why and what to do instead."""


def _do_more(catalog: Path) -> str:
    return f"to do more, open the catalog with your own DuckDB client: duckdb -readonly {catalog}"


@contextmanager
def open_catalog(out: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The catalog published in `out`, opened read-only in a sandbox, for `etl query` and `etl report`.

    The connection reads the Parquet files the views name and nothing else: no other file (read or
    written, `COPY`, `EXPORT`, `read_csv`, `glob`), no `ATTACH`, no extensions, and its settings are
    locked so that `SET` cannot lift this. The catalog is attached to a fresh in-memory database so
    that the settings never reach a connection the caller opened on the same file. A DuckDB error
    raised inside the block becomes a `QueryError` that says what happened and what to do.
    """
    out = Path(out)
    catalog = out / CATALOG_NAME
    if not catalog.exists():
        raise StoreError(f"no published tables in '{out}' (no {CATALOG_NAME}); run `etl run PATH --out {out}` first")
    # Spilled intermediate results go to a private folder, not into the published version or the cwd.
    readable: list[str] = []
    with tempfile.TemporaryDirectory(prefix="etl-query-") as spill, closing(duckdb.connect()) as con:
        try:
            con.execute(f"ATTACH {_quote_literal(str(catalog))} AS etl (READ_ONLY)")
            con.execute("USE etl")
            views = [row[0] for row in con.execute(
                "SELECT sql FROM duckdb_views() WHERE database_name = 'etl' AND NOT internal").fetchall()]
            readable = sorted({match.replace("''", "'") for sql in views for match in _PARQUET_PATH.findall(sql)})
            files = [p for p in readable if "*" not in p]
            folders = sorted({str(Path(p).parent) + os.sep for p in readable if "*" in p})
            if files:
                con.execute(f"SET allowed_paths = [{', '.join(_quote_literal(p) for p in files)}]")
            if folders:
                con.execute(f"SET allowed_directories = [{', '.join(_quote_literal(p) for p in folders)}]")
            for setting, value in (("temp_directory", _quote_literal(spill)), ("enable_external_access", "false"),
                                   ("autoinstall_known_extensions", "false"), ("autoload_known_extensions", "false"),
                                   ("allow_community_extensions", "false"), ("lock_configuration", "true")):
                con.execute(f"SET {setting} = {value}")
            yield con
        except duckdb.Error as exc:
            raise explain_error(exc, out, readable) from exc


def check_read_only(sql: str, out: str | os.PathLike[str]) -> None:
    """Refuse SQL holding any statement but SELECT (and EXPLAIN) with a message saying how to do more."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {_first_line(exc)}") from exc
    for statement in statements:
        if statement.type.name not in READ_STATEMENTS:
            # The statement's own first word: INSTALL and LOAD share one type, USE is a SET.
            kind = (statement.query.split() or [statement.type.name])[0].upper()
            raise QueryError(f"refused: {kind} statements cannot run here; `etl query` and `etl report` only read "
                             f"the published tables (SELECT, EXPLAIN); {_do_more(Path(out) / CATALOG_NAME)}")


def explain_error(exc: duckdb.Error, out: str | os.PathLike[str], views_read: Collection[str] = ()) -> EtlError:
    """What a DuckDB error on the published catalog means for the user, and what to do about it.

    `views_read` are the files the catalog's views read: one of them missing means the catalog is stale.
    """
    catalog = Path(out) / CATALOG_NAME
    message = _first_line(exc)
    missing = _MISSING_FILES.search(message)
    gone = missing.group(1) if missing else None
    denied = _DENIED_FILE.search(message)
    if denied:
        # A view's file that is gone is denied, not "not found": DuckDB then looks for it as a folder
        # (`.../articles.parquet/**/*.parquet`), which is outside the allowed paths.
        gone = next((path for path in views_read if denied.group(1).startswith(path.split("*")[0])), gone)
    if gone and not Path(gone.split("*")[0]).exists():
        return QueryError(f"the catalog's views read {gone}, which does not exist: the output folder "
                          f"was moved, or the catalog belongs to an older run; run `etl views --out {out}` to point "
                          f"the views at the published tables")
    if isinstance(exc, duckdb.PermissionException):
        return QueryError(f"refused: {message.removeprefix('Permission Error: ')}: `etl query` and `etl report` read "
                          f"only the published tables; {_do_more(catalog)}")
    if "Could not set lock" in message:
        holder = _LOCK_HOLDER.search(message)
        by = f" by {holder.group(1).strip()}" if holder else ""
        return QueryError(f"the catalog {catalog} is locked{by}: a DuckDB session that opened it read-write keeps "
                          f"every other reader out; close that session, and open the catalog read-only instead: "
                          f"duckdb -readonly {catalog}")
    return QueryError(f"query failed: {message}")


def query(out: str | os.PathLike[str], sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run read-only `sql` on the catalog published in `out`: its column names and rows."""
    check_read_only(sql, out)
    with open_catalog(out) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
