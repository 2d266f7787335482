"""A watch list: every mention of the people, places or phrases you follow, with its sentence.

    [plugins.watchlist]
    terms = [
        "Siversk",
        { term = "Valery Gerasimov", aliases = ["Gerasimov", "Chief of the General Staff"] },
    ]

Each mention is a row of `watch_hits`: the term it counts for, the text as written, its offsets
into `articles.text`, and the sentence it sits in (from the spacy plugin's parse when it ran before
this plugin, else the paragraph). `watchlist_timeline` lists the mentions in publication order;
`watchlist_summary` counts them per term.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

import pyarrow as pa

from etl import EtlError, Setting, hookimpl

NAME = "watchlist"
TABLE = "watch_hits"

# Typographic apostrophes and dashes vary between outlets and between copies of one story.
_VARIANTS = {"'": "['’]", "’": "['’]", "-": "[-‐–]"}


@hookimpl
def etl_settings():
    return {
        "terms": Setting([], list, 'terms to watch: "name" or { term = "name", aliases = ["other", ...] }'),
        "case_sensitive": Setting(False, bool, "match letter case exactly"),
    }


@hookimpl
def etl_tables():
    return {TABLE: pa.schema([
        ("term", pa.string()),
        ("matched", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("sentence", pa.int32()),
        ("sentence_text", pa.string()),
        ("plugin", pa.string()),
    ])}


@hookimpl
def etl_views():
    return {
        "watchlist_timeline": f"""
            -- When, where and in which words was each watched term mentioned, in publication order?
            SELECT h.term, a.published_at, a.title, a.publisher, h.matched, h.sentence_text, h.doc_id, h.start
            FROM {TABLE} h JOIN articles a USING (doc_id)
            ORDER BY h.term, a.published_at NULLS LAST, a.title, h.start
        """,
        "watchlist_summary": f"""
            -- How often, in how many articles and between which dates was each watched term mentioned?
            SELECT h.term, count(*) AS mentions, count(DISTINCT h.doc_id) AS articles,
                   min(a.published_at) AS first_published, max(a.published_at) AS last_published
            FROM {TABLE} h JOIN articles a USING (doc_id)
            GROUP BY h.term
            ORDER BY mentions DESC, h.term
        """,
    }


@hookimpl
def etl_fingerprint(config):
    # Checked once in the main process: a malformed watch list stops the run before it starts.
    watch_patterns(config)
    return None


@hookimpl
def etl_extract(documents, config):
    patterns = watch_patterns(config)
    if not patterns:
        return
    for doc in documents:
        sentences = sentence_spans(doc)
        starts = [start for start, _ in sentences]
        for term, pattern in patterns:
            for match in pattern.finditer(doc.text):
                index = bisect.bisect_right(starts, match.start()) - 1
                start, end = sentences[index] if index >= 0 else (match.start(), match.end())
                doc.add(TABLE, term=term, matched=match.group(), start=match.start(), end=match.end(),
                        sentence=index if doc.nlp is not None else None,
                        sentence_text=doc.text[start:end], plugin=NAME)


def sentence_spans(doc) -> list[tuple[int, int]]:
    """Sentence offsets from the shared spaCy parse, else paragraph offsets (blank-line separated)."""
    if doc.nlp is not None:
        # The same offsets as the `sentences` table: without the white space around the sentence.
        return [(s.start_char + len(s.text) - len(s.text.lstrip()), s.start_char + len(s.text.rstrip()))
                for s in doc.nlp.sents]
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", doc.text)]


def watch_patterns(config) -> list[tuple[str, re.Pattern[str]]]:
    settings = config.settings(NAME)
    return _compile(_freeze(settings["terms"]), settings["case_sensitive"])


def _freeze(terms):
    frozen = []
    for item in terms:
        if isinstance(item, str):
            frozen.append((item, (item,)))
        elif isinstance(item, dict) and isinstance(item.get("term"), str) and set(item) <= {"term", "aliases"}:
            aliases = item.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise EtlError(f"[plugins.{NAME}] terms: aliases of {item['term']!r} must be a list of strings")
            frozen.append((item["term"], (item["term"], *aliases)))
        else:
            raise EtlError(f'[plugins.{NAME}] terms: {item!r} is neither "name" nor '
                           f'{{ term = "name", aliases = ["other", ...] }}')
    return tuple(frozen)


@lru_cache(maxsize=8)
def _compile(terms, case_sensitive):
    flags = 0 if case_sensitive else re.IGNORECASE
    patterns = []
    for term, names in terms:
        names = [n.strip() for n in names if n.strip()]
        if not names:
            raise EtlError(f"[plugins.{NAME}] terms: {term!r} is empty")
        # Longest first: "Oleksandr Syrskyi" is one mention, not a mention of "Syrskyi" inside it.
        alternatives = "|".join(_name_pattern(n) for n in sorted(set(names), key=len, reverse=True))
        patterns.append((term, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags)))
    return patterns


def _name_pattern(name: str) -> str:
    parts = []
    for char in name:
        if char.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        else:
            parts.append(_VARIANTS.get(char, re.escape(char)))
    return "".join(parts)
