"""entity_links: a full call against an incremental one, on an existing output folder (measurement only).

    python bench/entity_links_incremental.py OUT [--add 22] [--change 0] [--remove 0]

OUT is an output folder whose extraction layer is read (never written). The last `--add` documents (by
doc_id) are left out of a first full call; then, as the host would, the rows of `--change` and `--remove`
documents are deleted, the added and changed documents' rows are inserted as extracted, and the plugin is
called with `etl.Changes`. Its provided columns must equal those of a full call over the final corpus: the
script says whether they do, and the seconds of each call.
"""

from __future__ import annotations

import argparse
import time
from contextlib import closing
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

import etl_plugins.entities.links as entity_links
from etl import Changes, Config
from etl.manager import get_plugin_manager
from etl.pipeline import Pipeline
from etl.store import Store

PROVIDED = {"entities": ("doc_id", "mention_id", "label", "entity_id", "canonical_name"),
            "claims": ("doc_id", "claim_id", "speaker_entity_id")}


def extraction_layer(out: Path) -> duckdb.DuckDBPyConnection:
    config = Config(out=out)
    pipeline = Pipeline(get_plugin_manager(disabled=config.disable), config)
    db = duckdb.connect()
    with closing(Store.open(out)) as store:
        store.parts.load_tables(db, {t: s for t, s in pipeline.tables.items() if t not in ("runs", "errors")})
    return db


def doc_tables(db) -> list[str]:
    return [t for (t,) in db.execute("SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'doc_id' "
                                     "AND table_name NOT LIKE '%\\_\\_%' ESCAPE '\\'").fetchall()]


def copy_without(source, docs: set[str]) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    gone = pa.array(sorted(docs), pa.string())
    for (table,) in source.execute("SHOW TABLES").fetchall():
        data = source.sql(f'SELECT * FROM "{table}"').to_arrow_table()
        if "doc_id" in data.column_names and len(gone):
            data = data.filter(pc.invert(pc.is_in(data["doc_id"], gone)))
        db.register("_data", data)
        db.execute(f'CREATE TABLE "{table}" AS SELECT * FROM _data')
        db.unregister("_data")
    return db


def provided(db) -> dict[str, list[tuple]]:
    return {t: db.execute(f"SELECT {', '.join(c)} FROM {t} ORDER BY ALL").fetchall() for t, c in PROVIDED.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--add", type=int, default=22)
    parser.add_argument("--change", type=int, default=0)
    parser.add_argument("--remove", type=int, default=0)
    args = parser.parse_args()
    extracted = extraction_layer(args.out)
    docs = [d for (d,) in extracted.execute("SELECT doc_id FROM articles ORDER BY doc_id").fetchall()]
    added = set(docs[len(docs) - args.add:])
    changed = set(docs[:args.change])
    removed = set(docs[args.change:args.change + args.remove])
    final = copy_without(extracted, removed)
    start = time.perf_counter()
    entity_links.etl_enrich(db=final, config=Config(), changes=None)
    full_seconds = time.perf_counter() - start
    state = copy_without(extracted, added)
    entity_links.etl_enrich(db=state, config=Config(), changes=None)
    gone, new = sorted(changed | removed), sorted(changed | added)
    for table in doc_tables(state):
        state.execute(f'DELETE FROM "{table}" WHERE list_contains(?, doc_id)', [gone])
        rows = extracted.execute(f'SELECT * FROM "{table}" WHERE list_contains(?, doc_id)', [new]).to_arrow_table()
        state.register("_rows", rows)
        state.execute(f'INSERT INTO "{table}" SELECT * FROM _rows')
        state.unregister("_rows")
    state.execute("CHECKPOINT")  # the host keeps the state between runs: the previous run's updates are settled
    start = time.perf_counter()
    entity_links.etl_enrich(db=state, config=Config(),
                            changes=Changes(added=frozenset(added | changed), removed=frozenset(changed | removed)))
    incremental_seconds = time.perf_counter() - start
    equal = provided(state) == provided(final)
    print(f"documents {len(docs) - len(removed)}: full {full_seconds:.2f} s, incremental (+{len(added)} "
          f"~{len(changed)} -{len(removed)}) {incremental_seconds:.2f} s, equal to full: {equal}")


if __name__ == "__main__":
    main()
