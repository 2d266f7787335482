"""The extraction layer (`.etl/parts/<part>/<table>.parquet`): one folder of Parquet files per batch.

Workers write part folders; the manifest says which documents of which part are live. This module
merges small or mostly dead parts (`compact`) and loads the live rows into DuckDB for enrich
(`load_tables`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import closing
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .manifest import Manifest

#: Parts holding fewer live documents than this are merged by `compact`.
COMPACT_TARGET_DOCS = 10_000


class Parts:
    """The part folders of one output folder, read and rewritten as the manifest says."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest

    def sweep(self) -> None:
        """Remove part folders no committed outcome names (a killed run's, or a merge's leftovers)."""
        live = set(self.manifest.part_sizes())
        for entry in self.folder.iterdir():
            if entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)

    def compact(self, tables: dict[str, pa.Schema], run_id: str, target: int = COMPACT_TARGET_DOCS) -> int:
        """Drop dead parts and merge small or mostly dead ones; returns the number of parts rewritten.

        A run that changed nothing finds nothing to do here, so it rewrites nothing.
        """
        live = self.manifest.live_parts()
        sizes = self.manifest.part_sizes()
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
            self.manifest.forget_parts(dead)
            for part in dead:
                shutil.rmtree(self.folder / part, ignore_errors=True)
        return rewritten

    def _merge(self, group: list[str], tables: dict[str, pa.Schema], run_id: str) -> None:
        new = f"{run_id}-merged-{uuid.uuid4().hex[:12]}"
        staging = self.folder / f"{new}.tmp"
        staging.mkdir()
        with closing(duckdb.connect()) as con:
            con.register("live", self.live_docs_arrow(group))
            for table, schema in tables.items():
                files = self.files(group, table)
                if not files:
                    continue
                rows = con.sql(
                    f"SELECT t.* EXCLUDE (filename) FROM read_parquet(?, filename = true) t "
                    f"SEMI JOIN live l ON t.doc_id = l.doc_id AND t.filename = l.dir || '/{table}.parquet'",
                    params=[files]).to_arrow_table()
                if rows.num_rows:
                    pq.write_table(rows.select(schema.names).cast(schema), staging / f"{table}.parquet",
                                   compression="zstd")
        os.rename(staging, self.folder / new)
        self.manifest.replace_parts(group, new, run_id)
        for part in group:
            shutil.rmtree(self.folder / part, ignore_errors=True)

    def files(self, parts: list[str], table: str) -> list[str]:
        return [str(self.folder / p / f"{table}.parquet") for p in parts
                if (self.folder / p / f"{table}.parquet").exists()]

    def live_docs_arrow(self, parts: list[str] | None = None) -> pa.Table:
        rows = self.manifest.live_docs(parts)
        return pa.table({
            "doc_id": pa.array([r[0] for r in rows], pa.string()),
            "dir": pa.array([str(self.folder / r[1]) for r in rows], pa.string()),
        })

    def load_tables(self, con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Schema]) -> None:
        """Create every table in `con` with the current rows of the extraction layer."""
        con.register("_live_docs", self.live_docs_arrow())
        parts = sorted(self.manifest.live_parts())
        for table, schema in tables.items():
            con.register("_empty", schema.empty_table())
            con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _empty')
            con.unregister("_empty")
            files = self.files(parts, table)
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
