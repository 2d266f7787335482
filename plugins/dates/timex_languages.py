"""The date rules of a language other than English, built from its table (`etl_plugins.dates.languages`).

Each rule is a regular expression made of the table's words and a handler returning the same resolvers
as the English rules (`timex_rules.day_of_month`, `month_of_year`, `day_of_week`, `day_from_anchor`,
`calendar_unit`, `offset_from_anchor`): "11. Dezember" and "December 11" have one meaning, computed
in one place. `rules_for(code)` gives the rule set of a language code, built once per process.

Rules that read no word of any language (ISO dates, years, year ranges) run in every language; a
language with no table gets those alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .languages import LANGUAGES, Language
from .literals import required_literals
from .timex_calendar import YEAR, p_day, p_month
from .timex_rules import (
    REQUIRED as ENGLISH_REQUIRED,
)
from .timex_rules import (
    RULES as ENGLISH_RULES,
)
from .timex_rules import (
    calendar_unit,
    dated,
    day_from_anchor,
    day_of_month,
    day_of_week,
    month_of_year,
    offset_from_anchor,
    result,
)

LANGUAGE_NEUTRAL = ("iso_date", "year", "year_range")
DAY = r"(?:[12]\d|3[01]|0?[1-9])"
Rule = tuple[str, re.Pattern, Callable]


@dataclass(frozen=True)
class RuleSet:
    """The rules the tagger runs on a text, in order, and the strings each needs (see `literals`)."""

    language: str  # "en", a table's code, or "und" for the language-neutral rules alone
    rules: tuple[Rule, ...]
    required: dict[str, frozenset[str] | None]
    future: re.Pattern | None = None  # words of the future tense, when the spaCy parse cannot tell


# The English future words are read only without a spaCy parse (a caption); with one, the tags tell.
ENGLISH_FUTURE = re.compile(r"(?<!\w)(?:will|shall|going\s+to|(?:is|are)\s+(?:set|scheduled|due|expected)|plans?\s+to)"
                            r"(?!\w)|'ll(?!\w)", re.I)
ENGLISH = RuleSet("en", tuple(ENGLISH_RULES), ENGLISH_REQUIRED, ENGLISH_FUTURE)
NEUTRAL_RULES = tuple(r for r in ENGLISH_RULES if r[0] in LANGUAGE_NEUTRAL)
NEUTRAL = RuleSet("und", NEUTRAL_RULES, {name: ENGLISH_REQUIRED[name] for name, _, _ in NEUTRAL_RULES})


@lru_cache(maxsize=None)
def rules_for(code: str | None) -> RuleSet:
    """The rule set of a language code ("de", "uk"; "en" or None: English; no table: language-neutral)."""
    if code in (None, "en"):
        return ENGLISH
    language = LANGUAGES.get(code)
    if language is None:
        return NEUTRAL
    rules = build_rules(language) + list(NEUTRAL_RULES)
    required = {name: required_literals(pattern) for name, pattern, _ in rules}
    future = re.compile(rf"(?<!\w)(?:{language.future})(?!\w)", re.I) if language.future else None
    return RuleSet(code, tuple(rules), required, future)


def alternatives(forms) -> str:
    """A regex alternation of literal forms, longest first (so "декабря" is not cut to "дек")."""
    return "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))


def build_rules(lang: Language) -> list[Rule]:
    """The rules of one language, in the order that settles ties (the earlier wins on equal length)."""
    rules: list[Rule] = []

    def rule(name: str, pattern: str):
        def register(handler):
            flags = re.I
            compiled = re.compile(pattern if "(?P<x>" in pattern else r"(?<![^\W_])(?:" + pattern + ")", flags)
            rules.append((f"{lang.code}_{name}", compiled, handler))
            return handler
        return register

    full = alternatives(lang.months)
    # a full name, or an abbreviation with its full stop ("déc. 2025"); a sentence's full stop stays out
    any_month = rf"(?:{full})(?!\w)|(?:{alternatives(lang.month_abbreviations)})(?!\w)\.?"
    month_of = {**lang.months, **lang.month_abbreviations}
    weekday_names = alternatives(lang.weekdays)
    mods = "|".join(f"(?:{m})" for m in lang.mods)
    mod_prefix = rf"(?:(?P<mod>{mods})(?:\s+|(?<=-)))?" if mods else ""  # "Ende Dezember", "mi-mars"
    day_suffix = rf"(?:{lang.day_suffix})?" if lang.day_suffix else ""
    day_link = rf"(?:{lang.day_month_link})\s+" if lang.day_month_link else ""
    year_link = rf"(?:(?:{lang.month_year_link})\s+)?" if lang.month_year_link else ""
    year_tail = rf"(?:\s*(?:{lang.year_suffix})(?!\w))?" if lang.year_suffix else ""

    def month_number(word: str) -> int:
        return month_of[word.lower().rstrip(".")]

    def mod_of(m) -> str | None:
        if not mods or not m["mod"]:
            return None
        return next(value for pattern, value in lang.mods.items() if re.fullmatch(pattern, m["mod"], re.I))

    @rule("day_month", rf"(?P<d>{DAY}){day_suffix}\s+{day_link}(?P<mon>{any_month})"
                       rf"(?:,?\s+{year_link}(?P<y>{YEAR})(?!\d){year_tail})?")
    def day_month(m, text):
        return day_of_month(month_number(m["mon"]), int(m["d"]), int(m["y"]) if m["y"] else None)

    @rule("numeric_date", r"(?<![\d.,/])(?P<d>[12]\d|3[01]|0?[1-9])(?P<sep>[./])(?P<mo>1[0-2]|0?[1-9])(?P=sep)"
                          rf"(?P<y>(?:19|20)\d\d)(?![\d]|[.,]\d){year_tail}")
    def numeric_date(m, text):
        d = dated(int(m["y"]), int(m["mo"]), int(m["d"]))
        return d and (lambda ctx: result(p_day(d)))

    @rule("month_year", rf"{mod_prefix}(?P<mon>{any_month}),?\s+{year_link}(?P<y>{YEAR})(?!\d){year_tail}")
    def month_year(m, text):
        point, mod = p_month(int(m["y"]), month_number(m["mon"])), mod_of(m)
        return lambda ctx: result(point, mod=mod)

    if lang.month_prepositions:
        @rule("month", rf"(?:(?<!\w)(?:{lang.month_prepositions})\s+)?(?P<x>{mod_prefix}(?P<mon>{full})(?!\w)"
                       rf"(?!\.?\s*\d))")
        def bare_month(m, text):
            before = text[max(0, m.start("x") - 30):m.start("x")]
            if not (m["mod"] or re.search(rf"(?<!\w)(?:{lang.month_prepositions})\s+$", before, re.I)):
                return None  # "Mai" alone may be a name: a month only after a preposition
            return month_of_year(month_number(m["mon"]), mod=mod_of(m))

    before = [(pattern, step, name) for pattern, step, name in
              [(lang.previous, -1, "last"), (lang.next, 1, "next"), (lang.this, 0, "this")] if pattern]
    after = [(pattern, step, name) for pattern, step, name in
             [(lang.previous_after, -1, "last"), (lang.next_after, 1, "next")] if pattern]

    def relation(word: str | None, written: list[tuple[str, int, str]]) -> tuple[int, str]:
        for pattern, step, name in written:
            if word and re.fullmatch(pattern, word, re.I):
                return step, name
        return 0, ""

    def either(written) -> str:
        return "|".join(f"(?:{pattern})" for pattern, _, _ in written)

    relations_before = rf"(?:(?P<rel>{either(before)})\s+)?" if before else ""
    relations_after = rf"(?:\s+(?P<rel2>{either(after)})(?!\w))?" if after else ""

    @rule("weekday", rf"{relations_before}(?P<wd>{weekday_names})(?!\w){relations_after}")
    def weekday(m, text):
        rel_before = m["rel"] if before else None
        rel_after = m["rel2"] if after else None
        guard = lang.weekday_guards.get(m["wd"].lower())
        if guard and not rel_before and not re.search(guard, text[max(0, m.start() - 20):m.start()], re.I):
            return None
        _, rel = relation(rel_before, before) if rel_before else relation(rel_after, after)
        return day_of_week(lang.weekdays[m["wd"].lower()], rel)

    days = alternatives(lang.days)

    @rule("day", rf"(?P<w>{days})(?!\w)")
    def deictic_day(m, text):
        word = m["w"].lower()
        guard = lang.day_guards.get(word)
        if guard and re.search(guard, text[max(0, m.start() - 20):m.start()], re.I):
            return None
        return day_from_anchor(lang.days[word])

    unit_of_form = list(lang.units.items())
    units = "|".join(f"(?:{u})" for u in lang.units)

    def unit_of(word: str) -> str:
        return next(unit for pattern, unit in unit_of_form if re.fullmatch(pattern, word, re.I))

    if before:
        @rule("period", rf"(?P<rel>{either(before)})\s+(?P<unit>{units})(?!\w)(?:-ci)?")
        def period_before(m, text):
            return calendar_unit(unit_of(m["unit"]), relation(m["rel"], before)[0])

    if after:
        articles = rf"(?:(?:{lang.articles})\s*)?" if lang.articles else ""

        @rule("period_after", rf"{articles}(?P<unit>{units})\s+(?P<rel>{either(after)})(?!\w)")
        def period_after(m, text):
            return calendar_unit(unit_of(m["unit"]), relation(m["rel"], after)[0])

    if lang.period_words:
        @rule("period_word", rf"(?P<w>{alternatives(lang.period_words)})(?!\w)")
        def period_word(m, text):
            unit, step = lang.period_words[m["w"].lower()]
            return calendar_unit(unit, step)

    if lang.ago:
        ago_units = "|".join(f"(?:{u})" for u in lang.ago_units)

        @rule("ago", lang.ago.format(n=r"(?P<n>\d{1,3})", unit=rf"(?P<unit>{ago_units})(?!\w)"))
        def ago(m, text):
            unit = next(u for pattern, u in lang.ago_units.items() if re.fullmatch(pattern, m["unit"], re.I))
            return offset_from_anchor(unit, int(m["n"]), "ago")

    return rules


def tense_by_words(ruleset: RuleSet, sentence: str) -> str:
    """'future' when the sentence holds a word of the future tense, else 'past' (news report the past)."""
    return "future" if ruleset.future is not None and ruleset.future.search(sentence) else "past"

