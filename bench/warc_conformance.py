"""How completely the `warc` plugin reads real crawl files: WARC/ARC/WAT/WET conformance files of other readers.

Runs `etl run` (a subprocess, one worker, the NLP plugins off: only parse and clean matter here) over
../shared/evaldata/warc_conformance/docs/ into a temporary output folder, then compares, per file, the
articles made with what warcio 1.8.1 reads from it (`expected_warcio_inventory.json`): its HTML
responses with a 2xx status (`html2xx`), plus, for WET files, its `conversion` (extracted text)
records. warcio cannot read `.warc.lz4` at all (its inventory says 0); for those the bench decompresses
the file with `lz4.frame` (when installed) and counts what warcio reads from the result, shown apart.

Prints one row per file (expected pages, articles made, errors rows by type) and the totals. There is
nothing to tune here, so no development/held-out split: every file is reported.

    python bench/warc_conformance.py [--keep OUT] [--messages]

Results (warcio 1.8.1, trafilatura 2.3.1; all 45 files, no split):

    code                pages warcio reads   articles (capped per file)   lz4 pages   errors rows
    before (0.2.0)      102                  64                           0 of 16     52
    after               102                  100 (+2 rows: no text)       15 of 16    22

Before: ARC read as text or refused as binary, WET "no documents", the Internet Archive WARC and its
revisit companion "damaged", ClueWeb09 bodies declared gzip but stored decoded refused, a last page
cut short or with a wrong block digest lost, `.warc.lz4` refused as binary. After, beyond warcio's
count: 7 revisits resolved to their original in the same file, 4 pages from two files gzipped whole.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDER = REPO.parent / "shared" / "evaldata" / "warc_conformance"
NLP_PLUGINS = ("spacy", "entities", "claims", "figures", "events")


def expected_pages(inventory: dict) -> dict[str, int]:
    """HTML 2xx responses warcio reads, plus WET text records (`conversion`), per file."""
    return {name: entry["html2xx"] + entry["types"].get("conversion::", 0) for name, entry in inventory.items()}


def lz4_pages(path: Path) -> int | None:
    """HTML 2xx responses warcio reads once the lz4 frames are decompressed; None without `lz4`."""
    try:
        import lz4.frame
    except ImportError:
        return None
    from warcio.archiveiterator import ArchiveIterator

    plain, rest = b"", path.read_bytes()
    while rest:  # one frame per record: a frame ends, the next starts
        frame = lz4.frame.LZ4FrameDecompressor()
        plain += frame.decompress(rest)
        rest = frame.unused_data
    pages = 0
    for record in ArchiveIterator(io.BytesIO(plain)):
        headers = record.http_headers
        if record.rec_type == "response" and headers is not None and headers.get_statuscode().startswith("2") \
                and (headers.get_header("Content-Type") or "").split(";")[0].strip().lower() == "text/html":
            pages += 1
    return pages


def run_etl(folder: Path, out: Path) -> dict:
    args = [sys.executable, "-m", "etl", "run", str(folder), "--out", str(out), "--workers", "1", "--json"]
    for name in NLP_PLUGINS:
        args += ["--disable", name]
    env = dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1")
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=out.parent)
    if result.returncode != 0:
        sys.exit(f"etl run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout)


def outcomes(out: Path) -> tuple[Counter, dict[str, Counter], dict[str, list[str]]]:
    from etl import read_published

    def file_of(uri: str) -> str:
        return uri.split("#", 1)[0].rsplit("/", 1)[-1]

    articles = Counter(file_of(uri) for uri in read_published(out, "articles",
                                                              columns=["source_uri"]).column(0).to_pylist())
    errors: dict[str, Counter] = {}
    messages: dict[str, list[str]] = {}
    for row in read_published(out, "errors").to_pylist():
        name = file_of(row["source_uri"])
        errors.setdefault(name, Counter())[row["error_type"]] += 1
        messages.setdefault(name, []).append(row["message"])
    return articles, errors, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="write the run here instead of a temporary folder")
    parser.add_argument("--messages", action="store_true", help="print every errors row's message")
    args = parser.parse_args()
    if not (FOLDER / "expected_warcio_inventory.json").is_file():
        print(f"skipped: {FOLDER} is absent")
        return
    inventory = json.loads((FOLDER / "expected_warcio_inventory.json").read_text())
    expected = expected_pages(inventory)
    with tempfile.TemporaryDirectory(prefix="etl-warc-bench-") as tmp:
        out = args.keep or Path(tmp) / "out"
        summary = run_etl(FOLDER / "docs", out)
        articles, errors, messages = outcomes(out)
    print(f"{'file':46} {'expected':>8} {'articles':>8}  errors")
    totals, error_types = Counter(), Counter()
    for name in sorted(inventory):
        extra = ""
        if name.endswith(".lz4"):
            pages = lz4_pages(FOLDER / "docs" / name)
            extra = f"  (warcio after lz4 decompression: {pages if pages is not None else 'lz4 not installed'})"
            totals["lz4 expected"] += pages or 0
            totals["lz4 articles"] += articles[name]
        else:
            totals["expected"] += expected[name]
            totals["articles"] += articles[name]
            totals["articles up to expected"] += min(articles[name], expected[name])
        error_types.update(errors.get(name, Counter()))
        listed = ", ".join(f"{kind} {count}" for kind, count in sorted(errors.get(name, Counter()).items()))
        print(f"{name:46} {expected[name]:>8} {articles[name]:>8}  {listed or '-'}{extra}")
        if args.messages:
            for message in messages.get(name, []):
                print(f"{'':48}{message[:160]}")
    print()
    print(f"pages warcio reads (HTML 2xx, WET text): {totals['expected']}; articles made from those files: "
          f"{totals['articles']} (at most the expected per file: {totals['articles up to expected']})")
    print(f".warc.lz4 (warcio cannot read them): pages after decompression {totals['lz4 expected']}, "
          f"articles {totals['lz4 articles']}")
    print(f"errors rows: {sum(error_types.values())}: "
          + ", ".join(f"{kind} {count}" for kind, count in error_types.most_common()))
    print(f"run: {summary['documents']} in {summary['seconds']:.1f} s")


if __name__ == "__main__":
    main()
