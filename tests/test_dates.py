"""The `dates` plugin: TIMEX3 values, anchoring and intervals, on the seeds and on sentences written here."""

from __future__ import annotations

import sys
from datetime import date, datetime, timezone

import pytest

import etl_plugins.dates.plugin as dates
import etl_plugins.dates.timex as timex
from conftest import REPO, SEEDS, rows
from etl_plugins.spacy.plugin import DEFAULT_MODEL, load_model


@pytest.fixture(scope="module")
def seed_dates(seeds_out):
    """The seeds through the real pipeline (dates is a built-in): {seed prefix: rows}."""
    out = seeds_out
    names = {a["doc_id"]: a["source_uri"].rsplit("/", 1)[-1][:3] for a in rows(out, "articles")}
    texts = {a["doc_id"]: a["text"] for a in rows(out, "articles")}
    by_seed: dict[str, list[dict]] = {}
    for row in rows(out, "dates"):
        row["article_text"] = texts[row["doc_id"]]
        by_seed.setdefault(names[row["doc_id"]], []).append(row)
    return by_seed


def one(seed_rows, text):
    found = [r for r in seed_rows if r["text"].lower() == text.lower()]
    assert found, f"{text!r} not tagged; tagged: {[r['text'] for r in seed_rows]}"
    return found[0]


@pytest.fixture(scope="module")
def nlp():
    return load_model(DEFAULT_MODEL, ("parser",))


def tag(text, anchor=None, nlp=None, **kwargs):
    return {r["text"]: r for r in dates.tag_document(text, nlp(text) if nlp else None, published=anchor, **kwargs)}


# --- the seeds -------------------------------------------------------------------------------------

def test_004_relative_dates_resolve_against_the_publication_date(seed_dates):
    rows_004 = seed_dates["004"]
    thursday = one(rows_004, "Thursday")
    assert (thursday["value"], thursday["range_start"]) == ("2025-12-11", date(2025, 12, 11))
    assert (thursday["anchor"], thursday["anchor_date"]) == ("publication", date(2025, 12, 11))
    last_month = one(rows_004, "last month")
    assert (last_month["value"], last_month["granularity"]) == ("2025-11", "month")
    assert (last_month["range_start"], last_month["range_end"]) == (date(2025, 11, 1), date(2025, 11, 30))
    earlier = one(rows_004, "earlier this month")
    assert earlier["value"] == "2025-12"
    assert (earlier["range_start"], earlier["range_end"]) == (date(2025, 12, 1), date(2025, 12, 11))
    february = one(rows_004, "February 2022")
    assert (february["value"], february["anchor"], february["anchor_date"]) == ("2022-02", "absolute", None)


def test_003_anchors_on_the_latest_full_date_of_its_captions(seed_dates):
    rows_003 = seed_dates["003"]
    dec13 = one(rows_003, "Dec. 13")
    assert (dec13["value"], dec13["anchor"], dec13["anchor_date"]) == ("2025-12-13", "text_date", date(2025, 12, 15))
    assert one(rows_003, "Sept. 1")["value"] == "2025-09-01"
    mid = one(rows_003, "mid-December")
    assert (mid["value"], mid["mod"], mid["granularity"]) == ("2025-12", "MID", "month")
    assert date(2025, 12, 1) < mid["range_start"] <= mid["range_end"] < date(2025, 12, 31)
    late = one(rows_003, "late 2022")
    assert (late["value"], late["mod"], late["anchor"]) == ("2022", "END", "absolute")
    assert late["range_end"] == date(2022, 12, 31) and late["range_start"] > date(2022, 6, 30)
    more = one(rows_003, "more than three years")
    assert (more["value"], more["mod"], more["kind"]) == ("P3Y", "MORE_THAN", "duration")
    assert more["range_start"] is None and more["range_end"] is None


def test_003_the_next_day_counts_from_the_date_before_it(seed_dates):
    next_day = one(seed_dates["003"], "The next day")
    assert (next_day["value"], next_day["anchor"], next_day["anchor_date"]) == ("2025-12-11", "text_date",
                                                                                date(2025, 12, 10))


