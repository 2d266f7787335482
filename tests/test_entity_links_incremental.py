"""`entity_links` called with `changes` leaves what it provides equal to a call over the whole corpus.

The host is simulated as `etl.changes` describes it: the state a first call left (with the plugin's
`entity_links__*` tables), the removed and changed documents' rows deleted, the added and changed ones
inserted as extracted. The documents are small ones written for these tests."""

from __future__ import annotations

import random

import pytest
from test_entity_links import TRUMPS, corpus_db

import etl_plugins.entities.links as entity_links
from etl import Changes, Config

PROVIDED = {"entities": "doc_id, mention_id, label, entity_id, canonical_name",
            "claims": "doc_id, claim_id, speaker_entity_id"}


def build(documents: dict, claims: dict | None = None):
    """`corpus_db` with a claim for each (doc_id -> speaker text) of `claims`, spoken by its first mention."""
    db = corpus_db(documents)
    for doc_id, speaker in (claims or {}).items():
        if doc_id in documents:
            db.execute("INSERT INTO claims (doc_id, claim_id, speaker, speaker_mention_id) SELECT doc_id, ?, text, "
                       "mention_id FROM entities WHERE doc_id = ? AND text = ? ORDER BY start LIMIT 1",
                       [f"{doc_id}:c", doc_id, speaker])
    return db


def provided(db) -> dict[str, list[tuple]]:
    return {table: db.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
            for table, columns in PROVIDED.items()}


def full(documents: dict, claims: dict | None = None):
    db = build(documents, claims)
    entity_links.etl_enrich(db=db, config=Config(), changes=None)
    return db


def update(db, before: dict, after: dict, claims: dict | None = None, touched: frozenset = frozenset()):
    """What the host does between two runs, then the incremental call; returns the changes passed."""
    changed = {d for d in before.keys() & after.keys() if before[d] != after[d]}
    removed = (before.keys() - after.keys()) | changed
    added = (after.keys() - before.keys()) | changed
    extracted = build({d: after[d] for d in sorted(added | touched)}, claims)
    for table in ("articles", "segments", "entities", "claims"):
        db.execute(f"DELETE FROM {table} WHERE list_contains(?, doc_id)", [sorted(removed | touched)])
        db.register("_rows", extracted.sql(f"SELECT * FROM {table}").to_arrow_table())
        db.execute(f"INSERT INTO {table} SELECT * FROM _rows")
        db.unregister("_rows")
    changes = Changes(added=frozenset(added), removed=frozenset(removed), touched=frozenset(touched))
    entity_links.etl_enrich(db=db, config=Config(), changes=changes)
    return changes


def assert_steps(*corpora: dict, claims: dict | None = None):
    """Each corpus after the first reached incrementally from the one before equals a full call on it."""
    db = full(corpora[0], claims)
    for before, after in zip(corpora, corpora[1:]):
        update(db, before, after, claims)
        assert provided(db) == provided(full(after, claims))
        assert db.execute(f"SELECT count(*) FROM {entity_links.NODES}").fetchone()[0] > 0


def entity_ids(db) -> dict[tuple[str, str], str]:
    return {(d, t): e for d, t, e in db.execute("SELECT doc_id, text, entity_id FROM entities").fetchall()}


def test_a_new_namesake_splits_a_cluster_and_removing_it_joins_it_again():
    first = {k: TRUMPS[k] for k in ("d1", "d4")}
    grown = {**first, "d2": TRUMPS["d2"]}
    db = full(first)
    assert entity_ids(db)["d4", "Trump"] == entity_ids(db)["d1", "Donald Trump"]
    update(db, first, grown)
    assert provided(db) == provided(full(grown))
    assert entity_ids(db)["d4", "Trump"] != entity_ids(db)["d1", "Donald Trump"]  # split
    update(db, grown, first)
    assert provided(db) == provided(full(first))
    assert entity_ids(db)["d4", "Trump"] == entity_ids(db)["d1", "Donald Trump"]  # joined again


