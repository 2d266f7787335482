"""Dates outside the body: headlines, standfirsts, captions, bylines and date lines give `dates` rows with
`segment` = the segment's seq and offsets into its text, and their full dates anchor the article."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import etl_plugins.dates.plugin as dates
from conftest import NLP_PLUGINS, rows, run_pipeline
from etl import Document


def article(*blocks, published=None, language=None):
    """A cleaned article: (label, text) blocks as segments, the body ones joined as its text."""
    doc = Document(doc_id="d1", source_uri="file:///d1.txt", content_sha256="0" * 64, published_at=published,
                   language=language)
    for label, text in blocks:
        doc.add_segment(text, label)
    doc.text = "\n\n".join(s.text for s in doc.segments if s.label == "body")
    return doc


def extracted(doc):
    dates.etl_extract(documents=[doc], config=None)
    return doc.records.get("dates", [])


def test_a_caption_date_is_a_row_of_its_segment():
    doc = article(("headline", "Talks resume in Geneva"),
                  ("body", "The delegations met again, officials said."),
                  ("caption", "Delegates arrive at the talks on Feb. 20, 2025."),
                  ("credit", "(Reuters)"))
    caption = [r for r in extracted(doc) if r["segment"] == 2]
    assert len(caption) == 1
    row = caption[0]
    assert doc.segments[2].text[row["start"]:row["end"]] == "Feb. 20, 2025" == row["text"]
    assert (row["value"], row["granularity"], row["anchor"], row["sentence"]) == ("2025-02-20", "day", "absolute",
                                                                                 None)


def test_body_rows_keep_offsets_into_the_body_and_no_segment():
    doc = article(("headline", "Storm hits the coast on Monday"),
                  ("body", "The storm reached the coast on Monday night."),
                  published=datetime(2025, 12, 12, tzinfo=timezone.utc))
    found = extracted(doc)
    body = [r for r in found if r["segment"] is None]
    headline = [r for r in found if r["segment"] == 0]
    assert [doc.text[r["start"]:r["end"]] for r in body] == ["Monday night"]
    assert [(r["text"], r["value"], r["anchor"]) for r in headline] == [("Monday", "2025-12-08", "publication")]


def test_a_date_line_anchors_the_relative_dates_of_the_body():
    doc = article(("headline", "Army withdraws from the town"),
                  ("other", "December 11, 2025"),
                  ("body", "The army said on Tuesday that its troops had left the town."),
                  ("caption", "A destroyed building on Feb. 20, 2025."))
    found = extracted(doc)
    date_line = [r for r in found if r["segment"] == 1]
    assert [(r["value"], r["start"], r["end"]) for r in date_line] == [("2025-12-11", 0, 17)]
    tuesday = next(r for r in found if r["text"] == "Tuesday")
    # the latest full date of the article is the date line's (not the caption's February): Tuesday 9 December
    assert (tuesday["value"], tuesday["anchor"], tuesday["anchor_date"]) == ("2025-12-09", "text_date",
                                                                             date(2025, 12, 11))


def test_credits_related_headlines_and_navigation_give_no_rows():
    doc = article(("navigation", "Home | World | 12 December 2025"),
                  ("body", "Nothing was dated."),
                  ("related", "Earlier: talks failed on 3 March 2024"),
                  ("credit", "Photo: AFP, 2019"))
    assert extracted(doc) == []


def test_segments_follow_the_article_language():
    doc = article(("headline", "Переговоры возобновились 11 декабря 2025 года"), ("body", "Стороны встретились вчера."),
                  language="ru")
    found = {r["text"]: r for r in extracted(doc)}
    assert found["11 декабря 2025 года"]["segment"] == 0
    assert (found["вчера"]["value"], found["вчера"]["anchor"]) == ("2025-12-10", "text_date")


def test_an_undated_article_takes_its_date_from_its_headline(tmp_path):
    """Through the pipeline: the headline's full date is a `dates` row, the publication date inferred in
    enrich (`latest_date`), and the body's weekday anchored on it."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    record = {"title": "Ceasefire talks set for Feb. 20, 2025", "text": "Both sides agreed on Monday to meet."}
    (inputs / "a.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_pipeline(inputs, out, disable=NLP_PLUGINS)
    segments = {s["seq"]: s for s in rows(out, "segments")}
    found = {r["text"]: r for r in rows(out, "dates")}
    headline_row = found["Feb. 20, 2025"]
    assert segments[headline_row["segment"]]["label"] == "headline"
    assert segments[headline_row["segment"]]["text"][headline_row["start"]:headline_row["end"]] == "Feb. 20, 2025"
    assert (found["Monday"]["value"], found["Monday"]["segment"]) == ("2025-02-17", None)
    (articles,) = rows(out, "articles")
    assert (articles["published_at"].date(), articles["published_at_source"]) == (date(2025, 2, 20), "latest_date")


def test_a_claim_is_not_dated_by_a_caption_row_that_shares_its_offsets():
    """Segment rows' offsets are into their own text: the claims plugin must not read them as body offsets."""
    from etl_plugins.claims.attribution import Claim
    from etl_plugins.claims.plugin import claim_date

    doc = article(("body", "The minister said the talks would go on."),
                  ("caption", "On Feb. 20, 2025, the talks resumed."),
                  published=datetime(2025, 12, 12, tzinfo=timezone.utc))
    found = extracted(doc)
    assert [r["text"] for r in found] == ["Feb. 20, 2025"] and found[0]["start"] < len(doc.text)
    claim = Claim(cue="said", cue_start=13, cue_end=17, start=18, end=39)
    assert claim_date(claim, (0, len(doc.text)), found, date(2025, 12, 12)) == (date(2025, 12, 12), "day")


def test_a_caption_reads_its_tense_from_its_words():
    """No spaCy parse for captions: "is set for Monday" is the next Monday, "met on Monday" the last one."""
    doc = article(("body", "Talks were held."), ("caption", "Delegates met on Monday. The vote is set for Monday."),
                  published=datetime(2025, 12, 12, tzinfo=timezone.utc))
    assert [r["value"] for r in extracted(doc)] == ["2025-12-08", "2025-12-15"]
