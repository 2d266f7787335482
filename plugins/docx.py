"""Parse Word documents (.docx, python-docx): title and headings labelled, paragraphs as body.

Optional: install with `pip install 'newsetl[docx]'`. Without python-docx, a .docx file becomes an
`errors` row that says so. A file that unpacks to more than `max_document_bytes` (all its members
together) is an `errors` row too, found before python-docx reads it.
"""

from __future__ import annotations

import io
import zipfile

from etl import DocumentError, hookimpl
from etl.metadata import set_published, settle

NAME = "docx"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@hookimpl
def etl_parse(source, config):
    if source.media_type != DOCX_TYPE:
        return None
    try:
        import docx
    except ImportError as exc:
        raise DocumentError("Word support needs python-docx: pip install 'newsetl[docx]'") from exc
    data = source.read_bytes()
    # python-docx unpacks every part into memory: the archive is first unpacked under the limit (a
    # 2 MB file can hold 700 MB of XML), so that python-docx reads only what has been measured.
    source.open_zip(data, ".docx").close()
    try:
        word = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"not a readable .docx file: {exc}") from exc
    doc = source.document(media_type=DOCX_TYPE)
    props = word.core_properties
    doc.title = (props.title or "").strip() or None
    doc.title_source = "metadata" if doc.title else None
    doc.authors = [a.strip() for a in (props.author or "").split(";") if a.strip()]
    if props.created is not None:
        set_published(doc, props.created, "time")
    for paragraph in word.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style == "Title" or (style.startswith("Heading") and doc.title is None):
            if doc.title is None:
                doc.title, doc.title_source = text, "headline"
            doc.add_segment(text, "headline", NAME)
        else:
            doc.add_segment(text, "body", NAME)
    if not doc.segments:
        raise DocumentError("the Word document has no text")
    settle(doc)
    return [doc]
