"""Parse plain text files: one document per file.

A short first line followed by a blank line is the title ("Russia Declares Full Control Over Siversk");
a first line that is a sentence is body text. The rest is split into paragraphs.
"""

from __future__ import annotations

from etl import hookimpl, split_paragraphs

NAME = "text"
ACCEPTED = {"text/plain", None}
MAX_TITLE_WORDS = 20


@hookimpl
def etl_parse(source, config):
    if source.media_type not in ACCEPTED:
        return None
    text = source.read_text()
    doc = source.document(media_type="text/plain")
    title, body = split_title(text)
    if title:
        doc.title = title
        doc.add_segment(title, "headline", NAME)
    for block in split_paragraphs(body):
        doc.add_segment(block, "body", NAME)
    return [doc]


def split_title(text: str) -> tuple[str | None, str]:
    """Return (title, rest) when the text opens with a title line, else (None, text)."""
    lines = text.strip().splitlines()
    if len(lines) < 3 or lines[1].strip():
        return None, text
    first = lines[0].strip()
    return (first, "\n".join(lines[2:])) if looks_like_title(first) else (None, text)


def looks_like_title(line: str) -> bool:
    words = line.split()
    return (0 < len(words) <= MAX_TITLE_WORDS and len(line) <= 200
            and line[-1] not in ".,;:!" and not line[0].islower())
