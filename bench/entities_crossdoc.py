"""Cross-document entity identity on MEANTIME (English Wikinews): `entity_links` against same-text.

    python bench/entities_crossdoc.py [--part dev|heldout|all]     # ../shared/evaldata/meantime_en
    python bench/entities_crossdoc.py PATH [--part ...]

Parts: the rules were tuned on `dev` (corpus_airbus, corpus_apple); `heldout` (corpus_gm, corpus_stock) is
only reported. Each part is linked on its own (its 60 articles, topics mixed); `all` links the 120.

Gold. MEANTIME links every entity mention (through REFERS_TO) to a document-level ENTITY whose
`instance_id` is the same across the 120 articles (4 topics of 30). Items are the gold mentions marked
as names (`syntactic_type` NAM or PRE.NAM) that the pipeline also found: a predicted mention
overlaps them (the one with the largest overlap is taken). Names the pipeline missed are not
items, so recall here is of identity, not of detection (bench/ner_meantime.py measures detection).

Systems, over the same aligned mentions: (a) baseline, one entity per lower-cased mention text;
(b) the `entity_id` given by the `entity_links` enrich plugin, run over all 120 articles at once
(topics mixed, as in a real corpus), after spaCy and the `entities` plugin.

Score. B-cubed precision, recall and F1 over the items: for a mention, precision is the share of the
mentions in its predicted cluster that share its gold instance, recall the share of its gold
instance's mentions that are in its predicted cluster; both averaged over mentions.

Text. Rebuilt from the tokens by `bench/meantime.py`, as for bench/ner_meantime.py; no corpus text is written
anywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from coref_metrics import b_cubed_of_labels  # noqa: E402 - bench/ is not a package: found through sys.path
from meantime import read_tokens

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "evaldata" / "meantime_en"
NAMES = ("NAM", "PRE.NAM")
PARTS = {"dev": ("corpus_airbus", "corpus_apple"), "heldout": ("corpus_gm", "corpus_stock"),
         "all": ("corpus_airbus", "corpus_apple", "corpus_gm", "corpus_stock")}


@dataclass
class Article:
    name: str
    text: str
    gold: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, instance, type


def read_article(path: Path) -> Article:
    tokens = read_tokens(path)
    article = Article(f"{path.parent.name}/{path.stem}", tokens.text)
    refers_to = tokens.referents(lambda entity: (entity.get("instance_id"), entity.get("ent_type")))
    for mention in tokens.root.find("Markables").findall("ENTITY_MENTION"):
        span = tokens.mention_span(mention)
        target = refers_to.get(mention.get("m_id"))
        if span and target and target[0] and mention.get("syntactic_type") in NAMES:
            article.gold.append((*span, *target))
    return article


def predict(articles: list[Article]) -> list[list[dict]]:
    """spaCy, the entities plugin, then entity_links over every article at once: entity rows per article."""
    import duckdb
    import pyarrow as pa

    import etl_plugins.entities.links as entity_links
    import etl_plugins.entities.plugin as entities
    import etl_plugins.spacy.plugin as spacy_nlp
    from etl import Config, Document
    from etl.model import BASE_TABLES

    nlp = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))
    config = Config(plugins={"entities": {"exclude_labels": entities.NOT_NAMES}})
    docs = []
    for article, parsed in zip(articles, nlp.pipe(a.text for a in articles)):
        doc = Document(doc_id=article.name, source_uri=article.name, content_sha256="", text=article.text)
        doc.nlp = parsed
        entities.etl_extract(documents=[doc], config=config)
        docs.append(doc)
    db = duckdb.connect()
    for table, schema in BASE_TABLES.items():
        rows = {"articles": [{"doc_id": d.doc_id, "text": d.text} for d in docs],
                "entities": [dict(r, doc_id=d.doc_id) for d in docs for r in d.entities]}.get(table, [])
        db.register("_rows", pa.Table.from_pylist(rows, schema=schema))
        db.execute(f'CREATE TABLE "{table}" AS SELECT * FROM _rows')
        db.unregister("_rows")
    entity_links.etl_enrich(db=db, config=config, changes=None)
    found = defaultdict(list)
    for doc_id, start, end, text, entity_id in db.execute(
            'SELECT doc_id, start, "end", text, entity_id FROM entities ORDER BY doc_id, start').fetchall():
        found[doc_id].append({"start": start, "end": end, "text": text, "entity_id": entity_id})
    return [found[a.name] for a in articles]


def align(articles: list[Article], predicted: list[list[dict]]):
    """(gold instance, gold type, predicted mention) for each gold name some prediction overlaps."""
    for article, mentions in zip(articles, predicted):
        for start, end, instance, kind in article.gold:
            overlap = [(min(end, m["end"]) - max(start, m["start"]), -m["start"], i)
                       for i, m in enumerate(mentions) if m["start"] < end and start < m["end"]]
            if overlap:
                yield instance, kind, mentions[max(overlap)[2]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--part", choices=sorted(PARTS), default="all",
                        help="dev: the sub-corpora the rules were tuned on; heldout: the others")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"skipped: {args.corpus} is absent (MEANTIME lives in ../shared/evaldata/meantime_en)")
        return 0
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    articles = [read_article(p) for corpus in PARTS[args.part]
                for p in sorted(args.corpus.glob(f"intra_cross-doc_annotation/{corpus}/*.xml"))]
    items = list(align(articles, predict(articles)))
    gold_names = sum(len(a.gold) for a in articles)
    print(f"MEANTIME English ({args.part}: {', '.join(PARTS[args.part])}): {len(articles)} articles; "
          f"gold names {gold_names}, found by the pipeline "
          f"{len(items)} ({len(items) / gold_names:.1%}), gold entities among them "
          f"{len({i for i, _, _ in items})}\n")
    print("B-cubed over the found gold names        precision  recall   F1")
    for kind in ("PER", "ORG", "LOC", "PRO", "FIN", "all"):
        chosen = [(i, m) for i, k, m in items if kind in (k, "all")]
        if not chosen:
            continue
        gold = [i for i, _ in chosen]
        for system, labels in (("(a) same lower-cased text", [m["text"].lower() for _, m in chosen]),
                               ("(b) entity_links entity_id", [m["entity_id"] for _, m in chosen])):
            p, r, f = b_cubed_of_labels(gold, labels)
            print(f"  {kind:3} n={len(chosen):4}  {system:27} {p:8.1%} {r:8.1%} {f:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
