"""Memory of a run over a JSON Lines file of bad records: does it grow with the number of failures?

    python bench/bad_records.py                      # 200,000 bad lines, --workers 1 and 2
    python bench/bad_records.py --records 1000000
    python bench/bad_records.py --records 50000 --tracemalloc   # where the memory goes, in-process

Writes N lines that each fail alone (not JSON, a JSON array, an object without text, in turn) and
runs `etl run FILE --workers W` (extract switched off: no model is loaded) as a subprocess. Prints the
peak resident memory of the largest process (getrusage of the children: the main process or a
worker) and the peak of all of them together (sampled from /proc every 0.1 s). With --tracemalloc,
runs in this process with one worker and prints where the live memory was at its peak.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

BAD_LINES = (b'{"text": "cut short', b'["not", "an", "object"]', b'{"title": "no text here"}')
CONFIG = '[stages]\nextract = []\n'
PAGE = os.sysconf("SC_PAGE_SIZE")
# Runs the command and reports the largest peak among its processes: getrusage of the bench's own
# children only ever grows, so each run gets a fresh parent.
LAUNCHER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def write_records(path: Path, count: int) -> None:
    with path.open("wb") as handle:
        for start in range(0, count, 10_000):
            handle.write(b"".join(BAD_LINES[i % 3] + b"\n" for i in range(start, min(count, start + 10_000))))


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def family(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except (OSError, ValueError):
                pass
    return found


def measure(path: Path, workers: int, folder: Path) -> tuple[float, float, float, str]:
    """(seconds, largest process's peak MiB, peak MiB of all processes together, summary line)."""
    config = folder / "etl.toml"
    config.write_text(CONFIG)
    out = folder / f"out-{workers}"
    env = dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1")
    command = [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "etl", "run", str(path),
               "--out", str(out), "--workers", str(workers), "--config", str(config), "--json"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    total_peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal total_peak
        while not done.is_set():
            total_peak = max(total_peak, sum(rss(pid) for pid in family(process.pid)))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"etl run failed ({process.returncode}):\n{stderr.decode()[-2000:]}")
    largest = int(stderr.decode().strip().splitlines()[-1])  # KiB, from the launcher
    last = stdout.decode().strip().splitlines()[-1] if stdout.strip() else ""
    return seconds, largest / 1024, total_peak / 2**20, last


def trace(path: Path, folder: Path, top: int) -> None:
    from etl.config import Config
    from etl.run import run

    os.environ["ETL_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    config = Config(out=folder / "out-trace", workers=1, stages={"extract": ()})
    tracemalloc.start(8)
    peak = {"bytes": 0, "snapshot": None}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            current, _ = tracemalloc.get_traced_memory()
            if current > peak["bytes"] * 1.1:
                peak["bytes"], peak["snapshot"] = current, tracemalloc.take_snapshot()
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run([str(path)], config, load_entrypoints=False)
    done.set()
    watcher.join()
    print(f"traced peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB; "
          f"largest snapshot {peak['bytes'] / 2**20:.1f} MiB, by line:")
    if peak["snapshot"] is not None:
        for stat in peak["snapshot"].statistics("lineno")[:top]:
            frame = stat.traceback[0]
            print(f"  {stat.size / 2**20:8.1f} MiB {stat.count:>9,} blocks  {frame.filename}:{frame.lineno}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="bad lines to write (default 200,000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tracemalloc", action="store_true", help="in-process, one worker: where memory goes")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="etl-bad-records-") as tmp:
        folder = Path(tmp)
        path = folder / "bad.jsonl"
        write_records(path, args.records)
        print(f"{args.records:,} bad records, {path.stat().st_size / 2**20:.1f} MiB")
        if args.tracemalloc:
            trace(path, folder, args.top)
            return
        for workers in args.workers:
            seconds, largest, together, _ = measure(path, workers, folder)
            print(f"--workers {workers}: {seconds:6.1f} s, peak RSS largest process {largest:7.0f} MiB, "
                  f"all processes together {together:7.0f} MiB")


if __name__ == "__main__":
    main()
