"""TempEval-3 Task A (timexes) for the `dates` plugin: extent P/R/F1 strict and relaxed, and value F1.

    python bench/tempeval.py                                   # the development set (TBAQ) and platinum
    python bench/tempeval.py ../shared/evaldata/timebank_aquaint_tbaq [--errors 40]
    python bench/tempeval.py ../shared/evaldata/tempeval3_platinum

A corpus folder holds TimeML files (`*.tml`, searched recursively; for platinum the `gold/` folder).
Each document's `<TEXT>`, tags stripped, goes through the plugin's own tagger (`dates.tag_document`)
with a spaCy parse made by the spacy plugin's model loader (`nlp.pipe` over the corpus, parser off),
and with the DCT (the `CREATION_TIME` TIMEX3) as publication date: the whole pipeline is not run.

Scoring follows the task paper (UzZaman et al. 2013, section 4.1): strict match = identical extent,
relaxed match = any overlap (one-to-one); value F1 = relaxed F1 x value accuracy on the relaxed matches,
i.e. 2 * (matched with equal value) / (system + gold). Values are compared as strings.

A range the plugin keeps as one row ("2013-2014", value "2013/2014") is scored as the two TIMEX3 of
TimeML, one per year. Develop on `timebank_aquaint_tbaq`; `tempeval3_platinum` is the held-out test.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
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


def evaluate(folder: Path, show_errors: int = 0) -> dict:
    import etl_plugins.dates.plugin as dates
    from etl_plugins.spacy.plugin import DEFAULT_MODEL, load_model

    files = sorted(p for p in folder.rglob("*.tml") if "input" not in p.parts)
    docs = [read_timeml(p) for p in files]
    nlp = load_model(DEFAULT_MODEL, ("parser",))
    started = time.perf_counter()
    n_gold = n_system = strict = relaxed = value_ok = 0
    errors = []
    for doc, parsed in zip(docs, nlp.pipe((d.text for d in docs), batch_size=32)):
        rows = dates.tag_document(doc.text, parsed, published=doc.dct)
        system = system_spans(rows)
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
    seconds = time.perf_counter() - started
    sp, sr, sf = prf(strict, n_system, n_gold)
    rp, rr, rf = prf(relaxed, n_system, n_gold)
    accuracy = value_ok / relaxed if relaxed else 0.0
    report = {"corpus": str(folder), "documents": len(docs), "gold": n_gold, "system": n_system,
              "strict": (sp, sr, sf), "relaxed": (rp, rr, rf), "value_accuracy": accuracy,
              "value_f1": rf * accuracy, "seconds": seconds}
    print(f"\n{folder.name}: {len(docs)} documents, {n_gold} gold TIMEX3, {n_system} found "
          f"(plugin functions on nlp.pipe parses, DCT as publication date; {seconds:.1f} s)")
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", type=Path, help="TimeML folders (default: TBAQ and platinum)")
    parser.add_argument("--errors", type=int, default=0, help="print this many errors (development only)")
    args = parser.parse_args(argv)
    corpora = args.corpora or DEFAULT_CORPORA
    if not args.corpora and not EVALDATA.is_dir():
        print(f"skip: {EVALDATA} is absent (the evaluation data lives in ../shared beside the checkout)")
        return 0
    for folder in corpora:
        if not folder.is_dir():
            print(f"skip: {folder} is absent")
            continue
        evaluate(folder, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
