"""`etl report`: the seeds' report read through its HTML structure, then opened in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import lxml.html
import pytest
from click.testing import CliRunner

from conftest import run_pipeline
from etl.cli import cli

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">Bridge closed'
HOSTILE_PUBLISHER = "<script>window.__pwned=2</script>Daily"
HOSTILE_SENTENCE = ("Mayor John Smith said on March 3, 2025 that the bridge "
                    "</script><script>window.__pwned=3</script> was closed.")


def make_report(out: Path, target: Path) -> Path:
    result = CliRunner().invoke(cli, ["report", "--out", str(out), "--file", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    return target


def query(out: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(out / "etl.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def embedded(root) -> dict:
    return json.loads(root.get_element_by_id("report-data").text)


@pytest.fixture(scope="module")
def seeds_report(seeds_out, tmp_path_factory):
    path = make_report(seeds_out, tmp_path_factory.mktemp("report") / "report.html")
    return path, lxml.html.parse(str(path)).getroot()


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("hostile")
    record = {"title": HOSTILE_TITLE, "publisher": HOSTILE_PUBLISHER, "published_at": "2025-03-04",
              "text": HOSTILE_SENTENCE + " Traffic was diverted through the old town for the whole week."}
    (corpus / "feed.jsonl").write_text(json.dumps(record) + "\n")
    out = corpus / "etl-out"
    run_pipeline(corpus, out)
    return out


# --- the page, read as HTML --------------------------------------------------------------------------


def test_the_page_is_self_contained(seeds_report):
    path, root = seeds_report
    assert not root.xpath("//link | //script[@src] | //img | //iframe | //object | //embed")
    assert not root.xpath("//@src"), "nothing is loaded from anywhere"
    policy = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    assert [s.get("type") for s in root.xpath("//script")] == ["application/json", None]
    assert root.xpath("//style") and path.stat().st_size < 1_000_000


def test_contradictions_come_first_and_count_copies_of_one_report_once(seeds_report, seeds_out):
    _, root = seeds_report
    sections = [s.get("id") for s in root.xpath("//main/section")]
    assert sections[0] == "contradictions"
    assert set(sections) >= {"timeline", "entities", "sources", "figures", "errors"}
    expected = query(seeds_out, "SELECT cluster_id, asserting_sources, denying_sources FROM contradictions")
    disputes = root.xpath("//article[@class='dispute']")
    assert [d.get("data-cluster") for d in disputes] == [c for c, _, _ in expected]
    for dispute, (_, asserting, denying) in zip(disputes, expected):
        # One entry per independent report: copies (002 rewrites 004) sit under one entry.
        assert len(dispute.xpath(".//div[contains(@class,'assert')]//li[@class='claim']")) == asserting
        assert len(dispute.xpath(".//div[contains(@class,'deny')]//li[@class='claim']")) == denying
    capture = disputes[0]
    assert "Siversk" in capture.findtext("h3")
    def speakers(side):
        return {s.text for s in capture.xpath(f".//div[contains(@class,'{side}')]//span[@class='speaker']")}
    assert any("Russia" in s or "Moscow" in s for s in speakers("assert"))
    assert any("Ukrain" in s or "Butolin" in s for s in speakers("deny"))
    copies = capture.xpath(".//p[@class='copies']//a")
    assert any("Russia Says Captured Siversk" in a.text or "Russia Declares" in a.text for a in copies)


def test_every_link_points_at_its_span_in_an_embedded_article(seeds_report, seeds_out):
    _, root = seeds_report
    articles = embedded(root)["articles"]
    texts = dict(query(seeds_out, "SELECT coalesce(title, regexp_extract(source_uri, '[^/]*$')), text FROM articles"))
    links = root.xpath("//a[@class='ref']")
    assert len(links) > 20
    for link in links:
        article = articles[int(link.get("data-doc"))]
        start, end = int(link.get("data-start")), int(link.get("data-end"))
        assert link.get("href") == f"#article-{link.get('data-doc')}-{start}-{end}"
        offset, text = next((o, t) for o, t in article["parts"] if o <= start and end <= o + len(t))
        assert text[start - offset:end - offset] == texts[article["title"]][start:end]
    # The marked span of a quoted sentence is the claim's own text, taken from the article.
    claim = root.xpath("//li[@class='claim']")[0]
    link = claim.xpath(".//p[@class='who']/a")[0]
    article = articles[int(link.get("data-doc"))]
    assert (claim.findtext("blockquote/mark")
            == texts[article["title"]][int(link.get("data-start")):int(link.get("data-end"))])


def test_entities_sources_figures_and_errors(seeds_report):
    _, root = seeds_report
    groups = {g.findtext("h3"): g for g in root.xpath("//section[@id='entities']//div[@class='group']")}
    people = {row.findtext("td/a"): row.findtext("td[@class='aliases']")
              for row in groups["People"].xpath(".//tbody/tr")}
    assert "Putin" in people["Vladimir Putin"] and "Valery Gerasimov" in people
    places = [row.findtext("td/a") for row in groups["Places"].xpath(".//tbody/tr")]
    assert "Siversk" in places[:3] and "Kramatorsk" in places
    matrix = root.xpath("//table[@class='matrix']")[0]
    header = [th.findtext("span") for th in matrix.xpath("thead/tr/th")[1:]]
    assert "Siversk" in header and "Vladimir Putin" in header
    siversk = matrix.xpath(f"tbody/tr[{header.index('Siversk') + 1}]/td")
    assert int(siversk[header.index("Vladimir Putin")].text) > 0, "Putin and Siversk share sentences"

    rewrites = root.xpath("//table[@class='rewrites']/tbody/tr")
    assert len(rewrites) == 1
    assert [a.text for a in rewrites[0].xpath(".//a")] == [
        "Russia Declares Full Control Over Siversk Amidst Ongoing Ukrainian Resistance",
        "Russia Says Captured Siversk in Ukraine's Donetsk Region"]
    outlets = {tr.findtext("td"): tr for tr in root.xpath("//section[@id='sources']/table[1]/tbody/tr")}
    assert "Kyiv Independent" in outlets and sum(int(tr.findtext("td[2]")) for tr in outlets.values()) == 5

    figures = {f.findtext("h3"): f for f in root.xpath("//article[@class='figure']")}
    population = figures["Siversk: population"]
    assert [b.text for b in population.xpath(".//b[@class='quantity']")] == ["11,000", "10,000"]
    assert root.xpath("//section[@id='errors']/p[@class='empty']")


def test_the_timeline_data_holds_every_date_of_the_timeline_view(seeds_report, seeds_out):
    _, root = seeds_report
    timeline = embedded(root)["timeline"]
    rows = query(seeds_out, 'SELECT "date", date_end, kind, disputed FROM timeline')
    assert {(b["date"], b["end"]) for b in timeline["bins"]} == {(str(d), str(e)) for d, e, _, _ in rows}
    assert sum(b["events"] + b["statements"] for b in timeline["bins"]) == len(rows) == timeline["items"]
    assert sum(b["disputed"] for b in timeline["bins"]) == sum(d for *_, d in rows) > 0
    # Each event once: the capture of Siversk is one item however many articles report it.
    items = [i for b in timeline["bins"] for i in b["items"]]
    captures = [i for i in items if i["kind"] == "event" and i["what"] == "capture" and "Siversk" in i["places"]]
    assert len(captures) == 1 and captures[0]["sources"] == 4 and captures[0]["articles"] == 5
    disputes = [d.get("id") for d in root.xpath("//article[@class='dispute']")]
    assert captures[0]["disputed"] and f"dispute-{captures[0]['dispute']}" in disputes


def test_errors_are_listed_with_their_source(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "ok.txt").write_text("Officials in Lyon said on Monday that the bridge would reopen.")
    run_pipeline(corpus, tmp_path / "out")
    root = lxml.html.parse(str(make_report(tmp_path / "out", tmp_path / "r.html"))).getroot()
    (row,) = root.xpath("//table[@class='error-rows']/tbody/tr")
    assert row.findtext("td[@class='uri']").endswith("/empty.txt") and "parse" == row.findtext("td[2]")


def test_article_text_is_escaped_everywhere(hostile_out, tmp_path):
    root = lxml.html.parse(str(make_report(hostile_out, tmp_path / "r.html"))).getroot()
    assert len(root.xpath("//script")) == 2 and not root.xpath("//img")
    assert not [a for el in root.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
    assert HOSTILE_PUBLISHER in root.xpath("//section[@id='sources']/table[1]/tbody/tr/td[1]")[0].text
    data = embedded(root)
    assert HOSTILE_TITLE == data["articles"][0]["title"]
    assert "</script><script>" in data["articles"][0]["parts"][0][1]


def test_report_without_a_run_says_what_to_do(tmp_path):
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "no published tables" in result.output and "etl run PATH --out" in result.output


# --- the page, opened in a browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    chromium = os.environ.get("ETL_CHROMIUM") or shutil.which("chromium")
    sync_api = None
    try:
        from playwright import sync_api
    except ImportError:
        pass
    if chromium is None or sync_api is None:
        missing = "Debian's chromium (apt-get install chromium)" if chromium is None else "playwright"
        if os.environ.get("ETL_REQUIRE_BROWSER"):
            pytest.fail(f"ETL_REQUIRE_BROWSER is set but {missing} is missing")
        pytest.skip(f"{missing} is not installed")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def open_page(browser, request):
    """Open a report; afterwards, fail on any console error or uncaught exception, and keep a screenshot."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    pages = []

    def opener(path: Path):
        page = context.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "about:"))
                else problems.append(f"request: {r.url}"))
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("#timeline-chart svg, #timeline-chart p.empty")
        pages.append(page)
        return page

    yield opener
    artifacts = Path(os.environ.get("ETL_TEST_ARTIFACTS") or request.config.cache.mkdir("report-screenshots"))
    for i, page in enumerate(pages):
        page.screenshot(path=str(artifacts / f"{request.node.name}-{i}.png"), full_page=True)
    context.close()
    assert problems == []


