"""The warc parse plugin: HTML responses of a WARC file become documents; the rest is skipped.

The WARCs are written here with warcio's writer. Runs use only the parse stage (clean and extract are
switched off) and a stand-in HTML parser, so the tests depend neither on the real HTML parser nor on spaCy.
"""

from __future__ import annotations

import gzip
import io
from datetime import datetime, timezone

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import StandInHtml, rows, run_pipeline
from etl.manager import get_plugin_manager
from etl.sources import Source
from etl_plugins.warc import plugin as warc

ONLY_PARSE = {"stages": {"parse": ("stand-in-html", "warc"), "clean": (), "extract": ()}}
WHEN = "2025-12-11T08:30:00Z"


def manager():
    pm = get_plugin_manager(load_entrypoints=False)
    if not pm.has_plugin(warc.NAME):
        pm.register(warc, warc.NAME)
    pm.register(StandInHtml(), "stand-in-html")
    return pm


def run(paths, out, **options):
    options = {**ONLY_PARSE, **options}
    return run_pipeline(paths, out, pm=manager(), **options)


def page(title, *paragraphs):
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def http(status="200 OK", **headers):
    pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return StatusAndHeaders(status, pairs, protocol="HTTP/1.1")


def chunked_gzip(body):
    packed = gzip.compress(body)
    middle = len(packed) // 2
    chunks = (packed[:middle], packed[middle:])
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


