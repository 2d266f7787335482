"""Temporal expressions: find them with rules and normalise them to TIMEX3, in the spirit of HeidelTime.

Pure functions, no hooks: the `dates` plugin and `bench/tempeval.py` both call `tag(text, ...)`.
Each rule is a regular expression and a handler; a handler returns a *resolver*, a function of the
context (the anchor date, the last day mentioned, the tense around the expression) that gives the
TIMEX3 value, kind, mod, granularity and the interval denoted. Overlapping matches are settled
longest first, so "late 2022" beats "2022" and "more than three years" beats "three years".

A relative expression with no anchor raises `Unanchored` and keeps only what the text says
("XXXX-12-11", "XXXX-XX"): the year, or the day, is unknown.

This module is the tagger; the rules are in `timex_rules`, their vocabulary and calendar arithmetic
in `timex_calendar`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from .literals import could_match, fold
from .timex_calendar import Context, Timex, Unanchored
from .timex_languages import ENGLISH, RuleSet, tense_by_words

# --- the tagger ------------------------------------------------------------------------------------

AMBIGUOUS_YEAR = re.compile(r"\d{4}")
NOT_DATES = {"CARDINAL", "MONEY", "QUANTITY", "PERCENT", "ORDINAL"}


@dataclass
class Parse:
    """What the tagger reads from a spaCy Doc: sentences, tense around a span, entity labels."""

    sentence_of: Callable[[int], int | None] = lambda pos: None
    tense_of: Callable[[int, int], str] = lambda start, end: "past"
    label_of: Callable[[int, int], str | None] = lambda start, end: None
    sentence_text: Callable[[int], str] | None = None


def candidates(text: str, parse: Parse, rules: RuleSet = ENGLISH) -> list[tuple[int, int, Callable]]:
    """Every rule's matches, overlaps settled longest first (then by rule order)."""
    found = []
    folded = fold(text)
    for order, (name, pattern, handler) in enumerate(rules.rules):
        if not could_match(rules.required[name], folded):
            continue  # most texts never mention a quarter or a century: skip those rules unread
        for m in pattern.finditer(text):
            start, end = m.span("x") if "x" in pattern.groupindex and m.group("x") else m.span()
            if end > start and not (start and text[start - 1].isalnum()) and not (
                    end < len(text) and text[end].isalnum() and text[end - 1].isalnum()):
                found.append((start, end, order, name, m, handler))
    found.sort(key=lambda c: (c[0] - c[1], c[2], c[0]))
    taken: list[tuple[int, int, Callable]] = []
    for start, end, _, name, m, handler in found:
        if any(start < e and s < end for s, e, _ in taken):
            continue
        if name == "year" and AMBIGUOUS_YEAR.fullmatch(m.group()) and parse.label_of(start, end) in NOT_DATES:
            continue
        resolver = handler(m, text)
        if resolver is not None:
            taken.append((start, end, resolver))
    return sorted(taken, key=lambda c: c[0])


def tag(text: str, anchor: date | None = None, parse: Parse | None = None,
        found: list[tuple[int, int, Callable]] | None = None, rules: RuleSet = ENGLISH) -> list[Timex]:
    """The temporal expressions of `text`, resolved against `anchor` (None: relative ones unresolved).

    `found` is `candidates(text, parse)` when the caller already has it: matching the rules is the
    costly part and does not depend on the anchor.
    """
    parse = parse or parse_without_nlp(text, rules)
    ctx = Context(anchor)
    last_sentence = None
    out = []
    for start, end, resolver in (candidates(text, parse, rules) if found is None else found):
        sentence = parse.sentence_of(start)
        ctx.tense = parse.tense_of(start, end)
        ctx.sentence = parse.sentence_text(start) if parse.sentence_text else line_around(text, start)
        ctx.last_in_sentence = ctx.last is not None and sentence is not None and sentence == last_sentence
        ctx.used_last = False
        base = ctx.last
        try:
            r = resolver(ctx)
            resolved = True
        except Unanchored as missing:
            r = {"value": missing.value, "kind": missing.kind, "mod": None, "granularity": missing.granularity,
                 "range_start": None, "range_end": None, "relative": True}
            resolved = False
        if not r:
            continue
        if r["granularity"] == "day" and r["range_start"] and r["kind"] in ("date", "time"):
            ctx.last, last_sentence = r["range_start"], sentence
        out.append(Timex(start=start, end=end, text=text[start:end], resolved=resolved,
                         base=base if ctx.used_last else None, **r))
    return out


