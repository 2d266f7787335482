"""`max_document_bytes` bounds what a parser unpacks, and one bad record fails alone.

Bombs are built here: small on disk, large once decompressed. Runs keep to the parse stage, and where
the only difference a bound makes is memory, tracemalloc measures the parser itself.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import StandInHtml, rows, run_pipeline
from etl import DocumentTooLarge, UnreadableInput
from etl.manager import get_plugin_manager
from etl.sources import Source
from etl_plugins import jsonl
from etl_plugins.warc import plugin as warc

NO_EXTRACT = {"stages": {"extract": ()}}
LIMIT = 200_000
DEEP = "[" * 10_000 + "]" * 10_000


def run(paths, out, pm=None, **options):
    return run_pipeline(paths, out, pm=pm, **{**NO_EXTRACT, **options})


def error_rows(out):
    return {row["source_uri"].rsplit("/", 1)[1]: row for row in rows(out, "errors")}


def peak_bytes(consume) -> int:
    """The most memory Python allocated while `consume()` ran."""
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- JSON: a record nested too deeply, or too large, fails alone ---------------------------------------


def test_a_deeply_nested_jsonl_line_fails_alone(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(f'{{"text": "First good record."}}\n{DEEP}\n{{"text": "Last good record."}}\n')
    out = tmp_path / "out"
    run(path, out)
    assert sorted(a["text"] for a in rows(out, "articles")) == ["First good record.", "Last good record."]
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("feed.jsonl#1") and error["error_type"] == "UnreadableInput"
    assert "line 2 (record #1) is nested too deeply" in error["message"]


def test_a_deeply_nested_json_array_element_fails_alone(tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(f'[{{"text": "First good record."}}, {DEEP}, {{"text": ["Last", {DEEP}]}}, '
                    f'{{"text": "Last good record."}}]')
    out = tmp_path / "out"
    run(path, out)
    assert sorted(a["text"] for a in rows(out, "articles")) == ["First good record.", "Last good record."]
    errors = {int(e["source_uri"].rsplit("#", 1)[1]): e for e in rows(out, "errors")}
    assert sorted(errors) == [1, 2]
    assert all("nested too deeply" in e["message"] and e["error_type"] == "UnreadableInput" for e in errors.values())


def test_a_single_deeply_nested_json_object_is_its_record_s_error(tmp_path):
    path = tmp_path / "one.json"
    path.write_text('{"text": ' + DEEP + "}")
    out = tmp_path / "out"
    run(path, out)
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("one.json#0") and "record #0 is nested too deeply" in error["message"]


def test_json_lines_saved_as_json_with_a_deep_first_line_are_still_read_as_lines(tmp_path):
    path = tmp_path / "feed.json"
    path.write_text('{"text": ' + DEEP + '}\n{"text": "A good record."}\n')
    out = tmp_path / "out"
    run(path, out)
    assert [a["text"] for a in rows(out, "articles")] == ["A good record."]
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("feed.json#0")


def test_an_oversized_json_array_element_fails_alone_without_being_built(tmp_path):
    path = tmp_path / "feed.json"
    words = ",".join(['"word"'] * 1_000_000)  # 7 MB of many small values: built, it would weigh far more
    path.write_text(f'[{{"text": "First."}}, {{"text": [{words}]}}, {{"text": "Last."}}]')
    source = Source(path, LIMIT)
    records = []
    peak = peak_bytes(lambda: records.extend(jsonl.json_records(source, jsonl.DEFAULT_LIST_KEYS)))
    assert [r[2] for r in records if isinstance(r[2], dict)] == [{"text": "First."}, {"text": "Last."}]
    (index, _, error) = records[1]
    assert index == 1 and isinstance(error, DocumentTooLarge)
    assert "record #1 is more than" in str(error) and "max_document_bytes" in str(error)
    # Built, its million strings would take ten times the file; what is built is bounded by the limit.
    assert peak < path.stat().st_size, f"the oversized record was built: {peak:,} bytes allocated"


def test_failed_records_keep_no_traceback(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(DEEP + "\n")
    source = Source(path, LIMIT)
    (doc,) = jsonl._documents(source, jsonl.line_records(source), jsonl.field_mapping({}, path))
    assert doc.error.__traceback__ is None and doc.error.__context__ is None


# --- docx: the archive unpacks under the limit ------------------------------------------------------------


def test_a_docx_that_unpacks_past_the_limit_is_an_error_and_others_load(tmp_path):
    docx = pytest.importorskip("docx")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    word = docx.Document()
    word.add_paragraph("A short and ordinary Word document about the harbour.")
    word.save(corpus / "small.docx")
    bomb = docx.Document()
    bomb.add_paragraph("a" * 5_000_000)  # 5 MB of XML that deflates to a few kilobytes
    bomb.save(corpus / "bomb.docx")
    limit = 2_000_000  # python-docx's own template unpacks to 0.8 MB
    assert (corpus / "bomb.docx").stat().st_size < limit
    out = tmp_path / "out"
    run(corpus, out, max_document_bytes=limit)
    assert [a["source_uri"].rsplit("/", 1)[1] for a in rows(out, "articles")] == ["small.docx"]
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("bomb.docx") and error["error_type"] == "DocumentTooLarge"
    assert "'word/document.xml'" in error["message"] and f"{limit:,} bytes" in error["message"]
    assert "max_document_bytes" in error["message"]


def zip_whose_directory_lies(member: str, data: bytes, claimed: int) -> bytes:
    """A zip holding `member` whose directory (local and central headers) claims `claimed` bytes unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    raw = bytearray(buffer.getvalue())
    real = struct.pack("<I", len(data))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(signature) + offset
        assert raw[at:at + 4] == real
        raw[at:at + 4] = struct.pack("<I", claimed)
    return bytes(raw)


