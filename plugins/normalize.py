"""Clean every segment's text: mojibake repair (ftfy), Unicode NFC, and white space.

Quote characters are kept as published (straight, curly or «angle»): later stages read them all, and
which one an outlet used is part of the record. Full-width forms and CJK punctuation ("，", "：", "（",
"６") are kept too: ftfy's width fixing would turn them into ASCII, which changes the text of Chinese and
Japanese pages (their commas become English commas) for no gain.
"""

from __future__ import annotations

import re
from functools import cache

from etl import hookimpl

NAME = "normalize"
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


@hookimpl
def etl_clean(documents, config):
    for doc in documents:
        if doc.title:
            doc.title = normalize_text(doc.title)
        for segment in doc.segments:
            segment.text = normalize_text(segment.text)


@cache
def _fixer():
    # ftfy is imported on first use: every `etl` command loads this plugin, few clean text.
    import ftfy

    return ftfy.fix_text, ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False,
                                               normalization="NFC", explain=False)


def normalize_text(text: str) -> str:
    fix_text, config = _fixer()
    text = fix_text(text, config)
    text = _INVISIBLE.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
