"""Parse PDF files with a text layer (pypdf): one document per file, paragraphs rebuilt from lines.

Optional: install with `pip install 'newsetl[pdf]'`. Without pypdf, a PDF becomes an `errors` row that
says so, rather than a silent skip. A scanned PDF (no text layer) is an error too: this parser does
no OCR.

Size: the file is at most `max_document_bytes`, and so is what it unpacks to: pypdf is told to stop
any one stream's decompression at that many bytes (where pypdf has `apply_configuration`; older
versions keep their own 75 MB caps), and text extraction stops once the text passes it. Either is an
`errors` row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io

from etl import DocumentError, hookimpl, split_paragraphs
from etl.metadata import set_published, settle

NAME = "pdf"
PDF_TYPE = "application/pdf"
# pypdf's caps on what one stream may decompress to (pypdf.Configuration), lowered to the document limit.
DECOMPRESSION_LIMITS = (
    "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
    "brotli_maximum_output_length", "jbig2_maximum_output_length", "array_based_stream_maximum_output_length",
    "image_maximum_buffer_size",
)


class TextBudget:
    """pypdf's text visitor: counts the characters extracted and stops extraction past the limit."""

    def __init__(self, source) -> None:
        self.source = source
        self.left = source.max_document_bytes

    def __call__(self, text, *_) -> None:
        self.left -= len(text)
        if self.left < 0:
            raise self.source.too_large(f"more than {self.source.max_document_bytes:,} characters of text",
                                        "the PDF's text")


@hookimpl
def etl_parse(source, config):
    if source.media_type != PDF_TYPE:
        return None
    try:
        from pypdf import PdfReader
        from pypdf.errors import LimitReachedError, PdfReadError
    except ImportError as exc:
        raise DocumentError("PDF support needs pypdf: pip install 'newsetl[pdf]'") from exc
    budget = TextBudget(source)
    try:
        with decompression_limits(source.max_document_bytes):
            reader = PdfReader(io.BytesIO(source.read_bytes()))
            if reader.is_encrypted:
                raise DocumentError("the PDF is encrypted; decrypt it first (for example with qpdf --decrypt)")
            pages = [page.extract_text(visitor_text=budget) or "" for page in reader.pages]
            info = reader.metadata
    except LimitReachedError as exc:
        raise source.too_large(f"more than {source.max_document_bytes:,} bytes once decompressed ({exc})",
                               "a stream of the PDF") from None
    except PdfReadError as exc:
        raise DocumentError(f"not a readable PDF: {exc}") from exc
    if not any(page.strip() for page in pages):
        raise DocumentError("the PDF has no text layer (a scan?); this parser does no OCR")
    doc = source.document(media_type=PDF_TYPE)
    if info is not None:
        doc.title = (info.title or "").strip() or None
        doc.authors = [a.strip() for a in (info.author or "").split(";") if a.strip()]
        created = info.creation_date if info.creation_date else None
        set_published(doc, created, "time")
    for page in pages:
        for block in split_paragraphs(page):
            doc.add_segment(block, "body", NAME)
    settle(doc)
    return [doc]


def decompression_limits(limit: int):
    """pypdf's per-stream decompression caps lowered to `limit` while a PDF is read, where pypdf has them."""
    import pypdf

    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:
        return contextlib.nullcontext()
    current = pypdf.get_configuration()
    known = {f.name for f in dataclasses.fields(current)}
    return apply(**{name: min(limit, getattr(current, name)) for name in DECOMPRESSION_LIMITS if name in known})