def explicit_dates(text: str, found: list[tuple[int, int, Callable]] | None = None,
                   rules: RuleSet = ENGLISH) -> list[date]:
    """Full dates written out (day, month and year): the evidence for a text's own date."""
    if found is None and not AMBIGUOUS_YEAR.search(text):
        return []  # no four digits, no year, no full date
    return [t.range_start for t in tag(text, found=found, rules=rules) if t.granularity == "day" and not t.relative
            and t.range_start is not None and t.mod is None]


FUTURE_MARKERS = {"will", "'ll", "shall", "wo", "gonna"}


def parse_without_nlp(text: str, rules: RuleSet = ENGLISH) -> Parse:
    """No spaCy parse (a caption, a headline): no sentences; in a language with a table of future
    words, the tense is read from the words of the line."""
    if rules.future is None:
        return Parse()
    return Parse(tense_of=lambda start, end: tense_by_words(rules, sentence_around(text, start)))


def spacy_parse(doc, rules: RuleSet = ENGLISH) -> Parse:
    """Sentences, tense and entity labels from a spaCy Doc (tagger and NER; the parser may be off).

    The tags and entity labels are English ones: for another language only the sentences are read,
    and the tense comes from the language's future words.
    """
    if doc is None:
        return Parse()
    from bisect import bisect_right

    sents = list(doc.sents)
    starts = [s.start_char for s in sents]
    ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def sentence_of(pos):
        return max(bisect_right(starts, pos) - 1, 0) if starts else None

    if rules.language != "en":
        def sentence_text(pos):
            return sents[sentence_of(pos)].text if sents else ""
        return Parse(sentence_of, lambda start, end: tense_by_words(rules, sentence_text(start)),
                     sentence_text=sentence_text)

    def tense_of(start, end):
        if not sents:
            return "past"
        sent = sents[sentence_of(start)]
        verbs = [t for t in sent if t.tag_.startswith("VB") or t.tag_ == "MD"]
        if not verbs:
            return "past"
        nearest = min(verbs, key=lambda t: min(abs(t.idx - start), abs(t.idx - end)))
        window = doc[max(nearest.i - 3, sent.start):nearest.i + 1]
        if any(t.lower_ in FUTURE_MARKERS for t in window) or \
                (nearest.tag_ == "VB" and any(t.lower_ == "to" for t in window)) or \
                any(t.lower_ in ("going",) and t.nbor(1).lower_ == "to" for t in window if t.i + 1 < len(doc)):
            return "future"
        return "past"

    def label_of(start, end):
        for s, e, label in ents:
            if s < end and start < e:
                return label
        return None

    def sentence_text(pos):
        return sents[sentence_of(pos)].text if sents else ""

    return Parse(sentence_of, tense_of, label_of, sentence_text)


SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")


def sentence_around(text: str, pos: int) -> str:
    """The sentence holding `pos`, cut at full stops, question and exclamation marks, semicolons and
    line ends: enough to read the tense from a caption or a text without a parse."""
    starts = [m.end() for m in SENTENCE_END.finditer(text, 0, pos)]
    end = SENTENCE_END.search(text, pos)
    return text[starts[-1] if starts else 0:end.start() if end else len(text)]


def line_around(text: str, pos: int) -> str:
    return text[text.rfind("\n", 0, pos) + 1:(text.find("\n", pos) + 1 or len(text) + 1) - 1]
