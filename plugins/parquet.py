"""Publish every table as one Parquet file (zstd) with its declared schema, plus the DuckDB catalog."""

from __future__ import annotations

import logging

import pyarrow.parquet as pq

from etl import CATALOG_NAME, Setting, hookimpl, write_catalog

NAME = "parquet"
log = logging.getLogger(__name__)


@hookimpl
def etl_settings():
    return {
        "compression": Setting("zstd", str, "Parquet compression codec"),
        "row_group_size": Setting(122_880, int, "rows per Parquet row group"),
    }


@hookimpl
def etl_load(db, config, run):
    settings = config.settings(NAME)
    written = []
    for table, schema in run.tables.items():
        reader = db.sql(f'SELECT {", ".join(_quote(c) for c in schema.names)} FROM {_quote(table)}') \
            .to_arrow_reader(settings["row_group_size"])
        with pq.ParquetWriter(run.staging_dir / f"{table}.parquet", schema,
                              compression=settings["compression"]) as writer:
            for batch in reader:
                writer.write_batch(batch.cast(schema), row_group_size=settings["row_group_size"])
        written.append(table)
    for problem in write_catalog(run.staging_dir / CATALOG_NAME, run.staging_dir, written, run.views):
        log.warning("view left out of the catalog: %s", problem)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
