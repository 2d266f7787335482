"""Page furniture is labelled, not lost: body text holds the article only, segments keep the rest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import DATA, rows, run_pipeline

SCRAPED = DATA / "scraped"


def by_file(out):
    articles = {Path(a["source_uri"]).name: a for a in rows(out, "articles")}
    segments: dict[str, list[dict]] = {}
    names = {a["doc_id"]: name for name, a in articles.items()}
    for segment in sorted(rows(out, "segments"), key=lambda s: s["seq"]):
        segments.setdefault(names[segment["doc_id"]], []).append(segment)
    return articles, segments


@pytest.fixture(scope="module")
def scraped_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("scraped") / "out"
    run_pipeline(SCRAPED, out, disable=("spacy", "entities", "claims", "events"))
    return by_file(out)


def labelled(segments, label):
    return [s["text"] for s in segments if s["label"] == label]


def test_seed_003_body_starts_with_the_article_and_keeps_no_furniture(seeds_out):
    articles, segments = by_file(seeds_out)
    article, blocks = articles["003_1ff6ca32c0ee6749.txt"], segments["003_1ff6ca32c0ee6749.txt"]
    assert article["text"].startswith("Russia’s renewed offensive on the front-line city of Siversk")
    for furniture in ("4 min read", "Getty Images", "(Deep State)", "Harsh winter landscape", "Avatar",
                      "is a reporter at the Kyiv Independent", "Read more", "News Feed", "Show More",
                      "No need to hold referendums", "A screenshot of the Deep State Map"):
        assert furniture not in article["text"], furniture
    assert labelled(blocks, "navigation")[:2] == ["War", "4 min read"]
    assert labelled(blocks, "headline") == ["What we know about Russia’s offensive in Siversk"]
    assert labelled(blocks, "standfirst") == [
        "Russia pushes into Siversk as Ukraine clings onto key Donetsk Oblast city"]
    assert labelled(blocks, "credit") == ["(Vincenzo Circosta / Anadolu / Getty Images)", "(Deep State)",
                                          "(Roman Chop / Global Images Ukraine / Getty Images)"]
    assert len(labelled(blocks, "caption")) == 6, "three captions, each with its alt text"
    assert labelled(blocks, "related") == ["‘No need to hold referendums’ — Amid US pressure, Ukrainians reject "
                                           "territorial concessions"]
    assert labelled(blocks, "byline") == ["Tania Myronyshena", "Reporter"]
    assert labelled(blocks, "author_bio")[0].startswith("Tania Myronyshena is a reporter at the Kyiv Independent.")
    assert {"Read more", "News Feed", "Show More", "Avatar"} <= set(labelled(blocks, "navigation"))
    assert "Situation on the ground" in article["text"], "subheadings inside the story stay in the body"


def test_seed_003_metadata_comes_from_headline_and_biography(seeds_out):
    articles, _ = by_file(seeds_out)
    article = articles["003_1ff6ca32c0ee6749.txt"]
    assert article["title"] == "What we know about Russia’s offensive in Siversk"
    assert article["authors"] == ["Tania Myronyshena"]
    assert article["publisher"] == "Kyiv Independent"


def test_seed_004_markdown_metadata_and_furniture(seeds_out):
    articles, segments = by_file(seeds_out)
    article, blocks = articles["004_15ba4619f2207590.txt"], segments["004_15ba4619f2207590.txt"]
    assert article["title"] == "Russia Says Captured Siversk in Ukraine's Donetsk Region"
    assert article["authors"] == [] and article["agency"] == ["AFP"], "a wire agency is a source, not a person"
    assert article["published_at"].isoformat() == "2025-12-11T00:00:00+00:00"
    assert article["url"] == ("https://www.themoscowtimes.com/2025/12/11/"
                              "russia-says-captured-siversk-in-ukraines-donetsk-region-a91415")
    assert article["text"].startswith("Russia said Thursday its troops had seized full control of Siversk")
    assert "kremlin.ru" not in article["text"] and "](" not in article["text"] and "**" not in article["text"]
    assert "Related article" not in article["text"] and "Original url" not in article["text"]
    assert labelled(blocks, "caption") == ["Putin and Colonel Denis Pirogov at a televised meeting in the Kremlin "
                                           "on Thursday."]
    assert labelled(blocks, "credit") == ["kremlin.ru"]
    assert labelled(blocks, "related")[0].startswith("Related article: Russia's Claimed Capture of Pokrovsk")


def test_seeds_without_furniture_keep_all_their_text(seeds_out):
    articles, segments = by_file(seeds_out)
    for name in ("000_7e4e04cfcd5cffd0.txt", "001_973fd4891f6162f0.txt"):
        assert {s["label"] for s in segments[name]} == {"body"}
        assert articles[name]["title"] is None
    assert articles["002_a302675719bf0699.txt"]["title"] == ("Russia Declares Full Control Over Siversk Amidst "
                                                              "Ongoing Ukrainian Resistance")


def test_other_scraped_pages_get_the_same_treatment(scraped_out):
    articles, segments = scraped_out
    article, blocks = articles["harbour.txt"], segments["harbour.txt"]
    assert article["title"] == "Port strike halts grain exports from Odesa"
    assert article["authors"] == ["Oksana Melnyk"] and article["publisher"] == "Black Sea Herald"
    assert article["text"].startswith("Grain exports from the port of Odesa stopped on Monday")
    assert labelled(blocks, "standfirst") == ["Dockworkers walked out on Monday over unpaid wages"]
    assert labelled(blocks, "credit") == ["(Jane Roe / Reuters)"]
    assert len(labelled(blocks, "caption")) == 2
    assert labelled(blocks, "related") == ["Also read: Farmers count the cost of a second dry summer",
                                           "Farmers warn of losses as storage fills up"]
    assert ({"Business", "3 min read", "Share", "Advertisement", "Avatar", "Read more"}
            <= set(labelled(blocks, "navigation")))
    assert labelled(blocks, "byline") == ["Oksana Melnyk", "Correspondent"]
    assert "declined to comment" in article["text"], "the paragraph after an advert is still body"


def test_a_closing_list_without_furniture_signs_stays_in_the_story(scraped_out):
    articles, segments = scraped_out
    article = articles["results.txt"]
    assert article["text"].endswith("3 Tomas Novak (Czech Republic)")
    assert {s["label"] for s in segments["results.txt"]} == {"headline", "body"}
    assert article["authors"] == []


def test_nothing_is_lost_every_segment_text_is_in_the_source(scraped_out):
    _, segments = scraped_out
    source = (SCRAPED / "harbour.txt").read_text()
    kept = "".join(s["text"] for s in segments["harbour.txt"])
    assert re.sub(r"\s", "", kept) == re.sub(r"\s", "", source), "every character but white space is kept, in order"