def test_open_zip_refuses_what_the_directory_declares_and_what_it_hides(tmp_path):
    path = tmp_path / "a.docx"
    path.write_bytes(b"x")
    source = Source(path, LIMIT)
    declared = io.BytesIO()
    with zipfile.ZipFile(declared, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w/>" * LIMIT)
    with pytest.raises(DocumentTooLarge, match=r"'word/document.xml' alone 800,000 bytes"):
        source.open_zip(declared.getvalue(), ".docx")
    lying = zip_whose_directory_lies("word/document.xml", b"<w/>" * LIMIT, claimed=100)
    with pytest.raises(UnreadableInput, match="not a readable .docx"):
        source.open_zip(lying, ".docx")
    good = zip_whose_directory_lies("word/document.xml", b"<w/>", claimed=4)
    assert source.open_zip(good, ".docx").read("word/document.xml") == b"<w/>"


# --- PDF: streams and text under the limit ---------------------------------------------------------------


def flate_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose content stream is compressed (FlateDecode)."""
    stream = zlib.compress(("BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines)
                            + " ET").encode("latin-1"), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def test_a_pdf_that_unpacks_past_the_limit_is_an_error_and_others_load(tmp_path):
    pytest.importorskip("pypdf")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.pdf").write_bytes(flate_pdf(["The harbour reopened on Monday."]))
    (corpus / "bomb.pdf").write_bytes(flate_pdf(["The same line of text again and again."] * 20_000))
    assert (corpus / "bomb.pdf").stat().st_size < LIMIT
    out = tmp_path / "out"
    run(corpus, out, max_document_bytes=LIMIT)
    assert [a["source_uri"].rsplit("/", 1)[1] for a in rows(out, "articles")] == ["small.pdf"]
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("bomb.pdf") and error["error_type"] == "DocumentTooLarge"
    assert f"{LIMIT:,}" in error["message"] and "max_document_bytes" in error["message"]


# --- WARC: compressed payloads are decoded under the limit -------------------------------------------------


def page(title: str, text: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body><p>{text}</p></body></html>".encode()


def bomb_page(size: int) -> bytes:
    return b"<!DOCTYPE html><html><body><p>" + b"a" * size + b"</p></body></html>"


def chunked(body: bytes) -> bytes:
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


def write_crawl(path, bomb_payload: bytes, **bomb_headers) -> None:
    """Three HTML responses, the middle one (#1) a compressed bomb."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        for uri, payload, headers in (
            ("https://news.example/a", page("Bridge", "The bridge reopened."), {}),
            ("https://news.example/bomb", bomb_payload, bomb_headers),
            ("https://news.example/b", page("Ferry", "Ferries run twice a day."), {}),
        ):
            pairs = [("Content-Type", "text/html")] + [(k.replace("_", "-"), v) for k, v in headers.items()]
            writer.write_record(writer.create_warc_record(
                uri, "response", payload=io.BytesIO(payload),
                http_headers=StatusAndHeaders("200 OK", pairs, protocol="HTTP/1.1")))


def warc_manager():
    pm = get_plugin_manager(load_entrypoints=False)
    if not pm.has_plugin(warc.NAME):
        pm.register(warc, warc.NAME)
    pm.register(StandInHtml(), "stand-in-html")
    return pm


@pytest.mark.parametrize("chunk", [False, True], ids=["gzip", "chunked-gzip"])
def test_a_gzip_bomb_inside_a_warc_gz_is_one_error_read_no_further_than_the_limit(tmp_path, chunk):
    path = tmp_path / "crawl.warc.gz"
    packed = gzip.compress(bomb_page(40_000_000), 9)  # 40 MB of page in about 40 KB
    headers = {"Content_Encoding": "gzip", **({"Transfer_Encoding": "chunked"} if chunk else {})}
    write_crawl(path, chunked(packed) if chunk else packed, **headers)
    assert path.stat().st_size < LIMIT
    out = tmp_path / "out"
    run(path, out, pm=warc_manager(), max_document_bytes=LIMIT,
        stages={"parse": ("stand-in-html", "warc"), "clean": (), "extract": ()})
    assert sorted(a["title"] for a in rows(out, "articles")) == ["Bridge", "Ferry"]
    (error,) = rows(out, "errors")
    assert error["source_uri"].endswith("crawl.warc.gz#1") and error["error_type"] == "DocumentTooLarge"
    assert "record #1" in error["message"] and f"{LIMIT:,} bytes" in error["message"]
    assert "max_document_bytes" in error["message"]
    source = Source(path, LIMIT, parse_with=lambda record: None)
    peak = peak_bytes(lambda: list(warc.warc_documents(source)))
    assert peak < 10 * LIMIT, f"the payload was decompressed past the limit: {peak:,} bytes allocated"


def test_deflate_payloads_with_and_without_a_zlib_header_are_decoded(tmp_path):
    path = tmp_path / "a.warc"
    path.write_bytes(b"x")
    source = Source(path, LIMIT)
    body = page("Bridge", "The bridge reopened.")
    assert source.decompress(zlib.compress(body), "deflate", "record #0") == body
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert source.decompress(raw.compress(body) + raw.flush(), "deflate", "record #0") == body
    two_members = gzip.compress(body[:10]) + gzip.compress(body[10:])
    assert source.decompress(two_members, "gzip", "record #0") == body
    with pytest.raises(DocumentTooLarge, match=r"record #0 is more than 200,000 bytes once decompressed"):
        source.decompress(gzip.compress(b"a" * (LIMIT + 1)), "gzip", "record #0")
    assert source.decompress(gzip.compress(b"a" * LIMIT), "gzip", "record #0") == b"a" * LIMIT


def test_jsonl_records_are_bounded_too(tmp_path):
    """A line longer than the limit fails alone (read in pieces, never whole)."""
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join([json.dumps({"text": "Good."}), json.dumps({"text": "x" * (LIMIT * 5)}),
                               json.dumps({"text": "Also good."})]) + "\n")
    out = tmp_path / "out"
    run(path, out, max_document_bytes=LIMIT)
    assert sorted(a["text"] for a in rows(out, "articles")) == ["Also good.", "Good."]
    (error,) = rows(out, "errors")
    assert "line 2 (record #1) is" in error["message"] and error["error_type"] == "DocumentTooLarge"


