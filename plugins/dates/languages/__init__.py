"""The date vocabulary of each language other than English, one module per language.

A module here (`de.py`, `fr.py`, ...) defines `LANGUAGE = Language(...)`: the written forms of the
months and weekdays (inflected ones included: Russian "декабря", "декабре"), the words for yesterday,
today and tomorrow, the words for last / this / next and the calendar units they go with, and a few
words that mark the future tense. `etl_plugins.dates.timex_languages` builds the date rules from such
a table, with the same TIMEX3 values, anchors and granularities as the English rules (which live in
`timex_rules`, English being the reference the others follow).

To add a language, add a module here, or, from another package, declare an entry point in the group
`newsetl.date_languages` naming a `Language` object: no code of the dates plugin changes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import warnings
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "newsetl.date_languages"
DISABLE_AUTOLOAD_ENV = "ETL_DISABLE_PLUGIN_AUTOLOAD"  # the host's switch for installed plugins, honoured here too


@dataclass(frozen=True)
class Language:
    """What the rules need to know of a language's dates. Forms are lower case; regex fragments are
    matched case-insensitively unless said otherwise."""

    code: str  # ISO 639-1, as in `articles.language` ("de", "uk")
    months: dict[str, int]  # every full written form, inflections included -> 1..12
    month_abbreviations: dict[str, int]  # "dez", "déc": only before a day or year, "." optional
    weekdays: dict[str, int]  # every written form -> 0 (Monday) .. 6
    days: dict[str, int]  # "gestern" -> -1, "heute" -> 0: days counted from the anchor
    units: dict[str, str]  # regex of a unit's forms -> "week", "month", "year" or "weekend"
    previous: str  # regex: "last" / "past" written before a unit or a weekday ("" when never)
    this: str  # regex: "this" written before a unit
    next: str  # regex: "next" / "coming" written before a unit or a weekday
    previous_after: str = ""  # regex: "last" written after the unit ("le mois dernier", "el mes pasado")
    next_after: str = ""  # regex: "next" written after the unit ("la semaine prochaine")
    articles: str = ""  # regex of articles written before a unit followed by last/next ("le|la|l'")
    day_suffix: str = ""  # regex after a day number: "\." (German "11."), "er" (French "1er")
    day_month_link: str = ""  # regex between day and month: "de" ("11 de diciembre")
    month_year_link: str = ""  # regex between month and year: "de|del" ("diciembre de 2025")
    year_suffix: str = ""  # regex after a year that belongs to the expression: "года|г\." ("2025 года")
    month_prepositions: str = ""  # regex of words before a month written without its year ("im", "в")
    mods: dict[str, str] = field(default_factory=dict)  # regex before a month-year -> START / MID / END
    ago: str = ""  # regex with {n} and {unit}: "vor {n} {unit}" ("vor 3 Tagen")
    ago_units: dict[str, str] = field(default_factory=dict)  # regex of unit forms after a number -> unit
    day_guards: dict[str, str] = field(default_factory=dict)  # day word -> regex of text before it that
    #                                                           makes it no date ("la mañana": morning)
    weekday_guards: dict[str, str] = field(default_factory=dict)  # weekday form -> regex the text before
    #                                                               it must match (Russian "среда")
    period_words: dict[str, tuple[str, int]] = field(default_factory=dict)  # "торік" -> ("year", -1)
    future: str = ""  # regex of words that put a sentence in the future tense
    script: str = "Latn"  # "Cyrl" for languages written in Cyrillic
    source: str = "built-in"  # where the table comes from, for the pipeline fingerprint (a distribution)


def _discover() -> dict[str, Language]:
    found: dict[str, Language] = {}
    for module in pkgutil.iter_modules(__path__):
        language = getattr(importlib.import_module(f"{__name__}.{module.name}"), "LANGUAGE", None)
        if isinstance(language, Language):
            found[language.code] = language
    if os.environ.get(DISABLE_AUTOLOAD_ENV):
        return found
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            language = point.load()
        except Exception as exc:  # a broken third-party table costs its language, not the dates plugin
            warnings.warn(f"date language {point.name!r} ({point.value}) could not be loaded: {exc}", stacklevel=2)
            continue
        if not isinstance(language, Language):
            warnings.warn(f"date language {point.name!r} ({point.value}) is not a Language table", stacklevel=2)
        elif language.code in found:
            warnings.warn(f"date language {point.name!r}: {language.code!r} has a table already", stacklevel=2)
        else:
            found[language.code] = replace(language, source=f"{point.dist.name if point.dist else point.value}")
    return found


def fingerprint() -> str:
    """Which tables the rules are built from: a third-party table added or removed changes the output."""
    return ",".join(f"{code}:{language.source}" for code, language in sorted(LANGUAGES.items()))


LANGUAGES: dict[str, Language] = _discover()
CYRILLIC_SCRIPT_CHECK = 2000  # characters read to tell Cyrillic text from Latin when the language is unknown
UKRAINIAN_LETTERS = set("іїєґІЇЄҐ")


def primary_code(code: str | None) -> str | None:
    """'de-AT' -> 'de', 'pt_BR' -> 'pt', '' -> None."""
    if not code:
        return None
    return code.strip().lower().replace("_", "-").split("-")[0] or None


def guess_language(text: str) -> str:
    """The language of a text whose language is unknown, as cheaply as possible: Cyrillic text is
    Ukrainian when it uses a letter only Ukrainian has among the two, else Russian; other text is
    taken for English."""
    sample = text[:CYRILLIC_SCRIPT_CHECK]
    cyrillic = sum(1 for c in sample if "\u0400" <= c <= "\u04ff")
    latin = sum(1 for c in sample if c.isascii() and c.isalpha())
    if cyrillic > latin:
        return "uk" if UKRAINIAN_LETTERS & set(sample) else "ru"
    return "en"
