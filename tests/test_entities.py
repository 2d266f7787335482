"""The `entities` plugin: one label per name within a document, clean spans, exact offsets.

Unit tests run the plugin on sentences written for them, parsed by the spacy plugin's own model
loader; the seed tests read the shared run of the whole pipeline over `seeds/`.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from conftest import rows
from etl import Config, Document

PLACES = {"GPE", "LOC", "FAC"}


@pytest.fixture(scope="module")
def extract():
    """Text in, entity rows out: the spacy plugin's parse, then the entities plugin, as in a run."""
    import etl_plugins.entities.plugin as entities
    import etl_plugins.spacy.plugin as spacy_nlp

    nlp = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))
    config = Config(plugins={"entities": {"exclude_labels": entities.NOT_NAMES}})

    def run(text):
        doc = Document(doc_id="d", source_uri="file:///d.txt", content_sha256="", text=text)
        doc.nlp = nlp(text)
        entities.etl_extract(documents=[doc], config=config)
        for row in doc.entities:
            assert doc.text[row["start"]:row["end"]] == row["text"]
        return doc.entities

    return run


def labels_of(entities, text):
    return [e["label"] for e in entities if e["text"] == text]


def test_a_place_named_by_its_context_keeps_one_label(extract):
    # The model calls the made-up town a person twice; "residents of" and "east of" say otherwise.
    found = extract("Residents of Kivsharivka fled on Monday.\nKivsharivka is 12 km east of Kupiansk.")
    assert labels_of(found, "Kivsharivka") == ["GPE", "GPE"]


def test_the_city_of_outweighs_a_wrong_majority(extract):
    found = extract("Shelling continued in Zolotarivka overnight. Troops entered the city of Zolotarivka "
                    "on Monday. Zolotarivka remains contested, and Zolotarivka's mayor fled.")
    assert labels_of(found, "Zolotarivka") == ["GPE"] * 4


def test_an_apposition_with_a_role_makes_a_person(extract):
    found = extract("The spokesman Voloshin said the attack failed. "
                    "Voloshin, a spokesman for the army, added details.")
    assert labels_of(found, "Voloshin") == ["PERSON", "PERSON"]


def test_an_honorific_finds_a_person_the_model_missed(extract):
    found = extract("Mr Hollis met the delegation. Later Mr Hollis left for Lviv.")
    assert labels_of(found, "Hollis") == ["PERSON", "PERSON"]
    assert labels_of(found, "Mr Hollis") == []  # the title is not part of the name


def test_a_possessive_mention_the_model_missed_gets_the_document_label(extract):
    # The model labels two of the three "Kyiv" (as ORG) and skips the possessive one; "near Kyiv" and
    # "in Kyiv" make it a place, and the skipped mention is added with that label.
    text = ("Fighting near Kyiv eased on Monday. The mayor praised Kyiv’s defenders, "
            "and officials in Kyiv agreed.")
    found = extract(text)
    kyiv = [e for e in found if e["text"] == "Kyiv"]
    assert [e["start"] for e in kyiv] == [i for i in range(len(text)) if text.startswith("Kyiv", i)]
    assert {e["label"] for e in kyiv} == {"GPE"}


def test_leading_article_is_trimmed_and_the_variants_agree(extract):
    found = extract("The Bakhmutka River floods every spring. Fighters crossed the Bakhmutka River.")
    assert labels_of(found, "Bakhmutka River") == ["LOC", "LOC"]
    assert not [e for e in found if e["text"].lower().startswith("the ")]


def test_no_entity_crosses_a_line_break_or_lacks_a_letter(extract):
    found = extract("Report 1234 / 5678\nKyiv Post\n\nThe brigade of Roman Volkov held Siversk.\n"
                    "Volkov said Siversk held.")
    assert found, "the model found nothing at all"
    for entity in found:
        assert "\n" not in entity["text"]
        assert any(ch.isalpha() for ch in entity["text"])


def test_sentence_index_counts_sentences_of_the_document(extract):
    found = extract("Nothing happened here.\n\nThen Olena Kovalenko arrived in Odesa.")
    assert {e["text"]: e["sentence"] for e in found} == {"Olena Kovalenko": 1, "Odesa": 1}


