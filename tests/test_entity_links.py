"""Cross-document entities (`entity_links`): corpus-wide labels, entity ids, canonical names, the
claims' speaker entities and the `entity_index` view, on the seeds and on small made-up tables."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

import etl_plugins.entities.links as entity_links
from conftest import SEEDS, rows
from etl import DEMONYM_FORM, NAME_FORM, Config
from etl.model import ARTICLES, CLAIMS, ENTITIES, SEGMENTS, mention_id_for

PLACES = ("Siversk", "Kramatorsk", "Sloviansk", "Kyiv", "Pokrovsk")


@pytest.fixture(scope="module")
def linked_seeds(seeds_out):
    """The seeds through the whole pipeline (entity_links is a built-in enrich plugin)."""
    (run,) = rows(seeds_out, "runs")
    assert entity_links.NAME in {p["name"] for p in run["plugins"]}
    assert not rows(seeds_out, "errors")
    return seeds_out


# --- the seeds --------------------------------------------------------------------------------------


def test_places_are_places_in_every_document(linked_seeds):
    entities = rows(linked_seeds, "entities")
    for name in PLACES:
        labels = {(e["doc_id"], e["label"]) for e in entities if e["text"] == name}
        assert labels, name
        assert {label for _, label in labels} <= {"GPE", "LOC"}, (name, labels)
    kyiv_docs = {e["doc_id"] for e in entities if e["text"] == "Kyiv"}
    assert len(kyiv_docs) >= 4  # the metonymic "Kyiv insists" articles included


def test_every_entity_row_has_an_id_and_a_canonical_name(linked_seeds):
    entities = rows(linked_seeds, "entities")
    assert all(e["entity_id"] and e["canonical_name"] for e in entities)


def test_putin_is_one_entity_named_in_full(linked_seeds):
    entities = [e for e in rows(linked_seeds, "entities") if "Putin" in e["text"]]
    assert {e["text"] for e in entities} >= {"Putin", "Vladimir Putin"}
    assert len({e["entity_id"] for e in entities}) == 1
    assert {e["canonical_name"] for e in entities} == {"Vladimir Putin"}


def test_gerasimov_and_donbas_variants_are_one_entity_each(linked_seeds):
    entities = rows(linked_seeds, "entities")
    gerasimov = [e for e in entities if "Gerasimov" in e["text"]]
    assert {e["text"] for e in gerasimov} == {"Gerasimov", "Valery Gerasimov"}
    assert len({e["entity_id"] for e in gerasimov}) == 1
    donbas = [e for e in entities if e["text"] in ("Donbas", "Donbass")]
    assert {e["text"] for e in donbas} == {"Donbas", "Donbass"}
    assert len({e["entity_id"] for e in donbas}) == 1
    assert {e["canonical_name"] for e in donbas} == {"Donbas"}  # the commoner spelling


def test_people_and_places_do_not_share_ids(linked_seeds):
    by_id: dict[str, set] = {}
    for e in rows(linked_seeds, "entities"):
        kind = "PER" if e["label"] == "PERSON" else "LOC" if e["label"] in ("GPE", "LOC", "FAC") else e["label"]
        by_id.setdefault(e["entity_id"], set()).add(kind)
    assert all(len(kinds) == 1 for kinds in by_id.values())


def test_claim_speakers_get_their_entity(linked_seeds):
    mention_entity = {e["mention_id"]: e["entity_id"] for e in rows(linked_seeds, "entities")}
    claims = rows(linked_seeds, "claims")
    with_mention = [c for c in claims if c["speaker_mention_id"]]
    assert with_mention
    for claim in with_mention:
        assert claim["speaker_entity_id"] == mention_entity[claim["speaker_mention_id"]]
    putin = {c["speaker_entity_id"] for c in with_mention if c["speaker"] in ("Putin", "President Putin")}
    assert len(putin) == 1


def test_entity_index_view(linked_seeds):
    mentioning = sum("Putin" in path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt"))
    with duckdb.connect(str(linked_seeds / "etl.duckdb"), read_only=True) as con:
        row = con.execute("SELECT label, aliases, mentions, documents, first_published, last_published "
                          "FROM entity_index WHERE canonical_name = 'Vladimir Putin'").fetchall()
        assert len(row) == 1
        label, aliases, mentions, documents, first, last = row[0]
        assert label == "PERSON"
        assert {"Putin", "Vladimir Putin"} <= set(aliases)
        assert documents == mentioning
        assert mentions >= documents
        assert first is not None and first <= last
        total = con.execute("SELECT count(DISTINCT entity_id) FROM entities").fetchone()[0]
        assert con.execute("SELECT count(*) FROM entity_index").fetchone()[0] == total


# --- small made-up corpora -------------------------------------------------------------------------


def corpus_db(documents: dict[str, tuple]) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection shaped like the one enrich gets: `documents` maps doc_id to its text, its
    (mention text, label[, form]) tuples, found in the text in order, and optionally its language."""
    articles, entities = [], []
    for doc_id, (text, mentions, *language) in documents.items():
        articles.append({"doc_id": doc_id, "text": text, "language": language[0] if language else None})
        at = 0
        for surface, label, *form in mentions:
            start = text.index(surface, at)
            at = start + len(surface)
            entities.append({"doc_id": doc_id, "mention_id": mention_id_for(doc_id, start, at), "start": start,
                             "end": at, "text": surface, "label": label, "form": form[0] if form else NAME_FORM,
                             "sentence": 0, "plugin": "entities"})
    db = duckdb.connect()
    for name, schema, data in (("articles", ARTICLES, articles), ("segments", SEGMENTS, []),
                               ("entities", ENTITIES, entities), ("claims", CLAIMS, [])):
        db.register("_data", pa.Table.from_pylist(data, schema=schema))
        db.execute(f"CREATE TABLE {name} AS SELECT * FROM _data")
        db.unregister("_data")
    return db