def test_the_timeline_chart_shows_every_date_and_opens_its_sentences(open_page, seeds_report, seeds_out):
    page = open_page(seeds_report[0])
    dates = {str(d) for (d,) in query(seeds_out, 'SELECT DISTINCT "date" FROM timeline')}
    for day in dates:
        box = page.locator(f"#timeline-chart g.bin[data-date='{day}']").first.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, day
    drawn = page.eval_on_selector_all("#timeline-chart g.bin", "gs => gs.map(g => g.dataset.date)")
    assert set(drawn) == dates

    # The day Siversk was said to be captured: its bar carries the mark of a disputed event.
    day = page.locator("#timeline-chart g.bin.point[data-date='2025-12-11']")
    assert day.locator("circle.disputed-mark").count() == 1 and int(day.get_attribute("data-disputed")) > 0
    day.click()
    heading = page.locator("#timeline-detail h3").inner_text()
    assert heading.startswith("2025-12-11") and "disputed" in heading
    items = page.locator("#timeline-detail li.item")
    texts = [items.nth(i).inner_text() for i in range(items.count())]
    assert any("Butolin" in t for t in texts), "a statement lists who denied it"
    # The capture is one item, with its independent sources, marked disputed and linked to the dispute.
    capture = page.locator("#timeline-detail li.item.event.disputed", has_text="Siversk")
    assert capture.count() == 1 and "4 independent sources, 5 articles" in capture.inner_text()
    dispute = capture.locator("a.disputed").get_attribute("href")
    assert page.locator(dispute).count() == 1 and "Siversk" in page.locator(f"{dispute} h3").inner_text()
    # Its sources are listed, one per independent report, the copy (002 rewrites 004) beside its original.
    assert capture.locator("p.reports a.ref").count() == 5 and "and 1 copy" in capture.locator("p.reports").inner_text()
    source = capture.locator("p.reports a.ref").nth(2)
    source.click()
    assert page.locator("#viewer-title").inner_text() == source.get_attribute("title")
    assert page.locator("#viewer mark").is_visible()
    # The item's link opens its article with the event's trigger highlighted.
    said = capture.locator("blockquote mark").inner_text()
    page.keyboard.press("Escape")  # the open viewer covers half the page: a reader closes it first
    assert page.locator("#viewer").is_hidden()
    capture.locator("p.who a.ref").click()
    assert page.locator("#viewer").is_visible()
    assert page.locator("#viewer mark").inner_text() == said


