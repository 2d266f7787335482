"""Metadata of real pages: title, authors, publication day, language and text against a peer's values.

Reads ../shared/evaldata/newspaper4k_pages/ (30 HTML pages from newspaper4k's test data with that
project's expected output in gold.json: a peer's regression values, not hand-checked truth; some author
lists are noisy). Runs the real pipeline over the pages (parse and clean stages; no extract or enrich
plugin) and, beside it, bare `trafilatura.bare_extraction(with_metadata=True)` on the same bytes.

Scores, over the pages whose gold has the field:

- title: equal after white space is collapsed and case folded;
- authors: the same set of names (case folded), an empty list included (a page with no author right
  when nothing is reported); "credits" compares `authors` + `agency` instead, since the peer lists
  agencies and outlets ("CNN Wire") as authors where etl, by design, moves them to `agency` (bare
  trafilatura has no agency: its credits are its authors);
- date: the publication day right on the pages the gold dates (in the gold's own UTC offset when it
  gives one, else as written), and separately how many undated pages got no date;
- language: the ISO 639-1 code; bare trafilatura reports none (it reads no language);
- text: word 4-gram shingle F1 (the article-extraction benchmark's measure, from html_extraction.py).

    python bench/metadata_realworld.py [--json FILE] [--before FILE] [--language-cost]

`--json FILE` saves the scores; `--before FILE` prints them as a "before" column. The before column of
the README was made by running this script against the code before the change with
`PYTHONPATH=<old tree>` and `--json`. `--language-cost` times lingua per document and measures its
memory in both accuracy modes (a subprocess each). Nothing here is tuned on: these pages are a
held-out check of rules written from general knowledge of news pages.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
PAGES = REPO.parent / "shared" / "evaldata" / "newspaper4k_pages"
FIELDS = ("title", "authors", "credits", "date", "undated", "language", "text")


def load_gold() -> dict[str, dict]:
    with (PAGES / "gold.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def parse_gold_authors(value) -> list[str]:
    if isinstance(value, list):
        return value
    if not value or value == "[]":
        return []
    import ast

    try:
        return list(ast.literal_eval(value))
    except (ValueError, SyntaxError):
        return [value]


def same_title(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def same_authors(predicted: list[str], gold: list[str]) -> bool:
    return {name.casefold().strip() for name in predicted} == {name.casefold().strip() for name in gold}


def same_day(predicted: datetime | None, gold: str) -> bool:
    if predicted is None:
        return False
    expected = datetime.fromisoformat(gold.replace(" ", "T"))
    if expected.tzinfo is not None:
        return predicted.astimezone(expected.tzinfo).date() == expected.date()
    return predicted.astimezone(timezone.utc).date() == expected.date()


def run_pipeline(folder: Path, out: Path) -> dict[str, dict]:
    import pyarrow.parquet as pq

    from etl.config import Config
    from etl.manager import get_plugin_manager
    from etl.run import run

    pm = get_plugin_manager(load_entrypoints=False)
    config = Config(out=out, workers=1, stages={"extract": (), "enrich": ()})
    run([str(folder)], config, pm=pm, load_entrypoints=False)
    articles = pq.read_table(out / "tables" / "articles.parquet").to_pylist()
    return {Path(row["source_uri"]).name: row for row in articles}


def run_bare(pages: list[Path]) -> dict[str, dict]:
    import trafilatura

    found = {}
    for path in pages:
        result = trafilatura.bare_extraction(path.read_bytes(), with_metadata=True)
        if result is None:
            continue
        when = None
        if result.date:
            when = datetime.fromisoformat(result.date).replace(tzinfo=timezone.utc)
        found[path.name] = {"title": result.title, "published_at": when, "language": None,
                            "authors": [a.strip() for a in (result.author or "").split(";") if a.strip()],
                            "text": result.text or ""}
    return found


def scores(predicted: dict[str, dict], gold: dict[str, dict]) -> dict[str, tuple[float, int, int]]:
    from html_extraction import page_scores

    tallies = {name: [0.0, 0] for name in FIELDS}
    for page, expected in gold.items():
        meta, row = expected.get("metadata"), predicted.get(page) or {}
        if meta:
            tallies["title"][0] += same_title(row.get("title"), meta.get("title"))
            tallies["title"][1] += 1
            gold_authors = parse_gold_authors(meta.get("authors"))
            tallies["authors"][0] += same_authors(row.get("authors") or [], gold_authors)
            tallies["authors"][1] += 1
            # The peer lists agencies and outlets as authors; etl moves them to `agency` by design.
            credits = [*(row.get("authors") or []), *(row.get("agency") or [])]
            tallies["credits"][0] += same_authors(credits, gold_authors)
            tallies["credits"][1] += 1
            date = meta.get("publish_date")
            if date and date != "None":
                tallies["date"][0] += same_day(row.get("published_at"), date)
                tallies["date"][1] += 1
            else:
                tallies["undated"][0] += row.get("published_at") is None
                tallies["undated"][1] += 1
            if meta.get("language"):
                tallies["language"][0] += (row.get("language") or "") == meta["language"]
                tallies["language"][1] += 1
        if expected.get("text"):
            precision, recall = page_scores(row.get("text") or "", expected["text"])
            tallies["text"][0] += 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            tallies["text"][1] += 1
    return {name: (right / total if total else 0.0, right, total) for name, (right, total) in tallies.items()}


def language_cost(sample: int) -> None:
    """Seconds per document and memory of lingua in each mode, each in a fresh process."""
    for mode in ("low", "high"):
        code = f"""