def write_warc(path, compress, big_page=b""):
    """A small crawl: 10 records, of which #2, #5, #8 and #9 are HTML pages and #6 a revisit of #2."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=compress)

        def record(uri, kind, payload=b"", date=WHEN, **kwargs):
            writer.write_record(writer.create_warc_record(
                uri, kind, payload=io.BytesIO(payload), warc_headers_dict={"WARC-Date": date}, **kwargs))

        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test crawler"}))  # 0
        request = StatusAndHeaders("GET /bridge HTTP/1.1", [("Host", "news.example")], is_http_request=True)
        record("https://news.example/bridge", "request", http_headers=request)  # 1
        record("https://news.example/bridge", "response",  # 2
               page("Bridge reopens", "The bridge reopened on Monday.", "Repairs took six weeks."),
               http_headers=http(Content_Type="text/html; charset=utf-8"))
        record("https://news.example/bridge", "metadata", b"outlink: https://news.example/ferry\r\n",  # 3
               warc_content_type="application/warc-fields")
        record("https://news.example/logo.png", "response", b"\x89PNG\r\n\x1a\n fake",  # 4
               http_headers=http(Content_Type="image/png"))
        record("https://news.example/ferry", "response",  # 5
               chunked_gzip(page("Ferry timetable", "Ferries run twice a day in winter.")),
               date="2025-12-11T09:15:30.250+01:00",
               http_headers=http(Content_Type="text/html", Transfer_Encoding="chunked", Content_Encoding="gzip"))
        writer.write_record(writer.create_revisit_record(  # 6
            "https://news.example/bridge", "sha1:AAAA", "https://news.example/bridge", WHEN,
            http_headers=http(Content_Type="text/html")))
        record("https://news.example/old", "response", page("Moved", "This page has moved."),  # 7
               http_headers=http("301 Moved Permanently", Content_Type="text/html", Location="/bridge"))
        record("https://news.example/library", "response",  # 8
               big_page or page("Library approved", "The council approved the library."),
               http_headers=http(Content_Type="text/html"))
        record("https://news.example/museum", "resource", page("Museum award", "The museum won an award."),  # 9
               warc_content_type="text/html")
    return path


def by_index(out, table="articles"):
    return {int(row["source_uri"].rsplit("#", 1)[1]): row for row in rows(out, table)}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_html_responses_become_documents_and_other_records_are_skipped(tmp_path, compress):
    path = write_warc(tmp_path / ("crawl.warc.gz" if compress else "crawl.warc"), compress)
    out = tmp_path / "out"
    summary = run(path, out)
    assert (summary.documents["new"], summary.documents["failed"]) == (5, 0)
    assert rows(out, "errors") == [], "skipped records are not errors"
    articles = by_index(out)
    assert sorted(articles) == [2, 5, 6, 8, 9], "indexes count every record"
    assert all(a["source_uri"] == f"{path.resolve().as_uri()}#{n}" for n, a in articles.items())
    bridge = articles[2]
    assert (bridge["title"], bridge["url"]) == ("Bridge reopens", "https://news.example/bridge")
    assert bridge["text"] == "The bridge reopened on Monday.\n\nRepairs took six weeks."
    assert bridge["fetched_at"] == datetime(2025, 12, 11, 8, 30, tzinfo=timezone.utc)
    assert bridge["media_type"] == "text/html"
    ferry = articles[5]
    assert ferry["text"] == "Ferries run twice a day in winter.", "de-chunked and gunzipped"
    assert ferry["fetched_at"] == datetime(2025, 12, 11, 8, 15, 30, 250000, tzinfo=timezone.utc)
    assert articles[9]["title"] == "Museum award" and articles[9]["url"] == "https://news.example/museum"


def test_a_warc_gzipped_as_one_stream_is_read_too(tmp_path):
    plain = write_warc(tmp_path / "crawl.warc", compress=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    out = tmp_path / "out"
    assert run(whole, out).documents["new"] == 5
    assert sorted(by_index(out)) == [2, 5, 6, 8, 9] and rows(out, "errors") == []


def cut_inside_record(path, index):
    """Cut the file in the middle of record `index` (in the compressed bytes for a .warc.gz)."""
    with open(path, "rb") as handle:
        records = ArchiveIterator(handle)
        for n, _ in enumerate(records):
            if n == index:
                middle = records.get_record_offset() + records.get_record_length() // 2
                break
    path.write_bytes(path.read_bytes()[:middle])


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_truncated_warc_keeps_the_pages_before_the_damage_and_reports_it_once(tmp_path, compress):
    path = write_warc(tmp_path / ("crawl.warc.gz" if compress else "crawl.warc"), compress)
    cut_inside_record(path, 8)
    out = tmp_path / "out"
    summary = run(path, out)
    assert summary.documents["failed"] == 1
    # Record #8 itself loads only when the cut leaves some of its body (tested in test_warc_archives.py).
    assert {2, 5, 6} <= set(by_index(out)) <= {2, 5, 6, 8}
    (error,) = rows(out, "errors")
    assert error["source_uri"] == path.resolve().as_uri(), "the damage is charged to the file"
    assert (error["stage"], error["plugin"], error["error_type"]) == ("parse", "warc", "DocumentError")
    assert "damaged WARC: record #8" in error["message"] and "after " in error["message"]


def test_a_second_run_changes_nothing(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_warc(corpus / "a.warc", compress=False)
    write_warc(corpus / "b.warc.gz", compress=True)
    out = tmp_path / "out"
    run(corpus, out)
    again = run(corpus, out)
    assert again.documents == {"seen": 10, "new": 0, "changed": 0, "unchanged": 10, "failed": 0, "partial": 0}


def test_a_page_over_the_size_limit_is_one_error(tmp_path):
    big = page("Long read", *["A very long paragraph about the library plans." * 20] * 10)
    path = write_warc(tmp_path / "crawl.warc", compress=False, big_page=big)
    out = tmp_path / "out"
    summary = run(path, out, max_document_bytes=5000)
    assert (summary.documents["new"], summary.documents["failed"]) == (4, 1)
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("crawl.warc#8") and error["error_type"] == "DocumentTooLarge"
    assert f"{len(big):,} bytes" in error["message"]


def test_a_page_whose_bytes_do_not_match_its_digest_loads_and_the_file_says_so(tmp_path):
    """warcio does not check digests and writers get them wrong: the page loads, the mismatch is reported."""
    path = write_warc(tmp_path / "crawl.warc", compress=False)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"approved the library", b"approved the lIbrary"))
    out = tmp_path / "out"
    summary = run(path, out)
    assert (summary.documents["new"], summary.documents["failed"]) == (5, 1)
    assert by_index(out)[8]["text"] == "The council approved the lIbrary."
    (error,) = rows(out, "errors")
    assert error["source_uri"] == path.resolve().as_uri() and error["error_type"] == "DigestMismatch"
    assert "record #8 (block digest failed" in error["message"]


def test_a_warc_without_a_warc_name_is_recognised_by_its_content(tmp_path):
    path = write_warc(tmp_path / "crawl-00001", compress=True)
    out = tmp_path / "out"
    stages = {"parse": ("stand-in-html", "warc", "markdown", "text"), "clean": (), "extract": ()}
    summary = run(path, out, stages=stages)
    assert summary.documents["new"] == 5 and rows(out, "errors") == []


def test_other_files_are_left_to_other_parsers(tmp_path):
    gz = tmp_path / "notes.gz"
    gz.write_bytes(gzip.compress(b"just some notes, not a crawl"))
    text = tmp_path / "notes.txt"
    text.write_text("WARC/1.0 is the name of a format.")
    assert warc.etl_parse(Source(gz, 10_000), None) is None
    assert warc.etl_parse(Source(text, 10_000), None) is None


def test_a_file_named_warc_that_is_not_one_is_an_error(tmp_path):
    path = tmp_path / "fake.warc"
    path.write_text("<html>not a crawl</html>")
    with pytest.raises(Exception, match="damaged WARC: record #0"):
        list(warc.etl_parse(Source(path, 10_000), None))
