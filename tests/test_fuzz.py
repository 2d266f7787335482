"""Bad input at volume: thousands of generated hostile files, a few good ones among them, through the
parse and clean stages. The run completes, every good document loads, and every file is an article or
an error, never both and never neither (a container counts per record)."""

from __future__ import annotations

import gzip
import json
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import rows, run_pipeline

pytestmark = pytest.mark.slow

# The extract plugins and spaCy do not read files; leaving them out keeps each run to seconds.
STAGES = {"extract": (), "enrich": ()}

GOOD = {
    "good_report.txt": b"Kramatorsk Under Fire\n\nThe mayor of Kramatorsk said on Tuesday that the city "
                       b"had been shelled overnight. GOOD-MARKER-TXT\n",
    "good_page.html": b"<!DOCTYPE html><html><head><title>Siversk</title></head><body><article>"
                      b"<p>Ukrainian officials said the defenders of Siversk held their positions on Monday, "
                      b"despite heavy shelling reported across the region. GOOD-MARKER-HTML</p></article>"
                      b"</body></html>",
    "good_wire.md": b"# Lyman\n\nBy A Reporter\n\nThe army said fighting near Lyman continued for a third day, "
                    b"with both sides reporting losses. GOOD-MARKER-MD\n",
}

words = st.text(st.sampled_from("abc xyz Kyiv élan «»—\n\t<>&\"'"), min_size=0, max_size=60)
ANY_SUFFIX = ["", ".txt", ".html", ".htm", ".md", ".jsonl", ".json", ".warc", ".warc.gz", ".bin", ".xml", ".gz"]


def random_bytes():
    return st.tuples(st.sampled_from(ANY_SUFFIX), st.binary(max_size=400))


def broken_encoding():
    @st.composite
    def build(draw):
        text = draw(words).encode(draw(st.sampled_from(["utf-8", "utf-16-le", "cp1252", "utf-32"])), "replace")
        cut = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from([b"\xff\xfe", b"\xc3", b"\xe2\x80", b"\xef\xbb\xbf", b"\xfe\xff\x00", b"\x80\x81"]))
        return draw(st.sampled_from([".txt", "", ".html", ".md"])), text[:cut] + junk + text[cut:]
    return build()


def nested_html():
    @st.composite
    def build(draw):
        depth = draw(st.integers(1, 3000))
        tag = draw(st.sampled_from([b"div", b"span", b"table", b"b", b"p", b"li"]))
        closed = draw(st.booleans())
        body = b"<" + tag + b">"
        html = b"<html><body>" + body * depth + draw(words).encode() + ((b"</" + tag + b">") * depth if closed else b"")
        return draw(st.sampled_from([".html", ".htm", "", ".xml"])), html
    return build()


def huge_attribute():
    @st.composite
    def build(draw):
        size = draw(st.integers(1_000, 300_000))
        quote = draw(st.sampled_from([b'"', b"'", b""]))
        html = (b'<html><head><meta name="description" content=' + quote + b"x" * size + quote + b"></head>"
                b'<body><p title="' + b"\xc3\xa9" * (size // 4) + b'">' + draw(words).encode() + b"</p></body></html>")
        return draw(st.sampled_from([".html", ""])), html
    return build()


def nul_bytes():
    @st.composite
    def build(draw):
        text = draw(words).encode()
        every = draw(st.integers(1, 40))
        data = b"".join(text[i:i + every] + b"\x00" for i in range(0, max(len(text), 1), every))
        return draw(st.sampled_from([".txt", ".html", ".md", ".jsonl", ""])), data * draw(st.integers(1, 50))
    return build()


json_value = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                       st.lists(st.integers(), max_size=3),
                       st.dictionaries(st.sampled_from(["text", "title", "url", "html", "authors", "x"]),
                                       st.one_of(st.text(max_size=20), st.integers(), st.none()), max_size=3))
jsonl_line = st.one_of(
    st.builds(lambda t: json.dumps({"title": "Wire", "text": t}).encode(), words),
    st.builds(lambda v: json.dumps(v).encode(), json_value),
    st.builds(lambda v, cut: json.dumps(v).encode()[:cut], json_value, st.integers(0, 30)),
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ")),
    st.builds(lambda t: json.dumps({"html": f"<html><body><p>{t}</p>"}).encode(), words),
    st.just(b""), st.just(b"   "), st.just(b"\xef\xbb\xbf{}"),
)


def malformed_jsonl():
    @st.composite
    def build(draw):
        lines = draw(st.lists(jsonl_line, min_size=0, max_size=12))
        ending = draw(st.sampled_from([b"\n", b"\r\n"]))
        return draw(st.sampled_from([".jsonl", ".ndjson"])), ending.join(lines) + draw(st.sampled_from([b"", ending]))
    return build()


def warc_record(uri: str, body: bytes, length_error: int) -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-1234567890ab>\r\n"
            f"WARC-Date: 2025-12-11T08:30:00Z\r\nWARC-Target-URI: {uri}\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {max(0, len(http) + length_error)}\r\n\r\n").encode() + http + b"\r\n\r\n"


