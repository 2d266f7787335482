"""TempEval-3 Task A (timexes) for the `dates` plugin: extent P/R/F1 strict and relaxed, and value F1.

    python bench/tempeval.py                                   # the development set (TBAQ) and platinum
    python bench/tempeval.py ../shared/evaldata/timebank_aquaint_tbaq [--errors 40]
    python bench/tempeval.py ../shared/evaldata/tempeval3_platinum [--workers 2] [--keep /tmp/te3]

A corpus folder holds TimeML files (`*.tml`, searched recursively; for platinum the `gold/` folder).
Each document's `<TEXT>`, tags stripped, is one record of a JSONL file exactly as a user would write
it (`{"text": ..., "published_at": DCT}`, the DCT being the `CREATION_TIME` TIMEX3), and the file goes
through `etl run` (parse, clean, the spacy and dates plugins; the extract plugins whose tables are not
scored are disabled). The `dates` rows, body rows and segment rows (a first line the clean stage
takes for a headline), are mapped back to the TimeML text through their segment: the clean stage
changes white space only, so visible characters are matched one to one.

Scoring follows the task paper (UzZaman et al. 2013, section 4.1): strict match = identical extent,
relaxed match = any overlap (one-to-one); value F1 = relaxed F1 x value accuracy on the relaxed matches,
i.e. 2 * (matched with equal value) / (system + gold). Values are compared as strings.

A range the plugin keeps as one row ("2013-2014", value "2013/2014") is scored as the two TIMEX3 of
TimeML, one per year. Develop on `timebank_aquaint_tbaq`; `tempeval3_platinum` is the held-out test.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVALDATA = REPO.parent / "shared" / "evaldata"
DEFAULT_CORPORA = [EVALDATA / "timebank_aquaint_tbaq", EVALDATA / "tempeval3_platinum"]
TAG = re.compile(r"<(/?)(\w+)([^>]*)>")
ATTR = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Span:
    start: int
    end: int
    value: str
    text: str = ""


@dataclass
class Document:
    name: str
    dct: date
    text: str
    gold: list[Span]


def read_timeml(path: Path) -> Document:
    """The plain `<TEXT>` (tags stripped, entities unescaped), its gold TIMEX3 spans and the DCT."""
    raw = path.read_text(encoding="utf-8")
    dct = re.search(r"<DCT>.*?value=\"(\d{4}-\d{2}-\d{2})", raw, re.S).group(1)
    body = raw[raw.index("<TEXT>") + len("<TEXT>"):raw.index("</TEXT>")]
    parts, gold, open_timex, pos, length = [], [], None, 0, 0
    for m in TAG.finditer(body):
        piece = html.unescape(body[pos:m.start()])
        parts.append(piece)
        length += len(piece)
        pos = m.end()
        if m.group(2) != "TIMEX3":
            continue
        if m.group(1):
            start, value = open_timex
            gold.append(Span(start, length, value))
            open_timex = None
        else:
            open_timex = (length, dict(ATTR.findall(m.group(3))).get("value", ""))
    parts.append(html.unescape(body[pos:]))
    text = "".join(parts)
    for span in gold:
        span.text = text[span.start:span.end]
    return Document(path.name, date.fromisoformat(dct), text, gold)


def system_spans(rows: list[dict]) -> list[Span]:
    spans = []
    for row in rows:
        value = row["value"] or ""
        if re.fullmatch(r"\d{4}/\d{4}", value):  # one range row -> two TimeML years
            first, second = value.split("/")
            text = row["text"]
            cut = re.search(r"\s*[-–—/]\s*|\s+to\s+", text)
            if cut:
                spans.append(Span(row["start"], row["start"] + cut.start(), first, text[:cut.start()]))
                spans.append(Span(row["start"] + cut.end(), row["end"], second, text[cut.end():]))
                continue
        spans.append(Span(row["start"], row["end"], value, row["text"]))
    return spans


def match(gold: list[Span], system: list[Span]):
    """One-to-one relaxed matching, largest overlap first."""
    pairs = []
    for i, g in enumerate(gold):
        for j, s in enumerate(system):
            overlap = min(g.end, s.end) - max(g.start, s.start)
            if overlap > 0:
                pairs.append((overlap, i, j))
    used_g, used_s, matched = set(), set(), []
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_g and j not in used_s:
            used_g.add(i)
            used_s.add(j)
            matched.append((gold[i], system[j]))
    return matched


def prf(correct: int, n_system: int, n_gold: int) -> tuple[float, float, float]:
    p = correct / n_system if n_system else 0.0
    r = correct / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(folder: Path, show_errors: int = 0, workers: int = 1, keep: Path | None = None) -> dict:
    files = sorted(p for p in folder.rglob("*.tml") if "input" not in p.parts)
    docs = [read_timeml(p) for p in files]
    started = time.perf_counter()
    predicted = run_pipeline(docs, workers, keep)
    seconds = time.perf_counter() - started
    n_gold = n_system = strict = relaxed = value_ok = 0
    errors = []
    for doc, system in zip(docs, predicted):
        n_gold += len(doc.gold)
        n_system += len(system)
        strict += len({(g.start, g.end) for g in doc.gold} & {(s.start, s.end) for s in system})
        matched = match(doc.gold, system)
        relaxed += len(matched)
        value_ok += sum(g.value == s.value for g, s in matched)
        if show_errors:
            hit_g = {id(g) for g, _ in matched}
            hit_s = {id(s) for _, s in matched}
            errors += [(doc.name, "wrong", g.text, g.value, s.text, s.value, str(doc.dct))
                       for g, s in matched if g.value != s.value]
            errors += [(doc.name, "missed", g.text, g.value, "", "", str(doc.dct)) for g in doc.gold
                       if id(g) not in hit_g]
            errors += [(doc.name, "spurious", "", "", s.text, s.value, str(doc.dct)) for s in system
                       if id(s) not in hit_s]
    sp, sr, sf = prf(strict, n_system, n_gold)
    rp, rr, rf = prf(relaxed, n_system, n_gold)
    accuracy = value_ok / relaxed if relaxed else 0.0
    report = {"corpus": str(folder), "documents": len(docs), "gold": n_gold, "system": n_system,
              "strict": (sp, sr, sf), "relaxed": (rp, rr, rf), "value_accuracy": accuracy,
              "value_f1": rf * accuracy, "seconds": seconds}
    print(f"\n{folder.name}: {len(docs)} documents, {n_gold} gold TIMEX3, {n_system} found "
          f"(etl run over one JSONL record per document, DCT as published_at; {seconds:.1f} s)")
    print(f"  strict  extent  P {100 * sp:6.2f}  R {100 * sr:6.2f}  F1 {100 * sf:6.2f}")
    print(f"  relaxed extent  P {100 * rp:6.2f}  R {100 * rr:6.2f}  F1 {100 * rf:6.2f}")
    print(f"  value accuracy on relaxed matches {100 * accuracy:6.2f}   value F1 {100 * rf * accuracy:6.2f}"
          f"   (HeidelTime-t 77.61, SUTime 67.38 on platinum)")
    if show_errors:
        from collections import Counter

        print("  errors:", dict(Counter(e[1] for e in errors)))
        for e in errors[:show_errors]:
            print("   ", " | ".join(e))
    return report


# Plugins whose tables the score does not read: disabled to save time, they do not change `dates`.
UNSCORED_PLUGINS = ("entities", "claims", "events", "figures", "copies")


def run_pipeline(docs: list[Document], workers: int, keep: Path | None) -> list[list[Span]]:
    """Each document as a user's JSONL record through `etl run`; its `dates` rows as spans of its text.

    The pipeline cleans the text (white space, paragraphs, a headline taken out of the body), so rows
    are mapped back to the TimeML text through their segment: body rows by the body segment holding
    them, segment rows by `dates.segment`.
    """
    import duckdb

    with tempfile.TemporaryDirectory(prefix="tempeval-") as scratch:
        work = keep or Path(scratch)
        inputs = work / "in"
        inputs.mkdir(parents=True, exist_ok=True)
        with open(inputs / "corpus.jsonl", "w", encoding="utf-8") as out:
            for doc in docs:
                out.write(json.dumps({"text": doc.text, "published_at": doc.dct.isoformat()}) + "\n")
        command = [sys.executable, "-m", "etl", "run", str(inputs), "--out", str(work / "out"),
                   "--workers", str(workers), *[a for name in UNSCORED_PLUGINS for a in ("--disable", name)]]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        tables = work / "out" / "tables"
        db = duckdb.connect()
        record_of = {doc_id: int(uri.rsplit("#", 1)[1]) for doc_id, uri in db.sql(
            f"SELECT doc_id, source_uri FROM '{tables / 'articles' / '*.parquet'}'").fetchall()}
        segments: dict[str, list[tuple]] = {}
        for doc_id, seq, text, start, end in db.sql(
                f"SELECT doc_id, seq, text, start, \"end\" FROM '{tables / 'segments' / '*.parquet'}' "
                "ORDER BY doc_id, seq"
        ).fetchall():
            segments.setdefault(doc_id, []).append((seq, text, start, end))
        rows: dict[int, list[dict]] = {}
        for row in db.sql(f"SELECT * FROM '{tables / 'dates' / '*.parquet'}'").to_arrow_table().to_pylist():
            rows.setdefault(record_of[row["doc_id"]], []).append(row)
        by_record = {record_of[doc_id]: segs for doc_id, segs in segments.items()}
    predicted = []
    for index, doc in enumerate(docs):  # `#n` of a JSONL source counts lines from 0
        where = locate_segments(doc.text, by_record.get(index, []))
        spans = []
        for row in rows.get(index, []):
            mapped = map_row(row, where)
            if mapped is not None:
                spans.append(mapped)
        predicted.append(system_spans(spans))
    return predicted


def locate_segments(original: str, segments: list[tuple]) -> dict[int, tuple]:
    """Per segment seq: (its text, its first visible character's rank among the original's visible
    characters, the original index of each visible character, its body start, its body end)."""
    visible = [i for i, c in enumerate(original) if not c.isspace()]
    compact = "".join(original[i] for i in visible)
    found, cursor = {}, 0
    for seq, text, start, end in segments:
        squeezed = "".join(text.split())
        at = compact.find(squeezed, cursor)
        if at < 0:
            at = compact.find(squeezed)
        if at < 0:
            continue  # the pipeline changed characters, not only white space: its rows are not scored
        found[seq] = (text, at, visible, start, end)
        cursor = at + len(squeezed)
    return found


def map_row(row: dict, where: dict) -> dict | None:
    """The row with `start`/`end` as offsets into the TimeML text, or None when it cannot be placed."""
    if row["segment"] is not None:
        seq, start = row["segment"], row["start"]
    else:
        body = [(seq, s) for seq, (_, _, _, s, e) in where.items() if s is not None and s <= row["start"] < e]
        if not body:
            return None
        seq, start = body[0][0], row["start"] - body[0][1]
    if seq not in where:
        return None
    text, at, visible, _, _ = where[seq]
    first = at + sum(1 for c in text[:start] if not c.isspace())
    last = first + len("".join(row["text"].split())) - 1
    if last >= len(visible):
        return None
    return dict(row, start=visible[first], end=visible[last] + 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", type=Path, help="TimeML folders (default: TBAQ and platinum)")
    parser.add_argument("--errors", type=int, default=0, help="print this many errors (development only)")
    parser.add_argument("--workers", type=int, default=1, help="etl run --workers (default 1)")
    parser.add_argument("--keep", type=Path, help="write the JSONL input and the etl output here, and keep them")
    args = parser.parse_args(argv)
    corpora = args.corpora or DEFAULT_CORPORA
    if not args.corpora and not EVALDATA.is_dir():
        print(f"skip: {EVALDATA} is absent (the evaluation data lives in ../shared beside the checkout)")
        return 0
    for folder in corpora:
        if not folder.is_dir():
            print(f"skip: {folder} is absent")
            continue
        evaluate(folder, args.errors, args.workers, args.keep and args.keep / folder.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