def test_a_new_document_joins_a_short_form_and_a_spelling_to_existing_entities():
    before = {
        "a": ("The GAO agreed. Fighting went on in Donbas.", [("GAO", "ORG"), ("Donbas", "GPE")]),
        "b": ("Residents of Donbass left.", [("Donbass", "GPE")]),
        "c": ("Olena Koval opened a bakery.", [("Olena Koval", "PERSON")]),
    }
    after = {**before, "d": ("The Government Accountability Office said so. Koval smiled.",
                             [("Government Accountability Office", "ORG"), ("Koval", "PERSON")])}
    assert_steps(before, after)
    db = full(after)
    ids = entity_ids(db)
    assert ids["a", "GAO"] == ids["d", "Government Accountability Office"]
    assert ids["d", "Koval"] == ids["c", "Olena Koval"] and ids["a", "Donbas"] == ids["b", "Donbass"]


def test_a_changed_document_changes_a_label_elsewhere_and_claims_follow():
    before = {
        "a": ("Bravik insists that the talks go on.", [("Bravik", "PERSON")]),
        "b": ("Heavy fighting was reported in Bravik overnight.", [("Bravik", "GPE")]),
        "c": ("Anna Petrova said the talks failed.", [("Anna Petrova", "PERSON")]),
    }
    after = {**before,
             "b": ("Heavy fighting was reported overnight, Petrova said.", [("Petrova", "PERSON")])}
    claims = {"a": "Bravik", "c": "Anna Petrova", "b": "Petrova"}
    db = full(before, claims)
    assert db.execute("SELECT label FROM entities WHERE doc_id = 'a'").fetchone()[0] == "GPE"  # place evidence
    update(db, before, after, claims)
    assert provided(db) == provided(full(after, claims))
    assert db.execute("SELECT label FROM entities WHERE doc_id = 'a'").fetchone()[0] == "PERSON"  # evidence gone
    speakers = dict(db.execute("SELECT doc_id, speaker_entity_id FROM claims").fetchall())
    assert speakers["b"] == speakers["c"] is not None


def test_a_touched_document_keeps_the_label_it_was_extracted_with():
    documents = {
        "a": ("Bravik insists that the talks go on.", [("Bravik", "PERSON")]),
        "b": ("Heavy fighting was reported in Bravik overnight.", [("Bravik", "GPE")]),
    }
    db = full(documents)
    # an earlier plugin rewrote nothing this plugin reads, but the host says "a" was touched: the rows it
    # holds are those this plugin wrote (GPE), not those extracted (PERSON)
    entity_links.etl_enrich(db=db, config=Config(), changes=Changes(touched=frozenset({"a"})))
    assert provided(db) == provided(full(documents))


def test_a_new_majority_language_renames_every_entity():
    before = {
        "en1": ("Shelling hit Siversk again.", [("Siversk", "GPE")], "en"),
        "en2": ("Residents left Siversk.", [("Siversk", "GPE")], "en"),
        "uk1": ("Сіверськ обстрілюють щодня.", [("Сіверськ", "GPE")], "uk"),
        "en3": ("Olena Koval spoke.", [("Olena Koval", "PERSON")], "en"),
    }
    after = {**before, "uk2": ("Сіверськ знову без світла.", [("Сіверськ", "GPE")], "uk"),
             "uk3": ("Сіверськ чекає.", [("Сіверськ", "GPE")], "uk"),
             "uk4": ("Сіверськ мовчить.", [("Сіверськ", "GPE")], "uk")}
    assert_steps(before, after, before)
    canonical = "SELECT DISTINCT canonical_name FROM entities WHERE doc_id IN ('en1', 'uk1') ORDER BY ALL"
    assert full(before).execute(canonical).fetchall() == [("Siversk",)]
    assert full(after).execute(canonical).fetchall() == [("Сіверськ",)]


def test_a_second_script_turns_the_cross_script_rules_on():
    before = {"en1": ("Shelling hit Siversk again.", [("Siversk", "GPE")], "en"),
              "en2": ("Volodymyr Zelensky spoke.", [("Volodymyr Zelensky", "PERSON")], "en")}
    after = {**before, "uk1": ("Бої біля Сіверська. Зеленського чекають.",
                               [("Сіверська", "GPE"), ("Зеленського", "PERSON")], "uk")}
    assert_steps(before, after, before)


