"""Dates in German, French, Spanish, Russian and Ukrainian: the same TIMEX3 values, anchors and
granularities as in English. Every expected value is worked out by hand from the anchor, Friday
12 December 2025 (ISO week 50, Monday 8 to Sunday 14 December)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

import etl_plugins.dates.plugin as dates
from conftest import NLP_PLUGINS, rows, run_pipeline
from etl_plugins.dates.languages import LANGUAGES, guess_language
from etl_plugins.dates.timex_languages import rules_for

FRIDAY = datetime(2025, 12, 12, 9, 30, tzinfo=timezone.utc)

# (language, sentence, expression, value, granularity, anchor); "absolute" needs no anchor.
CASES = [
    ("de", "Die Waffenruhe begann am 11. Dezember 2025.", "11. Dezember 2025", "2025-12-11", "day", "absolute"),
    ("de", "Die Preise stiegen im Dezember 2025 kaum.", "Dezember 2025", "2025-12", "month", "absolute"),
    ("de", "Der Minister reiste am Donnerstag nach Kiew.", "Donnerstag", "2025-12-11", "day", "publication"),
    ("de", "Die Stadt wurde vergangenen Monat erobert.", "vergangenen Monat", "2025-11", "month", "publication"),
    ("de", "Letzte Woche sprach der Rat darüber.", "Letzte Woche", "2025-W49", "week", "publication"),
    ("de", "Gestern fiel der erste Schnee.", "Gestern", "2025-12-11", "day", "publication"),
    ("fr", "Le cessez-le-feu a commencé le 11 décembre 2025.", "11 décembre 2025", "2025-12-11", "day", "absolute"),
    ("fr", "Les négociations ont repris le 1er décembre.", "1er décembre", "2025-12-01", "day", "publication"),
    ("fr", "Les prix ont peu bougé en décembre 2025.", "décembre 2025", "2025-12", "month", "absolute"),
    ("fr", "Le ministre s'est rendu à Kiev mardi.", "mardi", "2025-12-09", "day", "publication"),
    ("fr", "La ville a été prise le mois dernier.", "le mois dernier", "2025-11", "month", "publication"),
    ("fr", "Le conseil en a parlé la semaine dernière.", "la semaine dernière", "2025-W49", "week", "publication"),
    ("fr", "La première neige est tombée hier.", "hier", "2025-12-11", "day", "publication"),
    ("es", "El alto el fuego comenzó el 11 de diciembre de 2025.", "11 de diciembre de 2025", "2025-12-11", "day",
     "absolute"),
    ("es", "Los precios apenas subieron en diciembre de 2025.", "diciembre de 2025", "2025-12", "month", "absolute"),
    ("es", "El ministro viajó a Kiev el miércoles.", "miércoles", "2025-12-10", "day", "publication"),
    ("es", "La ciudad fue tomada el mes pasado.", "el mes pasado", "2025-11", "month", "publication"),
    ("es", "Ayer cayó la primera nieve.", "Ayer", "2025-12-11", "day", "publication"),
    ("ru", "Перемирие началось 11 декабря 2025 года.", "11 декабря 2025 года", "2025-12-11", "day", "absolute"),
    ("ru", "Цены почти не выросли в декабре 2025 года.", "декабре 2025 года", "2025-12", "month", "absolute"),
    ("ru", "Министр прилетел в Киев в понедельник.", "понедельник", "2025-12-08", "day", "publication"),
    ("ru", "Город был взят в прошлом месяце.", "прошлом месяце", "2025-11", "month", "publication"),
    ("ru", "Совет обсуждал это на прошлой неделе.", "прошлой неделе", "2025-W49", "week", "publication"),
    ("ru", "Вчера выпал первый снег.", "Вчера", "2025-12-11", "day", "publication"),
    ("uk", "Перемир'я почалося 11 грудня 2025 року.", "11 грудня 2025 року", "2025-12-11", "day", "absolute"),
    ("uk", "Ціни майже не зросли у грудні 2025 року.", "грудні 2025 року", "2025-12", "month", "absolute"),
    ("uk", "Міністр прилетів до Києва у четвер.", "четвер", "2025-12-11", "day", "publication"),
    ("uk", "Місто було захоплено минулого місяця.", "минулого місяця", "2025-11", "month", "publication"),
    ("uk", "Вчора випав перший сніг.", "Вчора", "2025-12-11", "day", "publication"),
]


def tagged(text, language, published=FRIDAY, **kwargs):
    return {r["text"]: r for r in dates.tag_document(text, published=published, language=language, **kwargs)}


@pytest.mark.parametrize("language, sentence, expression, value, granularity, anchor", CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_expressions_resolve_as_in_english(language, sentence, expression, value, granularity, anchor):
    found = tagged(sentence, language)
    assert expression in found, f"{expression!r} not tagged; tagged: {list(found)}"
    row = found[expression]
    assert sentence[row["start"]:row["end"]] == expression
    assert (row["value"], row["granularity"], row["anchor"]) == (value, granularity, anchor)
    assert row["anchor_date"] == (None if anchor == "absolute" else date(2025, 12, 12))


def test_a_relative_month_covers_the_whole_month_and_a_week_its_seven_days():
    month = tagged("Город был взят в прошлом месяце.", "ru")["прошлом месяце"]
    assert (month["range_start"], month["range_end"]) == (date(2025, 11, 1), date(2025, 11, 30))
    week = tagged("Le conseil en a parlé la semaine dernière.", "fr")["la semaine dernière"]
    assert (week["range_start"], week["range_end"]) == (date(2025, 12, 1), date(2025, 12, 7))


def test_a_weekday_in_a_future_sentence_is_the_next_one():
    # Monday after Friday 12 December: the 15th; the same word in a past sentence is the 8th
    assert tagged("Der Minister wird am Montag nach Kiew reisen.", "de")["Montag"]["value"] == "2025-12-15"
    assert tagged("Der Minister reiste am Montag nach Kiew.", "de")["Montag"]["value"] == "2025-12-08"
    assert tagged("Міністр прилетить до Києва у понеділок, як він планує.", "uk")["понеділок"]["value"] == \
        "2025-12-15"


def test_inflected_months_and_abbreviations():
    assert tagged("Le 3 déc. 2025, le vote.", "fr")["3 déc. 2025"]["value"] == "2025-12-03"
    assert tagged("Выборы прошли 5 мая 2024 года.", "ru")["5 мая 2024 года"]["value"] == "2024-05-05"
    assert tagged("Вибори відбулися 5 травня 2024 року.", "uk")["5 травня 2024 року"]["value"] == "2024-05-05"
    assert tagged("Am 3. März 2025 und Anfang Mai 2024.", "de")["Anfang Mai 2024"]["mod"] == "START"
    # "11. September 2022" is a day, not the month of September
    assert tagged("Am 11. September 2022 begann es.", "de")["11. September 2022"]["value"] == "2022-09-11"


def test_months_without_a_year_and_parts_of_months():
    # a month named without its year, after a preposition: the one nearest the anchor in a past sentence
    for language, sentence, expression in [("de", "Die Preise stiegen im Dezember.", "Dezember"),
                                           ("ru", "Цены выросли в декабре.", "декабре"),
                                           ("uk", "Ціни зросли у грудні.", "грудні")]:
        row = tagged(sentence, language)[expression]
        assert (row["value"], row["granularity"], row["anchor"]) == ("2025-12", "month", "publication")
        assert (row["range_start"], row["range_end"]) == (date(2025, 12, 1), date(2025, 12, 31))
    assert "Mai" not in tagged("Mai Thi sagte es.", "de")  # without a preposition a month name may be a name
    end = tagged("Ende Dezember fiel Schnee.", "de")["Ende Dezember"]
    # the last third: 30 days from the 1st to the 31st, a third is 10, so the 21st to the 31st
    assert (end["value"], end["mod"], end["range_start"], end["range_end"]) == ("2025-12", "END", date(2025, 12, 21),
                                                                                date(2025, 12, 31))
    assert tagged("Les prix ont baissé mi-mars 2024.", "fr")["mi-mars 2024"]["mod"] == "MID"
    assert tagged("Цены упали в конце мая 2024 года.", "ru")["в конце мая 2024 года"]["mod"] == "END"


def test_last_and_next_on_either_side_of_the_unit():
    assert tagged("La reunión será la próxima semana.", "es")["próxima semana"]["value"] == "2025-W51"
    assert tagged("La reunión fue la semana pasada.", "es")["la semana pasada"]["value"] == "2025-W49"
    assert tagged("Il viendra la semaine prochaine.", "fr")["la semaine prochaine"]["value"] == "2025-W51"
    assert tagged("Il est venu l'an dernier.", "fr")["l'an dernier"]["value"] == "2024"
    # "la dernière semaine" (the last seven days of something) is left alone
    assert tagged("Pendant la dernière semaine du procès, il a parlé.", "fr") == {}
    assert tagged("Il est parti vendredi dernier.", "fr")["vendredi dernier"]["value"] == "2025-12-05"
    assert tagged("Він поїхав минулої п’ятниці.", "uk")["минулої п’ятниці"]["value"] == "2025-12-05"


def test_words_that_are_no_date_are_left_alone():
    assert "hier" not in tagged("Die Lage hier ist ruhig.", "de")  # German "here", French "yesterday"
    assert "mañana" not in tagged("Salió por la mañana.", "es")  # the morning, not tomorrow
    assert "среда" not in tagged("Окружающая среда пострадала.", "ru")  # the environment, not Wednesday
    assert tagged("Они встретились в среду.", "ru")["среду"]["value"] == "2025-12-10"


def test_the_language_chooses_the_rules():
    text = "Le cessez-le-feu a commencé le 11 décembre 2025, hier."
    assert set(tagged(text, "fr")) == {"11 décembre 2025", "hier"}
    assert set(tagged(text, "fr-BE")) == {"11 décembre 2025", "hier"}  # a region subtag changes nothing
    assert set(tagged(text, "en")) == {"2025"}  # the English rules know a year, not "décembre"


def test_a_language_without_a_table_keeps_the_language_neutral_rules():
    found = tagged("Il cessate il fuoco è iniziato l'11 dicembre 2025 (2025-12-11).", "it")
    assert [r["value"] for r in found.values()] == ["2025", "2025-12-11"]
    assert rules_for("it").language == "und" and rules_for("de").language == "de"


def test_an_unknown_language_is_guessed_from_the_script():
    assert guess_language("Вчера выпал первый снег.") == "ru"
    assert guess_language("Вчора випав перший сніг, і це було несподівано.") == "uk"
    assert guess_language("Snow fell yesterday.") == "en"
    assert tagged("Вчора випав перший сніг.", None)["Вчора"]["value"] == "2025-12-11"
    assert tagged("Snow fell yesterday.", None)["yesterday"]["value"] == "2025-12-11"


def test_every_language_table_names_twelve_months_and_seven_weekdays():
    assert {"de", "fr", "es", "ru", "uk"} <= set(LANGUAGES)
    for language in LANGUAGES.values():
        assert set(language.months.values()) == set(range(1, 13)), language.code
        assert set(language.weekdays.values()) == set(range(7)), language.code


def test_the_month_tables_hold_what_dateparser_knows():
    """dateparser's language data (a list made independently) names no full month form the tables miss."""
    data = pytest.importorskip("dateparser.data.date_translation_data")
    names = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december"]
    for code, language in LANGUAGES.items():
        info = getattr(__import__(f"{data.__name__}.{code}", fromlist=["info"]), "info")
        for number, name in enumerate(names, start=1):
            known = {**language.months, **language.month_abbreviations}
            missing = [form for form in info[name] if len(form) > 3 and form.lower().rstrip(".") not in known]
            assert not missing, (code, name, missing)


