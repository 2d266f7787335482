"""Parse PDF files with a text layer (pypdf): one document per file, paragraphs rebuilt from lines.

Optional: install with `pip install 'newsetl[pdf]'`. Without pypdf, a PDF becomes an `errors` row that
says so, rather than a silent skip. A scanned PDF (no text layer) is an error too: this parser does
no OCR.
"""

from __future__ import annotations

import io
from datetime import timezone

from etl import DocumentError, hookimpl, split_paragraphs

NAME = "pdf"
PDF_TYPE = "application/pdf"


@hookimpl
def etl_parse(source, config):
    if source.media_type != PDF_TYPE:
        return None
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:
        raise DocumentError("PDF support needs pypdf: pip install 'newsetl[pdf]'") from exc
    try:
        reader = PdfReader(io.BytesIO(source.read_bytes()))
        if reader.is_encrypted:
            raise DocumentError("the PDF is encrypted; decrypt it first (for example with qpdf --decrypt)")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except PdfReadError as exc:
        raise DocumentError(f"not a readable PDF: {exc}") from exc
    if not any(page.strip() for page in pages):
        raise DocumentError("the PDF has no text layer (a scan?); this parser does no OCR")
    doc = source.document(media_type=PDF_TYPE)
    if info is not None:
        doc.title = (info.title or "").strip() or None
        doc.authors = [a.strip() for a in (info.author or "").split(";") if a.strip()]
        created = info.creation_date if info.creation_date else None
        if created is not None:
            doc.published_at = created.astimezone(timezone.utc) if created.tzinfo else created.replace(tzinfo=timezone.utc)
            doc.published_at_source = "metadata"
    for page in pages:
        for block in split_paragraphs(page):
            doc.add_segment(block, "body", NAME)
    return [doc]
