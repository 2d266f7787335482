"""bench/enrich_scale.py's synthetic layer, at a tiny size: the host's schemas, and the distributions it
declares (lengths, rows per document, name reuse, copies with near-equal signatures)."""

from __future__ import annotations

import math
import sys
from collections import Counter

import duckdb
import numpy as np
import pytest

from conftest import REPO
from etl.config import Config
from etl.manager import get_plugin_manager
from etl.pipeline import Pipeline
from etl.store import Store

sys.path.insert(0, str(REPO / "bench"))
import enrich_scale as bench  # noqa: E402 - bench/ is not a package

DOCS = 300


@pytest.fixture(scope="module")
def layer(tmp_path_factory):
    out = tmp_path_factory.mktemp("enrich-scale") / "out"
    pipeline = Pipeline(get_plugin_manager(load_entrypoints=False), Config(out=out))
    corpus = bench.Corpus(DOCS, seed=3)
    bench.write_layer(out, corpus, DOCS, 0, pipeline)
    db = duckdb.connect()
    store = Store.open(out)
    try:
        live = store.manifest.live_docs()
        for table in pipeline.tables:
            files = store.parts.files(sorted(store.manifest.live_parts()), table)
            if files:
                db.execute(f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet(?)', [files])
    finally:
        store.close()
    return out, pipeline, db, live


def test_parts_have_the_pipelines_schemas_and_the_manifest_names_every_document(layer):
    out, pipeline, db, live = layer
    files = list((out / ".etl" / "parts").glob("*/*.parquet"))
    assert {f.stem for f in files} >= {"articles", "sentences", "entities", "claims", "events", "dates", "figures",
                                       "copy_signatures"}
    import pyarrow.parquet as pq
    for path in files:
        assert pq.read_schema(path).remove_metadata() == pipeline.tables[path.stem].remove_metadata(), path.stem
    assert len(live) == DOCS == db.execute("SELECT count(DISTINCT doc_id) FROM articles").fetchone()[0]


def test_offsets_point_at_the_rows_text(layer):
    _, _, db, _ = layer
    for table in ("entities", "events", "dates", "figures"):
        wrong = db.execute(f"""SELECT count(*) FROM {table} t JOIN articles a USING (doc_id)
                           WHERE substr(a.text, t.start + 1, t."end" - t.start) <> t.text""").fetchone()[0]
        assert wrong == 0, table
    sentences_out_of_text = db.execute("""SELECT count(*) FROM sentences s JOIN articles a USING (doc_id)
                                      WHERE s."end" > length(a.text) OR s.start >= s."end" """).fetchone()[0]
    assert sentences_out_of_text == 0


def test_rows_per_document_follow_the_declared_rates(layer):
    _, _, db, _ = layer
    words = db.execute("SELECT avg(word_count) FROM articles").fetchone()[0]
    assert words == pytest.approx(math.exp(bench.WORDS_LOG_MEAN + bench.WORDS_LOG_SD ** 2 / 2), rel=0.15)
    for table, rate in (("entities", bench.NAMES_PER_100_WORDS * bench.MENTIONS_PER_NAME),
                        ("events", bench.EVENTS_PER_100_WORDS), ("claims", bench.CLAIMS_PER_100_WORDS),
                        ("dates", bench.DATES_PER_100_WORDS), ("figures", bench.FIGURES_PER_100_WORDS)):
        per_doc = db.execute(f"SELECT count(*) / {DOCS} FROM {table}").fetchone()[0]
        assert per_doc == pytest.approx(rate * words / 100, rel=0.25), table
    labels = dict(db.execute("SELECT label, count(*) / sum(count(*)) OVER () FROM entities GROUP BY 1").fetchall())
    declared = bench.NAME_LABELS["PERSON"] / sum(bench.NAME_LABELS.values())
    assert labels["PERSON"] == pytest.approx(declared, abs=0.12)


def test_names_are_reused_across_documents_like_news_names(layer):
    _, _, db, _ = layer
    documents_per_name = Counter(dict(db.execute(
        "SELECT lower(text), count(DISTINCT doc_id) FROM entities GROUP BY 1").fetchall()))
    once = sum(1 for n in documents_per_name.values() if n == 1)
    # Most names appear in one document, a few in many (BBC: 79% in one, the commonest in a quarter).
    assert 0.5 < once / len(documents_per_name) < 0.95
    assert documents_per_name.most_common(1)[0][1] >= DOCS // 20


def test_copies_share_text_and_have_near_equal_signatures(layer):
    _, _, db, _ = layer
    exact = db.execute("SELECT count(*) FROM (SELECT text_sha256 FROM copy_signatures GROUP BY 1 HAVING count(*) > 1)"
                   ).fetchone()[0]
    assert exact >= 1
    rows = db.execute("SELECT doc_id, minhash FROM copy_signatures ORDER BY doc_id").fetchall()
    ids, signatures = [r[0] for r in rows], np.array([r[1] for r in rows])
    agreement = {}
    for i, a in enumerate(ids):
        shared = (signatures[i + 1:] == signatures[i]).mean(axis=1)
        agreement.update(((a, b), value) for b, value in zip(ids[i + 1:], shared.tolist()))
    near = [pair for pair, value in agreement.items() if 0.5 <= value < 1]
    unrelated = sorted(agreement.values())[len(agreement) // 2]
    assert len(near) >= DOCS * bench.NEAR_COPIES / 3  # near copies' signatures are near-equal ...
    assert unrelated < 0.1  # ... and two documents taken at random agree on few values
    # A near copy keeps its source's words in place (a sentence dropped, a few words changed).
    words = {d: text.split() for d, text in db.execute("SELECT doc_id, text FROM articles").fetchall()}
    for a, b in near:
        same = sum(x == y for x, y in zip(words[a], words[b])) / min(len(words[a]), len(words[b]))
        assert same > 0.9


def test_the_benchs_signatures_are_the_copies_plugins(layer):
    """The bench computes signatures itself (a million documents), the way the plugin's extract does."""
    _, pipeline, db, _ = layer
    from etl.model import Document

    step = next(s for s in pipeline.plans["extract"] if s.plugin == "copies")
    rows = db.execute("SELECT a.doc_id, a.text, c.minhash, c.text_sha256 FROM articles a "
                      "JOIN copy_signatures c USING (doc_id) ORDER BY a.doc_id LIMIT 5").fetchall()
    documents = [Document(doc_id=d, source_uri="", content_sha256="", text=text) for d, text, _, _ in rows]
    step(documents=documents, config=pipeline.config, run=None)
    for document, (_, _, minhash, sha) in zip(documents, rows):
        [own] = document.records["copy_signatures"]
        assert (own["minhash"], own["text_sha256"]) == (minhash, sha)
