"""Multilingual checks on small documents written for this benchmark (no news text is copied): one
section per capability, each printing its accuracy per language.

    python bench/multilingual.py                 # every section
    python bench/multilingual.py --section dates [--errors]

Sections are functions registered in `SECTIONS` (name -> function(show_errors) -> {language: (right, total)}):
to add one, write a function with that signature and add it there.

`language`, `entities`, `links`: one `etl run` (default plugins, whatever language extras are installed:
`pip install 'newsetl[fr,ru]'` for the French model and natasha) over twelve short reports written for
this benchmark in en, fr, ru, uk, de, es, pl, zh and ja, without a `language` field. `language`: the
language read from the text. `entities`: names a reader finds that are entity mentions; a function word as
a name, or any mention at all in a language no model covers here (uk, de, es, pl, zh, ja), is a miss.
`links`: whether the town of the French and Russian reports has the entity_id of the English reports'
Siversk. For cross-script clustering on its own, at scale, see `bench/crossscript_links.py`.

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


# --- one `etl run` over short reports written for this benchmark, in eight languages ---------------------
#
# Each document: (language it is written in, text, names a reader finds in it). They tell of one made-up
# week around the town of Siversk, so that the `links` section can ask whether the reports in French and
# Russian name the same town as the English one. No `language` field is given: the `language` plugin
# must read it from the text.
REPORTS: list[tuple[str, str, list[str]]] = [
    ("en", "Ukrainian troops withdrew from Siversk on Tuesday, the army said. Colonel Petro Marchenko told "
           "reporters in Kramatorsk that the town had been shelled for weeks.", ["Siversk", "Petro Marchenko"]),
    ("en", "Residents of Siversk who stayed behind described empty streets. Aid workers from the Red Cross "
           "reached the outskirts on Wednesday.", ["Siversk", "Red Cross"]),
    ("fr", "Les troupes ukrainiennes se sont retirées de Siversk mardi, a indiqué l'armée. Le colonel Petro "
           "Marchenko a déclaré à Kramatorsk que la ville était bombardée depuis des semaines.",
     ["Siversk", "Petro Marchenko"]),
    ("fr", "Selon Emmanuel Macron, la France enverra une aide humanitaire. Il a parlé avec Volodymyr Zelensky "
           "jeudi soir.", ["Emmanuel Macron", "Volodymyr Zelensky"]),
    ("ru", "Украинские войска во вторник покинули Северск, сообщила армия. Полковник Петр Марченко заявил в "
           "Краматорске, что город обстреливали несколько недель.", ["Северск", "Марченко"]),
    ("ru", "Жители Северска рассказали о пустых улицах. Сотрудники Красного Креста добрались до окраин в "
           "среду.", ["Северска"]),
    ("uk", "Українські війська у вівторок залишили Сіверськ, повідомила армія. Після тижнів обстрілів місто "
           "спорожніло, але деякі мешканці залишилися.", []),
    ("de", "Die ukrainischen Truppen haben Siwersk am Dienstag verlassen, teilte die Armee mit. Sie sagte, "
           "die Stadt sei wochenlang beschossen worden. Doch viele Bewohner blieben.", []),
    ("es", "Las tropas ucranianas abandonaron Siversk el martes, según el ejército. La ciudad fue "
           "bombardeada durante semanas y muchos vecinos se quedaron sin agua.", []),
    ("pl", "Ukraińskie wojska wycofały się z Siwerska we wtorek, poinformowało wojsko. Miasto było "
           "ostrzeliwane od tygodni, a część mieszkańców została.", []),
    ("zh", "乌克兰军队周二撤出了西韦尔斯克，军方表示。该镇已连续数周遭到炮击，许多居民仍留在城中。", []),
    ("ja", "ウクライナ軍は火曜日にシベルスクから撤退したと軍が発表した。町は何週間も砲撃を受けていた。", []),
]
#: Words that are never a person's or an organisation's name on their own, in the languages above.
FUNCTION_WORDS = {
    "de": {"sie", "wie", "doch", "die", "der", "das", "unternehmen"},
    "fr": {"le", "la", "les", "il", "elle", "selon"},
    "ru": {"как", "он", "она", "в", "на"},
    "uk": {"після", "але", "місто"},
    "es": {"las", "la", "el", "según"},
    "pl": {"miasto", "we"},
}


def _run_reports():
    """Publish REPORTS through `etl run` once (cached); returns (articles, entities) as row lists (and keeps
    the events rows in `_run_reports.events`)."""
    if _run_reports.result is None:
        import json
        import subprocess
        import tempfile
        from pathlib import Path

        from etl import read_published

        folder = Path(tempfile.mkdtemp(prefix="etl-multilingual-"))
        with open(folder / "reports.jsonl", "w", encoding="utf-8") as handle:
            for language, text, _ in REPORTS:
                handle.write(json.dumps({"text": text, "title": f"Report ({language})"}, ensure_ascii=False) + "\n")
        subprocess.run([sys.executable, "-m", "etl", "run", str(folder / "reports.jsonl"), "--out",
                        str(folder / "out"), "--workers", "1"], check=True, stdout=subprocess.DEVNULL)
        articles = read_published(folder / "out", "articles").to_pylist()
        entities = read_published(folder / "out", "entities").to_pylist()
        index = {a["doc_id"]: int(a["source_uri"].rsplit("#", 1)[1]) for a in articles}
        _run_reports.result = ({index[a["doc_id"]]: a for a in articles},
                               [dict(e, record=index[e["doc_id"]]) for e in entities])
        _run_reports.events = [dict(e, record=index[e["doc_id"]])
                               for e in read_published(folder / "out", "events").to_pylist()]
    return _run_reports.result


_run_reports.result = None


def language_section(show_errors: bool = False) -> dict[str, tuple[int, int]]:
    """`articles.language` read from the text, per language written."""
    articles, _ = _run_reports()
    scores: dict[str, list[int]] = {}
    for record, (language, _, _) in enumerate(REPORTS):
        found = articles[record]["language"]
        score = scores.setdefault(language, [0, 0])
        score[0] += found == language
        score[1] += 1
        if show_errors and found != language:
            print(f"  record {record}: written in {language}, read as {found}")
    return {k: (v[0], v[1]) for k, v in scores.items()}


def entities_section(show_errors: bool = False) -> dict[str, tuple[int, int]]:
    """Per language: names a reader finds that are entity mentions, and no mention that is a function
    word; a language without a model must give no mention at all (each stray mention counts as a miss)."""
    _, entities = _run_reports()
    scores: dict[str, list[int]] = {}
    for record, (language, _, names) in enumerate(REPORTS):
        mine = [e for e in entities if e["record"] == record and e["segment"] is None]
        texts = {e["text"] for e in mine}
        score = scores.setdefault(language, [0, 0])
        for name in names:
            score[1] += 1
            score[0] += any(name in text for text in texts)
            if show_errors and not any(name in text for text in texts):
                print(f"  record {record} ({language}): {name!r} not found among {sorted(texts)}")
        wrong = [e["text"] for e in mine if e["text"].lower() in FUNCTION_WORDS.get(language, ())]
        if not names:  # no model for this language here: any mention came from another language's model
            wrong = [e["text"] for e in mine]
        score[1] += len(wrong)
        if show_errors and wrong:
            print(f"  record {record} ({language}): mentions that should not be there: {wrong}")
    return {k: (v[0], v[1]) for k, v in scores.items()}


def links_section(show_errors: bool = False) -> dict[str, tuple[int, int]]:
    """Whether the town of each French and Russian report is the English reports' Siversk (entity_id)."""
    _, entities = _run_reports()
    town = {e["entity_id"] for e in entities if e["record"] in (0, 1) and e["text"] == "Siversk"}
    scores: dict[str, list[int]] = {}
    for record, (language, _, names) in enumerate(REPORTS):
        if language not in ("fr", "ru") or not names or names[0] not in ("Siversk", "Северск", "Северска"):
            continue
        ids = {e["entity_id"] for e in entities if e["record"] == record and e["text"] == names[0]}
        score = scores.setdefault(language, [0, 0])
        score[1] += 1
        score[0] += bool(ids) and ids <= town and len(town) == 1
        if show_errors and not (ids and ids <= town):
            print(f"  record {record} ({language}): {names[0]!r} is {ids or 'no entity'}, the English one {town}")
    return {k: (v[0], v[1]) for k, v in scores.items()}


