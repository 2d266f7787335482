"""One entity across scripts, romanizations and case endings (`entity_links`): the Siversk family, two
people who share a transliterated surname, `canonical_name` in the corpus's majority language and the
`also_written` column of `entity_index`. The documents are small ones written for these tests."""

from __future__ import annotations

import pytest
from test_entity_links import corpus_db, linked

import etl_plugins.entities.links as entity_links
from etl import Config
from etl.pipeline import builtin_views

SIVERSK = {
    "en1": ("Shelling hit Siversk on Monday.", [("Siversk", "GPE")], "en"),
    "en2": ("Residents left Siversk by bus.", [("Siversk", "GPE")], "en"),
    "en3": ("Siversk has had no water for a week.", [("Siversk", "GPE")], "en-GB"),
    "uk1": ("Бої тривають біля Сіверська. Сіверськ обстрілюють щодня.",
            [("Сіверська", "GPE"), ("Сіверськ", "GPE")], "uk"),
    "uk2": ("У Сіверську знову немає світла.", [("Сіверську", "GPE")], "uk"),
    "ru1": ("В Северске снова стреляли. Северск почти пуст.", [("Северске", "GPE"), ("Северск", "GPE")], "ru"),
    "pl1": ("Ostrzelano Siwersk w nocy.", [("Siwersk", "GPE")], "pl"),
    "de1": ("Die Lage in Siwersk bleibt angespannt.", [("Siwersk", "GPE")], "de"),
    "fr1": ("Les combats autour de Siversk se poursuivent.", [("Siversk", "GPE")], "fr"),
    # a different town whose name shares the first letters
    "en4": ("Trains no longer stop in Sievierodonetsk.", [("Sievierodonetsk", "GPE")], "en"),
}


def ids_of(result, *names):
    return {result[key][1] for key in result if key[1] in names}


def test_siversk_links_across_four_scripts_and_case_endings():
    result = linked(SIVERSK)
    family = ("Siversk", "Сіверська", "Сіверськ", "Сіверську", "Северске", "Северск", "Siwersk")
    assert len(ids_of(result, *family)) == 1
    assert ids_of(result, "Sievierodonetsk").isdisjoint(ids_of(result, *family))


def test_spellings_within_one_latin_language_keep_the_old_rules():
    """Case endings and romanizations are read across languages and scripts, or within a language that
    declines names; two French first names one letter apart are two people."""
    result = linked({
        "a": ("Jean Dupont a parlé.", [("Jean Dupont", "PERSON")], "fr"),
        "b": ("Jeanne Dupont a répondu.", [("Jeanne Dupont", "PERSON")], "fr"),
        "c": ("Jan Kowalski przemawiał.", [("Jan Kowalski", "PERSON")], "pl"),
        "d": ("Odpowiedziała Jana Kowalska.", [("Jana Kowalska", "PERSON")], "pl"),
    })
    assert result["a", "Jean Dupont", 0][1] != result["b", "Jeanne Dupont", 0][1]
    assert result["c", "Jan Kowalski", 0][1] != result["d", "Jana Kowalska", 0][1]  # her surname's ending


PEOPLE = {
    "a": ("Andriy Shevchenko scored twice. Shevchenko then left the pitch.",
          [("Andriy Shevchenko", "PERSON"), ("Shevchenko", "PERSON")], "en"),
    "b": ("Андрій Шевченко забив гол.", [("Андрій Шевченко", "PERSON")], "uk"),
    "c": ("Andrij Schewtschenko traf zweimal.", [("Andrij Schewtschenko", "PERSON")], "de"),
    "d": ("Вірші Тараса Шевченка читали вголос. Шевченка тут шанують.",
          [("Тараса Шевченка", "PERSON"), ("Шевченка", "PERSON")], "uk"),
    "e": ("A statue of Taras Shevchenko stands in the park.", [("Taras Shevchenko", "PERSON")], "en"),
    "f": ("Volodymyr Zelensky met Olena Zelenska in Kyiv.",
          [("Volodymyr Zelensky", "PERSON"), ("Olena Zelenska", "PERSON"), ("Kyiv", "GPE")], "en"),
    "g": ("Зеленська відкрила школу.", [("Зеленська", "PERSON")], "uk"),
    "h": ("Владимир Зеленский выступил. Зеленского слушали молча.",
          [("Владимир Зеленский", "PERSON"), ("Зеленского", "PERSON")], "ru"),
    "i": ("Shevchenko was not mentioned again.", [("Shevchenko", "PERSON")], "en"),
}


