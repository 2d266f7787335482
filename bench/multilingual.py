"""Multilingual checks on small documents written for this benchmark (no news text is copied): one
section per capability, each printing its accuracy per language.

    python bench/multilingual.py                 # every section
    python bench/multilingual.py --section dates [--errors]

Sections are functions registered in `SECTIONS` (name -> function(show_errors) -> {language: (right, total)}):
to add one (language identification, entities, cross-script links), write a function with that
signature and add it there.

`dates`: each document is tagged by the dates plugin's own function (`tag_document`, no spaCy parse,
as for a caption) with its language and a publication date; an expected (expression, TIMEX3 value) is
right when a row covers exactly that expression with that value. The expected values were worked out
by hand from the publication date. These documents are the development set of the language tables:
they measure coverage of the forms written here, not accuracy on real news (no public gold with
TIMEX3 values exists in /work/shared for these languages).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Callable

# Friday 12 December 2025 (ISO week 50): the publication date of every dates document below.
PUBLISHED = datetime(2025, 12, 12, 10, 0, tzinfo=timezone.utc)

DATE_DOCUMENTS: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {
    "en": [
        ("The ceasefire began on December 11, 2025, after talks last month. On Thursday the envoy left; "
         "prices rose in November 2025 and fell yesterday.",
         [("December 11, 2025", "2025-12-11"), ("last month", "2025-11"), ("Thursday", "2025-12-11"),
          ("November 2025", "2025-11"), ("yesterday", "2025-12-11")]),
        ("Last week the council met. The vote is set for Monday, and the report comes out next month.",
         [("Last week", "2025-W49"), ("Monday", "2025-12-15"), ("next month", "2026-01")]),
    ],
    "de": [
        ("Die Waffenruhe begann am 11. Dezember 2025, nachdem vergangenen Monat verhandelt worden war. "
         "Am Donnerstag reiste der Gesandte ab; die Preise stiegen im November 2025 und fielen gestern.",
         [("11. Dezember 2025", "2025-12-11"), ("vergangenen Monat", "2025-11"), ("Donnerstag", "2025-12-11"),
          ("November 2025", "2025-11"), ("gestern", "2025-12-11")]),
        ("Letzte Woche tagte der Rat. Die Abstimmung wird am Montag stattfinden, der Bericht erscheint "
         "nächsten Monat. Heute ist Ruhe, vor 3 Tagen nicht. Am 1.12.2025 und Anfang März 2024.",
         [("Letzte Woche", "2025-W49"), ("Montag", "2025-12-15"), ("nächsten Monat", "2026-01"),
          ("Heute", "2025-12-12"), ("vor 3 Tagen", "2025-12-09"), ("1.12.2025", "2025-12-01"),
          ("Anfang März 2024", "2024-03")]),
    ],
    "fr": [
        ("Le cessez-le-feu a commencé le 11 décembre 2025, après des pourparlers le mois dernier. Jeudi, "
         "l'envoyé est parti ; les prix ont augmenté en novembre 2025 et baissé hier.",
         [("11 décembre 2025", "2025-12-11"), ("le mois dernier", "2025-11"), ("Jeudi", "2025-12-11"),
          ("novembre 2025", "2025-11"), ("hier", "2025-12-11")]),
        ("La semaine dernière, le conseil s'est réuni. Le vote aura lieu lundi prochain, le rapport sort "
         "le mois prochain. Le 1er décembre, il y a 11 jours, et aujourd'hui.",
         [("La semaine dernière", "2025-W49"), ("lundi prochain", "2025-12-15"), ("le mois prochain", "2026-01"),
          ("1er décembre", "2025-12-01"), ("il y a 11 jours", "2025-12-01"), ("aujourd'hui", "2025-12-12")]),
    ],
    "es": [
        ("El alto el fuego comenzó el 11 de diciembre de 2025, tras negociaciones el mes pasado. El jueves "
         "el enviado se fue; los precios subieron en noviembre de 2025 y bajaron ayer.",
         [("11 de diciembre de 2025", "2025-12-11"), ("el mes pasado", "2025-11"), ("jueves", "2025-12-11"),
          ("noviembre de 2025", "2025-11"), ("ayer", "2025-12-11")]),
        ("La semana pasada se reunió el consejo. La votación será el próximo lunes y el informe sale el mes "
         "que viene. Hoy hay calma; hace 3 días no. Esta mañana llovió.",
         [("La semana pasada", "2025-W49"), ("próximo lunes", "2025-12-15"), ("el mes que viene", "2026-01"),
          ("Hoy", "2025-12-12"), ("hace 3 días", "2025-12-09")]),
    ],
    "ru": [
        ("Перемирие началось 11 декабря 2025 года, после переговоров в прошлом месяце. В четверг посланник "
         "уехал; цены выросли в ноябре 2025 года и упали вчера.",
         [("11 декабря 2025 года", "2025-12-11"), ("прошлом месяце", "2025-11"), ("четверг", "2025-12-11"),
          ("ноябре 2025 года", "2025-11"), ("вчера", "2025-12-11")]),
        ("На прошлой неделе собрался совет. Голосование будет в понедельник, доклад выйдет в следующем месяце. "
         "Сегодня тихо, а 3 дня назад нет. Встреча прошла в среду. Окружающая среда пострадала.",
         [("прошлой неделе", "2025-W49"), ("понедельник", "2025-12-15"), ("следующем месяце", "2026-01"),
          ("Сегодня", "2025-12-12"), ("3 дня назад", "2025-12-09"), ("среду", "2025-12-10")]),
    ],
    "uk": [
        ("Перемир'я почалося 11 грудня 2025 року, після переговорів минулого місяця. У четвер посланець "
         "поїхав; ціни зросли в листопаді 2025 року і впали вчора.",
         [("11 грудня 2025 року", "2025-12-11"), ("минулого місяця", "2025-11"), ("четвер", "2025-12-11"),
          ("листопаді 2025 року", "2025-11"), ("вчора", "2025-12-11")]),
        ("Минулого тижня зібралася рада. Голосування буде в понеділок, доповідь вийде наступного місяця. "
         "Сьогодні тихо, а 3 дні тому ні. Торік було інакше.",
         [("Минулого тижня", "2025-W49"), ("понеділок", "2025-12-15"), ("наступного місяця", "2026-01"),
          ("Сьогодні", "2025-12-12"), ("3 дні тому", "2025-12-09"), ("Торік", "2024")]),
    ],
}


def dates_section(show_errors: bool = False) -> dict[str, tuple[int, int]]:
    """Date values per language: expected (expression, value) pairs found with that value."""
    import etl_plugins.dates.plugin as dates

    scores: dict[str, tuple[int, int]] = {}
    for language, documents in DATE_DOCUMENTS.items():
        right = total = 0
        for text, expected in documents:
            found = {r["text"]: r["value"] for r in dates.tag_document(text, published=PUBLISHED, language=language)}
            for expression, value in expected:
                total += 1
                right += found.get(expression) == value
                if show_errors and found.get(expression) != value:
                    print(f"  {language}: {expression!r} expected {value}, got {found.get(expression)}")
        scores[language] = (right, total)
    return scores


SECTIONS: dict[str, Callable[[bool], dict[str, tuple[int, int]]]] = {"dates": dates_section}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="default: every section")
    parser.add_argument("--errors", action="store_true", help="print each miss")
    args = parser.parse_args(argv)
    for name in args.section or list(SECTIONS):
        print(f"{name}:")
        for language, (right, total) in SECTIONS[name](args.errors).items():
            print(f"  {language}  {right:3d}/{total:<3d}  {100 * right / total if total else 0:6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
