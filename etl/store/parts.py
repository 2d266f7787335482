"""The extraction layer (`.etl/parts/<part>/<table>.parquet`): one folder of Parquet files per batch.

Workers write part folders; the manifest says which documents of which part are live and which files
each part was written with. This module checks the folders against that record (`verify`), merges
small or mostly dead parts (`compact`) and loads the live rows into DuckDB for enrich (`load_tables`).

Only the recorded files are read: a file that appeared in a part folder later is not part of it. A
part whose file is missing, of another size, or unreadable is *damaged*: `verify` and the readers
report it (`DamagedParts`) and the run takes its documents out of the layer to extract them again.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import StoreError
from ..tasks import part_files
from .manifest import Manifest

#: Parts holding fewer live documents than this are merged by `compact`.
COMPACT_TARGET_DOCS = 10_000
#: A part is merged into the newer ones after it when it holds at most this many times their documents.
MERGE_RATIO = 4
#: What the name of a part made by `compact` says after its run id.
MERGED = "merged"


def merge_groups(live: dict[str, int], sizes: dict[str, int], target: int) -> list[list[str]]:
    """The parts to rewrite, in groups that each become one part: `live` and `sizes` are each part's live
    and recorded documents.

    As in a log-structured merge, the parts under `target` documents are taken from oldest to newest (`_age`)
    onto a stack, and the two newest groups on it are merged while they come from one run or the older holds
    at most `MERGE_RATIO` times the newer's documents. The parts of one run merge into one; a run that adds 1%
    to a corpus leaves its part beside the corpus's instead of rewriting the corpus with it.
    A document is rewritten about log(target) / log(MERGE_RATIO + 1) times in its life, and the parts stay
    few: about `MERGE_RATIO` of each size. A part more than half dead is rewritten whatever its size.
    """
    stack: list[tuple[list[str], int]] = []
    for part in sorted((p for p, n in live.items() if n < target), key=_age):
        stack.append(([part], live[part]))
        while (len(stack) > 1 and stack[-2][1] + stack[-1][1] <= target
               and (stack[-2][1] <= MERGE_RATIO * stack[-1][1] or _run_of(stack[-2][0][-1]) == _run_of(part))):
            (newer, count), (older, before) = stack.pop(), stack.pop()
            stack.append((older + newer, before + count))
    groups = [group for group, _ in stack if len(group) > 1]
    merged = {part for group in groups for part in group}
    groups += [[part] for part, n in sorted(live.items())
               if part not in merged and n < sizes.get(part, n) / 2]
    return groups


def merged_part_name(group: list[str]) -> str:
    """The name of the part `group` (oldest first) becomes: after the run of its newest documents, not the
    run that merges it, so that it keeps its place among the parts by age (`_age`)."""
    return f"{_run_of(group[-1])}-{MERGED}-{uuid.uuid4().hex[:12]}"


def _run_of(part: str) -> str:
    """The id of the run whose documents `part` holds, the newest of them for a merged part (`<run id>-<suffix>`;
    a run id is `<time>-<hex>`, so that run ids sort by time)."""
    return "-".join(part.split("-", 2)[:2])


def _age(part: str) -> tuple[str, bool, str]:
    """Parts in the order their documents came: by run, and within a run a merged part (which holds the run's
    first documents, and maybe older ones) before the run's own."""
    return _run_of(part), not part.split("-", 2)[2].startswith(f"{MERGED}-"), part


class DamagedParts(StoreError):
    """Part files are missing or unreadable; `damaged` says which parts, and why."""

    def __init__(self, damaged: dict[str, str]) -> None:
        self.damaged = damaged
        part, why = next(iter(damaged.items()))
        more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
        super().__init__(f"part {part} of the extraction layer is damaged: {why}{more}")


