"""claim_clusters called incrementally leaves exactly what a full call over the final corpus leaves.

The plugin is called on hand-built extraction tables (the real schemas, the columns the plugin reads),
with the columns earlier enrich plugins provide (event ids, entity ids, `derived_from`, speakers' entity
ids) already as they would be for each corpus. The host is simulated: a full call on corpus A, then the
removed documents' rows deleted, the added documents' rows inserted as extracted, the touched documents'
upstream columns updated, and the call told which; the result is compared with a full call on corpus B.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from conftest import SEEDS, read_table, run_pipeline
from etl import Changes
from etl.config import Config
from etl.incremental import register
from etl.manager import get_plugin_manager
from etl.pipeline import Pipeline
from plugins.claims import clusters

TABLES = ("articles", "claims", "events", "entities")
#: What earlier enrich plugins provide in what claim_clusters reads: a change there alone is a touch.
UPSTREAM = {"claims": ("speaker_entity_id",), "events": ("event_id", "patient_entity_id", "place_entity_id"),
            "entities": ("entity_id",), "articles": ("derived_from",)}


@pytest.fixture(scope="module")
def schemas():
    pipeline = Pipeline(get_plugin_manager(load_entrypoints=False), Config(out=Path("unused")))
    return {table: pipeline.tables[table] for table in TABLES}


def claim(doc, n, content, *, cue="said", stance="assert", speaker="Minister", speaker_id=None):
    start = 100 * n
    return {"doc_id": doc, "claim_id": f"{doc}-c{n}", "content": content, "cue": cue, "cue_start": start - 10,
            "stance": stance, "start": start, "end": start + len(content), "speaker": speaker,
            "speaker_entity_id": speaker_id, "plugin": "claims"}


def event(doc, n, at, event_class, event_id, target=None, modality="asserted"):
    return {"doc_id": doc, "event_mention_id": f"{doc}-e{n}", "start": at, "end": at + 5, "kind": "verbal",
            "event_class": event_class, "modality": modality, "patient_entity_id": target, "event_id": event_id}


def entity(doc, n, at, text, entity_id):
    return {"doc_id": doc, "mention_id": f"{doc}-m{n}", "start": at, "end": at + len(text), "text": text,
            "entity_id": entity_id}


def doc(doc_id, claims=(), events=(), entities=(), derived_from=None):
    return {"articles": [{"doc_id": doc_id, "derived_from": derived_from, "text": ""}], "claims": list(claims),
            "events": list(events), "entities": list(entities)}


def captured(doc_id, event_id, place="Q-siversk"):
    """A report that `place` was captured: the event `event_id`."""
    return doc(doc_id, [claim(doc_id, 1, "Russian forces captured the town")],
               [event(doc_id, 1, 115, "capture", event_id, place)])


def holds(doc_id, place="Q-siversk"):
    """A statement that `place` still holds out: it denies the corpus's capture of `place`, when there is one."""
    return doc(doc_id, [claim(doc_id, 1, "The town remains under Ukrainian control")],
               [event(doc_id, 1, 110, "hold", f"hold-{doc_id}", place)])


def words_only(doc_id, content, *names, speaker="Minister", derived_from=None, speaker_id=None):
    """A claim with no event: its proposition is its content words and the entities it names."""
    entities = [entity(doc_id, i, 100 + content.index(text), text, entity_id)
                for i, (text, entity_id) in enumerate(names)]
    return doc(doc_id, [claim(doc_id, 1, content, speaker=speaker, speaker_id=speaker_id)], entities=entities,
               derived_from=derived_from)


def fresh(schemas, corpus):
    db = duckdb.connect()
    for table, schema in schemas.items():
        db.register("_empty", schema.empty_table())
        db.execute(f"CREATE TABLE {table} AS SELECT * FROM _empty")
        db.unregister("_empty")
    for document in corpus.values():
        insert(db, schemas, document)
    return db


def insert(db, schemas, document, tables=TABLES):
    for table in tables:
        if document[table]:
            schema = schemas[table]
            rows = [{name: row.get(name) for name in schema.names} for row in document[table]]
            db.register("_rows", pa.Table.from_pylist(rows, schema=schema))
            db.execute(f"INSERT INTO {table} SELECT * FROM _rows")
            db.unregister("_rows")


def enrich(db, changes=None):
    if changes is not None:
        register(db, changes)
    clusters.etl_enrich(db=db, changes=changes)
    return db


def extracted(document):
    """The document as extraction writes it: without what earlier enrich plugins provide."""
    return {table: [{k: v for k, v in row.items() if k not in UPSTREAM[table]} for row in rows]
            for table, rows in document.items()}