def linked(documents) -> dict[tuple[str, str, int], tuple[str, str, str]]:
    """(doc_id, text, occurrence) -> (label, entity_id, canonical_name) after enrich."""
    db = corpus_db(documents)
    entity_links.etl_enrich(db=db, config=Config(), changes=None)
    result, seen = {}, {}
    for doc_id, text, label, entity_id, canonical in db.execute(
            "SELECT doc_id, text, label, entity_id, canonical_name FROM entities ORDER BY doc_id, start").fetchall():
        n = seen[doc_id, text] = seen.get((doc_id, text), -1) + 1
        result[doc_id, text, n] = (label, entity_id, canonical)
    return result


TRUMPS = {
    "d1": ("Donald Trump spoke on Monday. Trump said it went well.",
           [("Donald Trump", "PERSON"), ("Trump", "PERSON")]),
    "d2": ("Melania Trump visited a school. Trump smiled at the pupils.",
           [("Melania Trump", "PERSON"), ("Trump", "PERSON")]),
    "d3": ("Donald Trump and Melania Trump arrived. Trump left early.",
           [("Donald Trump", "PERSON"), ("Melania Trump", "PERSON"), ("Trump", "PERSON")]),
    "d4": ("Trump was quiet on Tuesday.", [("Trump", "PERSON")]),
}


def test_two_people_sharing_a_surname_stay_apart():
    result = linked(TRUMPS)
    donald, melania = result["d1", "Donald Trump", 0][1], result["d2", "Melania Trump", 0][1]
    assert donald != melania
    assert result["d3", "Donald Trump", 0][1] == donald and result["d3", "Melania Trump", 0][1] == melania
    assert result["d1", "Trump", 0][1:] == (donald, "Donald Trump")  # the one Trump its article names
    assert result["d2", "Trump", 0][1:] == (melania, "Melania Trump")
    lone = result["d3", "Trump", 0][1]  # an article naming both: which one is unknown
    assert lone not in (donald, melania)
    assert result["d4", "Trump", 0][1] == lone


def test_a_person_never_merges_with_a_place_of_the_same_name():
    result = linked({
        "a": ("Michael Jordan scored again. Jordan smiled.", [("Michael Jordan", "PERSON"), ("Jordan", "PERSON")]),
        "b": ("Talks were held in Jordan on Friday.", [("Jordan", "GPE")]),
    })
    person, place = result["a", "Jordan", 0], result["b", "Jordan", 0]
    assert person[0] == "PERSON" and place[0] == "GPE"  # evidence for both kinds: labels stay
    assert person[1] == result["a", "Michael Jordan", 0][1]
    assert place[1] != person[1]


def test_a_metonymic_person_label_yields_to_place_evidence():
    documents = {
        "a": ("Bravik insists that the talks go on.", [("Bravik", "PERSON")]),
        "b": ("Heavy fighting was reported in Bravik overnight.", [("Bravik", "GPE")]),
    }
    result = linked(documents)
    assert result["a", "Bravik", 0][0] == "GPE"
    assert result["a", "Bravik", 0][1] == result["b", "Bravik", 0][1]
    documents["a"] = ("President Bravik insists that the talks go on.", [("Bravik", "PERSON")])
    assert linked(documents)["a", "Bravik", 0][0] == "PERSON"  # a title is person evidence: no change


