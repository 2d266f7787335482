"""The warc plugin on the archive formats crawlers really write: ARC, WET, WAT, revisits, gzip members, lz4.

Every archive here is written by the test (warcio's writer, or by hand where a writer's quirk is the
point). Runs use the parse stage only, with the stand-in HTML parser of conftest, except where the real
HTML parser's reading of dates is what is tested.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import sys
from datetime import datetime, timezone

import pytest
from test_warc import http, page  # the WARC fixtures' page and HTTP headers, written once
from warcio.warcwriter import WARCWriter

from conftest import StandInHtml, rows, run_pipeline
from etl.manager import get_plugin_manager
from etl_plugins.warc.streams import MemberStream

lz4_frame = pytest.importorskip("lz4.frame")

ONLY_PARSE = {"stages": {"parse": ("stand-in-html", "warc", "text"), "clean": (), "extract": ()}}
WHEN = "2025-12-11T08:30:00Z"
FETCHED = datetime(2025, 12, 11, 8, 30, tzinfo=timezone.utc)


def manager():
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(StandInHtml(), "stand-in-html")
    return pm


def run(paths, out, **options):
    return run_pipeline(paths, out, pm=manager(), **{**ONLY_PARSE, **options})


def by_index(out, table="articles"):
    return {int(row["source_uri"].rsplit("#", 1)[1]): row for row in rows(out, table) if "#" in row["source_uri"]}


def sha1(payload):
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode()


def warc_bytes(*records, compress=False):
    """A WARC of `records`: (uri, type, payload, options for warcio's create_warc_record)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress)
    for uri, kind, payload, options in records:
        headers = {"WARC-Date": WHEN, **options.pop("headers", {})}
        writer.write_record(writer.create_warc_record(uri, kind, payload=io.BytesIO(payload),
                                                      warc_headers_dict=headers, **options))
    return buffer.getvalue()


def response(uri, payload, **headers):
    return (uri, "response", payload, {"http_headers": http(Content_Type="text/html; charset=utf-8", **headers)})


# --- ARC ---------------------------------------------------------------------------------------------


def arc_record(url, date, content_type, block):
    return f"{url} 93.184.216.119 {date} {content_type} {len(block)}\n".encode() + block + b"\n"


def arc_file(*pages):
    """An ARC v1 file by hand (no writer writes ARC any more): the filedesc record, then each page."""
    description = b"1 0 Test Crawl\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [arc_record("filedesc://crawl.arc", "20140216050221", "text/plain", description)]
    for url, html in pages:
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html
        records.append(arc_record(url, "20140216050221", "text/html", block))
    return records


def test_arc_and_arc_gz_are_read_as_arc_and_the_record_date_is_not_a_publication_date(tmp_path):
    html = page("Bridge reopens", "The bridge over the river reopened to traffic after six weeks of repairs "
                "to its deck, the city council said, and buses will use it again from next week.")
    records = arc_file(("http://news.example/bridge", html))
    (tmp_path / "crawl.arc").write_bytes(b"".join(records))
    (tmp_path / "crawl.arc.gz").write_bytes(b"".join(gzip.compress(record) for record in records))
    out = tmp_path / "out"
    # The real HTML parser: it must see the page's HTML only, never the ARC header and its date.
    summary = run(tmp_path, out, stages={"parse": ("warc", "html"), "clean": (), "extract": ()})
    assert (summary.documents["new"], summary.documents["failed"]) == (2, 0)
    articles = rows(out, "articles")
    assert sorted(a["source_uri"].rsplit("/", 1)[1] for a in articles) == ["crawl.arc#1", "crawl.arc.gz#1"]
    for article in articles:
        assert article["url"] == "http://news.example/bridge" and article["title"] == "Bridge reopens"
        assert "filedesc" not in article["text"] and article["text"].startswith("The bridge over the river")
        assert article["fetched_at"] == datetime(2014, 2, 16, 5, 2, 21, tzinfo=timezone.utc)
        assert article["published_at"] is None, "the fetch time is not a publication date"


# --- WET and WAT ------------------------------------------------------------------------------------


def test_wet_text_records_become_text_documents(tmp_path):
    text = "Ferry timetable\nFerries run twice a day in winter.\nThe first leaves at seven."
    data = warc_bytes(
        ("", "warcinfo", b"software: test\r\n", {"warc_content_type": "application/warc-fields"}),
        ("https://news.example/ferry", "conversion", text.encode(), {
            "warc_content_type": "text/plain",
            "headers": {"WARC-Refers-To": "<urn:uuid:0b9e3f1a-1111-4c6e-9d3e-2a8f5b7c9d01>"}}),
        ("https://news.example/empty", "conversion", b"", {"warc_content_type": "text/plain"}),
        compress=True)
    path = tmp_path / "crawl.warc.wet.gz"
    path.write_bytes(data)
    out = tmp_path / "out"
    summary = run(path, out)
    assert (summary.documents["new"], summary.documents["failed"]) == (1, 1)
    ferry = by_index(out)[1]
    assert (ferry["url"], ferry["fetched_at"], ferry["media_type"]) == ("https://news.example/ferry", FETCHED,
                                                                        "text/plain")
    assert "Ferries run twice a day in winter." in ferry["text"]
    (empty,) = rows(out, "errors")
    assert empty["source_uri"].endswith("#2") and "empty" in empty["message"], "a record without text says so"


def test_wat_metadata_records_are_skipped_and_counted_in_one_error_per_file(tmp_path):
    envelope = json.dumps({"Envelope": {"WARC-Header-Metadata": {"WARC-Type": "response"}}}).encode()
    data = warc_bytes(
        ("", "warcinfo", b"software: test\r\n", {"warc_content_type": "application/warc-fields"}),
        ("https://news.example/a", "metadata", envelope, {"warc_content_type": "application/json"}),
        ("https://news.example/b", "metadata", envelope, {"warc_content_type": "application/json"}))
    path = tmp_path / "crawl.warc.wat"
    path.write_bytes(data)
    out = tmp_path / "out"
    run(path, out)
    assert rows(out, "articles") == []
    (error,) = rows(out, "errors")
    assert error["source_uri"] == path.resolve().as_uri() and error["error_type"] == "WatMetadataSkipped"
    assert error["message"].startswith("2 WAT metadata record(s) skipped") and "WET" in error["message"]


# --- revisits -----------------------------------------------------------------------------------------


def revisit(uri, original_payload, refers_to_uri, refers_to_date, date):
    return (uri, "revisit", b"", {
        "http_headers": http(Content_Type="text/html"),
        "headers": {"WARC-Date": date, "WARC-Payload-Digest": sha1(original_payload),
                    "WARC-Profile": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
                    "WARC-Refers-To-Target-URI": refers_to_uri, "WARC-Refers-To-Date": refers_to_date}})


def test_a_revisit_gets_its_originals_payload_or_an_error_naming_the_missing_original(tmp_path):
    bridge = page("Bridge reopens", "The bridge reopened on Monday.")
    library = page("Library approved", "The council approved the library.")
    data = warc_bytes(
        revisit("https://news.example/bridge?again", bridge, "https://news.example/bridge", WHEN,
                "2025-12-12T09:00:00Z"),  # 0: before its original
        response("https://news.example/bridge", bridge),  # 1
        revisit("https://mirror.example/bridge", bridge, "https://news.example/bridge", WHEN,
                "2025-12-13T10:00:00Z"),  # 2
        revisit("https://news.example/gone", page("Gone", "Not in this file."), "https://news.example/gone", WHEN,
                "2025-12-13T11:00:00Z"),  # 3: its original is elsewhere
        response("https://news.example/library", library),  # 4
        compress=True)
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(data)
    out = tmp_path / "out"
    summary = run(path, out)
    assert (summary.documents["new"], summary.documents["failed"]) == (4, 1)
    articles = by_index(out)
    assert sorted(articles) == [0, 1, 2, 4]
    assert {articles[n]["text"] for n in (0, 1, 2)} == {"The bridge reopened on Monday."}
    assert articles[0]["url"] == "https://news.example/bridge?again"
    assert articles[2]["url"] == "https://mirror.example/bridge"
    assert articles[2]["fetched_at"] == datetime(2025, 12, 13, 10, tzinfo=timezone.utc), "the revisit's own date"
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("#3")
    assert "not in this file" in error["message"] and sha1(page("Gone", "Not in this file.")) in error["message"]


# --- gzip members ---------------------------------------------------------------------------------------


def test_gzip_members_are_read_as_warcio_reads_them(tmp_path):
    """Internet Archive's writer counts the blank lines after a record in its Content-Length; another
    writer splits a record over two members. warcio reads both; so must the plugin."""
    info = b"software: ia-web-commons\r\nformat: WARC File Format 1.0\r\n\r\n\r\n\r\n"
    warcinfo = (b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2014-03-04T05:14:21Z\r\n"
                b"WARC-Record-ID: <urn:uuid:01d758f9-c0ae-45c4-827a-e95ab60ce439>\r\n"
                b"Content-Type: application/warc-fields\r\nContent-Length: %d\r\n\r\n" % len(info) + info)
    bridge = warc_bytes(response("https://news.example/bridge", page("Bridge reopens", "The bridge reopened.")))
    internet_archive = tmp_path / "ia.warc.gz"
    internet_archive.write_bytes(gzip.compress(warcinfo) + gzip.compress(bridge))
    body_start = bridge.index(b"<!DOCTYPE")
    split = tmp_path / "split.warc.gz"
    split.write_bytes(gzip.compress(bridge[:body_start]) + gzip.compress(bridge[body_start:]))
    out = tmp_path / "out"
    summary = run([internet_archive, split], out)
    assert (summary.documents["new"], summary.documents["failed"]) == (2, 0)
    assert sorted(a["source_uri"].rsplit("/", 1)[1] for a in rows(out, "articles")) == ["ia.warc.gz#1",
                                                                                         "split.warc.gz#0"]
    assert {a["text"] for a in rows(out, "articles")} == {"The bridge reopened."}


# --- lz4 -----------------------------------------------------------------------------------------------


def test_warc_lz4_is_read_one_frame_per_record_or_one_for_the_file(tmp_path):
    records = [response("https://news.example/bridge", page("Bridge reopens", "The bridge reopened.")),
               response("https://news.example/ferry", page("Ferry", "Ferries run twice a day."))]
    per_record = tmp_path / "records.warc.lz4"
    per_record.write_bytes(b"".join(lz4_frame.compress(warc_bytes(record)) for record in records))
    whole = tmp_path / "whole.warc.lz4"
    whole.write_bytes(lz4_frame.compress(warc_bytes(*records)))
    out = tmp_path / "out"
    summary = run([per_record, whole], out)
    assert (summary.documents["new"], summary.documents["failed"]) == (4, 0)
    texts = {a["source_uri"].rsplit("/", 1)[1]: a["text"] for a in rows(out, "articles")}
    assert texts == {"records.warc.lz4#0": "The bridge reopened.", "records.warc.lz4#1": "Ferries run twice a day.",
                     "whole.warc.lz4#0": "The bridge reopened.", "whole.warc.lz4#1": "Ferries run twice a day."}


def test_without_the_lz4_package_a_warc_lz4_is_an_error_naming_the_install_command(tmp_path, monkeypatch):
    path = tmp_path / "crawl.warc.lz4"
    path.write_bytes(lz4_frame.compress(warc_bytes(response("https://news.example/a", page("A", "Text.")))))
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    out = tmp_path / "out"
    run(path, out)
    (error,) = rows(out, "errors")
    assert error["source_uri"] == path.resolve().as_uri() and error["error_type"] == "UnreadableInput"
    assert "lz4-compressed archive" in error["message"] and "pip install 'lz4>=4'" in error["message"]


# --- bounded decompression --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gzip", "lz4"])
def test_a_member_that_unpacks_to_megabytes_is_read_a_bounded_piece_at_a_time(kind):
    bomb = b"\0" * (20 << 20)
    packed = gzip.compress(bomb) if kind == "gzip" else lz4_frame.compress(bomb)
    assert len(packed) < (200 << 10)
    stream = MemberStream(io.BytesIO(packed), kind)
    sizes = []
    while piece := stream.read(1 << 16):
        sizes.append(len(piece))
    assert sum(sizes) == len(bomb) and max(sizes) <= 1 << 16 and stream.damage is None


def test_a_compressed_page_over_the_limit_is_one_error_and_the_others_load(tmp_path):
    huge = page("Huge", "x" * 3_000_000)
    records = [response("https://news.example/huge", huge),
               response("https://news.example/bridge", page("Bridge reopens", "The bridge reopened."))]
    path = tmp_path / "crawl.warc.lz4"
    path.write_bytes(b"".join(lz4_frame.compress(warc_bytes(record)) for record in records))
    out = tmp_path / "out"
    summary = run(path, out, max_document_bytes=100_000)
    assert (summary.documents["new"], summary.documents["failed"]) == (1, 1)
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("#0") and error["error_type"] == "DocumentTooLarge"


# --- every HTML 2xx page warcio reads is an article -------------------------------------------------------


def test_pages_warcio_reads_despite_quirks_become_articles(tmp_path):
    """A body declared gzip but stored decoded (ClueWeb09), and a last page cut short by the end of the file."""
    stale = warc_bytes(response("https://news.example/stale", page("Stale", "Stored decoded."),
                                Content_Encoding="gzip"))
    cut = warc_bytes(response("https://news.example/cut", page("Cut", "The first paragraph.", "The second one.")))
    (tmp_path / "stale.warc").write_bytes(stale)
    (tmp_path / "cut.warc").write_bytes(cut[:cut.index(b"The second one.")])
    out = tmp_path / "out"
    summary = run(tmp_path, out)
    assert summary.documents["new"] == 2
    texts = {a["source_uri"].rsplit("/", 1)[1]: a["text"] for a in rows(out, "articles")}
    assert texts == {"stale.warc#0": "Stored decoded.", "cut.warc#0": "The first paragraph."}
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("/cut.warc") and "record #0 is cut short" in error["message"]
    assert "loaded from what is there" in error["message"]


@pytest.mark.slow
def test_the_conformance_files_lose_no_page_warcio_reads(tmp_path, shared_dir):
    """Every HTML 2xx page (and WET text record) warcio reads from the public conformance files is an
    article, or an errors row of its own (the HTML parser finding no text in it)."""
    folder = shared_dir / "evaldata" / "warc_conformance"
    if not (folder / "expected_warcio_inventory.json").is_file():
        pytest.skip("no warc_conformance folder")
    inventory = json.loads((folder / "expected_warcio_inventory.json").read_text())
    out = tmp_path / "out"
    run_pipeline(folder / "docs", out, stages={"clean": (), "extract": ()})
    loaded: dict[str, int] = {}
    for row in rows(out, "articles") + [e for e in rows(out, "errors") if "no article text" in e["message"]]:
        name, _, record = row["source_uri"].rpartition("/")[2].partition("#")
        if record:
            loaded[name] = loaded.get(name, 0) + 1
    for name, entry in inventory.items():
        expected = entry["html2xx"] + entry["types"].get("conversion::", 0)
        assert loaded.get(name, 0) >= expected, name