def incremental(db, schemas, before, after):
    """The host's part between a run on `before` and one on `after`, then the incremental call."""
    changed = {d for d in before.keys() & after.keys() if extracted(before[d]) != extracted(after[d])}
    added = frozenset(after.keys() - before.keys() | changed)
    removed = frozenset(before.keys() - after.keys() | changed)
    db.register("_gone", pa.table({"doc_id": pa.array(sorted(removed), pa.string())}))
    for table in TABLES:
        db.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT doc_id FROM _gone)")
    db.unregister("_gone")
    for doc_id in sorted(added):
        insert(db, schemas, after[doc_id])
    touched = frozenset(d for d in before.keys() & after.keys() - added if before[d] != after[d])
    for doc_id in sorted(touched):
        # Earlier plugins rewrote their columns in these documents' rows; the claims' own outputs stay.
        for table in ("events", "entities", "articles"):
            db.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])
        insert(db, schemas, after[doc_id], ("events", "entities", "articles"))
        for row in after[doc_id]["claims"]:
            db.execute("UPDATE claims SET speaker_entity_id = ? WHERE claim_id = ?",
                       [row["speaker_entity_id"], row["claim_id"]])
    return enrich(db, Changes(added=added, removed=removed, touched=touched))


def outputs(db):
    rows = db.execute("SELECT claim_id, cluster_id, event_id, stance FROM claims").fetchall()
    return {row[0]: row[1:] for row in rows}


def assert_as_full(db, schemas, corpus):
    expected = outputs(enrich(fresh(schemas, corpus)))
    assert outputs(db) == expected
    return expected


def test_new_reports_of_another_capture_move_an_old_denial_and_removing_them_restores_its_stance(schemas):
    first = {d["articles"][0]["doc_id"]: d for d in (captured("a1", "E1"), captured("a2", "E1"), holds("h"))}
    db = enrich(fresh(schemas, first))
    assert outputs(db)["h-c1"][1:] == ("E1", "deny")

    # Three reports of another capture of the place outnumber the first: the old denial, in a document
    # neither added nor touched, now denies that one.
    second = first | {f"b{i}": captured(f"b{i}", "E2") for i in range(3)}
    result = assert_as_full(incremental(db, schemas, first, second), schemas, second)
    assert result["h-c1"][1:] == ("E2", "deny")
    assert result["h-c1"][0] == result["b0-c1"][0]

    # With no capture left, the statement is its own again, with the stance extraction gave it.
    third = {"h": first["h"], "x": words_only("x", "Prices rose sharply")}
    result = assert_as_full(incremental(db, schemas, second, third), schemas, third)
    assert result["h-c1"][1:] == ("hold-h", "assert")


def test_a_merge_of_entities_joins_two_statements_and_a_split_parts_them(schemas):
    first = {"w1": words_only("w1", "Brussels budget plan is a disgrace", ("Brussels", "Q-brussels")),
             "w2": words_only("w2", "Brussels budget plan is a disgrace", ("Brussels", "Q-brussels-2"))}
    db = enrich(fresh(schemas, first))
    assert outputs(db)["w1-c1"][0] != outputs(db)["w2-c1"][0]
    # A new document links the two spellings' clusters (entity_links): w2 is touched, not added.
    second = first | {"w2": words_only("w2", "Brussels budget plan is a disgrace", ("Brussels", "Q-brussels")),
                      "w3": words_only("w3", "Brussels talks resume", ("Brussels", "Q-brussels"))}
    result = assert_as_full(incremental(db, schemas, first, second), schemas, second)
    assert result["w1-c1"][0] == result["w2-c1"][0]
    result = assert_as_full(incremental(db, schemas, second, first), schemas, first)
    assert result["w1-c1"][0] != result["w2-c1"][0]


def test_a_rewrite_follows_its_changed_source_and_is_its_own_again_when_the_source_goes(schemas):
    source = words_only("s", "We are ready to fight on until victory", speaker="Zelensky")
    rewrite = words_only("r", "We are prepared to fight on until victory", speaker="Zelensky", derived_from="s")
    first = {"s": source, "r": rewrite}
    db = enrich(fresh(schemas, first))
    assert outputs(db)["r-c1"][0] == outputs(db)["s-c1"][0]
    # The source's text changed (removed and added); the rewrite is neither, and follows it still.
    second = {"s": words_only("s", "We are ready to fight on until the victory comes", speaker="Zelensky"),
              "r": rewrite}
    result = assert_as_full(incremental(db, schemas, first, second), schemas, second)
    assert result["r-c1"][0] == result["s-c1"][0] != outputs(enrich(fresh(schemas, first)))["s-c1"][0]
    # The source gone, and `derived_from` left pointing at it (no copies plugin to clear it).
    third = {"r": rewrite}
    result = assert_as_full(incremental(db, schemas, second, third), schemas, third)
    alone = words_only("r", "We are prepared to fight on until victory", speaker="Zelensky")
    assert result["r-c1"][0] == outputs(enrich(fresh(schemas, {"r": alone})))["r-c1"][0]