def test_titles_acronyms_and_legal_forms_do_not_split_an_entity():
    result = linked({
        "a": ("The Government Accountability Office said so. The GAO agreed with Acme Widgets Inc.",
              [("Government Accountability Office", "ORG"), ("GAO", "ORG"), ("Acme Widgets Inc.", "ORG")]),
        "b": ("Acme Widgets hired General Anna Petrova. Petrova declined.",
              [("Acme Widgets", "ORG"), ("General Anna Petrova", "PERSON"), ("Petrova", "PERSON")]),
    })
    assert result["a", "GAO", 0][1:] == result["a", "Government Accountability Office", 0][1:]
    assert result["a", "Acme Widgets Inc.", 0][1] == result["b", "Acme Widgets", 0][1]
    assert result["b", "Petrova", 0][1:] == (result["b", "General Anna Petrova", 0][1], "Anna Petrova")


def test_ids_do_not_depend_on_document_order_or_on_unrelated_additions():
    forward = linked(TRUMPS)
    backward = linked(dict(reversed(list(TRUMPS.items()))))
    assert forward == backward
    grown = linked({**TRUMPS, "d5": ("Olena Koval opened a bakery in Lviv.",
                                     [("Olena Koval", "PERSON"), ("Lviv", "GPE")])})
    assert {key: grown[key] for key in forward} == forward
    assert grown["d5", "Olena Koval", 0][1] not in {v[1] for v in forward.values()}


def test_a_new_document_that_changes_a_cluster_changes_only_that_cluster():
    first = {k: TRUMPS[k] for k in ("d1", "d4")}
    before = linked(first)
    assert before["d4", "Trump", 0][1] == before["d1", "Donald Trump", 0][1]  # only one Trump known
    after = linked({**first, "d2": TRUMPS["d2"]})
    assert after["d1", "Donald Trump", 0] == before["d1", "Donald Trump", 0]
    assert after["d1", "Trump", 0] == before["d1", "Trump", 0]
    assert after["d4", "Trump", 0][1] != after["d1", "Donald Trump", 0][1]  # now ambiguous


def test_enrich_keeps_the_declared_columns():
    db = corpus_db(TRUMPS)
    before = {t: db.execute(f"DESCRIBE {t}").fetchall() for t in ("entities", "claims")}
    entity_links.etl_enrich(db=db, config=Config(), changes=None)
    assert {t: db.execute(f"DESCRIBE {t}").fetchall() for t in ("entities", "claims")} == before
    assert not db.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_el\\_%' ESCAPE '\\'"
                          ).fetchall()


def test_fuzzy_matching_is_blocked():
    nodes = [("LOC", f"name{i:04d}") for i in range(2000)] + [("LOC", "donbas"), ("LOC", "donbass")]
    pairs = list(entity_links.spelling_variants(sorted(nodes), 90))
    assert (("LOC", "donbas"), ("LOC", "donbass")) in pairs
    comparisons = 0
    original = entity_links.same_name

    def counting(a, b, similarity):
        nonlocal comparisons
        comparisons += 1
        return original(a, b, similarity)

    entity_links.same_name = counting
    try:
        list(entity_links.spelling_variants(sorted(nodes), 90))
    finally:
        entity_links.same_name = original
    assert comparisons <= len(nodes) * entity_links.WINDOW  # never all pairs


def test_an_acronym_stands_for_the_name_it_spells_out_not_for_names_beginning_with_it():
    result = linked({
        "a": ("Northfield Mills cut prices. NM said demand was weak.",
              [("Northfield Mills", "ORG"), ("NM", "ORG")]),
        "b": ("NM Europe opened a plant.", [("NM Europe", "ORG")]),
        "c": ("NM posted a loss.", [("NM", "ORG")]),
    })
    mills = result["a", "Northfield Mills", 0][1]
    assert result["a", "NM", 0][1] == result["c", "NM", 0][1] == mills
    assert result["b", "NM Europe", 0][1] != mills