def test_filtering_the_timeline_by_an_entity(open_page, seeds_report, seeds_out):
    page = open_page(seeds_report[0])
    everything = page.locator("#timeline-chart g.bin").count()
    option = page.locator("#timeline-entity option", has_text="Pohorilyi").first
    page.select_option("#timeline-entity", option.get_attribute("value"))
    # An item names him when its sentence does, or when he is among its speakers, participants or places.
    expected = {str(d) for (d,) in query(seeds_out, """
        SELECT DISTINCT t."date" FROM timeline t
        LEFT JOIN entities e ON e.doc_id = t.doc_id AND e.start >= t.sentence_offset
                            AND e."end" <= t.sentence_offset + length(t.sentence)
        WHERE e.canonical_name LIKE '%Pohorilyi'
           OR list_contains(coalesce(t.speakers, []) || coalesce(t.denied_by, []) || coalesce(t.participants, [])
                            || t.places, 'Roman Pohorilyi')""")}
    drawn = set(page.eval_on_selector_all("#timeline-chart g.bin", "gs => gs.map(g => g.dataset.date)"))
    assert drawn == expected and 0 < len(drawn) < everything
    page.locator("#timeline-chart g.bin").first.click()
    items = page.locator("#timeline-detail li.item")
    assert items.count() > 0
    for i in range(items.count()):
        shown = items.nth(i).locator("blockquote").inner_text() + items.nth(i).locator("p.who").inner_text()
        assert "Pohorilyi" in shown


def test_a_link_opens_the_article_with_the_quoted_span_marked(open_page, seeds_report):
    page = open_page(seeds_report[0])
    claim = page.locator("#contradictions li.claim").first
    quoted = claim.locator("blockquote mark").inner_text()
    claim.locator("p.who a.ref").click()
    assert page.locator("#viewer mark").inner_text() == quoted
    assert page.locator("#viewer mark").is_visible()
    assert page.evaluate("location.hash").startswith("#article-")
    page.keyboard.press("Escape")
    assert page.locator("#viewer").is_hidden()


