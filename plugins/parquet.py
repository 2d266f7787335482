"""Publish every table as a folder of Parquet files (zstd) with its declared schema, plus the DuckDB catalog.

A table's rows are cut into files by document: the documents that first entered the output folder
together (`docs_per_file` of them, by `etl_doc_order`) share a file (`etl.published`). Each file's rows
are summed up by a digest (row count and the sum of DuckDB's row hashes); a file whose digest, schema and
settings equal the previous version's is not written again but hard-linked from it. A run that adds a
few documents rewrites the files they land in and those whose rows enrich changed (a new member of an
entity or a copy group), not the whole corpus.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from etl import CATALOG_NAME, Contract, Setting, hookimpl, write_catalog
from etl.published import DOC_ORDER_TABLE, EMPTY, file_name, read_index, table_dir, write_index

NAME = "parquet"
log = logging.getLogger(__name__)
#: The index format: a version whose index differs in it shares no file.
LAYOUT = 1


@hookimpl
def etl_settings():
    return {
        "compression": Setting("zstd", str, "Parquet compression codec"),
        "row_group_size": Setting(122_880, int, "rows per Parquet row group"),
        "docs_per_file": Setting(5_000, int, "documents per published file (by the order they came in)"),
    }


@hookimpl
def etl_contract():
    return {"load": Contract(reads=(DOC_ORDER_TABLE,))}


@hookimpl
def etl_load(db, config, run):
    settings = config.settings(NAME)
    previous = read_index(run.previous_version)
    layout = {"layout": LAYOUT, "duckdb": duckdb.__version__, "compression": settings["compression"],
              "docs_per_file": settings["docs_per_file"]}
    shared = previous.get("settings") == layout
    index: dict[str, Any] = {"settings": layout, "tables": {}}
    for table, schema in run.tables.items():
        before = previous.get("tables", {}).get(table, {}) if shared else {}
        if before.get("schema") != schema.to_string():
            before = {}
        index["tables"][table] = _publish_table(db, table, schema, settings, run, before)
    write_index(run.staging_dir, index)
    written = list(run.tables)
    for problem in write_catalog(run.staging_dir / CATALOG_NAME, run.staging_dir, written, run.views):
        log.warning("view left out of the catalog: %s", problem)


def _publish_table(db: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, settings: dict[str, Any],
                   run: Any, before: dict[str, Any]) -> dict[str, Any]:
    """Write (or link) the files of one table; returns its index entry {schema, files: {name: digest}}."""
    folder = table_dir(run.staging_dir, table)
    folder.mkdir()
    bucket = _bucket_sql(schema, settings["docs_per_file"])
    source = (f'(SELECT t.*, {bucket} AS _bucket, t.rowid AS _row FROM {_quote(table)} t '
              f'LEFT JOIN {DOC_ORDER_TABLE} o ON {"t.doc_id = o.doc_id" if "doc_id" in schema.names else "false"})')
    buckets = _digests(db, source, schema)
    digests = {file_name(b): digest for b, digest in buckets.items()}
    files = before.get("files", {})
    old_folder = table_dir(run.previous_version, table) if run.previous_version else None
    todo = []
    for bucket, digest in buckets.items():
        name = file_name(bucket)
        if files.get(name) == digest and old_folder is not None and _link(old_folder / name, folder / name):
            continue
        todo.append(bucket)
    if todo:
        _write_files(db, source, schema, settings, folder, todo)
    if not digests:
        pq.write_table(schema.empty_table(), folder / f"{EMPTY}.parquet", compression=settings["compression"])
    return {"schema": schema.to_string(), "files": digests}


def _bucket_sql(schema: pa.Schema, docs_per_file: int) -> str:
    if "doc_id" not in schema.names:
        return "-1"
    return f"coalesce(o.ordinal // {max(1, int(docs_per_file))}, -1)"


def _digests(db: duckdb.DuckDBPyConnection, source: str, schema: pa.Schema) -> dict[int, list[Any]]:
    """{bucket: [rows, digest]}: equal digests, equal rows (in any order; a sum, so repeats count)."""
    columns = ", ".join(f"s.{_quote(c)}" for c in schema.names)
    rows = db.execute(f"SELECT _bucket, count(*), sum(hash({columns})::HUGEINT)::VARCHAR "
                      f"FROM {source} s GROUP BY _bucket").fetchall()
    return {int(bucket): [count, digest] for bucket, count, digest in rows}


def _write_files(db: duckdb.DuckDBPyConnection, source: str, schema: pa.Schema, settings: dict[str, Any],
                 folder: Path, buckets: list[int]) -> None:
    """Write the files of `buckets` in one pass over the table, rows by document within each file."""
    columns = ", ".join(f"s.{_quote(c)}" for c in schema.names)
    wanted = ", ".join(str(b) for b in sorted(buckets))
    # By document, then table order: an incremental enrich appends a changed document's rows at the end of
    # the table, and its file must come out as a run from scratch writes it.
    by_document = "s.doc_id, " if "doc_id" in schema.names else ""
    reader = db.sql(f"SELECT {columns}, s._bucket FROM {source} s WHERE s._bucket IN ({wanted}) "
                    f"ORDER BY s._bucket, {by_document}s._row").to_arrow_reader(settings["row_group_size"])
    writer: pq.ParquetWriter | None = None
    current: int | None = None
    try:
        for batch in reader:
            values = batch.column(len(schema)).to_numpy(zero_copy_only=False)
            cuts = [0, *(np.flatnonzero(np.diff(values)) + 1).tolist(), len(values)]
            for start, end in zip(cuts, cuts[1:]):
                bucket = int(values[start])
                if bucket != current:
                    if writer is not None:
                        writer.close()
                    writer = pq.ParquetWriter(folder / file_name(bucket), schema,
                                              compression=settings["compression"])
                    current = bucket
                rows = pa.Table.from_batches([batch.slice(start, end - start)]).drop_columns(["_bucket"])
                writer.write_table(rows.cast(schema), row_group_size=settings["row_group_size"])
    finally:
        if writer is not None:
            writer.close()


def _link(old: Path, new: Path) -> bool:
    """Share `old` with the new version: a hard link, else a copy; False when `old` is not there."""
    try:
        os.link(old, new)
        return True
    except FileNotFoundError:
        return False
    except OSError:
        try:
            shutil.copy2(old, new)
            return True
        except OSError:
            return False


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