def test_people_sharing_a_transliterated_surname_stay_apart():
    result = linked(PEOPLE)
    andriy = ids_of(result, "Andriy Shevchenko", "Андрій Шевченко", "Andrij Schewtschenko")
    taras = ids_of(result, "Тараса Шевченка", "Taras Shevchenko")
    assert len(andriy) == 1 and len(taras) == 1 and andriy != taras
    assert result["a", "Shevchenko", 0][1] in andriy  # the one Shevchenko its article names
    assert result["d", "Шевченка", 0][1] in taras
    assert result["i", "Shevchenko", 0][1] not in andriy | taras  # two are known: which one is unknown
    volodymyr = ids_of(result, "Volodymyr Zelensky", "Владимир Зеленский", "Зеленского")
    olena = ids_of(result, "Olena Zelenska", "Зеленська")
    assert len(volodymyr) == 1 and len(olena) == 1 and volodymyr != olena  # her surname's ending says she


def test_canonical_name_follows_the_majority_language():
    english = linked(SIVERSK)
    assert {english[key][2] for key in english if key[1] in ("Сіверськ", "Северске", "Siwersk")} == {"Siversk"}
    ukrainian = {f"uk{n}": ("Сіверськ знову без світла.", [("Сіверськ", "GPE")], "uk") for n in range(3, 7)}
    result = linked({**SIVERSK, **ukrainian})  # 6 Ukrainian articles, 4 English
    assert {result[key][2] for key in result if key[1] in ("Siversk", "Северск", "Siwersk")} == {"Сіверськ"}


def test_majority_language_does_not_change_a_corpus_without_languages():
    names = [("PER", "vladimir putin", "Vladimir Putin", None, 2), ("PER", "putin", "Putin", None, 9)]
    entities, _ = entity_links.cluster_names(names)
    assert {name for _, name in entities.values()} == {"Vladimir Putin"}


@pytest.fixture
def siversk_index():
    db = corpus_db(SIVERSK)
    entity_links.etl_enrich(db=db, config=Config(), changes=None)
    db.execute(f"CREATE VIEW entity_index AS {builtin_views()['entity_index']}")
    return db


def test_entity_index_lists_the_other_forms_under_also_written(siversk_index):
    rows = siversk_index.execute("SELECT canonical_name, aliases, also_written FROM entity_index "
                                 "WHERE canonical_name = 'Siversk'").fetchall()
    assert len(rows) == 1
    _, aliases, also_written = rows[0]
    # one usual form per other language and script; inflected forms stay among the aliases only
    assert sorted(also_written) == sorted(["Siwersk", "Сіверськ", "Северск"])
    assert {"Сіверська", "Сіверську", "Северске"} <= set(aliases)
    other = siversk_index.execute("SELECT also_written FROM entity_index WHERE canonical_name = 'Sievierodonetsk'"
                                  ).fetchone()
    assert other == ([],)


def test_script_variants_are_blocked():
    forms = {("LOC", f"name{i:04d}"): entity_links.name_forms(("LOC", f"name{i:04d}"),
                                                                {(f"Name{i:04d}", "en"): 1})
             for i in range(500)}
    for surface, language in (("Siversk", "en"), ("Сіверськ", "uk")):
        forms["LOC", surface.lower()] = entity_links.name_forms(("LOC", surface.lower()), {(surface, language): 1})
    comparisons = 0
    original = entity_links.same_name_across_scripts

    def counting(a, b, similarity):
        nonlocal comparisons
        comparisons += 1
        return original(a, b, similarity)

    entity_links.same_name_across_scripts = counting
    try:
        pairs = list(entity_links.script_variants(forms))
    finally:
        entity_links.same_name_across_scripts = original
    assert pairs == [(("LOC", "siversk"), ("LOC", "сіверськ"))]
    assert comparisons < 10  # the 500 names share no block with another script


def test_latin_spellings_of_two_languages_differ_only_by_their_conventions():
    result = linked({
        "a": ("Thomas Miller scored for the visitors.", [("Thomas Miller", "PERSON")], "en"),
        "b": ("Thomas Müller traf zum Ausgleich.", [("Thomas Müller", "PERSON")], "de"),
        "c": ("Volodymyr Zelensky spoke in London.", [("Volodymyr Zelensky", "PERSON")], "en"),
        "d": ("Wolodymyr Selenskyj sprach in Berlin.", [("Wolodymyr Selenskyj", "PERSON")], "de"),
    })
    assert result["a", "Thomas Miller", 0][1] != result["b", "Thomas Müller", 0][1]  # a vowel apart: two men
    assert result["c", "Volodymyr Zelensky", 0][1] == result["d", "Wolodymyr Selenskyj", 0][1]


def test_a_name_mislabelled_in_another_script_takes_the_label_its_other_spellings_have_evidence_for():
    """An English model reading Ukrainian calls "Сіверськ" an organisation; "in Siversk" says it is a place."""
    result = linked({
        "en": ("Fighting continued in Siversk overnight.", [("Siversk", "GPE")], "en"),
        "uk": ("Сіверськ обстрілюють щодня.", [("Сіверськ", "ORG")], "uk"),
        "de": ("Die Stadtverwaltung von Siwersk schweigt.", [("Siwersk", "PERSON")], "de"),
    })
    assert {result[key][0] for key in result} == {"GPE"}
    assert len({result[key][1] for key in result}) == 1
