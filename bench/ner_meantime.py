"""Named-entity mentions on MEANTIME (English Wikinews): the raw spaCy model against the `entities` plugin.

    python bench/ner_meantime.py                     # ../shared/evaldata/meantime_en, all four topics
    python bench/ner_meantime.py --part dev          # airbus, apple: the topics rules are tuned on
    python bench/ner_meantime.py --part heldout      # gm, stock: reported, never tuned on
    python bench/ner_meantime.py PATH [--errors 30]  # and list the plugin's commonest errors

Which text is scored. MEANTIME annotates every entity mention (names, nominals, pronouns) only in the
first sentences of each article: the headline (token sentence 0), the date line (1) and the first four
sentences of the body (2-5). Later sentences carry only mentions that corefer with those, so they are
left out: predictions and gold are both restricted to sentences 0-5 ("fully annotated").

Gold. Mentions marked as names (`syntactic_type` NAM or PRE.NAM) whose entity (through REFERS_TO) is
PER, ORG or LOC. Other mentions of those entities (nominals, pronouns, appositions, or names with an
empty `syntactic_type`) are "don't care" regions: a prediction that overlaps one but no gold name is
neither right nor wrong. Products and financial entities (PRO, FIN) are not scored; a prediction on
them is an error like any other.

Labels. spaCy PERSON -> PER, ORG -> ORG, GPE / LOC / FAC -> LOC; other labels (NORP, PRODUCT, EVENT,
WORK_OF_ART, LAW, LANGUAGE) are not scored and are not predictions of these types. MEANTIME marks
nationality adjectives ("American") as LOC names; spaCy calls them NORP, so for raw spaCy they count as
misses, while the plugin labels a country's adjective before a noun GPE (`form` demonym).

Matching, per type, one-to-one: *strict* = the same characters once a leading article is ignored.
The rule is explicit and symmetric: a leading "the"/"a"/"an" followed by white space is cut from the
gold span and from the predicted span alike before they are compared (MEANTIME includes the article in
names, "the Associated Press"; spaCy sometimes does, the plugin never does), and nothing else is
normalised. *overlap* = the spans share a character.

Text. Each article is rebuilt from its tokens (the original whitespace is not kept): headline, date
line and body as three paragraphs, tokens joined by spaces except before closing punctuation and
clitics, and after an "O'". Both systems see exactly the same text through the same spaCy pipeline
(the spacy plugin's loader: parser off, senter on). (a) is `doc.ents`; (b) is the `entities` plugin's
rows for it. No corpus text is written anywhere.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from meantime import read_tokens

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "evaldata" / "meantime_en"
FULLY_ANNOTATED = range(0, 6)
TYPES = ("PER", "ORG", "LOC")
#: Topics the entity rules may be tuned on (dev) and topics only reported (heldout), as bench/claims_meantime.py.
PARTS = {"dev": ("corpus_airbus", "corpus_apple"), "heldout": ("corpus_gm", "corpus_stock"),
         "all": ("corpus_airbus", "corpus_apple", "corpus_gm", "corpus_stock")}
SPACY_TO_MEANTIME = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
ERRORS_MATCH = "strict"  # which matching the --errors list follows
LEADING_ARTICLE = re.compile(r"(?i)(the|a|an)\s+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str


@dataclass
class Article:
    name: str
    text: str
    scored_until: int  # character offset: everything before it is fully annotated
    gold: list[Span] = field(default_factory=list)
    dont_care: list[Span] = field(default_factory=list)


def read_article(path: Path) -> Article:
    tokens = read_tokens(path)
    scored = [end for t_id, (_, end) in tokens.spans.items() if tokens.sentence[t_id] in FULLY_ANNOTATED]
    article = Article(path.stem, tokens.text, max(scored, default=0))
    refers_to = tokens.referents(lambda entity: entity.get("ent_type"))
    for mention in tokens.root.find("Markables").findall("ENTITY_MENTION"):
        found = tokens.mention_span(mention)
        kind = refers_to.get(mention.get("m_id"))
        if found is None or kind not in TYPES:
            continue
        span = Span(*found, kind)
        if span.start >= article.scored_until:
            continue
        if mention.get("syntactic_type") in ("NAM", "PRE.NAM"):
            article.gold.append(span)
        else:
            article.dont_care.append(span)
    return article


def without_article(text: str, span: Span) -> tuple[int, int]:
    """The span without a leading article: applied to gold and predictions alike in strict matching."""
    match = LEADING_ARTICLE.match(text, span.start, span.end)
    return (match.end() if match else span.start), span.end


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def line(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return f"P {p:6.1%}  R {r:6.1%}  F1 {f:6.1%}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def score(articles, predictions, errors: Counter | None = None) -> dict[tuple[str, str], Score]:
    """Scores per (match, type), match in strict / overlap; type in PER / ORG / LOC / all."""
    scores = defaultdict(Score)
    for article, predicted in zip(articles, predictions):
        predicted = [p for p in predicted if p.start < article.scored_until]
        for match in ("strict", "overlap"):
            same = (lambda g, p: without_article(article.text, g) == without_article(article.text, p)) \
                if match == "strict" else (lambda g, p: g.start < p.end and p.start < g.end)
            unmatched_gold = list(article.gold)
            for p in predicted:
                hit = next((g for g in unmatched_gold if g.type == p.type and same(g, p)), None)
                overlaps = lambda spans: any(g.start < p.end and p.start < g.end for g in spans)  # noqa: E731
                if hit:
                    unmatched_gold.remove(hit)
                    outcome = "tp"
                elif overlaps(article.dont_care) and not overlaps(article.gold):
                    outcome = None  # a nominal or pronoun mention: not a name, not scored
                else:
                    outcome = "fp"
                if outcome is None:
                    continue
                for key in (p.type, "all"):
                    setattr(scores[match, key], outcome, getattr(scores[match, key], outcome) + 1)
                if errors is not None and match == ERRORS_MATCH and outcome == "fp":
                    errors[f"fp  {p.type:3} {article.text[p.start:p.end]!r}"] += 1
            for g in unmatched_gold:
                for key in (g.type, "all"):
                    scores[match, key].fn += 1
                if errors is not None and match == ERRORS_MATCH:
                    errors[f"fn  {g.type:3} {article.text[g.start:g.end]!r}"] += 1
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--part", choices=sorted(PARTS), default="all",
                        help="dev: the topics rules are tuned on; heldout: the others, only reported")
    parser.add_argument("--errors", type=int, default=0, help="list the plugin's N commonest errors")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"skipped: {args.corpus} is absent (MEANTIME lives in ../shared/evaldata/meantime_en)")
        return 0

    sys.path.insert(0, str(REPO))
    import etl_plugins.entities.plugin as entities
    import etl_plugins.spacy.plugin as spacy_nlp
    from etl import Config, Document

    paths = sorted(path for topic in PARTS[args.part]
                   for path in args.corpus.glob(f"intra_cross-doc_annotation/{topic}/*.xml"))
    articles = [read_article(path) for path in paths]
    nlp = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))
    config = Config(plugins={"entities": {"exclude_labels": entities.NOT_NAMES}})
    raw, plugin = [], []
    for article, parsed in zip(articles, nlp.pipe(a.text for a in articles)):
        raw.append([Span(e.start_char, e.end_char, SPACY_TO_MEANTIME[e.label_])
                    for e in parsed.ents if e.label_ in SPACY_TO_MEANTIME])
        doc = Document(doc_id=article.name, source_uri=article.name, content_sha256="", text=article.text)
        doc.nlp = parsed
        entities.etl_extract(documents=[doc], config=config)
        plugin.append([Span(r["start"], r["end"], SPACY_TO_MEANTIME[r["label"]])
                       for r in doc.entities if r["label"] in SPACY_TO_MEANTIME])

    gold = Counter(g.type for a in articles for g in a.gold)
    print(f"MEANTIME English ({args.part}: {', '.join(PARTS[args.part])}): {len(articles)} articles, sentences 0-5; "
          "gold names "
          + ", ".join(f"{t} {gold[t]}" for t in TYPES) + f"; model {spacy_nlp.DEFAULT_MODEL}")
    print("labels: PERSON->PER, ORG->ORG, GPE/LOC/FAC->LOC\n")
    errors: Counter = Counter()
    results = {"(a) raw spaCy": score(articles, raw), "(b) entities plugin": score(articles, plugin, errors)}
    for match in ("strict", "overlap"):
        print(f"{match} match")
        for kind in (*TYPES, "all"):
            for system, scores in results.items():
                print(f"  {kind:4} {system:20} {scores[match, kind].line()}")
        print()
    if args.errors:
        print(f"commonest plugin errors ({ERRORS_MATCH} match):")
        for error, n in errors.most_common(args.errors):
            print(f"  {n:3}  {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
