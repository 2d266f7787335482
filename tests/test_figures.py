"""The `figures` plugin: numbers that count or measure something, with unit, what they count and
whether they are approximate; no years, dates, durations, ordinals or numbers inside names."""

from __future__ import annotations

from collections import defaultdict

import pytest

from conftest import rows
from etl import Config, Document


@pytest.fixture(scope="module")
def extract():
    """Text in, figure rows out: the spacy plugin's parse, then the figures plugin."""
    import etl_plugins.figures as figures
    import etl_plugins.spacy.plugin as spacy_nlp

    nlp = spacy_nlp.load_model(spacy_nlp.DEFAULT_MODEL, ("parser",))

    def run(text):
        doc = Document(doc_id="d", source_uri="file:///d.txt", content_sha256="", text=text)
        doc.nlp = nlp(text)
        figures.etl_extract(documents=[doc], config=Config())
        found = doc.records.get("figures", [])
        for row in found:
            assert doc.text[row["start"]:row["end"]] == row["text"]
            assert row["plugin"] == "figures"
        return found

    return run


def one(found, text):
    matches = [row for row in found if row["text"] == text]
    assert len(matches) == 1, f"{text!r} not found once in {[r['text'] for r in found]}"
    return matches[0]


def test_population_with_an_approximation_cue(extract):
    row = one(extract("The town, home to around 11,000 residents, was shelled."), "around 11,000")
    assert (row["quantity"], row["unit"], row["counts"], row["approx"]) == (11000.0, None, "residents", True)


def test_population_of_without_a_noun_still_counts_residents(extract):
    row = one(extract("It had a population of about 9,500 before the war."), "about 9,500")
    assert (row["quantity"], row["counts"], row["approx"]) == (9500.0, "residents", True)


def test_a_distance_and_its_conversion_are_one_figure(extract):
    found = extract("The village lies 30 kilometers (18 miles) east of the river.")
    assert [(r["text"], r["quantity"], r["unit"], r["counts"]) for r in found] == [
        ("30 kilometers", 30.0, "km", "kilometers")]
    assert found[0]["approx"] is False


def test_money_percent_and_scale_words(extract):
    found = extract("The contract is worth $1.13bn, and 76% of voters backed it; "
                    "1.5 million people signed.")
    money, percent, people = one(found, "$1.13bn"), one(found, "76%"), one(found, "1.5 million")
    assert (money["quantity"], money["unit"]) == (1.13e9, "USD")
    assert (percent["quantity"], percent["unit"], percent["counts"]) == (76.0, "%", "voters")
    assert (people["quantity"], people["counts"], people["approx"]) == (1.5e6, "people", False)


def test_vague_amounts_take_their_least_value_and_are_approximate(extract):
    found = extract("There were tens of thousands of casualties. Several hundred civilians remain.")
    tens, several = one(found, "tens of thousands"), one(found, "Several hundred")
    assert (tens["quantity"], tens["counts"], tens["approx"]) == (10000.0, "casualties", True)
    assert (several["quantity"], several["counts"], several["approx"]) == (300.0, "civilians", True)


@pytest.mark.parametrize("cue", ["about", "nearly", "some", "more than", "up to", "roughly",
                                 "an estimated", "approximately"])
def test_approximation_cues(extract, cue):
    row = one(extract(f"Officials said {cue} 2,000 troops had arrived."), f"{cue} 2,000")
    assert (row["quantity"], row["counts"], row["approx"]) == (2000.0, "troops", True)


def test_exact_number_words(extract):
    row = one(extract("The shelling destroyed three bridges."), "three")
    assert (row["quantity"], row["counts"], row["approx"]) == (3.0, "bridges", False)


def test_years_dates_durations_ordinals_and_names_are_not_figures(extract):
    found = extract("In 2014 the 54th Brigade arrived on Dec. 13, 2025, after three years of fighting. "
                    "The Boeing 787 landed at 5 p.m. One of them left.")
    assert found == []


# --- the seeds, through the whole pipeline -----------------------------------------------------------


@pytest.fixture(scope="module")
def seed_figures(seeds_out):
    out = seeds_out
    articles = {a["doc_id"]: a for a in rows(out, "articles")}
    by_file = defaultdict(list)
    for row in rows(out, "figures"):
        article = articles[row["doc_id"]]
        assert article["text"][row["start"]:row["end"]] == row["text"]
        by_file[article["source_uri"].rsplit("/", 1)[1][:3]].append(row)
    return by_file


@pytest.mark.parametrize("seed, text, quantity", [
    ("000", "approximately 11,000", 11000.0),
    ("001", "approximately 11,000", 11000.0),
    ("002", "around 11,000", 11000.0),
    ("004", "around 11,000", 11000.0),
    ("003", "about 10,000", 10000.0),
])
def test_seed_populations(seed_figures, seed, text, quantity):
    row = one(seed_figures[seed], text)
    assert row["quantity"] == quantity
    assert row["counts"] in ("residents", "people")
    assert row["approx"] is True and row["unit"] is None


@pytest.mark.parametrize("seed, quantity", [("002", 30.0), ("004", 30.0), ("003", 19.0)])
def test_seed_distances_are_single_km_figures(seed_figures, seed, quantity):
    distances = [r for r in seed_figures[seed] if r["unit"] in ("km", "mi")]
    assert [(r["quantity"], r["unit"], r["counts"]) for r in distances] == [(quantity, "km", "kilometers")]


def test_seed_years_are_not_figures(seed_figures):
    assert not [r for found in seed_figures.values() for r in found if r["quantity"] in (2014, 2022, 2025)]


def test_a_figure_names_its_sentence(extract):
    found = extract("The town had 11,000 residents. About 400 remain today. Officials counted 3 shelters.")
    assert [(row["text"], row["sentence"]) for row in found] == [("11,000", 0), ("About 400", 1), ("3", 2)]


def test_published_figures_point_at_the_sentence_that_holds_them(seeds_out):
    sentences = {(s["doc_id"], s["sentence"]): s for s in rows(seeds_out, "sentences")}
    figures = rows(seeds_out, "figures")
    assert figures
    for figure in figures:
        sentence = sentences[figure["doc_id"], figure["sentence"]]
        assert sentence["start"] <= figure["start"] < sentence["end"]


def test_figures_read_english_parses_only():
    # The number words, units and cues are English: on a French parse "12 mai" would count "mai".
    import spacy
    from spacy.tokens import Doc

    import etl_plugins.figures as figures

    words = ["Some", "300", "soldiers", "left", "."]
    for language, expected in (("en", 1), ("fr", 0)):
        doc = Document(doc_id="d", source_uri="file:///d.txt", content_sha256="", text="Some 300 soldiers left .")
        doc.nlp = Doc(spacy.blank(language).vocab, words=words, pos=["DET", "NUM", "NOUN", "VERB", "PUNCT"],
                      sent_starts=[True, False, False, False, False])
        figures.etl_extract(documents=[doc], config=Config())
        assert len(doc.records.get("figures", [])) == expected, language