# --- a container of many records: what waits for the file to be done is bounded ------------------------


def test_a_large_container_keeps_a_bounded_number_of_outcomes_in_memory(tmp_path, monkeypatch):
    """Settled documents move to a spool beside the parts; the committed manifest still has every one."""
    import etl.worker
    from etl.config import Config
    from etl.pipeline import Pipeline
    from etl.tasks import SourceTask, WorkContext

    monkeypatch.setattr(etl.worker, "SPOOL_AT", 10)
    monkeypatch.setattr(etl.worker, "FAILURES_PER_PART", 7)
    path = tmp_path / "feed.jsonl"
    lines = [json.dumps({"text": f"Record {i}."}) if i % 3 else "{cut short" for i in range(60)]
    path.write_text("\n".join(lines) + "\n")
    pipeline = Pipeline(get_plugin_manager(load_entrypoints=False),
                        Config(out=tmp_path / "out", batch_size=5, stages={"extract": ()}))
    parts = tmp_path / "parts"
    parts.mkdir()
    ctx = WorkContext(run_id="r1", out=str(tmp_path / "out"), parts_dir=str(parts), fingerprint="f")
    from etl.sources import source_uri

    (outcome,) = etl.worker.process_task(pipeline, ctx, [SourceTask(source_uri(path))])
    assert len(outcome.docs) < 10 and outcome.spooled_docs >= 50
    docs = list(outcome.all_docs())
    assert len(docs) == outcome.doc_count == 60 and len({d.doc_id for d in docs}) == 60
    assert sum(d.status == "failed" for d in docs) == 20 and all(d.part for d in docs)
    outcome.discard_spool()
    assert not [p for p in parts.iterdir() if p.is_file()]


def test_a_spooled_container_commits_every_record_and_drops_the_ones_it_lost(tmp_path, monkeypatch):
    import etl.worker

    monkeypatch.setattr(etl.worker, "SPOOL_AT", 10)
    monkeypatch.setattr(etl.worker, "FAILURES_PER_PART", 7)
    path = tmp_path / "feed.jsonl"
    lines = [json.dumps({"text": f"Record {i}."}) if i % 3 else "{cut short" for i in range(60)]
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    summary = run(path, out, batch_size=5)
    assert summary.documents["new"] == 40 and summary.documents["failed"] == 20
    assert len(rows(out, "articles")) == 40 and len(rows(out, "errors")) == 20
    # The file loses its last 30 records and one record changes: the lost ones leave, the rest stay.
    lines = lines[:30]
    lines[1] = json.dumps({"text": "Record 1, corrected."})
    path.write_text("\n".join(lines) + "\n")
    summary = run(path, out, batch_size=5)
    assert summary.documents["changed"] == 1 and summary.documents["unchanged"] == 29
    texts = sorted(a["text"] for a in rows(out, "articles"))
    assert len(texts) == 20 and "Record 1, corrected." in texts and "Record 31." not in texts
    assert len(rows(out, "errors")) == 10
    assert not [p for p in (out / ".etl" / "parts").iterdir() if p.is_file()]
