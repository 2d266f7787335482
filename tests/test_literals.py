"""The literal prefilter of the date rules: it may only skip a rule on a text the rule cannot match."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import etl_plugins.dates.timex as timex
from conftest import SEEDS
from etl_plugins.dates.literals import could_match, fold, required_literals
from etl_plugins.dates.timex_languages import rules_for

WORDS = ["the", "last", "quarter", "half", "year", "Day", "Ünited", "ſtraße", "k", "ok", "İt", "ıt", "mİdnİght"]


def atoms():
    literal = st.sampled_from(WORDS).map(re.escape)
    return st.one_of(literal, st.sampled_from([r"\d+", r"\s+", r"[a-z]", r"\b", ".", r"(?=a)", r"(?<!x)"]))


@st.composite
def patterns(draw, depth=0):
    parts = draw(st.lists(atoms() if depth > 1 else st.one_of(atoms(), patterns(depth=depth + 1)),
                          min_size=1, max_size=4))
    body = "".join(parts)
    shape = draw(st.sampled_from(["{}", "(?:{})", "(?:{})?", "(?:{})+", "(?:{}|{})", "({})",
                                  "(?:{}){{2,3}}", "(?:{})*?"]))
    other = "".join(draw(st.lists(atoms(), min_size=0, max_size=2)))
    return shape.format(body, other) if shape.count("{}") == 2 else shape.format(body)


texts = st.lists(st.sampled_from(WORDS + [" ", "1", "2004", "\n", "x", "a", "STRASSE", "K", "I", "İ", "ı", "MİDNİGHT",
                                         "midnight", "\u212a", "ſ"]), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(patterns(), texts, st.sampled_from([0, re.I]))
def test_a_rule_is_only_skipped_where_it_cannot_match(pattern, text, flags):
    compiled = re.compile(pattern, flags)
    if compiled.search(text):
        assert could_match(required_literals(compiled), fold(text)), (pattern, text)


def test_literals_read_from_rules():
    assert required_literals(re.compile(r"(?:the\s+)?(?:first|second)\s+half", re.I)) is not None
    seasons = required_literals(re.compile(r"(?:early\s+)?(?:spring|summer)"))
    assert could_match(seasons, "early summer") and not could_match(seasons, "in the winter")
    assert required_literals(re.compile(r"(?:spring|\d+)")) is None  # one branch needs no word
    assert required_literals(re.compile(r"(?:quarter)?\d{4}")) is None
    assert not could_match(frozenset({"quarter"}), fold("the city fell in 2004"))
    midnight = required_literals(re.compile("midnight", re.I))
    assert re.search("midnight", "AT MİDNİGHT", re.I) and could_match(midnight, fold("AT MİDNİGHT"))


@pytest.mark.parametrize("language, extra", [
    ("en", ["Profits in the third quarter of 2004 rose; the 21st century began; in the 1990s, at 3 p.m.",
            "The previous-year period, the first half of this year, and Christmas Eve next winter."]),
    ("de", ["Am 11. Dezember 2025 und Ende Dezember 2025, gestern, vergangenen Monat, vor 3 Tagen, im Mai."]),
    ("fr", ["Le 1er décembre, hier, le mois dernier, il y a 3 jours, début mars 2024, vendredi dernier."]),
    ("es", ["El 11 de diciembre de 2025, ayer, el mes pasado, hace 3 días, a mediados de mayo de 2024."]),
    ("ru", ["11 декабря 2025 года, в начале мая 2024 года, вчера, в прошлом месяце, 3 дня назад, в среду."]),
    ("uk", ["11 грудня 2025 року, у грудні 2025 року, вчора, минулого місяця, торік, у п'ятницю."]),
])
def test_date_rules_find_the_same_expressions_with_and_without_the_prefilter(language, extra):
    texts = ([p.read_text() for p in sorted(SEEDS.glob("*.txt"))] if language == "en" else []) + extra
    gated_rules = rules_for(language)
    ungated_rules = replace(gated_rules, required=dict.fromkeys(gated_rules.required))

    def found(rules):
        return [[(s, e, r.__qualname__) for s, e, r in timex.candidates(t, timex.Parse(), rules)] for t in texts]

    gated = found(gated_rules)
    assert found(ungated_rules) == gated
    assert sum(map(len, gated)) >= (40 if language == "en" else 5)
