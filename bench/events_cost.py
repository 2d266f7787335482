"""What the `events` extract and `event_links` enrich cost: `etl run` on the same BBC sample with and without them.

    python bench/events_cost.py --docs 500 --workers 2 --repeat 3

Alternates N pairs (with the default plugins / with `--disable events --disable event_links`), each into a fresh
--out, and prints wall, extract and enrich seconds from the `--json` timings with the 1-minute load average at the
start of each run (other work on the machine skews every figure). Then one run with ETL_TRACE_PLUGINS=1 and the
per-plugin sums of the traced hook durations (summed over worker processes, so CPU-ish seconds, not wall).
The sample is bench/throughput.py's (topic folders in turn), copied to a temporary folder.

    python bench/events_cost.py --links-only OUT [--add 22] [--remove 0] [--seed 1]

`event_links` alone, at plugin level, on the tables an output folder publishes (read, never written): a full call
on the corpus without `--add` random documents (and with one changed document and two touched ones: their
entity ids and copy group as they were before), the host's swap simulated, the incremental call timed, then a full
call on the final corpus timed and compared with it: every `events` value event_links provides and its working
tables must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput  # bench/ is not a package

TRACE = re.compile(r"etl trace \[[^\]]*\] (\w+) (\S+) ([\d.]+) ms")
OFF = ("--disable", "events", "--disable", "event_links")


def run(corpus: Path, out: Path, workers: int, extra: tuple[str, ...] = (), trace: bool = False) -> dict:
    env = dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1")
    if trace:
        env["ETL_TRACE_PLUGINS"] = "1"
    load = os.getloadavg()[0]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "etl", "run", str(corpus), "--out", str(out), "--workers",
                             str(workers), "--json", *extra], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"etl run failed:\n{result.stderr}")
    summary = json.loads(result.stdout)
    summary["wall"] = time.perf_counter() - started
    summary["load"] = load
    summary["stderr"] = result.stderr
    return summary


LINKS_TABLES = ("articles", "events", "dates", "entities")
LINKS_PROVIDED = ("event_id", "agent_entity_id", "patient_entity_id", "place_entity_id")


def links_only(out: Path, add: int, remove: int, seed: int) -> None:
    import random

    import duckdb
    import pyarrow as pa

    from etl import Changes, read_published
    from etl.config import Config
    from etl_plugins.events import links, stories

    published = {name: read_published(out, name) for name in LINKS_TABLES}
    config = Config(plugins={links.NAME: {n: s.default for n, s in links.etl_settings().items()}})

    def database(skip: set[str]) -> duckdb.DuckDBPyConnection:
        db = duckdb.connect()
        db.execute("SET enable_progress_bar = false")
        db.register("_skip", pa.table({"doc_id": pa.array(sorted(skip), pa.string())}))
        for name, table in published.items():
            db.register("_rows", table)
            db.execute(f"CREATE TABLE {name} AS SELECT * FROM _rows WHERE doc_id NOT IN (SELECT doc_id FROM _skip)")
            db.unregister("_rows")
        db.unregister("_skip")
        db.execute(f"UPDATE events SET {', '.join(c + ' = NULL' for c in LINKS_PROVIDED)}")
        return db

    docs = sorted(published["articles"].column("doc_id").to_pylist())
    picked = random.Random(seed).sample(docs, add + remove + 3)
    added, removed = set(picked[:add]), set(picked[add:add + remove])
    changed, touched_entities, touched_copy = picked[-3:]
    state = database(added)
    state.execute("UPDATE articles SET text = substr(text, 1, length(text) // 2) WHERE doc_id = ?", [changed])
    state.execute("UPDATE entities SET entity_id = NULL WHERE doc_id = ?", [touched_entities])
    state.execute("UPDATE articles SET dup_group = doc_id WHERE doc_id = ?", [touched_copy])
    started = time.perf_counter()
    links.etl_enrich(db=state, config=config, changes=None)
    before = time.perf_counter() - started
    final = database(removed)
    swapped = sorted(added | {changed})
    for name in LINKS_TABLES:
        state.execute(f"DELETE FROM {name} WHERE doc_id IN (SELECT unnest(?))", [sorted(removed | {changed})])
        rows = final.execute(f"SELECT * FROM {name} WHERE doc_id IN (SELECT unnest(?))", [swapped]).fetchall()
        if rows:
            state.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    for mention_id, entity_id in final.execute("SELECT mention_id, entity_id FROM entities WHERE doc_id = ?",
                                               [touched_entities]).fetchall():
        state.execute("UPDATE entities SET entity_id = ? WHERE mention_id = ?", [entity_id, mention_id])
    state.execute("UPDATE articles SET dup_group = ? WHERE doc_id = ?",
                  [final.execute("SELECT dup_group FROM articles WHERE doc_id = ?", [touched_copy]).fetchall()[0][0],
                   touched_copy])
    changes = Changes(added=frozenset(added | {changed}), removed=frozenset(removed | {changed}),
                      touched=frozenset({touched_entities, touched_copy}))
    started = time.perf_counter()
    links.etl_enrich(db=state, config=config, changes=changes)
    incremental = time.perf_counter() - started
    started = time.perf_counter()
    links.etl_enrich(db=final, config=config, changes=None)
    full = time.perf_counter() - started
    query = f"SELECT event_mention_id, {', '.join(LINKS_PROVIDED)} FROM events ORDER BY 1"
    equal = state.execute(query).fetchall() == final.execute(query).fetchall()
    kept = all(state.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
               == final.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
               for t in (stories.VECTORS, stories.TERMS, stories.SELECTED, stories.PAIRS, stories.STORIES))
    print(f"{len(docs)} documents in {out}: +{add} added, -{remove} removed, 1 changed, 2 touched; load1 "
          f"{os.getloadavg()[0]:.2f}\n  event_links full call on corpus A {before:.2f} s; incremental call "
          f"{incremental:.2f} s; full call on the final corpus {full:.2f} s ({incremental / full:.1%})\n"
          f"  events equal to the full call: {equal}; working tables equal: {kept}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links-only", type=Path, metavar="OUT", help="event_links alone, full and incremental, "
                        "on the tables OUT publishes (see above)")
    parser.add_argument("--add", type=int, default=22)
    parser.add_argument("--remove", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=throughput.CORPUS)
    args = parser.parse_args()
    if args.links_only:
        links_only(args.links_only, args.add, args.remove, args.seed)
        return
    with tempfile.TemporaryDirectory() as tmp:
        texts = Path(tmp) / "texts"
        texts.mkdir()
        n = throughput.sample(args.corpus, args.docs, texts)
        print(f"{n} BBC articles, {args.workers} workers")
        seen: dict[str, list[dict]] = defaultdict(list)
        for attempt in range(args.repeat):
            order = [("with", ()), ("without", OFF)]
            if attempt % 2:
                order.reverse()  # alternate which goes first
            for label, extra in order:
                s = run(texts, Path(tmp) / f"out-{label}-{attempt}", args.workers, extra)
                seen[label].append(s)
                t = s["timings"]
                print(f"pair {attempt + 1} {label:7s} events: wall {s['wall']:6.1f} s  "
                      f"extract {t['extract']:6.1f} s  enrich {t['enrich']:5.2f} s  "
                      f"events rows {s['rows'].get('events', 0):6d}  load1 {s['load']:.2f}")
        for key in ("wall", "extract", "enrich") if args.repeat else ():
            w = [s[key] if key == "wall" else s["timings"][key] for s in seen["with"]]
            wo = [s[key] if key == "wall" else s["timings"][key] for s in seen["without"]]
            diffs = [a - b for a, b in zip(w, wo)]
            paired = ", ".join(f"{d:+.2f}" for d in diffs)
            print(f"{key:8s} median with {statistics.median(w):6.2f}  without {statistics.median(wo):6.2f}  "
                  f"paired differences {paired} (median {statistics.median(diffs):+.2f})")

        traced = run(texts, Path(tmp) / "out-trace", args.workers, trace=True)
        sums: dict[tuple[str, str], float] = defaultdict(float)
        for line in traced["stderr"].splitlines():
            m = TRACE.search(line)
            if m:
                sums[(m.group(1), m.group(2))] += float(m.group(3)) / 1000
        print(f"\ntraced run: wall {traced['wall']:.1f} s, extract {traced['timings']['extract']:.1f} s, "
              f"enrich {traced['timings']['enrich']:.2f} s, load1 {traced['load']:.2f}")
        for hook in sorted({h for h, _ in sums}):
            total = sum(v for (h, _), v in sums.items() if h == hook)
            if total < 0.05:
                continue
            print(f"{hook}: {total:.1f} s summed over processes")
            for (h, plugin), v in sorted(sums.items(), key=lambda kv: -kv[1]):
                if h == hook:
                    print(f"    {plugin:16s} {v:8.2f} s  {v / total:6.1%}")


if __name__ == "__main__":
    main()