class Parts:
    """The part folders of one output folder, read and rewritten as the manifest says."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest

    def sweep(self) -> None:
        """Remove part folders no committed outcome names (a killed run's, or a merge's leftovers)."""
        live = set(self.manifest.part_sizes())
        for entry in self.folder.iterdir():
            if entry.name in live:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:  # an outcome's spool (`SourceOutcome.spill`) left by a killed run
                entry.unlink(missing_ok=True)

    def verify(self) -> dict[str, str]:
        """Check every live part's recorded files; returns {part: what is wrong} for the damaged ones.

        Cheap on purpose, since every run does it: a `stat` per file, and the Parquet footer only of a
        file whose modification time differs from the record (copied, restored, or rewritten in place).
        A file of another size is damaged without reading it. Parts recorded before files were
        recorded are checked by footer once, and their files recorded.
        """
        damaged: dict[str, str] = {}
        for part, files in self.manifest.part_files().items():
            folder = self.folder / part
            if files is None:
                # Written before parts recorded their files: what is there now, if readable, is taken as
                # what was written (a file lost before this check cannot be told from one never written).
                present = sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []
                problems = [_footer_problem(folder / f"{table}.parquet") for table in present]
                if not present:
                    damaged[part] = f"the part folder {folder} is missing or holds no Parquet file"
                elif any(problems):
                    damaged[part] = next(p for p in problems if p)
                else:
                    self.manifest.record_part_files(part, part_files(folder, present))
                continue
            restamped = dict(files)
            for table, (size, mtime_ns) in files.items():
                path = folder / f"{table}.parquet"
                try:
                    stat = path.stat()
                except OSError as exc:
                    damaged[part] = f"{path} is missing" if isinstance(exc, FileNotFoundError) else \
                        f"cannot read {path}: {exc.strerror}"
                    break
                if stat.st_size != size:
                    damaged[part] = f"{path} has {stat.st_size} bytes, it was written with {size}"
                    break
                if stat.st_mtime_ns != mtime_ns:
                    if problem := _footer_problem(path):
                        damaged[part] = problem
                        break
                    restamped[table] = [size, stat.st_mtime_ns]
            else:
                if restamped != files:
                    self.manifest.record_part_files(part, restamped)
        return damaged

    def check_files(self, parts: list[str]) -> dict[str, str]:
        """Read every recorded file of `parts` whole: the slow check, for when a reader failed."""
        damaged: dict[str, str] = {}
        for part, files in self.manifest.part_files(parts).items():
            for table in files or {}:
                path = self.folder / part / f"{table}.parquet"
                try:
                    pq.read_table(path)
                except Exception as exc:  # noqa: BLE001 - any failure to read the file is what we look for
                    damaged[part] = f"cannot read {path}: {type(exc).__name__}: {exc}"
                    break
        return damaged

    def compact(self, tables: dict[str, pa.Schema], run_id: str, target: int = COMPACT_TARGET_DOCS) -> int:
        """Drop dead parts and merge small or mostly dead ones; returns the number of parts rewritten.

        A run that changed nothing finds nothing to do here, so it rewrites nothing.
        """
        live = self.manifest.live_parts()
        sizes = self.manifest.part_sizes()
        dead = [p for p in sizes if p not in live]
        rewritten = 0
        for group in merge_groups(live, sizes, target):
            self._merge(group, tables, run_id)
            rewritten += len(group)
        if dead:
            self.manifest.forget_parts(dead)
            for part in dead:
                shutil.rmtree(self.folder / part, ignore_errors=True)
        return rewritten

    def _merge(self, group: list[str], tables: dict[str, pa.Schema], run_id: str) -> None:
        new = merged_part_name(group)
        staging = self.folder / f"{new}.tmp"
        staging.mkdir()
        written = []
        with closing(duckdb.connect()) as con, self._reading(group):
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
                    written.append(table)
        os.rename(staging, self.folder / new)
        self.manifest.replace_parts(group, new, run_id, part_files(self.folder / new, written))
        for part in group:
            shutil.rmtree(self.folder / part, ignore_errors=True)

    def files(self, parts: list[str], table: str) -> list[str]:
        """The recorded `table` files of `parts` (a part written without rows for `table` has none)."""
        recorded = self.manifest.part_files(parts)
        return [str(self.folder / p / f"{table}.parquet") for p in parts
                if table in (recorded.get(p) or {})]

    @contextmanager
    def _reading(self, parts: list[str]) -> Iterator[None]:
        """Turn a reader's failure on a damaged part file into `DamagedParts`, naming the parts."""
        try:
            yield
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT) or \
                    "No space left on device" in str(exc):
                raise  # a full disk while writing, not a damaged part: not worth reading every part for
            damaged = self.check_files(parts)
            if not damaged:
                raise
            raise DamagedParts(damaged) from exc

    def live_docs_arrow(self, parts: list[str] | None = None, live: pa.Table | None = None) -> pa.Table:
        """(doc_id, dir) of the live documents (of `parts`), or of `live` ((doc_id, part) rows): `dir` is the
        part folder the rows are in."""
        live = self.manifest.live_docs(parts) if live is None else live
        folders = {part: str(self.folder / part) for part in live.column("part").unique().to_pylist()}
        keys = pa.array(list(folders), pa.string())
        dirs = pa.array(list(folders.values()), pa.string())
        return pa.table({"doc_id": live.column("doc_id"),
                         "dir": dirs.take(pc.index_in(live.column("part"), value_set=keys))})

    def load_tables(self, con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Schema]) -> None:
        """Create every table in `con` with the current rows of the extraction layer."""
        for table, schema in tables.items():
            con.register("_empty", schema.empty_table())
            con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _empty')
            con.unregister("_empty")
        self.insert_documents(con, tables, self.live_docs_arrow())

    def insert_documents(self, con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Schema], docs: pa.Table) -> None:
        """Append to the tables in `con` the rows of `docs` ((doc_id, dir), as `live_docs_arrow` gives),
        reading only the parts that hold them."""
        parts = sorted({Path(d).name for d in docs.column("dir").unique().to_pylist()})
        if not parts:
            return
        con.register("_live_docs", docs)
        with self._reading(parts):
            for table, schema in tables.items():
                files = self.files(parts, table)
                if not files:
                    continue
                columns = ", ".join(f't."{c}"' for c in schema.names)
                # Part names are random, so rows are put in one canonical order: enrich and the published
                # files come out the same whichever batches and workers the documents went through.
                con.execute(
                    f'INSERT INTO "{table}" SELECT {columns} FROM read_parquet(?, filename = true, '
                    f"file_row_number = true, union_by_name = true) t SEMI JOIN _live_docs l "
                    f"ON t.doc_id = l.doc_id AND t.filename = l.dir || '/{table}.parquet' "
                    f"ORDER BY t.doc_id, t.file_row_number", [files])
        con.unregister("_live_docs")


def _footer_problem(path: Path) -> str | None:
    """What is wrong with `path`'s Parquet footer, or None: reads the metadata only, not the rows."""
    try:
        pq.read_metadata(path)
    except FileNotFoundError:
        return f"{path} is missing"
    except Exception as exc:  # noqa: BLE001 - any failure to read the footer means the file is damaged
        return f"{path} is not a readable Parquet file ({type(exc).__name__}: {exc})"
    return None