# --- the seeds, through the whole pipeline ---------------------------------------------------------


@pytest.fixture(scope="module")
def seed_entities(seeds_out):
    articles = {a["doc_id"]: a for a in rows(seeds_out, "articles")}
    by_file = defaultdict(list)
    for entity in rows(seeds_out, "entities"):
        if entity["segment"] is not None:
            continue  # a headline's or caption's mention (tests/test_languages.py)
        article = articles[entity["doc_id"]]
        assert article["text"][entity["start"]:entity["end"]] == entity["text"]
        by_file[article["source_uri"].rsplit("/", 1)[1][:3]].append(entity)
    return by_file, {a["source_uri"].rsplit("/", 1)[1][:3]: a["text"] for a in articles.values()}


@pytest.mark.parametrize("name", ["Valery Gerasimov", "Roman Pohorilyi", "Maksym Butolin"])
def test_seed_people_are_persons(seed_entities, name):
    by_file, _ = seed_entities
    labels = [e["label"] for mentions in by_file.values() for e in mentions if e["text"] == name]
    assert labels and set(labels) == {"PERSON"}


def test_siversk_is_a_place_in_every_mention_of_003(seed_entities):
    by_file, texts = seed_entities
    text = texts["003"]
    expected = [i for i in range(len(text)) if text.startswith("Siversk", i)]
    siversk = [e for e in by_file["003"] if e["text"] == "Siversk"]
    assert len(expected) >= 10
    assert sorted(e["start"] for e in siversk) == expected  # every mention, none missed
    assert {e["label"] for e in siversk} <= PLACES


def test_one_label_per_name_within_each_seed(seed_entities):
    """Names only: "Russian" in "Russian forces" names Russia, in "Russian-speaking" a language's speakers."""
    by_file, _ = seed_entities
    for mentions in by_file.values():
        labels = defaultdict(set)
        for e in mentions:
            if e["form"] == "name":
                labels[e["text"]].add(e["label"])
        assert {name: found for name, found in labels.items() if len(found) > 1} == {}


def test_surnames_follow_the_full_name(seed_entities):
    by_file, _ = seed_entities
    assert {e["label"] for e in by_file["003"] if e["text"] in ("Pohorilyi", "Butolin")} == {"PERSON"}


def test_a_maker_with_a_model_designation_is_a_product_not_the_maker(extract):
    found = extract("Qatar Airways ordered 20 Airbus A330-200 jets from Airbus on Monday. "
                    "Boeing said Boeing 787 deliveries would resume.")
    labels = {(e["text"], e["label"]) for e in found}
    assert ("Airbus A330-200", "PRODUCT") in labels and ("Boeing 787", "PRODUCT") in labels
    assert ("Airbus", "ORG") in labels and ("Boeing", "ORG") in labels  # the makers named alone stay ORG
    dated = extract("Airbus 2008 results beat forecasts, Airbus said.")
    assert not [e for e in dated if e["label"] == "PRODUCT"]  # a year is no model


def test_a_nationality_adjective_names_its_country_and_a_group_stays_a_group(extract):
    found = extract("Ukrainian forces held the line near Bravik on Monday. The Ukrainians said the Russian army had "
                    "pulled back, and Russian-speaking residents stayed in Bravik.")
    kinds = [(e["text"], e["label"], e["form"]) for e in found]
    assert ("Ukrainian", "GPE", "demonym") in kinds  # "Ukrainian forces": Ukraine's
    assert ("Russian", "GPE", "demonym") in kinds    # "the Russian army"
    assert ("Ukrainians", "NORP", "name") in kinds   # the people, not the place
    # "Russian-speaking" is about a language: the word stays the group spaCy saw
    assert [(label, form) for text, label, form in kinds if text == "Russian"] == [("GPE", "demonym"),
                                                                                   ("NORP", "name")]
    assert {form for text, _, form in kinds if text == "Bravik"} == {"name"}


def test_an_adjective_the_model_missed_is_found_and_one_that_is_no_demonym_is_not(extract):
    found = extract("Shares of the Swedish carmaker rose on Friday, while the Irregular Army said nothing.")
    assert [(e["text"], e["label"], e["form"]) for e in found if e["form"] == "demonym"] == \
        [("Swedish", "GPE", "demonym")]
