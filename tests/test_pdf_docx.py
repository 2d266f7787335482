"""PDF and Word documents, built inside the tests."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conftest import rows, run_pipeline
from etl.manager import get_plugin_manager


def minimal_pdf(lines: list[str], title: str, author: str) -> bytes:
    """A one-page PDF with a text layer, written by hand (objects, xref table and trailer)."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({escape(title)}) /Author ({escape(author)}) /CreationDate (D:20251211093000Z) >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_and_metadata(tmp_path):
    pytest.importorskip("pypdf")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "brief.pdf").write_bytes(minimal_pdf(
        ["Kyiv said on Thursday that Siversk remains under its control.",
         "Moscow said its troops had taken the town."], title="Siversk briefing", author="Ana Ruiz; Ivo Sand"))
    (corpus / "scan.pdf").write_bytes(minimal_pdf([], title="Scan", author="Nobody"))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    out = tmp_path / "out"
    run_pipeline(corpus, out, disable=("spacy", "entities", "claims", "events"))
    (article,) = rows(out, "articles")
    assert article["media_type"] == "application/pdf" and article["title"] == "Siversk briefing"
    assert article["authors"] == ["Ana Ruiz", "Ivo Sand"]
    assert article["published_at"] == datetime(2025, 12, 11, 9, 30, tzinfo=timezone.utc)
    assert "Siversk remains under its control." in article["text"] and "taken the town" in article["text"]
    errors = {e["source_uri"].rsplit("/", 1)[1]: e for e in rows(out, "errors")}
    assert "no text layer" in errors["scan.pdf"]["message"]
    assert errors["broken.pdf"]["plugin"] == "pdf"


def test_docx_headings_paragraphs_and_properties(tmp_path):
    docx = pytest.importorskip("docx")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    word = docx.Document()
    word.core_properties.author = "Oksana Melnyk"
    word.add_heading("Port strike halts grain exports", level=1)
    word.add_paragraph("Grain exports from Odesa stopped on Monday, the port authority said.")
    word.add_paragraph("")
    word.add_paragraph("Talks resume on Wednesday.")
    word.save(corpus / "story.docx")
    (corpus / "fake.docx").write_bytes(b"not a zip at all")
    out = tmp_path / "out"
    run_pipeline(corpus, out, disable=("spacy", "entities", "claims", "events"))
    (article,) = rows(out, "articles")
    assert article["title"] == "Port strike halts grain exports" and article["authors"] == ["Oksana Melnyk"]
    assert article["text"] == ("Grain exports from Odesa stopped on Monday, the port authority said.\n\n"
                               "Talks resume on Wednesday.")
    (error,) = rows(out, "errors")
    assert error["plugin"] == "docx" and "not a readable .docx" in error["message"]


def test_a_missing_optional_library_is_an_error_row_naming_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pypdf(name, *args, **kwargs):
        if name == "pypdf" or name.startswith("pypdf."):
            raise ImportError("No module named 'pypdf'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pypdf)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.pdf").write_bytes(minimal_pdf(["Text."], title="T", author="A"))
    out = tmp_path / "out"
    run_pipeline(corpus, out, pm=get_plugin_manager(load_entrypoints=False),
                 disable=("spacy", "entities", "claims", "events"))
    (error,) = rows(out, "errors")
    assert "pip install 'newsetl[pdf]'" in error["message"] and error["source_uri"].endswith("a.pdf")