import time, json, sys
sys.path.insert(0, {str(REPO)!r})
from etl_plugins import language
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
texts = json.loads(sys.stdin.read())
before = rss()
settings = dict(accuracy={mode!r}, min_letters=20, sample_chars={sample}, min_confidence=0.5)
started = time.perf_counter(); language.detector({mode!r}); language.detect_language("warm up text " * 5, settings)
built = time.perf_counter() - started
started = time.perf_counter()
answers = [language.detect_language(text, settings) for text in texts]
first_pass = (time.perf_counter() - started) / len(texts)
started = time.perf_counter()
for _ in range(3):  # models of every language met are loaded by now: the steady cost per document
    answers = [language.detect_language(text, settings) for text in texts]
per_doc = (time.perf_counter() - started) / len(texts) / 3
after = rss()
print(json.dumps(dict(mode={mode!r}, first_use_s=built, ms_per_doc=per_doc * 1000, first_ms=first_pass * 1000,
                      rss_mb=(after - before) / 1024, answers=answers)))
"""
        texts = [item["text"] for item in load_gold().values() if item.get("text")]
        out = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True,
                             check=True)
        result = json.loads(out.stdout)
        print(f"lingua {mode:4s} accuracy: first use {result['first_use_s']:.2f} s, first pass "
              f"{result['first_ms']:.1f} ms per document (models loading), then {result['ms_per_doc']:.1f} ms "
              f"per document ({sample:,} characters read), +{result['rss_mb']:.0f} MB resident")
        print(f"{'':22s} answers: {' '.join(str(a) for a in result['answers'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="save the scores to this file")
    parser.add_argument("--before", help="scores saved by --json from the code before, shown beside")
    parser.add_argument("--language-cost", action="store_true", help="time and memory of lingua per mode")
    parser.add_argument("--sample-chars", type=int, default=1000, help="characters lingua reads (--language-cost)")
    parser.add_argument("--show", action="store_true", help="print each page's values beside the gold")
    args = parser.parse_args()
    if not PAGES.is_dir():
        print(f"skipped: the pages are not at {PAGES} (../shared is absent beside this checkout)")
        return 0
    gold = load_gold()
    pages = sorted((PAGES / "docs").glob("*.html"))
    with tempfile.TemporaryDirectory(prefix="etl-meta-bench-") as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        for path in pages:
            (folder / path.name).write_bytes(path.read_bytes())
        started = time.perf_counter()
        ours = run_pipeline(folder, Path(tmp) / "out")
        seconds = time.perf_counter() - started
    bare = run_bare(pages)
    mine, theirs = scores(ours, gold), scores(bare, gold)
    before = json.loads(Path(args.before).read_text()) if args.before else None
    if args.json:
        Path(args.json).write_text(json.dumps(mine, indent=1))
    header = f"{'field':10s} {'pages':>5s}  {'bare trafilatura':>16s}"
    header += f"  {'etl before':>10s}" if before else ""
    print(header + f"  {'etl now':>10s}")
    for name in FIELDS:
        rate, _, total = mine[name]
        line = f"{name:10s} {total:5d}  {theirs[name][0]:16.3f}" if name != "language" else \
            f"{name:10s} {total:5d}  {'-':>16s}"
        if before:
            line += f"  {before[name][0]:10.3f}"
        print(line + f"  {rate:10.3f}")
    print(f"(etl: {len(ours)} articles from {len(pages)} pages in {seconds:.1f} s, parse and clean stages; "
          f"'undated' = pages the gold leaves undated that got no date; 'text' = mean shingle F1)")
    if args.show:
        for page, expected in gold.items():
            meta, row = expected.get("metadata") or {}, ours.get(page) or {}
            if not meta:
                continue
            print(f"\n{page}\n  title   {row.get('title')!r}\n     gold {meta.get('title')!r}"
                  f"\n  authors {row.get('authors')} agency {row.get('agency')} publisher {row.get('publisher')!r}"
                  f" ({row.get('publisher_source')})\n     gold {meta.get('authors')}"
                  f"\n  date    {row.get('published_at')} {row.get('published_at_granularity')}"
                  f"\n     gold {meta.get('publish_date')}"
                  f"\n  lang    {row.get('language')} ({row.get('language_source')}) gold {meta.get('language')}")
    if args.language_cost:
        language_cost(args.sample_chars)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
