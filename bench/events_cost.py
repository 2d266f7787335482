"""What the `events` extract and `event_links` enrich cost: `etl run` on the same BBC sample with and without them.

    python bench/events_cost.py --docs 500 --workers 2 --repeat 3

Alternates N pairs (with the default plugins / with `--disable events --disable event_links`), each into a fresh
--out, and prints wall, extract and enrich seconds from the `--json` timings with the 1-minute load average at the
start of each run (other work on the machine skews every figure). Then one run with ETL_TRACE_PLUGINS=1 and the
per-plugin sums of the traced hook durations (summed over worker processes, so CPU-ish seconds, not wall).
The sample is bench/throughput.py's (topic folders in turn), copied to a temporary folder.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=throughput.CORPUS)
    args = parser.parse_args()
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