def test_article_text_cannot_run_code_in_the_browser(open_page, hostile_out, tmp_path):
    page = open_page(make_report(hostile_out, tmp_path / "r.html"))
    page.locator("#timeline-chart g.bin").first.click()
    page.locator("#timeline-detail a.ref").first.click()
    assert page.evaluate("window.__pwned") is None
    assert HOSTILE_TITLE == page.locator("#viewer-title").inner_text()
    assert "<script>window.__pwned=3</script>" in page.locator("#viewer-text").inner_text()
    assert HOSTILE_PUBLISHER in page.locator("#sources").inner_text()


# --- links, file mode and the sandbox ----------------------------------------------------------------

DANGEROUS_URLS = [
    "javascript:window.__pwned=4", "JaVaScRiPt:window.__pwned=4", " \t\x01javascript:window.__pwned=4",
    "java\tscript:window.__pwned=4", "java\nscript:window.__pwned=4", "&#106;avascript:window.__pwned=4",
    "&#x6A;avascript&colon;window.__pwned=4", "data:text/html,<script>window.__pwned=4</script>",
    "DATA:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)", "  VBScript:msgbox(1)",
]


@pytest.mark.parametrize("url", DANGEROUS_URLS + ["", None, "example.com/page", "//example.com/x", "ftp://x/y"])
def test_only_http_https_and_file_urls_become_links(url):
    from etl_plugins.report import safe_href

    assert safe_href(url) is None


def test_safe_urls_stay_links():
    from etl_plugins.report import safe_href

    assert safe_href("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_href(" HTTP://example.com/\n") == "HTTP://example.com/"
    assert safe_href("file:///data/news/a.txt") == "file:///data/news/a.txt"


@pytest.fixture(scope="module")
def hostile_urls_out(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("urls")
    with (corpus / "feed.jsonl").open("w") as feed:
        for i, url in enumerate(DANGEROUS_URLS):
            feed.write(json.dumps({"title": f"Bridge {i}", "url": url, "published_at": "2025-03-04",
                                   "text": f"Mayor John Smith said on March {i + 1}, 2025 that bridge {i} was closed. "
                                           "Traffic was diverted through the old town for the whole week."}) + "\n")
    out = corpus / "etl-out"
    run_pipeline(corpus, out)
    return out


def test_dangerous_urls_never_reach_the_page(hostile_urls_out, tmp_path):
    path = make_report(hostile_urls_out, tmp_path / "r.html")
    root = lxml.html.parse(str(path)).getroot()
    articles = embedded(root)["articles"]
    assert len(articles) == len(DANGEROUS_URLS)
    assert all(a["url"] is None and a["uri"].startswith("file://") for a in articles)
    hrefs = [a.get("href") for a in root.iter("a")]
    assert hrefs and all(h.startswith("#") for h in hrefs)
    assert "pwned=4" not in path.read_text().replace("\\u003c", "<").split('id="report-data"')[0]


def test_the_page_script_links_no_dangerous_url_either(open_page, hostile_urls_out, tmp_path, monkeypatch):
    """With the server-side guard switched off, the page's script still draws no live link."""
    import importlib

    monkeypatch.setattr(importlib.import_module("etl_plugins.report.timeline"), "safe_href", lambda value: value)
    path = make_report(hostile_urls_out, tmp_path / "r.html")
    articles = embedded(lxml.html.parse(str(path)).getroot())["articles"]
    assert {a["url"] for a in articles} == set(DANGEROUS_URLS)
    page = open_page(path)
    for index, article in enumerate(articles):
        page.evaluate(f"location.hash = '#article-{index}-0-1'")
        page.wait_for_function(f"document.getElementById('viewer-title').textContent === {article['title']!r}")
        links = page.locator("#viewer-meta a").evaluate_all("nodes => nodes.map(n => n.href)")
        assert links and all(link.startswith("file:") for link in links)
    assert page.evaluate("window.__pwned") is None


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_the_page_is_written_with_the_users_umask(seeds_out, tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        path = make_report(seeds_out, tmp_path / "r.html")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_the_reports_sql_runs_in_the_query_sandbox(seeds_out, tmp_path, monkeypatch):
    import etl_plugins.report.data as report_data

    leak = tmp_path / "leak.csv"

    def overview(con):
        con.execute(f"COPY (SELECT * FROM articles) TO '{leak}'")

    monkeypatch.setattr(report_data, "overview", overview)
    result = CliRunner().invoke(cli, ["report", "--out", str(seeds_out), "--file", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "refused" in result.output and "duckdb -readonly" in result.output
    assert not leak.exists() and not (tmp_path / "r.html").exists()