def malformed_warc():
    @st.composite
    def build(draw):
        records = []
        for _ in range(draw(st.integers(0, 4))):
            body = draw(st.sampled_from([b"<html><body><p>", b"", b"\x00\x01", b"<p>"])) + draw(words).encode()
            if draw(st.booleans()):
                body += b" " + GOOD["good_page.html"]
            uri = draw(st.sampled_from(["http://example.com/a", "file:///etc/passwd", "../../x", "", "\x00"]))
            records.append(warc_record(uri, body, draw(st.sampled_from([0, 0, -5, 7, 10_000]))))
        data = b"".join(records) or b"WARC/1.0\r\n"
        if draw(st.booleans()):
            data = data[: draw(st.integers(10, len(data)))] + draw(st.binary(max_size=40))
        if draw(st.booleans()):
            data = gzip.compress(data)[: draw(st.integers(1, 10_000))]
        return draw(st.sampled_from([".warc", ".warc.gz", ""])), data
    return build()


def long_line():
    @st.composite
    def build(draw):
        unit = draw(st.sampled_from([b"word ", b"x", b"\xd0\x96", b"<b>", b"\t"]))
        return draw(st.sampled_from([".txt", ".md", ".html", ""])), unit * draw(st.integers(5_000, 60_000))
    return build()


def empty():
    return st.tuples(st.sampled_from(ANY_SUFFIX), st.sampled_from([b"", b" ", b"\n\n", b"\xef\xbb\xbf", b"\xff\xfe"]))


bad_file = st.one_of(random_bytes(), broken_encoding(), nested_html(), huge_attribute(), nul_bytes(),
                     malformed_jsonl(), malformed_warc(), long_line(), empty())


def variants(data: bytes, rng: random.Random) -> list[bytes]:
    """The file as drawn, and three damaged copies of it: cut short, bytes overwritten, doubled."""
    cut = data[: rng.randrange(len(data) + 1)]
    flipped = bytearray(data)
    for _ in range(min(3, len(flipped))):
        flipped[rng.randrange(len(flipped))] = rng.randrange(256)
    return [data, cut, bytes(flipped), data + data]


# Hypothesis draws a few hundred files per run (more would overrun its buffer); each is written four
# times, damaged in different ways, so that each run reads well over a thousand bad files.
@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                 HealthCheck.function_scoped_fixture])
@given(st.lists(bad_file, min_size=100, max_size=150), st.randoms(use_true_random=False))
def test_thousands_of_bad_files_each_become_an_article_or_an_error(drawn, rng):
    files = [(suffix, variant) for suffix, data in drawn for variant in variants(data, rng)]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        written = []
        for i, (suffix, data) in enumerate(files):
            path = corpus / f"bad_{i:04d}{suffix}"
            path.write_bytes(data)
            written.append(path)
        for name, data in GOOD.items():
            (corpus / name).write_bytes(data)
        out = Path(tmp) / "out"
        summary = run_pipeline(corpus, out, stages=STAGES, batch_size=64)

        assert summary.status == "completed"
        articles = [a["source_uri"] for a in rows(out, "articles")]
        errors = [e["source_uri"] for e in rows(out, "errors")]
        assert len(articles) == len(set(articles)) and len(errors) == len(set(errors))
        assert not set(articles) & set(errors), "a document is an article and an error"
        assert summary.documents["seen"] == len(articles) + len(errors)
        texts = {a["source_uri"]: a["text"] for a in rows(out, "articles")}
        for name in GOOD:
            marker = "GOOD-MARKER-" + {"txt": "TXT", "html": "HTML", "md": "MD"}[name.rsplit(".", 1)[1]]
            assert marker in texts.get((corpus / name).resolve().as_uri(), ""), f"{name} did not load"

        by_file: dict[str, set[str]] = {}
        for uri in articles + errors:
            by_file.setdefault(uri.split("#", 1)[0], set()).add(uri)
        for path, (suffix, data) in zip(written, files):
            uri = path.resolve().as_uri()
            outcomes = by_file.get(uri)
            assert outcomes, f"{path.name} ({len(data)} bytes) is neither an article nor an error"
            if suffix in (".jsonl", ".ndjson") and uri not in outcomes:
                # Every non-blank line is a record, and each record is an article or an error.
                lines = data.split(b"\n")
                if data.endswith(b"\n"):
                    lines.pop()
                expected = {f"{uri}#{n}" for n, line in enumerate(lines)
                            if line.removeprefix(b"\xef\xbb\xbf" if n == 0 else b"").strip()}
                assert outcomes == expected, path.name
