"""The html parse plugin: main text without page furniture, metadata, charsets, broken pages, no network."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
from datetime import datetime, timezone

import pytest

import etl_plugins.html as html
from conftest import DATA, NetworkRecorder, rows, run_pipeline
from etl.manager import get_plugin_manager

PAGES = DATA / "html"
NO_NLP = ("spacy", "entities", "claims", "events")


def html_manager():
    pm = get_plugin_manager(load_entrypoints=False)
    if not pm.has_plugin("html"):
        pm.register(html, "html")
    return pm


def run_html(paths, out, **config):
    config.setdefault("disable", NO_NLP)
    return run_pipeline(paths, out, pm=html_manager(), **config)


def article_of(out, name):
    found = [row for row in rows(out, "articles") if row["source_uri"].endswith("/" + name)]
    assert len(found) == 1, f"{name} did not become exactly one article"
    return found[0]


def segments_of(out, article):
    return sorted((r for r in rows(out, "segments") if r["doc_id"] == article["doc_id"]), key=lambda r: r["seq"])


@pytest.fixture(scope="module")
def article_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "out"
    run_html(PAGES / "article.html", out)
    return out


def test_article_metadata(article_out):
    article = article_of(article_out, "article.html")
    assert article["media_type"] == "text/html"
    assert article["title"] == "Ferry service to Harwick island resumes after storm"
    assert article["authors"] == ["Mira Castellane"]
    assert article["publisher"] == "The Coastal Ledger"
    # The canonical link wins over og:url, which carries a tracking parameter.
    assert article["url"] == "https://www.coastal-ledger.example/news/2024/03/ferry-service-resumes"
    assert article["language"] == "en"
    assert article["published_at"] == datetime(2024, 3, 5, 13, 30, tzinfo=timezone.utc)
    assert article["published_at_source"] == "metadata"


def test_body_is_the_article_without_furniture(article_out):
    article = article_of(article_out, "article.html")
    text = article["text"]
    assert text.startswith("The ferry linking Harwick island to the mainland resumed its crossings")
    assert "a request it first made six years ago." in text
    assert "director of operations" in text
    for furniture in ("Weather forecast", "Subscribe to the Coastal Ledger", "Related stories",
                      "Storm warning issued", "Copyright 2024", "Privacy policy", "Contact the newsroom",
                      "Finally some good news"):
        assert furniture not in text
    segments = segments_of(article_out, article)
    assert [s["label"] for s in segments][:2] == ["headline", "body"]
    assert segments[0]["text"] == article["title"]
    body = [s for s in segments if s["label"] == "body"]
    assert len(body) == 5
    assert all(text[s["start"]:s["end"]] == s["text"] for s in body)


def test_reader_comments_are_kept_apart_when_asked(tmp_path):
    out = tmp_path / "out"
    run_html(PAGES / "article.html", out, plugins={"html": {"include_comments": True}})
    article = article_of(out, "article.html")
    comment = [s for s in segments_of(out, article) if "Finally some good news" in s["text"]]
    assert [s["label"] for s in comment] == ["other"]
    assert "Finally some good news" not in article["text"]


def test_charset_declared_by_meta(tmp_path):
    out = tmp_path / "out"
    run_html(PAGES / "koi8r.html", out)
    article = article_of(out, "koi8r.html")
    assert article["title"] == "Новый мост через реку открыт для движения"
    assert article["publisher"] == "Вестник Заречья"
    assert article["language"] == "ru"
    assert "новый мост через реку Быстрицу" in article["text"]
    assert "Главная" not in article["text"] and "Все права защищены" not in article["text"]
    # A date without a time is midnight UTC.
    assert article["published_at"] == datetime(2023, 11, 20, tzinfo=timezone.utc)


def test_decoding_follows_the_browser():
    # "iso-8859-1" means windows-1252 to a browser: 0x93/0x94 are curly quotes, not control characters.
    assert "\u201cCaf\u00e9\u201d" in html.decode_html(b'<meta charset="iso-8859-1"><p>\x93Caf\xe9\x94</p>')
    # A byte-order mark beats the declaration.
    assert "Caf\u00e9" in html.decode_html(b'\xef\xbb\xbf<meta charset="windows-1251"><p>Caf\xc3\xa9</p>')
    # A declaration that the bytes contradict throughout is ignored.
    assert "Caf\u00e9 cr\u00e8me" in html.decode_html(
        '<meta charset="utf-8"><p>Caf\u00e9 cr\u00e8me</p>'.encode("cp1252") * 20)


@pytest.mark.parametrize("start, expected", [
    ("<!DOCTYPE html><html><body><p>x</p></body></html>", True),
    ("\ufeff\n  <html lang='en'><p>x</p></html>", True),
    ('<?xml version="1.0"?>\n<!-- saved page -->\n<html xmlns="http://www.w3.org/1999/xhtml">', True),
    ("<meta charset='utf-8'>\n<head><title>t</title></head>", True),
    ("Council approves new cycle lanes\n\nThe town council voted on Wednesday.", False),
    ("# Heading\n\nSome *Markdown* text with a [link](https://example.com).", False),
    ("A note about HTML: write <body> before the text." + " filler" * 400, False),
], ids=["doctype", "bom-html", "xml-declaration", "meta-head", "plain-text", "markdown", "prose-about-html"])
def test_sniffing(start, expected):
    assert html.looks_like_html(start) is expected


def test_html_saved_as_text_is_recognised(tmp_path):
    page = tmp_path / "saved-page.txt"
    shutil.copy(PAGES / "article.html", page)
    out = tmp_path / "out"
    run_html(page, out, stages={"parse": ("html", "markdown", "text")})
    article = article_of(out, "saved-page.txt")
    assert article["media_type"] == "text/html"
    assert article["title"] == "Ferry service to Harwick island resumes after storm"
    assert "<p>" not in article["text"] and "Related stories" not in article["text"]


def test_truncated_page_keeps_what_arrived(tmp_path):
    out = tmp_path / "out"
    run_html(PAGES / "truncated.html", out)
    article = article_of(out, "truncated.html")
    assert article["title"] == "Library extends opening hours for exam season"
    assert "The trial will run for six weeks" in article["text"]
    assert "asked not to be na" in article["text"]
    assert rows(out, "errors") == []


def test_page_without_article_text_is_an_error_row(tmp_path):
    out = tmp_path / "out"
    run_html(PAGES / "no_article.html", out)
    assert rows(out, "articles") == []
    [error] = rows(out, "errors")
    assert error["source_uri"].endswith("/no_article.html")
    assert (error["stage"], error["plugin"], error["error_type"]) == ("parse", "html", "DocumentError")
    assert "no article text" in error["message"]


def test_every_page_is_an_article_or_an_error_row(tmp_path):
    out = tmp_path / "out"
    run_html(PAGES, out)
    articles = {row["source_uri"].rsplit("/", 1)[1] for row in rows(out, "articles")}
    errors = {row["source_uri"].rsplit("/", 1)[1] for row in rows(out, "errors")}
    assert articles == {"article.html", "koi8r.html", "truncated.html", "external_entities.html"}
    assert errors == {"no_article.html"}
    assert articles | errors == {path.name for path in PAGES.iterdir()}


def test_parsing_fetches_nothing(tmp_path, monkeypatch):
    """External DTD, entities, XInclude and linked resources: no request reaches a live local server,
    no socket connects, and a local file named by an entity is not read into the text."""
    server = http.server.HTTPServer(("127.0.0.1", 0), NetworkRecorder)
    NetworkRecorder.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret.txt"
    secret.write_text("LOCAL-SECRET-CONTENT")
    address = f"http://127.0.0.1:{server.server_port}"
    page = tmp_path / "corpus" / "external_entities.html"
    page.parent.mkdir()
    page.write_text((PAGES / "external_entities.html").read_text()
                    .replace("__SERVER__", address).replace("__SECRET__", secret.as_uri()))

    attempts = []

    def refuse(sock, where, *args, **kwargs):
        attempts.append(where)
        raise OSError(f"network access attempted while parsing: {where}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    out = tmp_path / "out"
    try:
        run_html(page.parent, out)
    finally:
        monkeypatch.undo()
        server.shutdown()
        server.server_close()
    assert NetworkRecorder.requests == []
    assert attempts == []
    article = article_of(out, "external_entities.html")
    assert "The town council voted on Wednesday to build protected cycle lanes" in article["text"]
    assert "loading bays" in article["text"]
    everything = article["text"] + " ".join(s["text"] for s in rows(out, "segments"))
    assert "FETCHED-FROM-NETWORK" not in everything
    assert "LOCAL-SECRET-CONTENT" not in everything