def test_a_claim_that_points_back_moves_with_the_claim_before_it_when_its_event_is_relinked(schemas):
    def story(event_id):
        return doc("p", [claim("p", 1, "Rebels seized the airport"), claim("p", 2, "the claim",
                                                                          cue="denied", stance="deny")],
                   [event("p", 1, 107, "capture", event_id, "Q-airport")])

    first = {"p": story("E1"), "q": captured("q", "E3", "Q-airport")}
    db = enrich(fresh(schemas, first))
    assert outputs(db)["p-c2"][0] == outputs(db)["p-c1"][0] != outputs(db)["q-c1"][0]
    # event_links links p's seizure with q's capture (a new document made them one story): p is touched.
    second = {"p": story("E3"), "q": first["q"], "n": captured("n", "E3", "Q-airport")}
    result = assert_as_full(incremental(db, schemas, first, second), schemas, second)
    assert result["p-c2"][0] == result["p-c1"][0] == result["q-c1"][0]


def test_any_sequence_of_additions_removals_and_changes_ends_as_a_full_call(schemas):
    pool = {}
    for i in range(4):
        pool[f"c{i}"] = captured(f"c{i}", "E1")
        pool[f"d{i}"] = captured(f"d{i}", "E2")
    for i in range(3):
        pool[f"h{i}"] = holds(f"h{i}")
    pool["s"] = words_only("s", "We are ready to fight on until victory", speaker="Zelensky")
    for i in range(2):
        pool[f"r{i}"] = words_only(f"r{i}", "We are prepared to fight on until victory", speaker="Zelensky",
                                   derived_from="s")
    variants = {"s": words_only("s", "Negotiations are not on the table", speaker="Zelensky"),
                "c0": captured("c0", "E2"), "h0": holds("h0", "Q-other")}
    rng = random.Random(7)
    corpus = {k: v for k, v in pool.items() if rng.random() < 0.5}
    db = enrich(fresh(schemas, corpus))
    for _ in range(8):
        following = {k: v for k, v in pool.items() if rng.random() < 0.6}
        following |= {k: v for k, v in variants.items() if k in following and rng.random() < 0.5}
        incremental(db, schemas, corpus, following)
        assert_as_full(db, schemas, following)
        corpus = following


def test_an_incremental_call_without_the_working_tables_fails_so_the_host_redoes_everything(schemas):
    db = fresh(schemas, {"h": holds("h")})
    with pytest.raises(RuntimeError, match="working tables"):
        enrich(db, Changes(added=frozenset({"h"})))


@pytest.mark.slow
def test_a_second_run_over_more_documents_is_incremental_and_publishes_what_a_fresh_run_does(tmp_path):
    # The other enrich plugins are not incremental yet: with them the host would redo everything.
    others = ("copies", "dates", "event_links", "entity_links", "figures")
    corpus = tmp_path / "in"
    corpus.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for path in seeds[:3]:
        (corpus / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    run_pipeline(corpus, out, disable=others)
    for path in seeds[3:]:
        (corpus / path.name).write_bytes(path.read_bytes())
    summary = run_pipeline(corpus, out, disable=others)
    assert summary.enrich["mode"] == "incremental" and summary.enrich["added"] == len(seeds) - 3
    scratch = tmp_path / "scratch"
    run_pipeline(corpus, scratch, disable=others)

    def claims(folder):
        return sorted((r["claim_id"], r["cluster_id"], r["event_id"], r["stance"])
                      for r in read_table(folder, "claims").to_pylist())

    assert claims(out) == claims(scratch) and len(claims(out)) > 0


def test_the_host_passes_changes_to_the_plugin():
    # pluggy leaves out of a hook call every argument of the implementation that has a default: with
    # `changes=None` the host's incremental calls would all reach the plugin as full ones.
    pipeline = Pipeline(get_plugin_manager(load_entrypoints=False), Config(out=Path("unused")))
    step = next(s for s in pipeline.plans["enrich"] if s.plugin == clusters.NAME)
    assert "changes" in step.argnames


def test_a_state_kept_without_the_per_document_counts_recounts_and_still_ends_as_a_full_call(schemas):
    first = {d["articles"][0]["doc_id"]: d for d in (captured("a1", "E1"), captured("a2", "E1"), holds("h"))}
    db = enrich(fresh(schemas, first))
    db.execute(f"DROP TABLE {clusters.COUNTS}")  # as a version that did not keep them left the state
    second = first | {f"b{i}": captured(f"b{i}", "E2") for i in range(3)}
    result = assert_as_full(incremental(db, schemas, first, second), schemas, second)
    assert result["h-c1"][1:] == ("E2", "deny")
