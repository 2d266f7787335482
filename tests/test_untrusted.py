"""Hostile input: parsing HTML, XHTML, JSONL and WARC fetches nothing from the network; whatever names
a file or a record carries, nothing is written outside the output folder; and a giant document becomes
an `errors` row without being read into memory."""

from __future__ import annotations

import http.server
import io
import json
import os
import socket
import threading
import tracemalloc
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import DATA, NetworkRecorder, rows, run_pipeline

# Parsing is what reads hostile bytes; spaCy and the extract plugins only see the text it produced.
PARSE_ONLY = {"stages": {"extract": (), "enrich": ()}}


def warc_file(path: Path, pages: list[tuple[str, bytes]], filename: str = "crawl.warc.gz") -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(filename, {"software": "test"}))
        for uri, html in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(html),
                                                          http_headers=headers))
            writer.write_record(writer.create_warc_record(uri, "resource", payload=io.BytesIO(html),
                                                          warc_content_type="text/html"))


def test_parsing_html_xhtml_jsonl_and_warc_fetches_nothing(tmp_path, monkeypatch):
    server = http.server.HTTPServer(("127.0.0.1", 0), NetworkRecorder)
    NetworkRecorder.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}"
    secret = tmp_path / "secret.txt"
    secret.write_text("LOCAL-SECRET-CONTENT")
    page = ((DATA / "html" / "external_entities.html").read_text()
            .replace("__SERVER__", address).replace("__SECRET__", secret.as_uri()))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "page.html").write_text(page)
    (corpus / "page.xhtml").write_text(page)
    (corpus / "no_extension").write_text(page)
    (corpus / "feed.jsonl").write_text(json.dumps({"html": page, "url": f"{address}/article"}) + "\n")
    warc_file(corpus / "crawl.warc.gz", [(f"{address}/article", page.encode()), (secret.as_uri(), page.encode())])
    warc_file(corpus / "plain.warc", [(f"{address}/other", page.encode())])

    attempts = []

    def refuse(sock, where, *args, **kwargs):
        attempts.append(where)
        raise OSError(f"network access attempted while parsing: {where}")

    def no_lookup(host, *args, **kwargs):
        attempts.append(host)
        raise OSError(f"name lookup attempted while parsing: {host}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    out = tmp_path / "out"
    try:
        run_pipeline(corpus, out, **PARSE_ONLY)
    finally:
        monkeypatch.undo()
        server.shutdown()
        server.server_close()
    assert NetworkRecorder.requests == [] and attempts == []
    articles = rows(out, "articles")
    names = sorted(a["source_uri"].rsplit("/", 1)[1] for a in articles)
    # crawl.warc.gz#3 is a `response` to a file: URI, which carries no HTTP headers: not a page, skipped.
    assert names == ["crawl.warc.gz#1", "crawl.warc.gz#2", "crawl.warc.gz#4",
                     "feed.jsonl#0", "no_extension", "page.html", "page.xhtml", "plain.warc#1", "plain.warc#2"]
    assert rows(out, "errors") == []
    everything = " ".join(a["text"] for a in articles) + " ".join(s["text"] for s in rows(out, "segments"))
    assert "The town council voted on Wednesday" in everything
    assert "FETCHED-FROM-NETWORK" not in everything and "LOCAL-SECRET-CONTENT" not in everything


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root` but `skip`, with its size and modification time."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d != skip]
        for name in dirnames + filenames:
            stat = (here / name).lstat()
            found[str(here / name)] = (stat.st_size, stat.st_mtime_ns)
    return found


def test_names_inside_the_input_never_lead_outside_the_output_folder(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    escape = tmp_path / "escaped"
    text = "The council voted on Wednesday to build protected cycle lanes along Mill Road, officials said.\n"
    for name in ("..txt", "...", "..%2f..%2fescaped.txt", "-rf.txt", "a\nb.txt", "ü ä.txt", "x" * 240 + ".txt"):
        (corpus / name).write_text(text)
    records = [
        {"text": text, "url": "file:///etc/passwd", "title": "../../escaped"},
        {"text": text, "url": "../../escaped", "id": "/etc/passwd", "source_uri": str(escape)},
        {"html": f"<html><body><p>{text}</p></body></html>", "url": escape.as_uri()},
    ]
    (corpus / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    page = (f"<!DOCTYPE html><html><head><title>Lanes</title></head>"
            f"<body><article><p>{text * 3}</p></article></body></html>")
    warc_file(corpus / "crawl.warc.gz", [("file:///etc/passwd", page.encode()), ("../../escaped", page.encode()),
                                         (escape.as_uri(), page.encode()), ("/tmp/escaped", page.encode())],
              filename="../../escaped.warc.gz")
    out = tmp_path / "out"
    passwd = os.stat("/etc/passwd")
    before = snapshot(tmp_path, skip=out)

    summary = run_pipeline(corpus, out, **PARSE_ONLY)

    assert snapshot(tmp_path, skip=out) == before, "something was written outside the output folder"
    assert list(work.iterdir()) == []
    assert not escape.exists() and not Path("/tmp/escaped").exists()
    after = os.stat("/etc/passwd")
    assert (after.st_size, after.st_mtime_ns) == (passwd.st_size, passwd.st_mtime_ns)
    # Everything written lies inside the output folder, and its links point inside it too.
    for dirpath, dirnames, filenames in os.walk(out):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            assert path.resolve().is_relative_to(out.resolve()), path
    # Identity comes from where a file is, never from what it says about itself.
    uris = {a["source_uri"] for a in rows(out, "articles")} | {e["source_uri"] for e in rows(out, "errors")}
    assert all(u.startswith(corpus.resolve().as_uri() + "/") for u in uris)
    assert summary.documents["seen"] == len(uris) >= 7 + 3


def test_a_giant_document_becomes_an_error_without_being_read_into_memory(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Sparse files: they take no disk space. Each is still read once, by streaming, for its digest.
    sizes = {"giant.txt": 200 * 1024 * 1024, "giant.html": 40 * 1024 * 1024, "giant_noext": 40 * 1024 * 1024}
    for name, size in sizes.items():
        with (corpus / name).open("wb") as handle:
            handle.truncate(size)
    with (corpus / "giant.jsonl").open("wb") as handle:
        handle.write(b'{"text": "')
        handle.truncate(40 * 1024 * 1024)
    (corpus / "small.txt").write_text("The council voted on Wednesday to build protected cycle lanes.\n")
    out = tmp_path / "out"
    limit = 1024 * 1024
    tracemalloc.start()
    try:
        summary = run_pipeline(corpus, out, max_document_bytes=limit, **PARSE_ONLY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24 * 1024 * 1024, f"peak {peak:,} bytes: a giant file was read into memory"
    errors = {e["source_uri"].rsplit("/", 1)[1]: e for e in rows(out, "errors")}
    assert set(errors) == {"giant.txt", "giant.html", "giant_noext", "giant.jsonl#0"}
    for error in errors.values():
        assert error["error_type"] == "DocumentTooLarge" and "over the limit of 1,048,576 bytes" in error["message"]
    assert "209,715,200 bytes" in errors["giant.txt"]["message"]
    assert summary.documents["new"] == 1 and summary.documents["failed"] == 4


@pytest.fixture(autouse=True)
def _no_stray_output(tmp_path):
    yield
    assert not (tmp_path / "escaped").exists()