#: The events a reader sees in the first report of each language that has a model: the troops withdrew
#: from the town, which had been shelled (event classes of `etl_plugins.events.lexicon`).
REPORT_EVENTS = {0: {"retreat", "attack"}, 2: {"retreat", "attack"}, 4: {"retreat", "attack"}}


def events_section(show_errors: bool = False) -> dict[str, tuple[int, int]]:
    """Per language: the classes of the events a reader sees (one point each), and whether the withdrawal
    of the French and Russian reports is the English one's event (`event_id`, one point each)."""
    _run_reports()
    events = _run_reports.events
    scores: dict[str, list[int]] = {}
    english = {e["event_id"] for e in events if e["record"] == 0 and e["event_class"] == "retreat"}
    for record, expected in REPORT_EVENTS.items():
        language = REPORTS[record][0]
        found = {e["event_class"] for e in events if e["record"] == record}
        ids = {e["event_id"] for e in events if e["record"] == record and e["event_class"] == "retreat"}
        score = scores.setdefault(language, [0, 0])
        score[0] += len(expected & found)
        score[1] += len(expected)
        if record:
            score[0] += bool(ids & english)
            score[1] += 1
        if show_errors and (expected - found or (record and not ids & english)):
            print(f"  record {record} ({language}): classes {sorted(c for c in found if c)}, "
                  f"withdrawal {ids or 'none'}, the English one {english}")
    return {k: (v[0], v[1]) for k, v in scores.items()}


SECTIONS: dict[str, Callable[[bool], dict[str, tuple[int, int]]]] = {
    "dates": dates_section, "language": language_section, "entities": entities_section, "links": links_section,
    "events": events_section,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="default: every section")
    parser.add_argument("--errors", action="store_true", help="print each miss")
    args = parser.parse_args(argv)
    for name in args.section or list(SECTIONS):
        print(f"{name}:")
        for language, (right, total) in SECTIONS[name](args.errors).items():
            shown = f"{100 * right / total:6.1f}%" if total else "     – (nothing expected, nothing found)"
            print(f"  {language}  {right:3d}/{total:<3d}  {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