def test_001_a_year_range_is_one_row_not_a_subtraction(seed_dates):
    span = one(seed_dates["001"], "2013-2014")
    assert (span["value"], span["granularity"], span["kind"]) == ("2013/2014", "year", "date")
    assert (span["range_start"], span["range_end"]) == (date(2013, 1, 1), date(2014, 12, 31))
    overlapping = [r["value"] for r in seed_dates["001"] if r["start"] < span["end"] and span["start"] < r["end"]]
    assert overlapping == ["2013/2014"]


def test_without_any_anchor_relative_dates_stay_unresolved(seed_dates):
    # 002 alone: no publication date, no full date anywhere (in the corpus, its copy group dates it).
    text = (SEEDS / "002_a302675719bf0699.txt").read_text()
    rows_002 = [dict(r, text=text[r["start"]:r["end"]]) for r in dates.tag_document(text, None, published=None)]
    thursday = one(rows_002, "Thursday")
    assert (thursday["value"], thursday["anchor"], thursday["range_start"]) == ("XXXX-WXX-4", "unresolved", None)
    assert one(seed_dates["000"], "December 11")["value"] == "XXXX-12-11"
    assert one(rows_002, "February 2022")["anchor"] == "absolute"


def test_rows_point_at_their_text_and_sentence(seed_dates):
    for seed_rows in seed_dates.values():
        for row in (r for r in seed_rows if r["segment"] is None):  # segment rows: tests/test_dates_segments.py
            assert row["article_text"][row["start"]:row["end"]] == row["text"]
            assert row["plugin"] == "dates" and isinstance(row["sentence"], int)
    rows_004 = seed_dates["004"]
    assert one(rows_004, "Thursday")["sentence"] < one(rows_004, "last month")["sentence"] \
        < one(rows_004, "February 2022")["sentence"]


# --- the normaliser on sentences written for these tests ---------------------------------------------

def test_weekdays_follow_the_tense(nlp):
    found = tag("The council met on Monday. The mayor will sign the budget on Friday.", date(2024, 3, 6), nlp)
    assert found["Monday"]["value"] == "2024-03-04"  # the Monday before a Wednesday anchor
    assert found["Friday"]["value"] == "2024-03-08"  # "will": the Friday after it


def test_month_day_takes_the_year_nearest_the_anchor():
    found = tag("The ferry sank on Dec. 30 and the inquiry opens Jan. 9.", date(2026, 1, 3))
    assert found["Dec. 30"]["value"] == "2025-12-30"
    assert found["Jan. 9"]["value"] == "2026-01-09"


def test_counted_offsets_and_anaphora():
    found = tag("The dam failed on 4 March 2019. Two days later the valley flooded; "
                "three weeks ago a report came out.", date(2024, 6, 20))
    assert found["4 March 2019"]["anchor"] == "absolute"
    assert found["Two days later"]["value"] == "2019-03-06"
    assert found["Two days later"]["anchor_date"] == date(2019, 3, 4)
    assert found["three weeks ago"]["value"] == "2024-W22"  # counted from the publication date


def test_periods_quarters_seasons_decades_centuries():
    found = tag("Sales rose in the third quarter, after a weak spring and last summer; the mills date from "
                "the 1890s and the early 19th century.", date(2023, 11, 2))
    assert found["the third quarter"]["value"] == "2023-Q3"
    assert found["last summer"]["value"] == "2022-SU"
    assert found["the 1890s"]["value"] == "189"
    assert (found["the early 19th century"]["value"], found["the early 19th century"]["mod"]) == ("18", "START")


def test_a_match_cannot_start_inside_a_word_and_hide_the_date_after_it():
    # "and 1980s": the decade rule's optional space let a match start at the space after "and", which
    # was then rejected for touching a word, and "1980s" was lost with it.
    text = "bad memories of the 1970s and 1980s, she said"
    assert [(t.text, t.value) for t in timex.tag(text)] == [("the 1970s", "197"), ("1980s", "198")]
    # Likewise "early" inside "Clearly", and "start of" inside "onstart of".
    assert [t.text for t in timex.tag("Clearly 2004 was the most difficult")] == ["2004"]
    assert [t.text for t in timex.tag("since the onstart of winter")] == ["winter"]


def test_durations_and_sets():
    found = tag("The strike lasted 5 1/2 hours, almost two decades after the last one; buses run every day "
                "and the talks took several weeks.", date(2023, 1, 1))
    assert (found["5 1/2 hours"]["value"], found["5 1/2 hours"]["kind"]) == ("PT5H30M", "duration")
    assert (found["almost two decades"]["value"], found["almost two decades"]["mod"]) == ("P20Y", "APPROX")
    assert (found["every day"]["value"], found["every day"]["kind"]) == ("P1D", "set")
    assert found["several weeks"]["value"] == "PXW"


