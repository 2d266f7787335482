"""The example plugin package in examples/etl-watchlist, registered on a fresh manager and run on the seeds."""

from __future__ import annotations

import importlib.util
import re

import duckdb
import pytest

from conftest import REPO, SEEDS, rows, run_pipeline
from etl.manager import get_plugin_manager

PACKAGE = REPO / "examples" / "etl-watchlist"
TERMS = [
    "Siversk",
    {"term": "Valery Gerasimov", "aliases": ["Gerasimov", "Chief of the General Staff"]},
    {"term": "Vladimir Putin", "aliases": ["Putin"]},
]


@pytest.fixture(scope="module")
def watchlist_out(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("etl_watchlist", PACKAGE / "etl_watchlist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(module, "watchlist")
    out = tmp_path_factory.mktemp("watchlist") / "out"
    run_pipeline(SEEDS, out, pm=pm, stages={"extract": ["spacy", "entities", "watchlist"]},
                 plugins={"watchlist": {"terms": TERMS}})
    return out


def test_every_mention_in_the_seeds_is_a_row_with_its_sentence(watchlist_out):
    hits = rows(watchlist_out, "watch_hits")
    texts = {a["doc_id"]: a["text"] for a in rows(watchlist_out, "articles")}
    sentences = {(s["doc_id"], s["sentence"]): (s["start"], s["end"]) for s in rows(watchlist_out, "sentences")}
    expected = {"Siversk": r"(?i)\bSiversk\b", "Vladimir Putin": r"\bPutin\b"}
    for term, pattern in expected.items():
        in_text = sum(len(re.findall(pattern, text)) for text in texts.values())
        assert len([h for h in hits if h["term"] == term]) == in_text > 0, term
    for hit in hits:
        assert texts[hit["doc_id"]][hit["start"]:hit["end"]] == hit["matched"]
        start, end = sentences[(hit["doc_id"], hit["sentence"])]
        assert start <= hit["start"] < hit["end"] <= end
        assert hit["sentence_text"] == texts[hit["doc_id"]][start:end]
    gerasimov = {h["matched"].lower() for h in hits if h["term"] == "Valery Gerasimov"}
    assert gerasimov == {"valery gerasimov", "gerasimov", "chief of the general staff"}  # case-insensitive


def test_the_views_order_mentions_by_publication_and_count_them(watchlist_out):
    with duckdb.connect(str(watchlist_out / "etl.duckdb"), read_only=True) as con:
        timeline = con.execute("SELECT term, published_at FROM watchlist_timeline").fetchall()
        summary = con.execute("SELECT term, mentions, articles FROM watchlist_summary").fetchall()
    hits = rows(watchlist_out, "watch_hits")
    assert len(timeline) == len(hits)
    for term in {t for t, _ in timeline}:
        dates = [d for t, d in timeline if t == term and d is not None]
        assert dates == sorted(dates)
    counted = {term: (mentions, articles) for term, mentions, articles in summary}
    assert counted["Siversk"] == (len([h for h in hits if h["term"] == "Siversk"]), 5)
    assert summary[0][0] == "Siversk"  # the most mentioned first