def test_a_name_that_pushes_a_block_over_max_block_reclusters_the_block(monkeypatch):
    """Over MAX_BLOCK names, a block compares only neighbours: a new name between two spellings keeps them
    apart, though it is like neither of them."""
    monkeypatch.setattr(entity_links, "MAX_BLOCK", 2)
    monkeypatch.setattr(entity_links, "WINDOW", 1)
    pair = {"a": ("Shelling hit Novoselivka.", [("Novoselivka", "GPE")]),
            "b": ("Shelling hit Novoselovka.", [("Novoselovka", "GPE")])}
    between = {**pair, "x": ("Shelling hit Novoselkino.", [("Novoselkino", "GPE")])}
    assert_steps(pair, between, pair)
    assert len(set(entity_ids(full(pair)).values())) == 1 and len(set(entity_ids(full(between)).values())) == 3


POOL = {
    **TRUMPS,
    "p1": ("Northfield Mills cut prices. NM said demand was weak.", [("Northfield Mills", "ORG"), ("NM", "ORG")]),
    "p2": ("NM Europe opened a plant.", [("NM Europe", "ORG")]),
    "p3": ("NM posted a loss.", [("NM", "ORG")]),
    "p4": ("Orvald Motor Company raised prices.", [("Orvald Motor Company", "ORG")]),
    "p5": ("Orvald Australia closed a plant.", [("Orvald Australia", "ORG")]),
    "p6": ("Orvald sold more cars in Donbas.", [("Orvald", "ORG"), ("Donbas", "GPE")]),
    "p7": ("Heavy fighting in Donbass and in Bravik.", [("Donbass", "GPE"), ("Bravik", "GPE")]),
    "p8": ("Bravik insists that the talks go on.", [("Bravik", "PERSON")]),
    "p9": ("President Bravik said so, Anna Petrova wrote.", [("Bravik", "PERSON"), ("Anna Petrova", "PERSON")]),
    "p10": ("Petrova declined. Trump agreed.", [("Petrova", "PERSON"), ("Trump", "PERSON")]),
    "p11": ("The Northern Defence Agency Ltd signed.", [("Northern Defence Agency Ltd", "ORG")]),
    "p12": ("The Northern Defense Agency Company agreed.", [("Northern Defense Agency Company", "ORG")]),
    "p13": ("The Velkor K90 flew.", [("Velkor K90", "PRODUCT")]),
    "p14": ("The K90 and the Tarsk K90 landed.", [("K90", "PRODUCT"), ("Tarsk K90", "PRODUCT")]),
    "p15": ("The K90 flew again.", [("K90", "PRODUCT")]),
}
SPEAKERS = {"d1": "Donald Trump", "d4": "Trump", "p3": "NM", "p9": "Anna Petrova", "p10": "Petrova"}


@pytest.mark.parametrize("seed", range(4))
def test_random_additions_changes_and_removals_equal_a_full_call(seed):
    rng = random.Random(seed)
    current = dict(rng.sample(sorted(POOL.items()), 9))
    db = full(current, SPEAKERS)
    for _ in range(5):
        after = dict(current)
        for doc_id in rng.sample(sorted(POOL), 4):
            if doc_id in after and rng.random() < 0.5:
                del after[doc_id]
            elif doc_id in after:  # a changed document: another text of the pool under its id
                after[doc_id] = POOL[rng.choice(sorted(POOL))]
            else:
                after[doc_id] = POOL[doc_id]
        update(db, current, after, SPEAKERS)
        assert provided(db) == provided(full(after, SPEAKERS)), sorted(after)
        current = after


def test_without_state_an_incremental_call_is_a_full_one():
    db = build(TRUMPS)
    entity_links.etl_enrich(db=db, config=Config(), changes=Changes(added=frozenset(TRUMPS)))
    assert provided(db) == provided(full(TRUMPS))