def test_times_of_day_take_their_date():
    found = tag("Polls close at 8 p.m. Tuesday; counting starts this morning.", date(2022, 5, 2))
    assert (found["8 p.m. Tuesday"]["value"], found["8 p.m. Tuesday"]["kind"]) == ("2022-05-03T20:00", "time") \
        or found["8 p.m. Tuesday"]["value"] == "2022-04-26T20:00"
    assert found["this morning"]["value"] == "2022-05-02TMO"


def test_words_that_only_look_like_dates_are_left_alone(nlp):
    found = tag("Officials may decide. The fall of the town came fast. A three-year-old girl and "
                "2000 soldiers survived; the fund paid $2020.", date(2024, 1, 1), nlp)
    assert found == {}


def test_unanchored_expressions_keep_what_the_text_says():
    found = tag("Talks resumed on Aug. 14, last week, in mid-March.")
    assert (found["Aug. 14"]["value"], found["Aug. 14"]["anchor"]) == ("XXXX-08-14", "unresolved")
    assert found["last week"]["value"] == "XXXX-WXX"
    assert found["mid-March"]["range_start"] is None


def test_the_latest_full_date_of_any_segment_is_the_anchor():
    found = tag("The bridge reopened on Friday.", None,
                evidence=["Photo taken Feb. 3, 2024.", "Map as of March 15, 2024."])
    friday = found["Friday"]
    assert (friday["value"], friday["anchor"], friday["anchor_date"]) == ("2024-03-15", "text_date",
                                                                           date(2024, 3, 15))


def test_publication_datetime_is_taken_as_its_date():
    published = datetime(2021, 7, 9, 23, 0, tzinfo=timezone.utc)
    assert tag("The port closed yesterday.", published)["yesterday"]["value"] == "2021-07-08"


def test_without_spacy_the_tagger_still_runs():
    found = timex.tag("Prices fell 3% in 2019 and in February 2020.", date(2021, 1, 1))
    assert [(t.text, t.value) for t in found] == [("2019", "2019"), ("February 2020", "2020-02")]


# --- the TempEval-3 scorer ------------------------------------------------------------------------

MADE_UP_TIMEML = """<?xml version="1.0" ?><TimeML><DOCID>x</DOCID>
<DCT><TIMEX3 tid="t0" type="DATE" value="2010-05-07" functionInDocument="CREATION_TIME">May 7, 2010</TIMEX3></DCT>
<TEXT>The vote came <TIMEX3 tid="t1" type="DATE" value="2010-05-06">Thursday</TIMEX3> after
<TIMEX3 tid="t2" type="DURATION" value="P3W">three weeks</TIMEX3> of talks &amp; a strike in
<TIMEX3 tid="t3" type="DATE" value="2008">2008</TIMEX3>-<TIMEX3 tid="t4" type="DATE" value="2009">2009</TIMEX3>.</TEXT>
</TimeML>"""


def test_tempeval_scorer_reads_timeml_and_splits_ranges(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import tempeval
    finally:
        sys.path.remove(str(REPO / "bench"))
    path = tmp_path / "made_up.tml"
    path.write_text(MADE_UP_TIMEML, encoding="utf-8")
    doc = tempeval.read_timeml(path)
    assert doc.dct == date(2010, 5, 7)
    assert [g.text for g in doc.gold] == ["Thursday", "three weeks", "2008", "2009"]
    assert "talks & a strike" in doc.text
    system = tempeval.system_spans(dates.tag_document(doc.text, None, published=doc.dct))
    matched = tempeval.match(doc.gold, system)
    assert len(matched) == 4 and all(g.value == s.value for g, s in matched)
    assert {(s.start, s.end) for s in system} == {(g.start, g.end) for g in doc.gold}


@pytest.mark.slow
def test_tempeval_platinum_value_f1_beats_heideltime(shared_dir, capsys):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import tempeval
    finally:
        sys.path.remove(str(REPO / "bench"))
    report = tempeval.evaluate(shared_dir / "evaldata" / "tempeval3_platinum")
    assert report["gold"] == 138
    assert report["value_f1"] > 0.7761
