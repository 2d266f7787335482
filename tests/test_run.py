"""End-to-end behaviour of `etl run` on the seeds: tables, identity, incremental runs, failures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import SEEDS, read_table, rows, run_pipeline
from etl import hookimpl
from etl.config import Config
from etl.manager import get_plugin_manager
from etl.model import BASE_TABLES, doc_id_for
from etl.pipeline import Pipeline
from etl_plugins import DEFAULT_PLUGINS


def test_seeds_become_five_articles_with_every_table_published(seeds_out):
    articles = rows(seeds_out, "articles")
    assert len(articles) == 5
    assert {a["source_uri"] for a in articles} == {p.resolve().as_uri() for p in SEEDS.glob("*.txt")}
    for article in articles:
        assert article["doc_id"] == doc_id_for(article["source_uri"])
        assert article["word_count"] == len(article["text"].split()) > 100
    for table in BASE_TABLES:
        assert list((seeds_out / "tables" / table).glob("*.parquet")), table


def test_every_parquet_file_carries_the_declared_schema(seeds_out):
    for table, schema in BASE_TABLES.items():
        for path in (seeds_out / "tables" / table).glob("*.parquet"):
            assert pq.read_schema(path).equals(schema), path


def test_record_tables_exist_with_their_full_schema_while_no_plugin_fills_them(seeds_copy, tmp_path):
    fillers = [name for name, _ in DEFAULT_PLUGINS if name in ("claims", "dates", "figures")]
    out = tmp_path / "out"
    run_pipeline(seeds_copy, out, disable=tuple(fillers))
    for table in ("claims", "dates", "figures"):
        published = read_table(out, table)
        assert published.num_rows == 0
        assert published.schema.equals(BASE_TABLES[table])


def test_every_entity_text_is_the_slice_of_its_article(seeds_out):
    texts = {a["doc_id"]: a["text"] for a in rows(seeds_out, "articles")}
    entities = rows(seeds_out, "entities")
    assert len(entities) > 50
    segments = {(s["doc_id"], s["seq"]): s["text"] for s in rows(seeds_out, "segments")}
    for entity in entities:
        # A headline's or caption's entity points into its segment (`segment`), a body entity into the article.
        if entity["segment"] is None:
            assert texts[entity["doc_id"]][entity["start"]:entity["end"]] == entity["text"]
            assert entity["plugin"] == "entities" and entity["sentence"] >= 0
        else:
            assert segments[entity["doc_id"], entity["segment"]][entity["start"]:entity["end"]] == entity["text"]
    assert len({e["mention_id"] for e in entities}) == len(entities)


def test_known_people_are_found_as_persons(seeds_out):
    persons = {e["text"] for e in rows(seeds_out, "entities") if e["label"] == "PERSON"}
    assert {"Valery Gerasimov", "Vladimir Putin"} <= persons


def test_sentences_never_span_paragraphs(seeds_out):
    texts = {a["doc_id"]: a["text"] for a in rows(seeds_out, "articles")}
    by_sentence = {}
    for entity in rows(seeds_out, "entities"):
        by_sentence.setdefault((entity["doc_id"], entity["sentence"]), []).append(entity)
    for (doc_id, _), mentions in by_sentence.items():
        first, last = min(m["start"] for m in mentions), max(m["end"] for m in mentions)
        assert "\n\n" not in texts[doc_id][first:last]


def test_body_segments_point_into_the_article_text(seeds_out):
    texts = {a["doc_id"]: a["text"] for a in rows(seeds_out, "articles")}
    for segment in rows(seeds_out, "segments"):
        if segment["label"] == "body":
            assert texts[segment["doc_id"]][segment["start"]:segment["end"]] == segment["text"]
        else:
            assert segment["start"] is None and segment["end"] is None


def test_catalog_views_answer_sql_from_any_duckdb_client(seeds_out):
    con = duckdb.connect(str(seeds_out / "etl.duckdb"), read_only=True)
    labels = dict(con.execute("SELECT label, count(*) FROM entities GROUP BY 1").fetchall())
    assert labels["PERSON"] >= 5
    overview = con.execute("SELECT sum(articles) FROM source_overview").fetchone()[0]
    assert overview == 5
    mention = con.execute(
        "SELECT text, before, after FROM entity_mentions WHERE text = 'Valery Gerasimov' LIMIT 1").fetchone()
    assert mention[0] == "Valery Gerasimov" and mention[1] and mention[2]


def test_the_runs_table_records_each_run(seeds_out):
    (run,) = rows(seeds_out, "runs")
    assert run["status"] == "completed" and run["docs_new"] == 5 and run["docs_seen"] == 5
    assert {p["name"] for p in run["plugins"]} >= {"text", "markdown", "spacy", "entities", "parquet"}


def _tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_an_unchanged_run_extracts_enriches_and_publishes_nothing(seeds_copy, tmp_path):
    out = tmp_path / "out"
    first = run_pipeline(seeds_copy, out)
    assert first.documents["new"] == 5 and first.published == first.run_id
    parts_before = _tree(out / ".etl" / "parts")
    version = (out / "tables").resolve()
    second = run_pipeline(seeds_copy, out)
    assert second.documents == {"seen": 5, "new": 0, "changed": 0, "unchanged": 5, "failed": 0, "partial": 0}
    assert second.status == "unchanged" and second.published == first.run_id
    assert "enrich" not in second.timings and second.rows["articles"] == 5 and second.rows["entities"] > 0
    assert _tree(out / ".etl" / "parts") == parts_before
    assert (out / "tables").resolve() == version, "the published version stays"
    (seeds_copy / "000_7e4e04cfcd5cffd0.txt").touch()  # touched, not changed: still nothing to publish
    assert run_pipeline(seeds_copy, out).status == "unchanged"
    changed = seeds_copy / "000_7e4e04cfcd5cffd0.txt"
    changed.write_text(changed.read_text() + "\nKramatorsk was shelled again on Friday.\n")
    third = run_pipeline(seeds_copy, out)
    assert third.status == "completed" and (out / "tables").resolve() != version
    assert [r["status"] for r in rows(out, "runs")] == ["completed", "unchanged", "unchanged", "completed"]
    version = (out / "tables").resolve()
    assert run_pipeline(seeds_copy, out, rebuild=True).status == "completed" and (out / "tables").resolve() != version


def test_an_enrich_setting_a_view_or_a_prune_publishes_again(seeds_copy, tmp_path):
    out = tmp_path / "out"
    run_pipeline(seeds_copy, out, stages={"extract": ()})
    assert run_pipeline(seeds_copy, out, stages={"extract": ()}).status == "unchanged"
    changed = run_pipeline(seeds_copy, out, stages={"extract": ()}, plugins={"copies": {"copy_containment": 0.9}})
    assert changed.status == "completed", "an enrich plugin's setting decides the published tables"
    (seeds_copy / "new.txt").write_text("Volodymyr Zelensky visited Kharkiv on Monday.\n")
    run_pipeline(seeds_copy, out, stages={"extract": ()}, plugins={"copies": {"copy_containment": 0.9}})
    (seeds_copy / "new.txt").unlink()
    kept = run_pipeline(seeds_copy, out, stages={"extract": ()}, plugins={"copies": {"copy_containment": 0.9}})
    assert kept.status == "unchanged" and read_table(out, "articles").num_rows == 6
    pruned = run_pipeline(seeds_copy, out, prune=True, stages={"extract": ()},
                          plugins={"copies": {"copy_containment": 0.9}})
    assert pruned.status == "completed" and read_table(out, "articles").num_rows == 5


def test_changed_added_and_removed_files(seeds_copy, tmp_path):
    out = tmp_path / "out"
    run_pipeline(seeds_copy, out)
    changed = seeds_copy / "000_7e4e04cfcd5cffd0.txt"
    changed.write_text(changed.read_text() + "\nKramatorsk was shelled again on Friday.\n")
    (seeds_copy / "new.txt").write_text("Volodymyr Zelensky visited Kharkiv on Monday.\n")
    summary = run_pipeline(seeds_copy, out)
    assert summary.documents == {"seen": 6, "new": 1, "changed": 1, "unchanged": 4, "failed": 0, "partial": 0}
    texts = {a["source_uri"]: a["text"] for a in rows(out, "articles")}
    assert "shelled again" in texts[changed.resolve().as_uri()]
    assert len(texts) == 6

    (seeds_copy / "new.txt").unlink()
    kept = run_pipeline(seeds_copy, out)
    assert read_table(out, "articles").num_rows == 6, "a vanished file stays until --prune"
    assert kept.documents["unchanged"] == 5
    run_pipeline(seeds_copy, out, prune=True)
    assert read_table(out, "articles").num_rows == 5
    doc_ids = [e["doc_id"] for e in rows(out, "entities")]
    assert doc_id_for((seeds_copy / "new.txt").resolve().as_uri()) not in doc_ids


def test_a_plugin_failing_on_one_document_costs_only_its_own_rows_of_that_document(seeds_copy, tmp_path):
    class Fragile:
        @hookimpl
        def etl_extract(self, documents, config):
            for doc in documents:
                doc.add("entities", start=0, end=1, text=doc.text[0], label="FIRST")
                if "Pohorilyi" in doc.text:
                    raise RuntimeError("cannot handle Pohorilyi")

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Fragile(), "fragile")
    out = tmp_path / "out"
    summary = run_pipeline(seeds_copy, out, pm=pm)
    assert summary.documents["failed"] == 0 and summary.documents["new"] == 5 and summary.documents["partial"] == 1
    (error,) = rows(out, "errors")
    assert (error["stage"], error["plugin"], error["error_type"]) == ("extract", "fragile", "RuntimeError")
    assert "Pohorilyi" in error["message"]
    assert error["source_uri"].endswith("003_1ff6ca32c0ee6749.txt")
    articles = rows(out, "articles")
    assert error["doc_id"] in {a["doc_id"] for a in articles} and len(articles) == 5
    firsts = [e for e in rows(out, "entities") if e["label"] == "FIRST"]
    assert len(firsts) == 4, "the batch call was undone and re-run per document, without duplicates"
    assert error["doc_id"] not in {e["doc_id"] for e in firsts}
    assert {e["plugin"] for e in firsts} == {"fragile"}, "the host names the plugin on rows that leave it out"
    others = [e for e in rows(out, "entities") if e["doc_id"] == error["doc_id"] and e["plugin"] == "entities"]
    claims = [c for c in rows(out, "claims") if c["doc_id"] == error["doc_id"]]
    assert others and claims, "the other plugins' rows of that document stay"


def test_failed_documents_are_retried_only_when_asked(seeds_copy, tmp_path):
    flaky = {"fail": True}

    class Flaky:
        @hookimpl
        def etl_clean(self, documents):
            if flaky["fail"] and any("Kremlin" in s.text for d in documents for s in d.segments):
                raise ValueError("transient")

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Flaky(), "flaky")
    out = tmp_path / "out"
    assert run_pipeline(seeds_copy, out, pm=pm).documents["partial"] >= 1
    failed = {e["doc_id"] for e in rows(out, "errors")}
    flaky["fail"] = False
    again = run_pipeline(seeds_copy, out, pm=pm)
    assert again.documents["partial"] == 0 and again.documents["new"] == 0
    assert {e["doc_id"] for e in rows(out, "errors")} == failed, "unchanged failures are kept, not retried"
    retried = run_pipeline(seeds_copy, out, pm=pm, retry_errors=True)
    assert retried.documents["changed"] == len(failed) and retried.documents["unchanged"] == 5 - len(failed)
    assert rows(out, "errors") == [] and read_table(out, "articles").num_rows == 5


def test_a_plugin_setting_change_reprocesses_every_document(seeds_copy, tmp_path):
    out = tmp_path / "out"
    run_pipeline(seeds_copy, out)
    summary = run_pipeline(seeds_copy, out, plugins={"entities": {"exclude_labels": ["NORP"]}})
    assert summary.documents["changed"] == 5
    assert "NORP" not in {e["label"] for e in rows(out, "entities")}
    assert "DATE" in {e["label"] for e in rows(out, "entities")}


def test_stage_order_from_config_decides_who_runs_first(tmp_path):
    calls = []

    class First:
        @hookimpl
        def etl_clean(self, documents):
            calls.append("first")

    class Second:
        @hookimpl
        def etl_clean(self, documents):
            calls.append("second")

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(First(), "first")
    pm.register(Second(), "second")
    pipeline = Pipeline(pm, Config(stages={"clean": ("second", "markdown", "first")}))
    assert [s.plugin for s in pipeline.plans["clean"]] == ["second", "markdown", "first"]
    default = Pipeline(pm, Config())
    assert [s.plugin for s in default.plans["clean"]] == ["markdown", "normalize", "furniture", "metadata", "language",
                                                            "first", "second"]
    assert default.unselected() == {}
    assert Pipeline(pm, Config(stages={"clean": ("first",)})).unselected()["clean"] == [
        "markdown", "normalize", "furniture", "metadata", "language", "second"]


def test_plugin_tables_are_written_published_and_viewed(seeds_copy, tmp_path):
    import pyarrow as pa

    class Lengths:
        @hookimpl
        def etl_tables(self):
            return {"paragraph_lengths": pa.schema([("seq", pa.int32()), ("chars", pa.int64())])}

        @hookimpl
        def etl_views(self):
            return {"longest_paragraphs": "-- Which paragraphs are longest?\n"
                                          "SELECT * FROM paragraph_lengths ORDER BY chars DESC LIMIT 3"}

        @hookimpl
        def etl_extract(self, documents):
            for doc in documents:
                for segment in doc.body:
                    doc.add("paragraph_lengths", seq=segment.seq, chars=len(segment.text))

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Lengths(), "lengths")
    out = tmp_path / "out"
    run_pipeline(seeds_copy, out, pm=pm)
    table = read_table(out, "paragraph_lengths")
    assert table.schema.names == ["doc_id", "seq", "chars", "run_id"]
    assert table.num_rows == sum(1 for s in rows(out, "segments") if s["label"] == "body")
    con = duckdb.connect(str(out / "etl.duckdb"), read_only=True)
    top = con.execute("SELECT chars FROM longest_paragraphs").fetchall()
    assert [r[0] for r in top] == sorted(table.column("chars").to_pylist(), reverse=True)[:3]


def test_a_misspelled_column_costs_the_plugin_its_rows_naming_table_and_column(seeds_copy, tmp_path):
    class Typo:
        @hookimpl
        def etl_extract(self, documents):
            for doc in documents:
                doc.add("entities", start=0, end=1, text="x", lable="PERSON", plugin="typo")

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Typo(), "typo")
    out = tmp_path / "out"
    summary = run_pipeline(seeds_copy, out, pm=pm)
    assert summary.documents["failed"] == 0 and summary.documents["partial"] == 5
    errors = rows(out, "errors")
    assert len(errors) == 5 and all("'lable'" in e["message"] and "entities" in e["message"] for e in errors)
    assert {(e["plugin"], e["error_type"]) for e in errors} == {("typo", "SchemaError")}
    assert "typo" not in {e["plugin"] for e in rows(out, "entities")}
    assert {e["plugin"] for e in rows(out, "entities")} == {"entities"}, "the entities plugin's rows stay"


def test_an_enrich_failure_is_recorded_and_the_run_still_publishes(seeds_copy, tmp_path):
    class Broken:
        @hookimpl
        def etl_enrich(self, db):
            raise KeyError("no such column")

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(Broken(), "broken_enrich")
    out = tmp_path / "out"
    summary = run_pipeline(seeds_copy, out, pm=pm)
    assert any("broken_enrich" in w for w in summary.warnings)
    (error,) = rows(out, "errors")
    assert (error["stage"], error["plugin"], error["doc_id"]) == ("enrich", "broken_enrich", None)
    assert read_table(out, "articles").num_rows == 5


def test_a_failing_loader_publishes_nothing_and_keeps_the_previous_version(seeds_copy, tmp_path):
    from etl.errors import PluginError

    out = tmp_path / "out"
    run_pipeline(seeds_copy, out)
    before = read_table(out, "articles")

    class BadLoader:
        @hookimpl
        def etl_load(self, db, config):
            raise OSError("disk full")

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(BadLoader(), "bad_loader")
    (seeds_copy / "extra.txt").write_text("A new report from Kharkiv.\n")
    with pytest.raises(PluginError, match="bad_loader.*nothing was published"):
        run_pipeline(seeds_copy, out, pm=pm)
    assert read_table(out, "articles").equals(before)
    assert len(list((out / ".versions").iterdir())) == 1
    with sqlite3.connect(out / ".etl" / "state.sqlite") as state:
        statuses = [r[0] for r in state.execute("SELECT status FROM runs ORDER BY started_at")]
    assert statuses == ["completed", "interrupted"]


def test_one_run_at_a_time_per_output_folder(tmp_path):
    from etl.errors import StoreError
    from etl.store import Store

    holder = Store.open(tmp_path / "out")
    try:
        with pytest.raises(StoreError, match="another `etl run`.*pid"):
            Store.open(tmp_path / "out")
    finally:
        holder.close()
    Store.open(tmp_path / "out").close()


def test_the_output_folder_is_skipped_when_it_sits_inside_the_input(seeds_copy):
    out = seeds_copy / "etl-out"
    run_pipeline(seeds_copy, out)
    summary = run_pipeline(seeds_copy, out)
    assert summary.documents["seen"] == 5 and summary.documents["failed"] == 0


def test_parts_are_compacted_when_small_or_dead(seeds_copy, tmp_path):
    out = tmp_path / "out"
    run_pipeline(seeds_copy, out, batch_size=1)
    parts = [p for p in (out / ".etl" / "parts").iterdir()]
    assert len(parts) == 1, "five one-document parts are merged into one"
    (seeds_copy / "002_a302675719bf0699.txt").write_text("Replaced text about Lyman.\n")
    run_pipeline(seeds_copy, out, batch_size=1)
    assert len(list((out / ".etl" / "parts").iterdir())) == 1
    assert read_table(out, "articles").num_rows == 5
    assert sorted(a["doc_id"] for a in rows(out, "articles")) == sorted({a["doc_id"] for a in rows(out, "articles")})


def test_compaction_merges_parts_of_like_size_so_that_a_small_run_does_not_rewrite_the_corpus():
    from etl.store.parts import MERGE_RATIO, merge_groups, merged_part_name

    def part(run: int, name: str) -> str:
        return f"20261101T{run:02d}0000000000Z-{run:06x}-{name}"

    first_run = {part(1, f"{i:02d}"): 64 for i in range(35)}
    assert merge_groups(first_run, first_run, 10_000) == [sorted(first_run)], "one run's parts become one"
    corpus = {part(1, "merged"): 2240}
    daily = {**corpus, part(2, "a"): 22}
    assert merge_groups(daily, daily, 10_000) == [], "1% more documents leaves the corpus's part as it is"
    # Small parts of later runs merge with each other once they are of a size.
    week = {**corpus, **{part(day, "a"): 22 for day in range(2, 6)}}
    assert merge_groups(week, week, 10_000) == [[part(day, "a") for day in range(2, 6)]]
    # ... and into the corpus's part once they are a fourth of it.
    grown = {**corpus, part(2, "merged"): 2240 // MERGE_RATIO}
    assert merge_groups(grown, grown, 10_000) == [sorted(grown)]
    # A merged part keeps its place by age: made in run 3 from runs 1 and 2, it is not run 3's own part, and
    # the next small runs merge with run 3's part, not with it.
    compacted = {part(1, "a"): 1000, part(2, "a"): 1000, part(3, "a"): 100}
    assert merge_groups(compacted, compacted, 10_000) == [[part(1, "a"), part(2, "a")]]
    later = {merged_part_name([part(1, "a"), part(2, "a")]): 2000, part(3, "a"): 100, part(4, "a"): 100}
    assert merge_groups(later, later, 10_000) == [[part(3, "a"), part(4, "a")]]
    # A part at the target size is never merged with others; one more than half dead is rewritten alone.
    full = {part(1, "full"): 10_000, part(2, "a"): 10}
    assert merge_groups(full, full, 10_000) == []
    assert merge_groups(full, {**full, part(1, "full"): 25_000}, 10_000) == [[part(1, "full")]]


def test_every_sentence_index_leads_to_the_sentence_that_holds_the_row(seeds_out):
    spans = {(s["doc_id"], s["sentence"]): (s["start"], s["end"]) for s in rows(seeds_out, "sentences")}
    for table in ("entities", "dates"):
        found = rows(seeds_out, table)
        assert found, table
        for row in found:
            if row.get("segment") is not None:
                continue  # a caption's or headline's row: offsets into its segment, no sentence of the body
            start, end = spans[(row["doc_id"], row["sentence"])]
            assert start <= row["start"] and row["end"] <= end, (table, row["text"])
    texts = {a["doc_id"]: a["text"] for a in rows(seeds_out, "articles")}
    for (doc_id, _), (start, end) in spans.items():
        assert texts[doc_id][start:end].strip() and "\n\n" not in texts[doc_id][start:end]


def test_tasks_shrink_towards_the_end_so_that_workers_finish_together():
    from etl.run import TASK_MAX_BYTES, plan_local, task_files

    def finish_times(sizes, workers):
        free = [0] * workers
        for size in sizes:  # each task goes to the worker that is free first, as a pool hands them out
            free[free.index(min(free))] += size
        return free

    todo = [(f"f{i}", 1000) for i in range(300)]
    sizes = [len(task) for task in task_files(todo, 64, 2)]
    assert [item for task in task_files(todo, 64, 2) for item in task] == todo  # every file once, in order
    assert sizes[0] == 64 and max(sizes) == 64 and min(sizes[:-1]) == 8  # down to an eighth of a batch
    done = finish_times(sizes, 2)
    assert max(done) - min(done) <= 8, done
    whole_batches = finish_times([64, 64, 64, 64, 44], 2)
    assert max(whole_batches) - min(whole_batches) > 8  # what equal tasks did: one worker ran on alone
    assert [len(t) for t in task_files(todo[:100], 64, 1)] == [64, 36]  # one worker: whole batches
    big = [("big", TASK_MAX_BYTES // 2)] * 4
    assert [len(t) for t in task_files(big, 64, 2)] == [2, 2]  # the byte limit still cuts tasks
    # One batch or less stays in this process; beyond, the workers asked for, up to the tasks there are.
    assert plan_local(todo[:64], 64, 4)[0] == 1
    assert plan_local(todo[:100], 64, 4)[0] == 4
    workers, tasks = plan_local(todo[:65], 64, 64)
    assert workers == len(tasks) == 9  # 65 files in eighths of a batch: nine tasks for nine workers
