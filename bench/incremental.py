"""Cost in proportion to what changed: a full run on BBC, an unchanged re-run, +1% new documents, and
a run from scratch over the same files, with the published tables of the last two compared, and how
each run enriched (incrementally or over the whole corpus) with each enrich plugin's seconds.

    python bench/incremental.py                    # all 2,225 BBC articles + 22 rewritten ones
    python bench/incremental.py --docs 500 --added 5

The added documents are rewrites of corpus articles made here (paragraphs reordered, a sentence
dropped, reporting verbs changed), so that copy detection, entity and event clusters have something
to join. Each timing is the wall-clock of `etl run` as a subprocess (model loading included), but one:
the same +1% inside an `etl run --watch` process that one new document warmed up (models loaded), timed
by the run itself, from the state before the +1% over the same input folder. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import CORPUS, sample  # noqa: E402

REPORTING = {"said": "told reporters", "says": "told the BBC", "added": "went on to say"}


def rewrite(text: str) -> str:
    """A rewrite an outlet might publish: the lead kept, the rest reordered, one sentence dropped."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()] or [text]
    head, rest = paragraphs[:2], paragraphs[2:]
    rest = rest[::-1]
    if len(rest) > 2:
        sentences = re.split(r"(?<=[.!?])\s+", rest[1])
        rest[1] = " ".join(sentences[1:]) or rest[1]
    body = "\n\n".join(head + rest)
    return re.sub(r"\b(said|says|added)\b", lambda m: REPORTING[m.group(1)], body)


def etl_run(corpus: Path, out: Path, workers: int) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "etl", "run", str(corpus), "--out", str(out),
                             "--workers", str(workers), "--json"], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(result.stdout)


def warm_run(corpus: Path, out: Path, workers: int, warmup: tuple[str, str], added: dict[str, str]) -> dict:
    """The run of `added` files inside one `etl run --watch` process whose models a first new document
    (`warmup`: name, text) loaded: what a long-lived process pays for +1%. The files are written right after
    a run ends, while the process waits, so its next look sees all of them. Returns that run's summary."""
    process = subprocess.Popen([sys.executable, "-m", "etl", "run", str(corpus), "--out", str(out), "--workers",
                                str(workers), "--watch", "5", "--json"], stdout=subprocess.PIPE, text=True)

    def next_run_with_new_documents() -> dict:
        while True:
            summary = json.loads(process.stdout.readline())
            if summary["documents"]["new"]:
                return summary

    try:
        json.loads(process.stdout.readline())  # the first look: nothing new
        (corpus / warmup[0]).write_text(warmup[1])
        next_run_with_new_documents()
        for name, text in added.items():
            (corpus / name).write_text(text)
        return next_run_with_new_documents()
    finally:
        process.terminate()
        process.wait(timeout=120)


def differing_rows(a: Path, b: Path) -> dict[str, int]:
    """Per table, rows in one output folder's tables but not the other's (run ids and times left out)."""
    con = duckdb.connect()
    found = {}
    for folder in sorted(p.name for p in (a / "tables").iterdir() if p.is_dir()):
        if folder == "runs":
            continue
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{a}/tables/{folder}/*.parquet'").fetchall()
                   if r[0] not in ("run_id", "at")]
        select = ", ".join(f'"{c}"' for c in columns)
        found[folder] = sum(con.execute(
            f"SELECT count(*) FROM (SELECT {select} FROM '{x}/tables/{folder}/*.parquet' EXCEPT ALL "
            f"SELECT {select} FROM '{y}/tables/{folder}/*.parquet')").fetchone()[0] for x, y in ((a, b), (b, a)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2225)
    parser.add_argument("--added", type=int, default=None, help="rewritten documents to add (default 1%%)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"no BBC corpus at {CORPUS}")
    added = args.added if args.added is not None else max(1, round(args.docs / 100))
    with tempfile.TemporaryDirectory(prefix="etl-incremental-") as tmp:
        work = Path(tmp)
        corpus = work / "in"
        corpus.mkdir()
        count = sample(CORPUS, args.docs, corpus)
        rows = []
        full, summary = etl_run(corpus, work / "out", args.workers)
        rows.append((f"full ({count} docs)", full, summary))
        seconds, summary = etl_run(corpus, work / "out", args.workers)
        rows.append(("unchanged re-run", seconds, summary))
        shutil.copytree(work / "out", work / "warm-out", symlinks=True)  # `tables` links to the published version
        originals = sorted(corpus.glob("*.txt"))[:: max(1, count // added)][:added]
        rewrites = {f"rewrite_{i:03d}.txt": rewrite(original.read_text(errors="replace"))
                    for i, original in enumerate(originals)}
        for name, text in rewrites.items():
            (corpus / name).write_text(text)
        seconds, summary = etl_run(corpus, work / "out", args.workers)
        rows.append((f"+ {added} new docs", seconds, summary))
        seconds, summary = etl_run(corpus, work / "scratch", args.workers)
        rows.append((f"from scratch over all {count + added}", seconds, summary))
        differences = differing_rows(work / "out", work / "scratch")
        shutil.rmtree(work / "scratch", ignore_errors=True)
        # The same +1% from the state before it, in a `--watch` process over the same input folder (a
        # document's id comes from its path: a copy of the folder would be a corpus of new documents).
        for name in rewrites:
            (corpus / name).unlink()
        warmup = sorted(corpus.glob("*.txt"))[1]
        summary = warm_run(corpus, work / "warm-out", args.workers,
                           ("warmup.txt", rewrite(warmup.read_text(errors="replace"))), rewrites)
        rows.insert(3, (f"+ {added} new docs, `--watch` (models loaded)", summary["seconds"], summary))
        print("| run | seconds | share of the full run | extract | enrich | publish |")
        print("|---|---|---|---|---|---|")
        for name, seconds, summary in rows:
            timings = summary.get("timings", {})
            share = f"{seconds / full:.1%}" if not name.startswith("from scratch") else "–"
            print(f"| {name} | {seconds:.1f} | {share} | {timings.get('extract', '–')} | "
                  f"{timings.get('enrich', '–')} | {timings.get('publish', '–')} |")
        for name, _, summary in rows:
            enrich = summary.get("enrich") or {}
            if enrich:
                how = (f"incremental (+{enrich['added']} -{enrich['removed']})" if enrich["mode"] == "incremental"
                       else f"whole corpus ({enrich.get('why')})")
                plugins = ", ".join(f"{p} {s}" for p, s in enrich.get("seconds", {}).items())
                print(f"{name}: enrich {how}; {plugins}")
        print("\nrows differing between the incremental and the from-scratch tables:",
              ", ".join(f"{t} {n}" for t, n in differences.items()))


if __name__ == "__main__":
    main()
