"""Metadata you can trust: charset, normalisation, word counts, authors, titles, publishers, dates.

One test (or a few) per problem found on real pages (issue 17): each page here is a small fixture
written for the test, shaped like the real page that showed the problem.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb
import pytest
import trafilatura

import etl_plugins.html as html
from conftest import rows, run_pipeline
from etl.metadata import (
    AGENCIES,
    byline_names,
    clean_author,
    domain_of,
    language_code,
    parse_published,
    settle,
    sort_authors,
    strip_site_from_title,
)
from etl.model import Document
from etl.textstats import count_words
from etl_plugins.normalize import normalize_text

NO_NLP = ("spacy", "entities", "claims", "figures", "events")
HTML_SETTINGS = {name: spec.default for name, spec in html.etl_settings().items()}
PARAGRAPHS = (
    "<p>The regional council approved the new budget on Tuesday after a debate that lasted well into the "
    "evening, with members arguing over road repairs and school funding for the coming year.</p>"
    "<p>The opposition said the plan leaves rural districts behind and promised to bring amendments to the "
    "next session, where the finance committee will examine each line of spending again.</p>"
    "<p>Officials said the first payments would reach municipalities in the spring, once the ministry has "
    "checked the accounts of every district that applied for the new infrastructure grants.</p>"
)


def new_doc(**fields) -> Document:
    return Document(doc_id="d", source_uri="file:///d.html", content_sha256="0", **fields)


def page(head: str = "", body: str = PARAGRAPHS, lang: str = "en") -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
            f"<body><article>{body}</article></body></html>")


def extract(markup: str) -> Document:
    doc = new_doc()
    html.extract_article(markup, doc, HTML_SETTINGS)
    return doc


def run_no_nlp(path, out, **config):
    config.setdefault("disable", NO_NLP)
    return run_pipeline(path, out, **config)


# --- charset -------------------------------------------------------------------------------------------

def test_a_utf8_page_that_declares_iso_8859_2_is_read_as_utf8(tmp_path):
    body = ("<p>Nowym prezesem spółki będzie Paweł Nowak, poinformowała rada nadzorcza w komunikacie "
            "wydanym w piątek wieczorem po długim posiedzeniu.</p>"
            "<p>Zmiana na stanowisku następuje po miesiącach sporów o strategię firmy i jej zadłużenie, "
            "które według analityków przekroczyło już dwa miliardy złotych.</p>")
    markup = page('<title>Nowym prezesem będzie Paweł Nowak</title>', body, "pl").replace(
        '<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-2">')
    path = tmp_path / "pl.html"
    path.write_bytes(markup.encode("utf-8"))
    out = tmp_path / "out"
    run_no_nlp(path, out)
    (article,) = rows(out, "articles")
    assert article["title"] == "Nowym prezesem będzie Paweł Nowak"
    assert "spółki będzie Paweł Nowak" in article["text"]
    body_segments = [s for s in rows(out, "segments") if s["label"] == "body"]
    assert len(body_segments) == 2, "each paragraph one segment, not split at misread bytes"


def test_a_page_in_its_declared_legacy_charset_is_still_read_by_the_declaration():
    raw = page("<title>Zażółć gęślą jaźń</title>", lang="pl").replace(
        '<meta charset="utf-8">', '<meta charset="iso-8859-2">').encode("iso-8859-2")
    assert "Zażółć gęślą jaźń" in html.decode_html(raw)


# --- normalisation and word counts ---------------------------------------------------------------------

def test_normalisation_keeps_cjk_punctuation_and_full_width_forms():
    text = "外国专家：中美合作共赢，符合国际社会利益（写真＝ロイター）６月"
    assert normalize_text(text) == text
    # What normalisation is for still happens: mojibake repaired, spaces collapsed.
    assert normalize_text("caf\u00c3\u00a9  au   lait") == "café au lait"


def test_cjk_punctuation_survives_the_pipeline_in_title_and_body(tmp_path):
    body = "".join(f"<p>{sentence}</p>" for sentence in (
        "６月12日の歴史的な米朝首脳会談を巡って戦っていたのは、米大統領と北朝鮮委員長ばかりではなかった。",
        "中国の国家主席は、首脳会談の前後に北朝鮮の委員長と二度会談し、存在感を示した。",
        "専門家は「中国の影響力は今後も続く」と指摘し、米国政府の対応に注目が集まっている。"))
    path = tmp_path / "ja.html"
    path.write_text(page("<title>米朝首脳直通電話：習氏に挑む戦術の成否</title>", body, "ja"), encoding="utf-8")
    out = tmp_path / "out"
    run_no_nlp(path, out)
    (article,) = rows(out, "articles")
    assert article["title"] == "米朝首脳直通電話：習氏に挑む戦術の成否"
    assert "米大統領と北朝鮮委員長ばかりではなかった。" in article["text"] and "、" in article["text"]
    assert "６月" in article["text"]
    assert article["word_count"] > 100, "a Japanese page counts its characters, not its few spaces"


def test_count_words_counts_scripts_written_without_spaces():
    assert count_words("The council met on Tuesday, again.") == 6
    assert count_words("米朝首脳会談") == 6, "one word per Chinese character or kana"
    assert count_words("外国专家：中美合作，共赢") == 10, "punctuation is no word"
    assert count_words("2018年6月") == 4
    assert count_words("한국어 문장입니다") == 2, "Hangul is written with spaces"
    # Thai has no spaces between words: estimated from its letters, within reach of the real count.
    thai = "ผู้สื่อข่าวได้รับแจ้งจากเจ้าหน้าที่ตำรวจว่าพบศพลอยอยู่ในแม่น้ำโขง"  # about 14 words
    assert 8 <= count_words(thai) <= 20
    assert count_words("") == 0


# --- authors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "authors", "agency"), [
    ("Por Alberto Ávila", ["Alberto Ávila"], []),
    ("Par AFP publié le 12/03/2024 à 10h32", [], ["AFP"]),
    ("责任编辑：孔德明", ["孔德明"], []),
    ("Von Anna Schmidt und Peter Braun, dpa", ["Anna Schmidt", "Peter Braun"], ["dpa"]),
    ("От Ивана Петрова", ["Ивана Петрова"], []),
    ("Reuters", [], ["Reuters"]),
    ("The Associated Press", [], ["AP"]),
    ("Xinhua News Agency", [], ["Xinhua"]),
    ("Da Silva", ["Da Silva"], []),
    ("di Mario Rossi", ["Mario Rossi"], []),
    ("Ursula von der Leyen", ["Ursula von der Leyen"], []),
    ("Follow", [], []),
    ("Submitted", [], []),
    ("Unknown", [], []),
    ("Staff", [], []),
    ("Online News Editor", [], []),
    ("www.facebook.com", [], []),
])
def test_bylines_are_sorted_into_people_and_agencies(raw, authors, agency):
    doc = new_doc(publisher="The Daily Example")
    sort_authors(doc, [raw], "metadata")
    assert (doc.authors, doc.agency) == (authors, agency)
    assert doc.authors_source == ("metadata" if authors else None)


def test_an_outlet_named_as_author_goes_to_publisher_or_agency():
    doc = new_doc(url="https://edition.cnn.com/2024/story")
    sort_authors(doc, ["Jane Doe", "CNN"], "metadata")
    assert doc.authors == ["Jane Doe"] and doc.publisher == "CNN" and doc.agency == []
    other = new_doc(publisher="FOX 13 News Utah")
    sort_authors(other, ["Deutsche Welle", "CNN Wire"], "metadata")
    assert other.authors == [] and other.agency == ["Deutsche Welle", "CNN Wire"]
    assert other.publisher == "FOX 13 News Utah"


def test_the_agency_list_has_one_owner_and_lowercase_spellings():
    assert all(spelling == spelling.casefold() for spelling in AGENCIES)
    assert {"AFP", "Reuters", "AP", "dpa", "EFE", "ANSA", "TASS", "Interfax", "Xinhua"} <= set(AGENCIES.values())


def test_byline_lines_name_people_only():
    assert byline_names("By Cristina Alonso") == ["Cristina Alonso"]
    assert byline_names("Por Ana Pérez y Luis Gil") == ["Ana Pérez", "Luis Gil"]
    assert byline_names("By the end of the year the council will have met eleven times") == []
    assert byline_names("Cristina Alonso") == [], "no lead word: not a byline"
    assert clean_author("By: Jane Doe | Updated 3 hours ago") == "Jane Doe"


def test_a_byline_in_the_text_wins_over_generic_page_metadata():
    body = "<p>By Cristina Alonso</p>" + PARAGRAPHS
    doc = extract(page('<title>Budget approved</title><meta name="author" content="Online News Editor">', body))
    assert doc.authors == ["Cristina Alonso"] and doc.authors_source == "byline"
    assert "Cristina Alonso" not in " ".join(s.text for s in doc.body), "the byline is not body text"


def test_a_reader_comment_author_is_not_the_author():
    comments = ('<div id="sf_comment_list" class="box"><div class="sf_comment" id="sf_comment_1073341">'
                '<p class="sf_comment_info"><span class="sf_comment_author">Alcalino</span><br>'
                '<span class="date">Hace 28 minutos</span></p><p>Muy buen artículo, gracias.</p></div></div>')
    markup = page("<title>El presupuesto, aprobado</title>", PARAGRAPHS, "es").replace(
        "</article>", "</article>" + comments)
    tree = trafilatura.load_html(markup)
    assert html.commenter(tree, "Alcalino")
    doc = extract(markup)
    assert "Alcalino" not in doc.authors


def test_an_agency_byline_in_markdown_is_the_agency(tmp_path):
    path = tmp_path / "story.md"
    path.write_text("# Russia says it captured the town\n\nBy [AFP](#)\n\nDecember 11, 2025\n\n"
                    "Original url: https://www.themoscowtimes.com/2025/12/11/story\n\n"
                    "Russia said Thursday its troops had seized full control of the town, a claim Ukraine "
                    "denied, as fighting in the eastern region intensified in recent weeks.\n", encoding="utf-8")
    out = tmp_path / "out"
    run_no_nlp(path, out)
    (article,) = rows(out, "articles")
    assert article["authors"] == [] and article["agency"] == ["AFP"]
    assert (article["publisher"], article["publisher_source"]) == ("themoscowtimes.com", "url")
    assert (article["published_at"], article["published_at_granularity"]) == (
        datetime(2025, 12, 11, tzinfo=timezone.utc), "day")


# --- titles and publishers -----------------------------------------------------------------------------

def test_a_title_loses_the_site_name_when_it_is_the_publishers():
    title = "Senate passes the budget after a long night | CNN Politics"
    doc = extract(page(f'<title>{title}</title><meta property="og:title" content="{title}">'
                       '<meta property="og:site_name" content="CNN">'))
    assert doc.title == "Senate passes the budget after a long night"
    assert (doc.title_source, doc.publisher, doc.publisher_source) == ("metadata", "CNN", "site_name")


def test_a_chinese_title_loses_the_outlet_suffix():
    title = "短缺药品保供稳价 全力保障临床用药需求-新华网"
    doc = extract(page(f'<title>{title}</title><meta property="og:title" content="{title}">', lang="zh"))
    assert doc.title == "短缺药品保供稳价 全力保障临床用药需求"


def test_title_rules_strip_only_site_names():
    sites = ["Xinhua", "news.cn"]
    headline = "短缺药品保供稳价 全力保障临床用药需求"
    assert strip_site_from_title(headline + "-新华网", sites) == headline
    assert strip_site_from_title("Budget approved » Local » Noticias", []) == "Budget approved"
    kept = "Gates on Tillerson and Russia: 'Being friendly doesn't make you friends'"
    assert strip_site_from_title(kept, ["CNN"]) == kept, "a colon inside a headline is no site name"
    assert strip_site_from_title("Brexit - what happens next", ["BBC"]) == "Brexit - what happens next"


def test_the_publisher_falls_back_to_the_urls_domain():
    doc = extract(page('<title>Russia says it captured the town</title>'
                       '<link rel="canonical" href="https://www.themoscowtimes.com/2025/12/11/story">'))
    assert (doc.publisher, doc.publisher_source) == ("themoscowtimes.com", "url")
    declared = extract(page('<title>Budget approved</title><meta name="publisher" content="The Ledger">'
                            '<meta property="og:site_name" content="Ledger Online">'))
    assert (declared.publisher, declared.publisher_source) == ("The Ledger", "metadata")
    assert domain_of("https://m.example.co.uk/x") == "example.co.uk" and domain_of("file:///x") is None


def test_a_page_whose_url_comes_from_its_container_gets_the_domain_as_publisher(tmp_path):
    # As a WARC record's URL, a JSONL record's `url` reaches the document only after the HTML parser.
    path = tmp_path / "pages.jsonl"
    record = {"url": "https://www.themoscowtimes.com/2025/12/11/story",
              "html": page("<title>Russia says it captured the town</title>")}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_no_nlp(path, out)
    (article,) = rows(out, "articles")
    assert (article["publisher"], article["publisher_source"]) == ("themoscowtimes.com", "url")


def test_source_overview_names_the_site_of_a_record_without_publisher(tmp_path):
    path = tmp_path / "feed.jsonl"
    record = {"text": "The council approved the budget on Tuesday after a long debate about roads.",
              "url": "https://www.themoscowtimes.com/2025/12/11/story"}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_no_nlp(path, out, stages={"clean": ("normalize",)})  # no metadata plugin: the view's own fallback
    con = duckdb.connect(str(out / "tables" / "etl.duckdb"), read_only=True)
    sources = [row[0] for row in con.execute("SELECT source FROM source_overview").fetchall()]
    assert sources == ["themoscowtimes.com"]


# --- dates -------------------------------------------------------------------------------------------

def test_a_written_offset_is_honoured():
    doc = extract(page('<title>Budget approved</title>'
                       '<meta property="article:published_time" content="20180619T055000+0900">'))
    assert doc.published_at == datetime(2018, 6, 18, 20, 50, tzinfo=timezone.utc)
    assert (doc.published_at_source, doc.published_at_granularity) == ("metadata", "time")


@pytest.mark.parametrize(("value", "expected", "granularity"), [
    ("2019", datetime(2019, 1, 1, tzinfo=timezone.utc), "year"),
    ("2019-03", datetime(2019, 3, 1, tzinfo=timezone.utc), "month"),
    ("2019-03-05", datetime(2019, 3, 5, tzinfo=timezone.utc), "day"),
    ("2019-03-05T10:00:00-05:00", datetime(2019, 3, 5, 15, tzinfo=timezone.utc), "time"),
    ("2019-03-05 10:00", datetime(2019, 3, 5, 10, tzinfo=timezone.utc), "time"),
])
def test_dates_keep_their_precision(value, expected, granularity):
    assert parse_published(value) == (expected, granularity)


def test_a_year_only_date_says_so():
    doc = extract(page('<title>Budget approved</title><meta property="article:published_time" content="2019">'))
    assert doc.published_at == datetime(2019, 1, 1, tzinfo=timezone.utc)
    assert doc.published_at_granularity == "year"


@pytest.mark.parametrize("footer", [
    '<div class="related"><p>Related: 03/02/2020 <a href="/x">Council meets again</a></p></div>',
    "<footer><p>© 2021 The Ledger.</p></footer>",
])
def test_a_page_without_a_date_gets_none(footer):
    # A related story's date and a copyright year are not when this page was published.
    doc = extract(page("<title>Budget approved</title>", PARAGRAPHS + footer))
    assert doc.published_at is None and doc.published_at_granularity is None


def test_a_publication_after_the_fetch_is_dropped(tmp_path):
    path = tmp_path / "feed.jsonl"
    text = "The council approved the budget on Tuesday after a long debate about roads and schools."
    path.write_text("\n".join(json.dumps(record) for record in (
        {"text": text, "published_at": "2030-01-05T10:00:00Z", "fetched_at": "2024-05-01T00:00:00Z"},
        {"text": "Schools reopened on Monday.", "published_at": "2024-04-30T10:00:00+02:00",
         "fetched_at": "2024-05-01T00:00:00Z"},
    )) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_no_nlp(path, out)
    articles = sorted(rows(out, "articles"), key=lambda row: row["source_uri"])
    assert articles[0]["published_at"] is None and articles[0]["published_at_source"] is None
    assert articles[1]["published_at"] == datetime(2024, 4, 30, 8, tzinfo=timezone.utc)
    assert articles[1]["published_at_granularity"] == "time"


def test_settle_drops_a_date_after_the_fetch_time_a_container_fills_in_later():
    doc = new_doc(published_at=datetime(2024, 6, 2, tzinfo=timezone.utc), published_at_granularity="day")
    settle(doc)
    assert doc.published_at is not None
    doc.fetched_at = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)
    settle(doc)
    assert doc.published_at is None and doc.published_at_granularity is None


# --- language codes from markup ------------------------------------------------------------------------

def test_markup_language_values_that_are_no_language_are_ignored():
    assert language_code("UTF-8") is None and language_code("x-default") is None
    assert language_code("en-GB") == "en" and language_code("zho") == "zh" and language_code("iw") == "he"
    doc = extract(page('<title>Budget approved</title><meta http-equiv="Content-Language" content="UTF-8">',
                       lang="").replace(' lang=""', ""))
    assert doc.language is None


@pytest.mark.parametrize(("linked", "authors"), [
    ('{"@type": ["NewsArticle", "Article"], "author": [{"@type": ["Person"], "name": "Ana Ruiz"}]}', ["Ana Ruiz"]),
    ('[{"@type": "NewsArticle", "author": {"name": ["not", "a", "string"]}, "publisher": "a string"}, 7]', []),
    ('{"@graph": [{"@type": "NewsArticle", "datePublished": 20240101, "author": [[["deep"]]]}]}', []),
    ('{"@type": "NewsArticle", "datePublished": "2024-02-30T25:61:00+99:00"', []),
    ('{"@type": "NewsArticle", "datePublished": "2024-02-10T10:00:00+99:00"}', []),
])
def test_odd_linked_data_costs_nothing_but_itself(linked, authors):
    doc = extract(page(f'<title>Budget approved</title><script type="application/ld+json">{linked}</script>'))
    assert doc.title == "Budget approved" and len(doc.body) == 3
    assert doc.authors == authors and doc.published_at is None
