"""Bad input never crashes a run and is never dropped silently: each file is an article or an error."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import SEEDS, rows, run_pipeline
from etl.errors import UnreadableInput
from etl.sources import decode_text


def hostile_files(folder: Path) -> dict[str, Path]:
    rng = random.Random(7)
    files = {
        "empty": folder / "empty.txt",
        "junk": folder / "junk.bin",
        "junk_txt": folder / "junk_noext",
        "nul": folder / "nul.txt",
        "latin1": folder / "latin1.txt",
        "huge": folder / "huge.txt",
        "html": folder / "truncated.html",
        "jsonl": folder / "malformed.jsonl",
        "utf16": folder / "utf16.txt",
        "whitespace": folder / "blank.txt",
    }
    files["empty"].write_bytes(b"")
    files["junk"].write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    files["junk_txt"].write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    files["nul"].write_bytes(b"Kyiv said\x00\x00\x00 the city\x00 held." * 20)
    files["latin1"].write_bytes("Le maire de Kramatorsk a déclaré que la ville résistait. Café, crème, à côté.\n"
                                .encode("cp1252"))
    files["huge"].write_bytes(b"Siversk " * (50 * 1024 * 1024 // 8))
    files["html"].write_bytes(b"<html><head><title>Siversk</title></head><body><p>Russia said it had captured")
    files["jsonl"].write_bytes(b'{"text": "Kyiv denied the claim.", "title": "A"}\n{"text": "broken\n')
    files["utf16"].write_bytes("Ukraine’s army said Siversk remains under its control.\n".encode("utf-16"))
    files["whitespace"].write_bytes(b"   \n\n\t  \n")
    return files


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    corpus = folder / "corpus"
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    files = hostile_files(corpus)
    out = folder / "out"
    summary = run_pipeline(corpus, out)
    return summary, files, out


def test_the_run_completes_and_every_seed_is_an_article(hostile_run):
    summary, _, out = hostile_run
    assert summary.status == "completed"
    uris = {a["source_uri"] for a in rows(out, "articles")}
    corpus = out.parent / "corpus"
    assert {(corpus / seed.name).resolve().as_uri() for seed in SEEDS.glob("*.txt")} <= uris


def test_every_file_is_an_article_or_an_error_never_both_never_neither(hostile_run):
    summary, files, out = hostile_run
    articles = {a["source_uri"] for a in rows(out, "articles")}
    errors = {e["source_uri"] for e in rows(out, "errors")}
    assert not articles & errors
    corpus = out.parent / "corpus"
    for path in corpus.iterdir():
        uri = path.resolve().as_uri()
        outcomes = {u for u in articles | errors if u == uri or u.startswith(uri + "#")}
        assert outcomes, f"{path.name} was dropped silently"
    assert summary.documents["seen"] == len(articles) + len(errors)


@pytest.mark.parametrize("name, error_type, words", [
    ("empty", "UnreadableInput", "empty file"),
    ("whitespace", "UnreadableInput", "empty file"),
    ("junk", "NoParser", "installed parsers: warc, jsonl, html, markdown, text"),
    ("junk_txt", "UnreadableInput", "binary content"),
    ("nul", "UnreadableInput", "control characters"),
    ("huge", "DocumentTooLarge", "over the limit of 10,485,760 bytes"),
])
def test_rejected_files_say_why(hostile_run, name, error_type, words):
    _, files, out = hostile_run
    uri = files[name].resolve().as_uri()
    (error,) = [e for e in rows(out, "errors") if e["source_uri"] == uri]
    assert error["error_type"] == error_type and words in error["message"] and error["stage"] == "parse"


def test_truncated_html_keeps_the_text_it_has(hostile_run):
    _, files, out = hostile_run
    (article,) = [a for a in rows(out, "articles") if a["source_uri"] == files["html"].resolve().as_uri()]
    assert article["media_type"] == "text/html" and "Russia said it had captured" in article["text"]


def test_other_encodings_are_decoded_into_articles(hostile_run):
    _, files, out = hostile_run
    texts = {a["source_uri"]: a["text"] for a in rows(out, "articles")}
    assert "déclaré que la ville résistait" in texts[files["latin1"].resolve().as_uri()]
    assert texts[files["utf16"].resolve().as_uri()] == "Ukraine’s army said Siversk remains under its control."


@pytest.mark.parametrize("data", [b"", b" \n ", b"\x00\x01\x02\x03" * 50, bytes(range(256)) * 4])
def test_decode_refuses_what_is_not_text(data):
    with pytest.raises(UnreadableInput):
        decode_text(data)


def test_decode_repairs_nothing_it_should_keep():
    assert decode_text("«Привет», сказал он.".encode("utf-8")) == "«Привет», сказал он."
    assert decode_text("\ufeffwith bom".encode("utf-8")) == "with bom"
    assert decode_text(
        "Zürich – Genève".encode("utf-16-be")[0:0] + b"\xfe\xff" + "Zürich".encode("utf-16-be")) == "Zürich"
