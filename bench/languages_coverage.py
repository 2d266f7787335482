"""Entities per language with per-language models, beside the old behaviour (every page through English).

    python bench/languages_coverage.py                  # ../shared/evaldata/newspaper4k_pages/docs
    python bench/languages_coverage.py FOLDER

`etl run` (in this process, extract = spacy, natasha, entities) over the pages twice: (a) as before
this change, every language mapped to the English model (`[plugins.spacy] models`), and (b) with the
installed models only (English; French and Russian when their extras are installed). For each page
language (as the HTML parser reads it): pages, characters of body text, entity mentions and mentions
per 1,000 characters, and the commonest mention texts of (a) for languages (b) leaves without a model.
No text is written anywhere but a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "evaldata" / "newspaper4k_pages" / "docs"


def run_once(folder: Path, out: Path, models: dict[str, str]):
    from etl.config import Config
    from etl.run import run

    config = Config(out=out, workers=1, stages={"extract": ["spacy", "natasha", "entities"]},
                    plugins={"spacy": {"models": models}})
    summary = run([str(folder)], config, load_entrypoints=False)
    import pyarrow.parquet as pq

    articles = pq.read_table(out / "tables" / "articles.parquet").to_pylist()
    entities = pq.read_table(out / "tables" / "entities.parquet").to_pylist()
    return summary, articles, entities


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"skipped: {args.folder} is absent")
        return 0
    sys.path.insert(0, str(REPO))
    from etl import language_code
    from etl_plugins.spacy.models import DEFAULT_MODEL

    with tempfile.TemporaryDirectory() as tmp:
        _, articles, _ = run_once(args.folder, Path(tmp) / "probe", {})
        languages = sorted({language_code(a["language"]) for a in articles} - {None})
        before = run_once(args.folder, Path(tmp) / "before", {code: DEFAULT_MODEL for code in languages})
        after = run_once(args.folder, Path(tmp) / "after", {})
    print(f"{len(articles)} pages from {args.folder}; mentions per 1,000 characters of body text")
    print(f"{'language':9} {'pages':>5} {'chars':>7}  {'(a) English model for all':>26}  {'(b) per-language':>17}")
    for language in [*languages, None]:
        rows = []
        for _, arts, ents in (before, after):
            docs = {a["doc_id"]: a for a in arts if language_code(a["language"]) == language}
            chars = sum(len(a["text"]) for a in docs.values())
            found = [e for e in ents if e["doc_id"] in docs and e["segment"] is None]
            rows.append((len(docs), chars, found))
        (pages, chars, found_a), (_, _, found_b) = rows
        rate = lambda found: 1000 * len(found) / chars if chars else 0.0  # noqa: E731
        print(f"{language or '(none)':9} {pages:5} {chars:7}  {len(found_a):12} ({rate(found_a):6.1f}/1k)"
              f"  {len(found_b):6} ({rate(found_b):5.1f}/1k)")
    uncovered = after[0].warnings
    print("\nrun summary of (b): " + next((w for w in uncovered if "no NLP plugin covers" in w), "(no warning)"))
    print("\ncommonest mentions of (a) on pages (b) leaves unparsed:")
    parsed_b = {e["doc_id"] for e in after[2]}
    sample = defaultdict(Counter)
    by_doc = {a["doc_id"]: language_code(a["language"]) for a in before[1]}
    for e in before[2]:
        if e["doc_id"] not in parsed_b and by_doc.get(e["doc_id"]) not in (None, "en"):
            sample[by_doc[e["doc_id"]]][(e["text"][:30], e["label"])] += 1
    for language, counts in sorted(sample.items()):
        print(f"  {language}: " + ", ".join(f"{text!r} {label}" for (text, label), _ in counts.most_common(6)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
