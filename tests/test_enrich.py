"""Corpus-wide enrichment on the seeds: copies, claim clusters and contradictions, figures, time."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from conftest import SEEDS, rows, run_pipeline
from etl.manager import get_plugin_manager


def by_name(out):
    return {Path(a["source_uri"]).name[:3]: a for a in rows(out, "articles")}


def query(out, sql):
    with duckdb.connect(str(out / "etl.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_002_is_a_rewrite_of_004_and_003_is_independent(seeds_out):
    articles = by_name(seeds_out)
    assert articles["002"]["dup_group"] == articles["004"]["dup_group"]
    assert articles["002"]["derived_from"] == articles["004"]["doc_id"]
    assert 0.5 < articles["002"]["derived_similarity"] <= 1
    assert articles["004"]["derived_from"] is None
    for independent in ("000", "001", "003"):
        assert articles[independent]["dup_group"] == articles[independent]["doc_id"]
        assert articles[independent]["derived_from"] is None
    assert len({a["dup_group"] for a in articles.values()}) == 4


def test_exact_and_near_copies_group_with_the_earliest_as_source(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = (SEEDS / "003_1ff6ca32c0ee6749.txt").read_text()
    (corpus / "original.txt").write_text(story)
    (corpus / "mirror.txt").write_text(story)
    trimmed = story.replace("Why Siversk matters", "Why the town matters").rsplit("Still, Pohorilyi", 1)[0]
    (corpus / "syndicated.txt").write_text(trimmed)
    (corpus / "other.txt").write_text((SEEDS / "000_7e4e04cfcd5cffd0.txt").read_text())
    out = tmp_path / "out"
    run_pipeline(corpus, out, disable=("claims", "dates", "figures"))
    articles = {Path(a["source_uri"]).name: a for a in rows(out, "articles")}
    group = {articles[n]["dup_group"] for n in ("original.txt", "mirror.txt", "syndicated.txt")}
    assert len(group) == 1 and articles["other.txt"]["dup_group"] not in group
    sources = {articles[n]["derived_from"] for n in ("original.txt", "mirror.txt", "syndicated.txt")}
    # Undated: the fullest article is the source; the others point at it.
    assert None in sources and len(sources - {None}) == 1
    assert articles["syndicated.txt"]["derived_from"] is not None


def test_copy_detection_compares_candidates_only(tmp_path):
    from etl_plugins import copies

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(sorted(SEEDS.glob("*.txt"))):
        (corpus / f"{i}.txt").write_text(seed.read_text())
    out = tmp_path / "out"
    run_pipeline(corpus, out, disable=("claims", "dates", "figures"))
    db = duckdb.connect()
    db.execute(f"CREATE TABLE copy_signatures AS SELECT * FROM read_parquet('{out}/tables/copy_signatures/*.parquet')")
    pairs = copies.candidate_pairs(db)
    ids = {a["doc_id"]: Path(a["source_uri"]).name for a in rows(out, "articles")}
    assert {tuple(sorted((ids[a], ids[b]))) for a, b in pairs} <= {("2.txt", "4.txt"), ("0.txt", "1.txt")}
    assert len(pairs) < 10  # ten would be every pair of five


def test_a_band_collision_alone_is_no_candidate_when_the_signatures_otherwise_disagree():
    """Unrelated articles share common words, so some band of their signatures collides; verifying every
    such pair would cost the square of the corpus. A pair is a candidate when its signatures also agree
    on enough of their values."""
    from etl_plugins import copies

    size = copies.BANDS * copies.ROWS
    one_band = list(range(copies.ROWS))  # the first band equal, nothing else
    agreeing = round(size * (copies.MIN_ESTIMATED_JACCARD + 0.1))
    signatures = {
        "base": list(range(size)),
        "background": one_band + [10_000 + i for i in range(copies.ROWS, size)],
        "rewrite": list(range(agreeing)) + [20_000 + i for i in range(agreeing, size)],
    }
    db = duckdb.connect()
    db.register("_signatures", pa.table({"doc_id": list(signatures), "text_sha256": list(signatures),
                                         "minhash": pa.array(list(signatures.values()), pa.list_(pa.uint32()))}))
    db.execute("CREATE TABLE copy_signatures AS SELECT * FROM _signatures")
    assert copies.candidate_pairs(db) == {("base", "rewrite")}


def test_the_capture_of_siversk_is_the_top_contradiction(seeds_out):
    top = query(seeds_out, "SELECT * FROM contradictions LIMIT 1")[0]
    assert "Siversk" in top["representative"] and any(
        w in top["representative"] for w in ("captured", "taken", "seized"))
    assert any("Gerasimov" in s for s in top["asserted_by"])
    assert any("Russia" in s or "Kremlin" in s or "Moscow" in s for s in top["asserted_by"])
    assert any("eastern command" in s for s in top["denied_by"])
    assert any("Butolin" in s for s in top["denied_by"])
    assert len(set(top["asserting_documents"]) | set(top["denying_documents"])) >= 3
    # 002 and 004 are one report: counted once on each side.
    assert top["asserting_sources"] == 4 and top["denying_sources"] == 2


def test_differently_worded_claims_of_one_proposition_share_a_cluster(seeds_out):
    claims = rows(seeds_out, "claims")
    def cluster_of(fragment):
        (claim,) = [c for c in claims if fragment in c["content"]]
        return claim["cluster_id"]
    capture = cluster_of("Moscow's forces had captured Siversk")
    assert cluster_of("its troops had seized full control of Siversk") == capture
    assert cluster_of("the city’s fall under Russian control") == capture
    assert cluster_of("talking about full control of the city is impossible") == capture
    assert cluster_of("the key settlement had been lost") == capture
    assert cluster_of("it had captured Pokrovsk") != capture
    assert cluster_of("the fall of Siversk, while not yet complete") != capture, "a warning is not a report"


def test_locals_helping_is_asserted_and_dismissed(seeds_out):
    clusters = query(seeds_out, "SELECT * FROM contradictions")
    locals_help = [c for c in clusters if "locals" in c["representative"].lower()]
    assert locals_help and locals_help[0]["denied_by"] == ["Ukrainian authorities"]


def test_siversk_population_is_a_figure_conflict(seeds_out):
    (conflict,) = [c for c in query(seeds_out, "SELECT * FROM figure_conflicts") if c["measure"] == "population"]
    assert conflict["about"].lower() == "siversk"
    values = {v["quantity"]: v for v in conflict["values"]}
    assert set(values) == {11000.0, 10000.0}
    assert len(values[11000.0]["documents"]) == 4 and values[11000.0]["sources"] == 3
    assert values[10000.0]["documents"] == ["What we know about Russia’s offensive in Siversk"]


def test_publication_dates_are_inferred_and_relative_dates_reanchored(seeds_out):
    articles = by_name(seeds_out)
    assert ((articles["002"]["published_at"].date(), articles["002"]["published_at_source"])
            == (date(2025, 12, 11), "group"))
    assert ((articles["003"]["published_at"].date(), articles["003"]["published_at_source"])
            == (date(2025, 12, 15), "latest_date"))
    assert articles["003"]["published_at_granularity"] == "day", "a date read from the text is a day"
    assert articles["002"]["published_at_granularity"] == articles["004"]["published_at_granularity"] is not None
    assert articles["000"]["published_at"] is None, "no full date in the text and no dated copy"
    thursday = [d for d in rows(seeds_out, "dates")
                if d["doc_id"] == articles["002"]["doc_id"] and d["text"] == "Thursday"]
    assert thursday[0]["value"] == "2025-12-11" and thursday[0]["anchor"] == "publication"


def test_events_overview_counts_what_was_said_to_happen_once_per_event(seeds_out):
    overview = query(seeds_out, "SELECT * FROM events_overview")
    counted = {r["event_id"]: r for r in query(seeds_out, """
        SELECT e.event_id, count(*) AS mentions, count(DISTINCT e.doc_id) AS articles,
               count(DISTINCT a.dup_group) AS sources, min(a.published_at) AS first_reported,
               min(e.range_start) AS date_from, max(e.range_end) AS date_to, count(e.event_class) AS classed
        FROM events e JOIN articles a USING (doc_id)
        WHERE e.modality = 'asserted' AND e.polarity = 'positive' AND e.event_class IS DISTINCT FROM 'report'
        GROUP BY 1""")}
    assert len({r["event_id"] for r in overview}) == len(overview) > 10
    for row in overview:
        expected = counted[row["event_id"]]
        # Hedged, conditional, goal and negated mentions are not counted; copies of one report count once.
        for column in ("mentions", "articles", "sources", "first_reported", "date_from", "date_to"):
            assert row[column] == expected[column], (column, row)
        assert row["what"] != "report" and (expected["classed"] or row["articles"] >= 2)
        assert (row["event_class"] is None) == (expected["classed"] == 0)
    order = [(-r["sources"], -r["articles"]) for r in overview]
    assert order == sorted(order)
    capture = overview[0]
    assert capture["what"] == "capture" and capture["places"] == ["Siversk"]
    assert capture["articles"] == 5 and capture["sources"] == 4, "002 rewrites 004: one source"
    assert capture["disputed"] and capture["first_reported"].date() == date(2025, 12, 11)
    assert capture["trigger"] in capture["sentence"] and "Siversk" in capture["sentence"]
    assert any("Russia" in p or "Moscow" in p for p in capture["participants"])
    disputed = {r["event_id"] for r in query(seeds_out, "SELECT event_id FROM contradictions")}
    assert {r["event_id"] for r in overview if r["disputed"]} == disputed & {r["event_id"] for r in overview}


def test_timeline_reads_the_course_of_events_in_order(seeds_out):
    timeline = query(seeds_out, "SELECT * FROM timeline")
    assert [(r["date"], r["date_end"]) for r in timeline] == sorted((r["date"], r["date_end"]) for r in timeline)
    texts = {a["doc_id"]: a["text"] for a in rows(seeds_out, "articles")}
    for row in timeline:  # the link marks the trigger, or the claim, inside the sentence shown
        assert texts[row["doc_id"]][row["start"]:row["end"]] == row["text"]
        assert row["text"] in row["sentence"] and "\n\n" not in row["sentence"]
    events = [r for r in timeline if r["kind"] == "event"]
    assert len({e["event_id"] for e in events}) == len(events), "each event once"

    # The capture of Siversk, reported by five articles: once, on the day the texts give, disputed.
    (capture,) = [e for e in events if e["what"] == "capture" and "Siversk" in e["places"]]
    assert (capture["date"], capture["date_end"], capture["granularity"], capture["date_source"]) == (
        date(2025, 12, 11), date(2025, 12, 11), "day", "text")
    assert capture["sources"] == 4 and capture["articles"] == 5 and capture["disputed"]
    assert "Dec. 11" in capture["sentence"] or "Thursday" in capture["sentence"]

    def sentences(day):
        return " ".join(e["sentence"] for e in events if e["date"] == day)
    assert "escalation" in sentences(date(2025, 11, 25))
    assert "infiltrating" in sentences(date(2025, 12, 10))
    assert "fighting" in sentences(date(2025, 12, 16))
    # An event of a known class that no text dates is placed on the day it was first reported.
    overview = {r["event_id"]: r for r in query(seeds_out, "SELECT * FROM events_overview")}
    reported = [e for e in events if e["date_source"] == "reported"]
    assert reported
    for event in reported:
        assert event["date"] == overview[event["event_id"]]["first_reported"].date()
        assert overview[event["event_id"]]["event_class"] is not None
    assert {e["event_id"] for e in events} <= set(overview)

    # Statements: one row per proposition, dated by when it was first said.
    statements = [r for r in timeline if r["kind"] == "statement"]
    first_said = {r["cluster_id"]: r["first"] for r in query(
        seeds_out, "SELECT cluster_id, min(claim_date) AS first FROM claims GROUP BY 1 HAVING first IS NOT NULL")}
    assert sorted(s["cluster_id"] for s in statements) == sorted(first_said)
    assert all(s["date"] == first_said[s["cluster_id"]] and s["date_source"] == "said" for s in statements)
    (said,) = [s for s in statements if s["event_id"] == capture["event_id"] and s["disputed"]]
    assert said["date"] == date(2025, 12, 11)
    assert any("Gerasimov" in name for name in said["speakers"]) and any("Butolin" in n for n in said["denied_by"])


@pytest.mark.slow
def test_the_event_views_open_in_the_duckdb_command_line_client(seeds_out):
    """The views are SQL every 1.x client parses (no lambdas): they are read by the client that opens them."""
    client = shutil.which("duckdb")
    if client is None:
        pytest.skip("the duckdb command-line client (pip install duckdb-cli) is not installed")
    for view in ("events_overview", "timeline", "claim_clusters", "contradictions"):
        sql = f"SELECT count(*) AS n FROM {view}"
        result = subprocess.run([client, "-readonly", "-csv", str(seeds_out / "etl.duckdb"), "-c", sql],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (view, result.stderr)
        assert result.stdout.split() == ["n", str(query(seeds_out, sql)[0]["n"])], view


@pytest.mark.parametrize("added", ["004_15ba4619f2207590.txt", "002_a302675719bf0699.txt"])
def test_an_incremental_run_equals_a_run_from_scratch(tmp_path, added):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):
        if seed.name != added:
            (corpus / seed.name).write_text(seed.read_text())
    incremental = tmp_path / "incremental"
    run_pipeline(corpus, incremental)
    (corpus / added).write_text((SEEDS / added).read_text())
    run_pipeline(corpus, incremental)
    scratch = tmp_path / "scratch"
    run_pipeline(corpus, scratch, pm=get_plugin_manager(load_entrypoints=False))
    for table in ("articles", "entities", "claims", "dates", "figures"):
        def strip(out):
            return sorted(str({k: v for k, v in r.items() if k != "run_id"}) for r in rows(out, table))
        assert strip(incremental) == strip(scratch), table


def test_tables_do_not_depend_on_how_documents_were_batched(tmp_path, seeds_out):
    """Part files have random names and workers finish in any order; the published rows, and their order,
    must come out the same (ties in enrich broken by content, never by row position)."""
    one_by_one = tmp_path / "one-by-one"
    run_pipeline(sorted(SEEDS.glob("*.txt"), reverse=True), one_by_one, batch_size=1)
    for table in ("articles", "entities", "claims", "dates", "figures", "sentences", "segments"):
        def strip(out):
            return [str({k: v for k, v in r.items() if k != "run_id"}) for r in rows(out, table)]
        assert strip(one_by_one) == strip(seeds_out), table
