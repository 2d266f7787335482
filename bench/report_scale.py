"""Size and opening time of `etl report` for a corpus of 10,000 articles.

    python bench/report_scale.py --from etl-out-bbc --articles 10000

Takes a published output folder (run `etl run ../shared/evaldata/bbc_fulltext --out etl-out-bbc`
first: 2,225 real articles) and multiplies its tables up to `--articles`: each copy gets new document,
mention, claim and cluster ids and its dates shifted by two months, so the timeline, the disputes and
the article count grow as a larger corpus's would while the text stays real. Then it prints:

* seconds to render the report, and its size in MB;
* seconds for headless Chromium to open it and draw the timeline (from navigation to the chart's
  first SVG), with the number of bins drawn, and any console errors.

The scaled folder is a temporary one; nothing is written beside the input.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from etl.catalog import write_catalog
from etl.config import Config
from etl.manager import get_plugin_manager
from etl.pipeline import Pipeline
from etl.published import table_glob, tables_in
from etl_plugins.report import write_report

SHIFT_DAYS = 61
IDS = {"doc_id", "dup_group", "derived_from", "mention_id", "claim_id", "speaker_mention_id", "cluster_id"}
DATES = {"published_at", "range_start", "range_end", "anchor_date", "claim_date"}


def scale(source: Path, target: Path, articles: int) -> int:
    tables = tables_in(source / "tables")
    con = duckdb.connect()
    have = con.execute(f"SELECT count(*) FROM '{table_glob(source / 'tables', 'articles')}'").fetchone()[0]
    copies = math.ceil(articles / have)
    (target / "tables").mkdir(parents=True)
    for table in tables:
        path = table_glob(source / "tables", table)
        (target / "tables" / table).mkdir()
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]
        select = []
        for column in columns:
            quoted = f'"{column}"'
            if column in IDS:
                select.append(f"CASE WHEN {quoted} IS NULL THEN NULL ELSE {quoted} || '-' || k END AS {quoted}")
            elif column in DATES:
                select.append(f"{quoted} + INTERVAL (k * {SHIFT_DAYS}) DAY AS {quoted}"
                              if column == "published_at" else
                              f"CAST({quoted} + INTERVAL (k * {SHIFT_DAYS}) DAY AS DATE) AS {quoted}")
            else:
                select.append(quoted)
        if "doc_id" in columns:  # the first `articles` documents of each copy, every row of each
            source_rows = f"(SELECT *, dense_rank() OVER (ORDER BY doc_id) - 1 AS doc_rank FROM '{path}')"
            keep = f"k * {have} + doc_rank < {articles}"
        else:
            source_rows, keep = f"'{path}'", "k = 0"
        con.execute(f"""
            COPY (SELECT {', '.join(select)} FROM {source_rows} src, range({copies}) r(k) WHERE {keep})
            TO '{target / 'tables' / table / '00000000.parquet'}' (FORMAT parquet, COMPRESSION zstd)""")
    pipeline = Pipeline(get_plugin_manager(load_entrypoints=False), Config(out=target))
    problems = write_catalog(target / "etl.duckdb", target / "tables", tables, pipeline.views)
    if problems:
        print("views left out:", problems, file=sys.stderr)
    return con.execute(f"SELECT count(*) FROM '{table_glob(target / 'tables', 'articles')}'").fetchone()[0]


def open_in_chromium(page_path: Path) -> tuple[float, int, list[str]]:
    from playwright.sync_api import sync_playwright

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        started = time.perf_counter()
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("#timeline-chart svg", timeout=60_000)
        seconds = time.perf_counter() - started
        bins = page.locator("#timeline-chart g.bin").count()
        browser.close()
    return seconds, bins, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, required=True, help="a published output folder")
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    if not (args.source / "etl.duckdb").exists():
        sys.exit(f"{args.source} holds no published tables; run `etl run CORPUS --out {args.source}` first")
    with tempfile.TemporaryDirectory(prefix="etl-report-scale-") as tmp:
        out = Path(tmp) / "out"
        started = time.perf_counter()
        articles = scale(args.source, out, args.articles)
        print(f"scaled {args.source} to {articles} articles in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        summary = write_report(out)
        print(f"render: {time.perf_counter() - started:.1f} s, {summary.bytes / 1e6:.2f} MB, "
              f"{summary.articles_embedded} articles linked, sections {summary.sections}")
        seconds, bins, problems = open_in_chromium(summary.path)
        print(f"chromium: timeline drawn {seconds:.2f} s after navigation, {bins} bins drawn, "
              f"{len(problems)} console errors {problems[:3] if problems else ''}")


if __name__ == "__main__":
    main()
