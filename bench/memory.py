"""Where a run's memory goes, and whether a worker's grows with the corpus (Linux: reads /proc).

    python bench/memory.py --docs 500 2225 --workers 2
    python bench/memory.py --docs 2225 --set spacy.memory_zone=false   # without spaCy's memory zones

For each corpus size, runs `etl run` on that many BBC articles and samples the resident memory of
the main process and of each worker every 0.2 s. A worker's memory is printed at the quarters of its
life (the last at 95%, before it shuts down): flat from the second quarter on means the
per-document stages do not grow with the corpus; the first quarter includes loading the model.
Then, in this process, it breaks one worker's memory down: the Python packages the plugins
import, the spaCy model, and one batch of 64 articles.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import CORPUS, sample  # noqa: E402

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mb(pid: int) -> float | None:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_MB
    except (OSError, IndexError, ValueError):
        return None


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(c) for c in task.read_text().split())
        except OSError:
            pass
    return found


def watch(pid: int, series: dict[int, list[float]], stop: threading.Event) -> None:
    """Samples `pid` and its descendants until `stop`; `series[pid]` lists each one's RSS in MB."""
    while not stop.is_set():
        todo = [pid]
        while todo:
            current = todo.pop()
            value = rss_mb(current)
            if value is not None:
                series.setdefault(current, []).append(value)
            todo.extend(children(current))
        time.sleep(0.2)


def quarters(values: list[float]) -> str:
    # The last samples are the process shutting down; the fourth quarter ends at 95% of its life.
    picks = [values[min(len(values) - 1, round(q * (len(values) - 1)))] for q in (0.25, 0.5, 0.75, 0.95)]
    return " → ".join(f"{v:5.0f}" for v in picks) + f"   (peak {max(values):.0f})"


def run_and_watch(corpus: Path, out: Path, workers: int, extra: list[str]) -> None:
    command = [sys.executable, "-m", "etl", "run", str(corpus), "--out", str(out), "--workers", str(workers),
               "--json", *extra]
    series: dict[int, list[float]] = {}
    stop = threading.Event()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1"))
    watcher = threading.Thread(target=watch, args=(process.pid, series, stop))
    watcher.start()
    _, stderr = process.communicate()
    stop.set()
    watcher.join()
    if process.returncode:
        sys.exit(f"etl run failed:\n{stderr}")
    main = series.pop(process.pid)
    # Workers are the children that load a model; helpers (the resource tracker) stay small.
    workers_series = [s for s in series.values() if len(s) >= 10 and max(s) > 200]
    print(f"  main process MB at its quarters:  {quarters(main)}")
    for i, values in enumerate(workers_series, 1):
        print(f"  worker {i} MB at its quarters:      {quarters(values)}")


def breakdown(corpus: Path) -> None:
    """One worker's memory, piece by piece, in this process."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    me = os.getpid()
    start = rss_mb(me)
    from etl.manager import get_plugin_manager

    get_plugin_manager(load_entrypoints=False)
    imported = rss_mb(me)
    import etl_plugins.spacy.plugin as spacy_nlp

    nlp = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))
    loaded = rss_mb(me)
    texts = [p.read_text(errors="replace") for p in sorted(corpus.glob("*.txt"))[:64]]
    docs = list(nlp.pipe(texts))
    parsed = rss_mb(me)
    strings = len(nlp.vocab.strings)
    print(f"  Python, etl and the plugins' imports: {imported:6.0f} MB "
          f"(interpreter {start:.0f})")
    print(f"  the spaCy model:                      {loaded - imported:6.0f} MB")
    print(f"  one batch of 64 articles parsed:      {parsed - loaded:6.0f} MB "
          f"({sum(len(d) for d in docs)} tokens; {strings} strings interned)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[500, 2225])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--set", action="append", default=[], help="a config override, e.g. spacy.memory_zone=false")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"skipped: the BBC corpus is not at {args.corpus}")
        return
    extra = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.set:
            config = Path(tmp) / "etl.toml"
            lines = []
            for item in args.set:
                key, value = item.split("=", 1)
                plugin, setting = key.split(".", 1)
                lines.append(f"[plugins.{plugin}]\n{setting} = {value}\n")
            config.write_text("".join(lines))
            extra = ["--config", str(config)]
        for count in args.docs:
            texts = Path(tmp) / f"texts{count}"
            texts.mkdir()
            n = sample(args.corpus, count, texts)
            print(f"{n} BBC articles, {args.workers} workers {' '.join(args.set)}")
            run_and_watch(texts, Path(tmp) / f"out{count}", args.workers, extra)
        print("one worker's memory, piece by piece:")
        breakdown(Path(tmp) / f"texts{args.docs[0]}")


if __name__ == "__main__":
    main()