def test_a_company_short_name_joins_its_full_name_with_words_of_its_trade():
    result = linked({
        "a": ("Orvald Motor Company raised prices.", [("Orvald Motor Company", "ORG")]),
        "b": ("Orvald Australia closed a plant.", [("Orvald Australia", "ORG")]),
        "c": ("Orvald sold more cars.", [("Orvald", "ORG")]),
        "d": ("Tarsk Foods and Tarsk Records merged. Tarsk rose.",
              [("Tarsk Foods", "ORG"), ("Tarsk Records", "ORG"), ("Tarsk", "ORG")]),
    })
    assert result["c", "Orvald", 0][1:] == result["a", "Orvald Motor Company", 0][1:]
    assert result["b", "Orvald Australia", 0][1] != result["c", "Orvald", 0][1]
    assert result["d", "Tarsk", 0][1] == result["d", "Tarsk Foods", 0][1]  # only "Foods" is a trade word


def test_british_spellings_legal_forms_and_country_abbreviations_do_not_split_an_organisation():
    result = linked({
        "a": ("The Northern Defence Agency Ltd signed. The US Coast Guard watched.",
              [("Northern Defence Agency Ltd", "ORG"), ("US Coast Guard", "ORG")]),
        "b": ("The Northern Defense Agency Company agreed. The United States Coast Guard left.",
              [("Northern Defense Agency Company", "ORG"), ("United States Coast Guard", "ORG")]),
    })
    assert result["a", "Northern Defence Agency Ltd", 0][1] == result["b", "Northern Defense Agency Company", 0][1]
    assert result["a", "US Coast Guard", 0][1] == result["b", "United States Coast Guard", 0][1]


def test_a_headline_mention_is_read_in_its_headline():
    """A mention in a non-body segment has offsets into that segment's text: its context is read there."""
    db = corpus_db({
        "a": ("President Bravik insists that the talks go on.", [("Bravik", "PERSON")]),
        "b": ("Nothing else was reported overnight by anyone at all.", []),
    })
    headline = "Heavy fighting in Bravik"
    start = headline.index("Bravik")
    db.execute("INSERT INTO segments (doc_id, seq, label, text) VALUES ('b', 0, 'headline', ?)", [headline])
    db.execute("INSERT INTO entities (doc_id, mention_id, start, \"end\", text, label, sentence, segment, plugin) "
               "VALUES ('b', 'm-headline', ?, ?, 'Bravik', 'GPE', 0, 0, 'entities')", [start, start + 6])
    entity_links.etl_enrich(db=db, config=Config(), changes=None)
    labels = dict(db.execute("SELECT doc_id, label FROM entities").fetchall())
    # "in Bravik" in the headline is place evidence against the title's person evidence: neither label changes
    assert labels == {"a": "PERSON", "b": "GPE"}


def test_a_product_model_joins_the_one_name_with_its_brand():
    result = linked({
        "a": ("The Velkor K90 flew. The K90 landed.", [("Velkor K90", "PRODUCT"), ("K90", "PRODUCT")]),
        "b": ("Orders for the K90 rose; the K12 did not.", [("K90", "PRODUCT"), ("K12", "PRODUCT")]),
    })
    assert result["a", "K90", 0][1:] == result["b", "K90", 0][1:] == result["a", "Velkor K90", 0][1:]
    assert result["b", "K12", 0][1] != result["a", "K90", 0][1]


def test_a_nationality_adjective_is_a_mention_of_its_country_never_its_name():
    result = linked({
        "a": ("Ukrainian forces held Bravik.", [("Ukrainian", "GPE", DEMONYM_FORM), ("Bravik", "GPE")]),
        "b": ("Talks on Ukraine went on in Geneva. Ukrainian officials left.",
              [("Ukraine", "GPE"), ("Geneva", "GPE"), ("Ukrainian", "GPE", DEMONYM_FORM)]),
        "c": ("The Ukrainian army advanced.", [("Ukrainian", "GPE", DEMONYM_FORM)]),
    })
    ukraine = result["b", "Ukraine", 0]
    assert ukraine[2] == "Ukraine"
    assert result["a", "Ukrainian", 0] == result["b", "Ukrainian", 0] == result["c", "Ukrainian", 0] == ukraine
    alone = linked({"c": ("The Ukrainian army advanced.", [("Ukrainian", "GPE", DEMONYM_FORM)])})
    assert alone["c", "Ukrainian", 0][1:] == ukraine[1:]  # the country's id and name, even where it is not named
    group = linked({"d": ("The Ukrainians said so.", [("Ukrainians", "NORP")])})
    assert group["d", "Ukrainians", 0][1] != ukraine[1]  # the people are not the place