def test_a_jsonl_record_in_german_gets_german_dates(tmp_path):
    """Through the pipeline: `language` of a JSONL record chooses the rules, `published_at` anchors them."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    record = {"text": "Die Stadt wurde vergangenen Monat erobert. Am 11. Dezember 2025 begann die Waffenruhe.",
              "language": "de", "published_at": "2025-12-12T09:30:00Z"}
    (inputs / "de.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_pipeline(inputs, out, disable=NLP_PLUGINS)
    found = {r["text"]: r for r in rows(out, "dates")}
    assert (found["vergangenen Monat"]["value"], found["vergangenen Monat"]["anchor"]) == ("2025-11", "publication")
    assert found["11. Dezember 2025"]["value"] == "2025-12-11"


class FakeEntryPoint:
    def __init__(self, name, load):
        self.name, self.value, self.dist, self._load = name, f"third_party:{name}", None, load

    def load(self):
        return self._load()


def test_a_third_party_table_adds_a_language_and_a_broken_one_is_skipped_with_a_warning(monkeypatch):
    import etl_plugins.dates.languages as languages

    italian = replace(LANGUAGES["es"], code="it", months={"dicembre": 12, **{f"m{i}": i for i in range(1, 12)}},
                      month_abbreviations={}, day_month_link="", month_year_link="")

    def broken():
        raise ImportError("no module named third_party")

    points = [FakeEntryPoint("it", lambda: italian), FakeEntryPoint("xx", broken)]
    monkeypatch.delenv("ETL_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.setattr(languages, "entry_points", lambda group: points if group == languages.ENTRY_POINT_GROUP else [])
    with pytest.warns(UserWarning, match="'xx'.*could not be loaded"):
        found = languages._discover()
    assert found["it"].source == "third_party:it" and found["it"].months["dicembre"] == 12
    assert "xx" not in found and found["de"].source == "built-in"
