"""The watch list runs through the etl host on a tiny corpus written by the test."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import etl_watchlist as plugin
import pyarrow.parquet as pq
import pytest

from etl.config import Config
from etl.errors import PluginError
from etl.manager import get_plugin_manager
from etl.run import run

STORIES = {
    "monday.md": "# Talks resume\n\n2025-03-03\n\nKaja Kallas met ministers in Brussels on Monday. "
                 "The EU’s foreign policy chief said talks would resume.\n",
    "friday.md": "# Aid package agreed\n\n2025-03-07\n\nThe EU's top diplomat announced an aid package. "
                 "Kallas called it overdue.\n\nNo one else spoke.\n",
}
TERMS = [{"term": "Kaja Kallas", "aliases": ["Kallas", "EU's foreign policy chief", "EU's top diplomat"]}, "Brussels"]


def run_with_plugin(tmp_path, terms=TERMS, extract=("spacy", "watchlist")):
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for name, text in STORIES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    pm = get_plugin_manager(load_entrypoints=False)  # the built-ins and this plugin only
    pm.register(plugin, plugin.NAME)
    out = tmp_path / "out"
    config = Config(out=out, workers=1, stages={"extract": list(extract)}, plugins={plugin.NAME: {"terms": terms}})
    run([str(corpus)], config, pm=pm, load_entrypoints=False)
    return out


def test_aliases_count_for_their_term_with_the_sentence_and_a_timeline(tmp_path):
    out = run_with_plugin(tmp_path)
    hits = pq.read_table(out / "tables" / "watch_hits.parquet").to_pylist()
    assert sorted((h["term"], h["matched"]) for h in hits) == [
        ("Brussels", "Brussels"), ("Kaja Kallas", "EU's top diplomat"), ("Kaja Kallas", "EU’s foreign policy chief"),
        ("Kaja Kallas", "Kaja Kallas"), ("Kaja Kallas", "Kallas")]
    assert {h["sentence_text"] for h in hits if h["matched"] == "Kallas"} == {"Kallas called it overdue."}
    with duckdb.connect(str(out / "etl.duckdb"), read_only=True) as con:
        timeline = con.execute(
            "SELECT matched, published_at FROM watchlist_timeline WHERE term = 'Kaja Kallas'").fetchall()
        summary = con.execute("SELECT term, mentions, articles FROM watchlist_summary").fetchall()
    assert [m for m, _ in timeline] == ["Kaja Kallas", "EU’s foreign policy chief", "EU's top diplomat", "Kallas"]
    assert timeline[0][1] == datetime(2025, 3, 3, tzinfo=timezone.utc)
    assert summary == [("Kaja Kallas", 4, 2), ("Brussels", 1, 1)]


def test_without_spacy_the_paragraph_stands_in_for_the_sentence(tmp_path):
    out = run_with_plugin(tmp_path, terms=["Brussels"], extract=("watchlist",))
    (hit,) = pq.read_table(out / "tables" / "watch_hits.parquet").to_pylist()
    assert hit["sentence"] is None and hit["sentence_text"].startswith("Kaja Kallas met ministers in Brussels")


def test_a_malformed_watch_list_stops_the_run_before_it_starts(tmp_path):
    with pytest.raises(PluginError, match=r"terms: \{'name': 'Kallas'\} is neither"):
        run_with_plugin(tmp_path, terms=[{"name": "Kallas"}])
