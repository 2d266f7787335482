"""What parsing the segments beside the body costs: the `spacy` plugin with and without them, per document.

    python bench/segments_cost.py                 # 300 BBC articles, three alternated pairs
    python bench/segments_cost.py --docs 1000 --repeat 5

The `spacy` plugin parses the headline, standfirst, captions and date line of each document in the
same `nlp.pipe` call as the bodies, and `entities` and `figures` read those parses. BBC articles (the
text parser makes their first line the `headline` segment) go through the text parser and the spacy,
entities and figures plugins' extract hooks in this process, once with the segments labelled as they
are and once with them relabelled `other` (not parsed); runs alternate so that a machine's drift
falls on both. Reports seconds per run, milliseconds per document added, and the rows segments add.
No text is written anywhere.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BBC = REPO.parent / "shared" / "evaldata" / "bbc_fulltext"


def documents(paths):
    from etl import Document
    from etl_plugins.text import split_title

    docs = []
    for index, path in enumerate(paths):
        text = path.read_bytes().decode("utf-8", errors="replace")
        doc = Document(doc_id=str(index), source_uri=path.as_uri(), content_sha256="")
        title, body = split_title(text)
        if title:
            doc.add_segment(title, "headline")
        blocks = [block.strip() for block in body.split("\n\n") if block.strip()]
        for block in blocks:
            doc.add_segment(block, "body")
        doc.text = "\n\n".join(blocks)
        docs.append(doc)
    return docs


def one_run(paths, with_segments: bool, config, run) -> tuple[float, int]:
    import etl_plugins.entities.plugin as entities
    import etl_plugins.figures as figures
    import etl_plugins.spacy.plugin as spacy_nlp

    docs = documents(paths)
    if not with_segments:
        for doc in docs:
            for segment in doc.segments:
                if segment.label != "body":
                    segment.label = "other"
    started = time.perf_counter()
    for first in range(0, len(docs), 64):
        batch = docs[first:first + 64]
        spacy_nlp.etl_extract(documents=batch, config=config, run=run)
        entities.etl_extract(documents=batch, config=config)
        figures.etl_extract(documents=batch, config=config)
    seconds = time.perf_counter() - started
    segment_rows = sum(1 for doc in docs for table in ("entities", "figures")
                       for row in doc.records.get(table, []) if row.get("segment") is not None)
    return seconds, segment_rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not BBC.is_dir():
        print(f"skipped: {BBC} is absent")
        return 0
    sys.path.insert(0, str(REPO))
    from etl import Config
    from etl.context import RunContext
    from etl.manager import get_plugin_manager
    from etl.pipeline import Pipeline

    paths = sorted(BBC.glob("*/*.txt"))[:: max(1, 2225 // args.docs)][:args.docs]
    config = Pipeline(get_plugin_manager(load_entrypoints=False), Config(workers=1)).config
    run = RunContext(run_id="bench", out=Path("."))
    one_run(paths[:64], True, config, run)  # load the model outside the timing
    timings = {True: [], False: []}
    rows = 0
    for _ in range(args.repeat):
        for with_segments in (False, True):
            seconds, found = one_run(paths, with_segments, config, run)
            timings[with_segments].append(seconds)
            rows = max(rows, found)
    # The same cost measured alone, less exposed to a shared machine's drift: the segments' texts only.
    import etl_plugins.spacy.plugin as spacy_nlp

    nlp = spacy_nlp.pipeline_for(config.settings("spacy"))
    texts = [s.text for doc in documents(paths) for s in doc.segments if s.label in spacy_nlp.PARSED_SEGMENTS]
    alone = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for parsed in nlp.pipe(texts, batch_size=64):
            pass
        alone.append(time.perf_counter() - started)
    without, with_ = statistics.median(timings[False]), statistics.median(timings[True])
    print(f"{len(paths)} BBC articles (headline segments: one per article), spacy + entities + figures extract")
    print(f"  without segments: {', '.join(f'{s:.2f}' for s in timings[False])} s (median {without:.2f})")
    print(f"  with segments:    {', '.join(f'{s:.2f}' for s in timings[True])} s (median {with_:.2f})")
    print(f"  added: {1000 * (with_ - without) / len(paths):.2f} ms per document "
          f"({100 * (with_ - without) / without:+.1f}%); rows from segments: {rows} entities and figures")
    print(f"  the {len(texts)} segment texts alone through nlp.pipe: median {statistics.median(alone):.2f} s, "
          f"{1000 * statistics.median(alone) / len(paths):.2f} ms per document")
    return 0


if __name__ == "__main__":
    sys.exit(main())
