"""Enrich at scale: a synthetic extraction layer of 10k, 100k, 1M documents, a full enrich, then +1%.

    python bench/enrich_scale.py                          # 10,000 and 100,000 documents
    python bench/enrich_scale.py --docs 1000000 --max-rss-gb 12
    python bench/enrich_scale.py --fit OUT                # the statistics below, from a published run

What it does, for each size N:

1. **Writes a synthetic extraction layer** into a fresh output folder, through the host's own store: part
   folders of Parquet files with the `pipeline.tables` schemas (`articles`, `segments`, `sentences`,
   `entities`, `claims`, `events`, `dates`, `figures`, `copy_signatures`), committed to the manifest as
   one synthetic source per part (`Manifest.commit`), exactly as workers leave them. No text is copied
   from anywhere: words come from a generated vocabulary. The copy signatures are computed by the
   `copies` plugin's own extract step over the synthetic text.
2. **Times a full enrich** by running the real host, `etl run EMPTY --out OUT --json` with
   `ETL_TRACE_PLUGINS=1`, in a subprocess: no input is new, the layer is, so the run loads the layer into
   DuckDB, enriches and publishes, like any run. Reported: the run's enrich seconds (load of the layer
   + every enrich plugin), each plugin's seconds (from the trace), publish seconds, the subprocess's
   peak RSS (`wait4`), and the largest size of DuckDB's spill folder (`.etl/work/spill`, sampled).
3. **Adds 1% new documents** (same generator, continuing: names reused, some copies of earlier
   documents) as new parts and runs `etl run` again: whatever the host does for a run that brings 1% new
   documents is what is timed (today it rebuilds and re-enriches the whole corpus).

A subprocess whose resident memory passes `--max-rss-gb` is killed (the machine is shared), and the
report says so and which plugin was running.

The synthetic corpus follows what the pipeline extracted from 300 BBC articles (60 from each folder of
`../shared/evaldata/bbc_fulltext`: `etl run` over them, then `--fit` on the published folder). The
constants below are those measurements; where a figure is not a BBC measurement it says so. `--fit` prints
the counts and mixes; the Heaps and Zipf exponents and the story sizes were fitted once, by hand, over
prefixes (25 to 300 articles) of the same run.

Findings (README, Measurements): `copies` compares candidate pairs whose number grows with the square of the
corpus (an LSH band's bucket grows with it). `event_links`' candidate pairs grow with the corpus (a term
proposes pairs only up to 200 documents), about 650 a document at 10k; it used to measure each against every
document (the square) and to cluster the one unit of thousands the synthetic documents chain into; it now
measures the pairs only and clusters the components of close pairs (at most 43 documents at 10k). The layer
of 1M documents alone takes 45-80 minutes to generate here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from etl.config import Config
from etl.manager import get_plugin_manager
from etl.model import doc_id_for, mention_id_for
from etl.pipeline import Pipeline
from etl.store import Store
from etl.tasks import OK, DocOutcome, SourceOutcome, part_files
from etl.textstats import count_words
from etl_plugins.copies import BANDS, ROWS, content_stems

# --- what 300 BBC articles gave (`--fit`), per document unless said otherwise ------------------------------
WORDS_LOG_MEAN, WORDS_LOG_SD = 5.745, 0.424  # ln(word_count): mean 343 words, median 295, 10-90%: 189-545
MIN_WORDS, MAX_WORDS = 60, 3000
WORDS_PER_SENTENCE = 20.3  # 5,029 sentences of 120 characters on average, 5.9 characters a word
# Word frequencies: Zipf exponent 0.905 over ranks 10-2,000; vocabulary V = 13.9 * tokens^0.579 (Heaps, fitted
# over prefixes of 25-300 articles, all words lower-cased).
ZIPF_WORDS, HEAPS_K, HEAPS_BETA = 0.905, 13.9, 0.579
# Distinct entity names per 100 words (16.0 a document) and mentions per name in a document (1.47).
NAMES_PER_100_WORDS, MENTIONS_PER_NAME = 4.66, 1.47
# New names: distinct names = 2.34 * draws^0.842 over the corpus (draws: a name's first mention in a
# document); a name seen before is drawn in proportion to the documents that named it (Zipf-like reuse):
# 2,327 of 2,929 names in one article, "us" in 75 of 300.
NAMES_HEAPS_K, NAMES_HEAPS_BETA = 2.34, 0.842
NAME_LABELS = {"PERSON": 2475, "ORG": 2076, "GPE": 1454, "NORP": 535, "LOC": 153, "EVENT": 109, "FAC": 103,
               "WORK_OF_ART": 85, "PRODUCT": 52, "LAW": 16, "LANGUAGE": 8}  # mentions
NAME_WORDS = {"PERSON": 2, "ORG": 1.74, "GPE": 1.13, "NORP": 1.05, "LOC": 1.41, "EVENT": 1.72, "FAC": 2.08,
              "WORK_OF_ART": 2.79, "PRODUCT": 1.33, "LAW": 2.75, "LANGUAGE": 1.0}
SHORT_PERSON_MENTIONS = 0.49  # person mentions of one word ("Blair" after "Tony Blair")
# Not a BBC measurement: a few names are written two ways (transliteration, a typo), which is what
# `entity_links` merges by spelling.
VARIANT_NAMES, VARIANT_USE = 0.02, 0.3
CLAIMS_PER_100_WORDS = 1.70  # 5.84 a document
CLAIM_DENY, CLAIM_SPEAKER = 0.078, 0.71  # stance deny; a speaker mention is known
CLAIM_CUES = {"say": 1049, "tell": 105, "add": 78, "claim": 43, "according to": 41, "call": 33, "warn": 30,
              "ask": 28, "announce": 27, "argue": 24, "reveal": 21, "report": 18}
EVENTS_PER_100_WORDS = 14.7  # 50.5 a document
EVENT_KINDS = {"verbal": 12540, "nominal": 2599, "adjectival": 19}
EVENT_AGENT, EVENT_PATIENT, EVENT_PLACE, EVENT_DATE = 0.43, 0.09, 0.075, 0.09  # shares with that argument
EVENT_CLASSES = {None: 10843, "report": 1649, "rise": 321, "win": 220, "help": 201, "agree": 168, "launch": 151,
                 "sell": 138, "charge": 101, "meet": 98, "appoint": 90, "elect": 87, "sanction": 78, "drop": 76,
                 "acquire": 70, "attack": 67, "announce": 65, "capture": 55, "close": 48, "try": 43, "open": 43,
                 "fight": 43, "injure": 41, "die": 40, "convict": 40, "kill": 33, "advance": 33, "lose": 31,
                 "reject": 30, "arrest": 29, "protest": 25, "visit": 24, "approve": 23, "rescue": 21, "hold": 16}
EVENT_MODALITY = {"asserted": 13031, "conditional": 677, "hedged": 613, "future": 587, "goal": 250}
EVENT_NEGATIVE = 0.024
LEMMAS_HEAPS_K, LEMMAS_HEAPS_BETA = 15.1, 0.486  # distinct event lemmas = K * events^beta
DATES_PER_100_WORDS = 1.84  # 6.3 a document
DATE_KINDS = {("date", "year", "absolute"): 375, ("duration", None, "absolute"): 337,
              ("date", None, "unresolved"): 294, ("date", "day", "unresolved"): 272,
              ("date", "month", "unresolved"): 172, ("date", "year", "unresolved"): 154,
              ("date", "week", "unresolved"): 55, ("set", None, "absolute"): 38, ("date", "month", "absolute"): 35,
              ("date", "day", "text_date"): 17, ("date", "day", "absolute"): 14}
FIGURES_PER_100_WORDS = 1.41  # 4.8 a document
FIGURE_UNITS = {("%", "percent"): 213, (None, None): 190, ("GBP", "money"): 187, ("m", "meters"): 170,
                ("USD", "money"): 112, (None, "people"): 29, ("EUR", "money"): 17, ("km", "kilometers"): 10}
# Stories (documents sharing an event across the corpus, joined): sizes 1: 162, 2: 31, 3: 7, 4: 5, 5: 1,
# 7: 3, 9: 1 of 210 stories. A story's documents share its rarer words and half their names (the shares
# are not a measurement: they make documents of one story share rare terms as reports of one happening do).
STORY_SIZES = {1: 162, 2: 31, 3: 7, 4: 5, 5: 1, 7: 3, 9: 1}
STORY_WORDS, STORY_WORD_SHARE, STORY_NAME_SHARE = 15, 0.08, 0.5
# Copies: 3 of the 300 BBC articles are exact copies of another (the dataset's known duplicates). Near
# copies are not a BBC measurement: wire copy republished with a sentence dropped and a few words changed,
# taken as 4% of a news crawl. Their MinHash signatures come out near-equal because their texts are.
EXACT_COPIES, NEAR_COPIES = 0.01, 0.04
NEAR_COPY_EDITS = 0.02  # share of the words a near copy changes
# Not BBC (its files carry no date): most crawled articles have a publication date.
DATED = 0.9
PART_DOCS = 10_000  # documents a part (the host merges parts below a quarter of its COMPACT_TARGET_DOCS)

FUNCTION_WORDS = ("the to of and a in that for is on said was he it with as at by has have from be his but are "
                  "an not this they had were will its who been which their after we would about more up i "
                  "one there also than she her or year out when what new two over people could all into last "
                  "government told can if some first so time no now just our them like other years being "
                  "before make most because while may only against where back three do any such those".split())
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["an", "er", "in", "on", "st", "th", "ch"]
PAGE = os.sysconf("SC_PAGE_SIZE")
TRACE = re.compile(r"etl_enrich (\S+) ([\d.]+) ms")


def pseudo_word(number: int, capital: bool = False) -> str:
    """A pronounceable made-up word, one per number (syllable digits, the fastest-changing first)."""
    parts = []
    number += len(SYLLABLES)  # at least two syllables
    while number:
        number, digit = divmod(number, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    word = "".join(parts)
    return word.capitalize() if capital else word


def weighted(mix: dict) -> tuple[list, np.ndarray]:
    keys = list(mix)
    weights = np.array([mix[k] for k in keys], dtype=float)
    return keys, weights / weights.sum()


class Corpus:
    """Draws synthetic documents one part at a time; its state (names, lemmas, recent documents) carries
    over from one part to the next, so later parts reuse earlier names and copy earlier documents."""

    def __init__(self, total_docs: int, seed: int = 1) -> None:
        self.rng = np.random.default_rng(seed)
        tokens = total_docs * math.exp(WORDS_LOG_MEAN + WORDS_LOG_SD ** 2 / 2)
        vocabulary = int(HEAPS_K * tokens ** HEAPS_BETA)
        ranks = np.arange(1, vocabulary + 1, dtype=float)
        self.word_cdf = np.cumsum(ranks ** -ZIPF_WORDS)
        self.word_cdf /= self.word_cdf[-1]
        self.words = np.array(list(FUNCTION_WORDS) + [pseudo_word(i) for i in range(vocabulary - len(FUNCTION_WORDS))],
                              dtype=object)
        events = total_docs * 343 * EVENTS_PER_100_WORDS / 100
        lemmas = int(LEMMAS_HEAPS_K * events ** LEMMAS_HEAPS_BETA)
        self.lemma_cdf = np.cumsum(np.arange(1, lemmas + 1, dtype=float) ** -1.0)
        self.lemma_cdf /= self.lemma_cdf[-1]
        classes, shares = weighted(EVENT_CLASSES)
        self.lemma_class = [classes[i] for i in self.rng.choice(len(classes), size=lemmas, p=shares)]
        self.lemma_class[0] = "report"  # "say" is every corpus's first verb
        self.lemma_words = np.array([pseudo_word(i + 300) for i in range(lemmas)], dtype=object)
        self.lemma_forms = self.lemma_words + "ed"
        self.name_docs: list[int] = []  # per name: documents that named it so far
        self.name_draws: list[int] = []  # one entry per (document, name): the urn that makes reuse Zipf-like
        self.name_label: list[str] = []
        self.name_form: list[str] = []
        self.labels = weighted(NAME_LABELS)
        self.stories_left = 0
        self.story: dict = {}
        self.recent: list[dict] = []  # documents a copy may be made of (copies follow their source closely)
        self.count = 0

    # --- names ---------------------------------------------------------------------------------------------

    def new_name(self) -> int:
        number = len(self.name_label)
        labels, shares = self.labels
        label = labels[min(len(labels) - 1, int(np.searchsorted(np.cumsum(shares), self.rng.random())))]
        words = max(1, round(self.rng.normal(NAME_WORDS[label], 0.4)))
        if label == "PERSON":
            words = max(2, words)
        seed = int.from_bytes(hashlib.blake2b(number.to_bytes(8, "little"), digest_size=8).digest(), "little")
        form = " ".join(pseudo_word((seed >> (12 * i)) % 40_000 + 500, capital=True) for i in range(words))
        self.name_label.append(label)
        self.name_form.append(form)
        self.name_docs.append(0)
        return number

    def draw_name(self) -> int:
        draws = len(self.name_draws) + 1
        if self.rng.random() < min(1.0, NAMES_HEAPS_K * NAMES_HEAPS_BETA * draws ** (NAMES_HEAPS_BETA - 1)):
            return self.new_name()
        return self.name_draws[int(self.rng.integers(len(self.name_draws)))]

    def surface(self, name: int) -> str:
        form = self.name_form[name]
        if self.name_label[name] == "PERSON" and self.rng.random() < SHORT_PERSON_MENTIONS:
            form = form.rsplit(" ", 1)[1]
        if name % int(1 / VARIANT_NAMES) == 7 and self.rng.random() < VARIANT_USE:
            form = re.sub(r"([a-z])([a-z]{3,})$", r"\1\1\2", form, count=1)  # "Donbas" / "Donnbas"
        return form

    # --- documents -----------------------------------------------------------------------------------------

    def next_story(self) -> None:
        sizes, shares = weighted(STORY_SIZES)
        self.stories_left = sizes[self.rng.choice(len(sizes), p=shares)]
        rare = self.rng.integers(len(FUNCTION_WORDS) + 2000, len(self.words), size=STORY_WORDS)
        self.story = {"words": rare, "names": [], "day": date(2004, 1, 1) + timedelta(int(self.rng.integers(730)))}

    def document(self) -> dict:
        """One document as token arrays: the string of each token, and what it is (word, name, event ...)."""
        self.count += 1
        roll = self.rng.random()
        if self.recent and roll < EXACT_COPIES + NEAR_COPIES:
            source = self.recent[int(self.rng.integers(len(self.recent)))]
            return self.copy(source, exact=roll < EXACT_COPIES)
        if self.stories_left == 0:
            self.next_story()
        self.stories_left -= 1
        rng = self.rng
        n = int(np.clip(rng.lognormal(WORDS_LOG_MEAN, WORDS_LOG_SD), MIN_WORDS, MAX_WORDS))
        ids = np.searchsorted(self.word_cdf, rng.random(n))
        topical = rng.random(n) < STORY_WORD_SHARE
        ids[topical] = rng.choice(self.story["words"], size=int(topical.sum()))
        tokens = self.words[ids]
        kind = np.zeros(n, dtype=np.int8)  # 0 word, 1 name, 2 event, 3 date, 4 figure, 5 claim cue
        ref = np.full(n, -1, dtype=np.int64)
        # Names: distinct names of the document, each mentioned once or more.
        names = []
        for _ in range(rng.poisson(NAMES_PER_100_WORDS * n / 100)):
            if self.story["names"] and rng.random() < STORY_NAME_SHARE:
                names.append(self.story["names"][int(rng.integers(len(self.story["names"])))])
            else:
                names.append(self.draw_name())
        names = list(dict.fromkeys(names))
        for name in names:
            self.name_draws.append(name)
            self.name_docs[name] += 1
        self.story["names"].extend(names[:8])
        mentions = [name for name in names for _ in range(rng.geometric(1 / MENTIONS_PER_NAME))]
        free = rng.permutation(n)
        used = 0

        def place(count: int, what: int, refs) -> np.ndarray:
            nonlocal used
            at = free[used:used + count]
            used += len(at)
            kind[at] = what
            ref[at] = refs[:len(at)]
            return at

        at = place(len(mentions), 1, np.array(mentions, dtype=np.int64))
        for position in at:
            tokens[position] = self.surface(int(ref[position]))
        events = min(rng.poisson(EVENTS_PER_100_WORDS * n / 100), n - used)
        lemma_ids = np.searchsorted(self.lemma_cdf, rng.random(events))
        at = place(events, 2, lemma_ids)
        tokens[at] = self.lemma_forms[ref[at]]
        dates = min(rng.poisson(DATES_PER_100_WORDS * n / 100), n - used)
        at = place(dates, 3, rng.integers(0, 1 << 30, size=dates))
        tokens[at] = [str(1990 + int(i) % 30) for i in ref[at]]
        figures = min(rng.poisson(FIGURES_PER_100_WORDS * n / 100), n - used)
        at = place(figures, 4, rng.integers(0, 1 << 30, size=figures))
        tokens[at] = [f"{int(i) % 997}%" for i in ref[at]]
        claims = min(rng.poisson(CLAIMS_PER_100_WORDS * n / 100), n - used)
        cues, cue_shares = weighted(CLAIM_CUES)
        at = place(claims, 5, rng.choice(len(cues), size=claims, p=cue_shares))
        tokens[at] = [cues[i] for i in ref[at]]
        ends = rng.random(n) < 1 / WORDS_PER_SENTENCE
        ends[-1] = True
        day = self.story["day"] + timedelta(int(rng.integers(3)))
        doc = {"tokens": tokens, "kind": kind, "ref": ref, "ends": ends,
               "title": " ".join(self.words[np.searchsorted(self.word_cdf, rng.random(6))]).capitalize(),
               "published": datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)
               if rng.random() < DATED else None}
        self.remember(doc)
        return doc

    def copy(self, source: dict, exact: bool) -> dict:
        doc = dict(source, tokens=source["tokens"].copy(), published=source["published"])
        if not exact:
            plain = np.flatnonzero(doc["kind"] == 0)
            changed = plain[self.rng.random(len(plain)) < NEAR_COPY_EDITS]
            doc["tokens"][changed] = self.words[np.searchsorted(self.word_cdf, self.rng.random(len(changed)))]
            sentence_ends = np.flatnonzero(doc["ends"])
            if len(sentence_ends) > 3:  # the last sentence dropped
                keep = sentence_ends[-2] + 1
                doc = {**doc, **{k: doc[k][:keep] for k in ("tokens", "kind", "ref", "ends")}}
            if doc["published"] is not None:
                doc["published"] += timedelta(hours=int(self.rng.integers(1, 30)))
        for name in set(doc["ref"][doc["kind"] == 1].tolist()):
            self.name_docs[name] += 1
        return doc

    def remember(self, doc: dict) -> None:
        self.recent.append(doc)
        if len(self.recent) > 500:
            del self.recent[:250]


def render(doc: dict) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """The text of a document and, for each token, its start, end and sentence."""
    tokens = doc["tokens"].copy()
    ends = doc["ends"]
    starts_sentence = np.concatenate([[True], ends[:-1]])
    tokens[ends] = [t + "." for t in tokens[ends]]
    tokens[starts_sentence] = [t[:1].upper() + t[1:] for t in tokens[starts_sentence]]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
    sentence = np.concatenate([[0], np.cumsum(ends)[:-1]])
    return " ".join(tokens), starts, starts + lengths - ends, sentence


class Signatures:
    """The `copies` plugin's MinHash signature of a text (its stems, datasketch's MinHash with its hash
    function and seed), made faster for a million documents: the permutations are made once and each
    stem is hashed once. A test checks that they equal the plugin's own."""

    def __init__(self) -> None:
        from datasketch import MinHash

        self.minhash = MinHash
        self.template = MinHash(num_perm=BANDS * ROWS, seed=1)
        self.hashes: dict[bytes, int] = {}

    def hash(self, stem: bytes) -> int:
        value = self.hashes.get(stem)
        if value is None:
            value = self.hashes[stem] = self.template.hashfunc(stem)
        return value

    def of(self, text: str) -> list[int] | None:
        stems = content_stems(text)
        if not stems:
            return None
        signature = self.minhash(num_perm=BANDS * ROWS, seed=1, hashfunc=self.hash, scheme=self.template.scheme,
                                 permutations=self.template.permutations)
        signature.update_batch([s.encode() for s in stems])
        return [int(v) for v in signature.hashvalues]


class Columns:
    """Rows of one table for one part, kept as columns."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {}

    def add(self, **values) -> None:
        for name, value in values.items():
            self.columns.setdefault(name, []).append(value)

    def extend(self, **values) -> None:
        for name, value in values.items():
            self.columns.setdefault(name, []).extend(value)

    def table(self, schema: pa.Schema) -> pa.Table:
        count = len(next(iter(self.columns.values()), []))
        return pa.table({field.name: pa.array(self.columns[field.name], field.type) if field.name in self.columns
                         else pa.nulls(count, field.type) for field in schema}, schema=schema)


def part_rows(corpus: Corpus, docs: int, first: int, signatures: Signatures, pipeline: Pipeline) -> dict[str, Columns]:
    """The rows of `docs` new documents, numbered from `first`, table by table."""
    tables = {name: Columns() for name in pipeline.tables}
    dates, date_shares = weighted(DATE_KINDS)
    units, unit_shares = weighted(FIGURE_UNITS)
    kinds, kind_shares = weighted(EVENT_KINDS)
    modalities, modality_shares = weighted(EVENT_MODALITY)
    rng = corpus.rng
    signed = []
    for number in range(first, first + docs):
        doc = corpus.document()
        source_uri = f"file:///synthetic/corpus.jsonl#{number}"
        doc_id = doc_id_for(source_uri)
        text, starts, ends, sentence = render(doc)
        sha = hashlib.sha256(text.encode()).hexdigest()
        published = doc["published"]
        tables["articles"].add(doc_id=doc_id, source_uri=source_uri, content_sha256=sha, media_type="application/json",
                               title=doc["title"], title_source="record", authors=[], agency=[],
                               published_at=published, published_at_source="record" if published else None,
                               language="en", text=text, word_count=count_words(text))
        tables["segments"].extend(doc_id=[doc_id, doc_id], seq=[0, 1], label=["headline", "body"],
                                  text=[doc["title"], text], start=[None, 0], end=[None, len(text)],
                                  plugin=["furniture", None])
        sentence_end = np.flatnonzero(doc["ends"])
        sentence_start = np.concatenate([[0], sentence_end[:-1] + 1])
        tables["sentences"].extend(doc_id=[doc_id] * len(sentence_end), sentence=range(len(sentence_end)),
                                   start=starts[sentence_start].tolist(), end=ends[sentence_end].tolist(),
                                   plugin=["spacy"] * len(sentence_end))
        kind, ref = doc["kind"], doc["ref"]
        names = np.flatnonzero(kind == 1)
        mention_ids = [mention_id_for(doc_id, s, e) for s, e in zip(starts[names].tolist(), ends[names].tolist())]
        tables["entities"].extend(
            doc_id=[doc_id] * len(names), mention_id=mention_ids, start=starts[names].tolist(),
            end=ends[names].tolist(), text=[text[s:e] for s, e in zip(starts[names], ends[names])],
            label=[corpus.name_label[i] for i in ref[names]], sentence=sentence[names].tolist(),
            plugin=["entities"] * len(names))
        places = [m for m, i in zip(mention_ids, ref[names]) if corpus.name_label[i] in ("GPE", "LOC", "FAC")]
        date_at = np.flatnonzero(kind == 3)
        date_rows = []
        for position, chosen in zip(date_at, rng.choice(len(dates), size=len(date_at), p=date_shares)):
            what, granularity, anchor = dates[chosen]
            year = int(text[starts[position]:ends[position]])
            first_day = date(year, 1 + int(ref[position]) % 12, 1 + int(ref[position]) % 28)
            span = {"day": 1, "week": 7, "month": 30, "year": 365}.get(granularity)
            shown = {"year": 4, "month": 7}.get(granularity, 10)
            value = first_day.isoformat()[:shown] if span else f"P{year % 9 + 1}Y"
            date_rows.append((value, first_day if span else None, first_day + timedelta(span) if span else None,
                              what, granularity, anchor))
        tables["dates"].extend(
            doc_id=[doc_id] * len(date_at), start=starts[date_at].tolist(), end=ends[date_at].tolist(),
            text=[text[s:e] for s, e in zip(starts[date_at], ends[date_at])], value=[r[0] for r in date_rows],
            range_start=[r[1] for r in date_rows], range_end=[r[2] for r in date_rows],
            kind=[r[3] for r in date_rows], granularity=[r[4] for r in date_rows], anchor=[r[5] for r in date_rows],
            anchor_date=[None if r[5] == "absolute" else (doc["published"] or datetime(2005, 1, 1)).date()
                         for r in date_rows],
            sentence=sentence[date_at].tolist(), plugin=["dates"] * len(date_at))
        event_at = np.flatnonzero(kind == 2)
        count = len(event_at)

        def some(share: float, pool: list) -> list:
            if not pool:
                return [None] * count
            picks = rng.integers(len(pool), size=count).tolist()
            return [pool[p] if m else None for p, m in zip(picks, (rng.random(count) < share).tolist())]

        dated = some(EVENT_DATE, list(range(len(date_rows))))
        tables["events"].extend(
            doc_id=[doc_id] * count,
            event_mention_id=[mention_id_for(doc_id, s, e) for s, e in zip(starts[event_at], ends[event_at])],
            start=starts[event_at].tolist(), end=ends[event_at].tolist(),
            text=[text[s:e] for s, e in zip(starts[event_at], ends[event_at])],
            lemma=corpus.lemma_words[ref[event_at]].tolist(),
            kind=[kinds[i] for i in rng.choice(len(kinds), size=count, p=kind_shares)],
            event_class=[corpus.lemma_class[i] for i in ref[event_at]], sentence=sentence[event_at].tolist(),
            polarity=["negative" if r < EVENT_NEGATIVE else "positive" for r in rng.random(count)],
            modality=[modalities[i] for i in rng.choice(len(modalities), size=count, p=modality_shares)],
            agent_mention_id=some(EVENT_AGENT, mention_ids), patient_mention_id=some(EVENT_PATIENT, mention_ids),
            place_mention_id=some(EVENT_PLACE, places),
            date_value=[None if d is None else date_rows[d][0] for d in dated],
            range_start=[None if d is None else date_rows[d][1] for d in dated],
            range_end=[None if d is None else date_rows[d][2] for d in dated], plugin=["events"] * count)
        figure_at = np.flatnonzero(kind == 4)
        chosen = [units[i] for i in rng.choice(len(units), size=len(figure_at), p=unit_shares)]
        tables["figures"].extend(
            doc_id=[doc_id] * len(figure_at), start=starts[figure_at].tolist(), end=ends[figure_at].tolist(),
            text=[text[s:e] for s, e in zip(starts[figure_at], ends[figure_at])],
            quantity=(ref[figure_at] % 997).astype(float).tolist(), unit=[c[0] for c in chosen],
            counts=[c[1] for c in chosen], approx=[False] * len(figure_at), sentence=sentence[figure_at].tolist(),
            plugin=["figures"] * len(figure_at))
        persons = [m for m, i in zip(mention_ids, ref[names]) if corpus.name_label[i] == "PERSON"]
        cue_at = np.flatnonzero(kind == 5)
        cues = list(CLAIM_CUES)
        for position in cue_at:
            s = int(sentence[position])
            content_start = int(ends[position]) + 1
            content_end = max(content_start, int(ends[sentence_end[s]]))
            speaker = persons[int(rng.integers(len(persons)))] if persons and rng.random() < CLAIM_SPEAKER else None
            tables["claims"].add(
                doc_id=doc_id, claim_id=f"{doc_id}:{int(starts[position])}",
                speaker=None if speaker is None else text[int(speaker.split(":")[1]):int(speaker.split(":")[2])],
                speaker_mention_id=speaker, cue=cues[int(ref[position])], cue_start=int(starts[position]),
                cue_end=int(ends[position]), stance="deny" if rng.random() < CLAIM_DENY else "assert",
                content=text[content_start:content_end], start=content_start, end=content_end,
                sentence_start=s, sentence_end=s, plugin="claims")
        signed.append((doc_id, text))
    for doc_id, text in signed:
        signature = signatures.of(text)
        if signature is not None:
            tables["copy_signatures"].add(doc_id=doc_id, text_sha256=hashlib.sha256(text.encode()).hexdigest(),
                                          minhash=signature, plugin="copies")
    return tables


def write_layer(out: Path, corpus: Corpus, docs: int, first: int, pipeline: Pipeline) -> float:
    """Add `docs` synthetic documents to the extraction layer of `out` (part folders + manifest); seconds."""
    started = time.perf_counter()
    signatures = Signatures()
    fingerprint = pipeline.fingerprint()
    store = Store.open(out)
    try:
        for part_first in range(first, first + docs, PART_DOCS):
            count = min(PART_DOCS, first + docs - part_first)
            tables = part_rows(corpus, count, part_first, signatures, pipeline)
            part = f"synthetic-{part_first:08d}"
            folder = store.parts_dir / part
            folder.mkdir()
            written = []
            for name, columns in tables.items():
                if columns.columns:
                    pq.write_table(columns.table(pipeline.tables[name]), folder / f"{name}.parquet",
                                   compression="zstd")
                    written.append(name)
            files = part_files(folder, written)
            articles = tables["articles"].columns
            outcome = SourceOutcome(path=f"/synthetic/{part}.jsonl", size=0, mtime_ns=0, sha256=None, docs=[
                DocOutcome(doc_id=d, source_uri=u, content_sha256=c, status=OK, part=part, part_files=files)
                for d, u, c in zip(articles["doc_id"], articles["source_uri"], articles["content_sha256"])])
            store.manifest.commit([outcome], fingerprint, "synthetic")
            print(f"  layer: {part_first + count - first:,}/{docs:,} documents", file=sys.stderr, flush=True)
    finally:
        store.close()
    return time.perf_counter() - started


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def enrich_run(out: Path, empty: Path, limits: dict, disable: tuple[str, ...] = ()) -> dict:
    """`etl run EMPTY --out OUT --json` in a subprocess, as the host does any run: its timings, per-plugin
    seconds, peak RSS, the largest spill folder seen; `killed` says why it was stopped: past
    `limits["rss"]` bytes or `limits["seconds"]` (`running`: the plugin it was in)."""
    env = dict(os.environ, ETL_TRACE_PLUGINS="1", ETL_DISABLE_PLUGIN_AUTOLOAD="1")
    planned = [step.plugin for step in Pipeline(get_plugin_manager(load_entrypoints=False),
                                                Config(out=out, disable=disable)).plans["enrich"]]
    command = [sys.executable, "-m", "etl", "run", str(empty), "--out", str(out), "--json", "--workers", "1"]
    command += [arg for name in disable for arg in ("--disable", name)]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
        peaks = {"spill": 0, "rss": 0, "killed": None}
        # Peak memory and spill by phase: the trace names a plugin when it ends, so the phase is the first
        # planned plugin not yet traced (the first one's phase includes loading the layer into DuckDB).
        phases: dict[str, list[int]] = {}
        done = threading.Event()
        spill = out / ".etl" / "work" / "spill"

        def sample() -> None:
            while not done.is_set():
                spilled, resident = folder_bytes(spill), rss(process.pid)
                peaks["spill"] = max(peaks["spill"], spilled)
                peaks["rss"] = max(peaks["rss"], resident)
                stderr_so_far = Path(f"/proc/self/fd/{stderr.fileno()}").read_bytes().decode(errors="replace")
                finished = {m.group(1) for m in TRACE.finditer(stderr_so_far)}
                phase = next((p for p in planned if p not in finished), "publish")
                peak = phases.setdefault(phase, [0, 0])
                peak[0], peak[1] = max(peak[0], resident), max(peak[1], spilled)
                over = ("memory" if peaks["rss"] > limits["rss"] else
                        "time" if time.perf_counter() - started > limits["seconds"] else None)
                if over:
                    peaks["killed"] = over
                    process.send_signal(signal.SIGKILL)
                    return
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        output, errors = stdout.read().decode(), stderr.read().decode(errors="replace")
    plugins = {m.group(1): float(m.group(2)) / 1000 for m in TRACE.finditer(errors)}
    result = {"running": next((p for p in planned if p not in plugins), None) if process.returncode else None,
              "seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
              "spill_mb": round(peaks["spill"] / 2 ** 20), "plugins": plugins, "killed": peaks["killed"],
              "exit": process.returncode,
              "phase_peaks_mb": {p: [round(v / 2 ** 20) for v in peak] for p, peak in phases.items()}}
    if process.returncode == 0:
        # DuckDB may draw its progress bar on stdout before the summary: the summary is the last line.
        summary = json.loads(next(line for line in reversed(output.splitlines()) if line.startswith("{")))
        result.update(timings=summary["timings"], rows=summary["rows"])
    else:
        result["stderr_tail"] = "\n".join(line for line in errors.splitlines() if "etl trace" not in line)[-1500:]
    return result


def measure(size: int, folder: Path, limits: dict, seed: int, disable: tuple[str, ...] = ()) -> dict:
    out, empty = folder / f"out-{size}", folder / "empty"
    shutil.rmtree(out, ignore_errors=True)
    empty.mkdir(exist_ok=True)
    pipeline = Pipeline(get_plugin_manager(load_entrypoints=False), Config(out=out))
    corpus = Corpus(int(size * 1.01), seed)
    layer_seconds = write_layer(out, corpus, size, 0, pipeline)
    report = {"docs": size, "disabled": list(disable), "layer_seconds": round(layer_seconds, 1),
              "layer_mb": round(folder_bytes(out / ".etl" / "parts") / 2 ** 20)}
    print(f"  enrich of {size:,} documents ...", file=sys.stderr, flush=True)
    report["full"] = enrich_run(out, empty, limits, disable)
    if report["full"]["exit"] == 0:
        added = max(1, size // 100)
        write_layer(out, corpus, added, size, pipeline)
        print(f"  enrich after {added:,} new documents ...", file=sys.stderr, flush=True)
        report["plus1"] = enrich_run(out, empty, limits, disable)
    report["names"] = len(corpus.name_label)
    shutil.rmtree(out, ignore_errors=True)
    return report


def print_table(reports: list[dict]) -> None:
    plugins = []
    for report in reports:
        for run in (report.get("full"), report.get("plus1")):
            plugins += [p for p in (run or {}).get("plugins", {}) if p not in plugins]
    header = ["docs", "run", "run s", "enrich s", "publish s", "peak RSS MB", "spill MB"] + plugins
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for report in reports:
        for label in ("full", "plus1"):
            run = report.get(label)
            if run is None:
                continue
            timings = run.get("timings", {})
            state = ("" if run["exit"] == 0 else f" (stopped: {run['killed']}, in {run['running']})" if run["killed"]
                     else f" (exit {run['exit']}, in {run['running']})")
            without = "".join(f" without {name}" for name in report.get("disabled", []))
            cells = [f"{report['docs']:,}{without}", ("full" if label == "full" else "+1%") + state, run["seconds"],
                     timings.get("enrich", "-"), timings.get("publish", "-"), run["peak_rss_mb"], run["spill_mb"]]
            cells += [round(run["plugins"][p], 1) if p in run["plugins"] else "-" for p in plugins]
            print("| " + " | ".join(map(str, cells)) + " |")


def fit(out: Path) -> None:
    """Print the statistics the constants above were read from, for a published output folder."""
    import duckdb

    db = duckdb.connect()
    for table in ("articles", "sentences", "entities", "claims", "events", "dates", "figures"):
        db.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{out / 'tables' / table}.parquet')")
    queries = {
        "ln(words): mean, sd; mean words": "SELECT avg(ln(word_count)), stddev(ln(word_count)), avg(word_count) "
                                           "FROM articles",
        "sentences, mean characters": 'SELECT count(*), avg("end" - start) FROM sentences',
        "rows per document (entities, claims, events, dates, figures)":
            "SELECT (SELECT count(*) FROM entities) / n, (SELECT count(*) FROM claims) / n, "
            "(SELECT count(*) FROM events) / n, (SELECT count(*) FROM dates) / n, "
            "(SELECT count(*) FROM figures) / n FROM (SELECT count(*) AS n FROM articles)",
        "distinct names a document": "SELECT avg(n) FROM (SELECT count(DISTINCT lower(text)) n FROM entities "
                                     "GROUP BY doc_id)",
        "entity labels": "SELECT label, count(*) FROM entities GROUP BY 1 ORDER BY 2 DESC",
        "names by documents naming them": "SELECT d, count(*) FROM (SELECT count(DISTINCT doc_id) d FROM entities "
                                          "GROUP BY lower(text)) GROUP BY 1 ORDER BY 1 LIMIT 10",
        "claim cues": "SELECT cue, count(*) FROM claims GROUP BY 1 ORDER BY 2 DESC LIMIT 12",
        "event classes": "SELECT event_class, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 36",
        "event kinds, modality": "SELECT kind, modality, count(*) FROM events GROUP BY ALL ORDER BY 3 DESC",
        "date kinds": "SELECT kind, granularity, anchor, count(*) FROM dates GROUP BY ALL ORDER BY 4 DESC LIMIT 12",
        "figure units": "SELECT unit, counts, count(*) FROM figures GROUP BY ALL ORDER BY 3 DESC LIMIT 8",
        "copies (groups, derived)": "SELECT count(DISTINCT dup_group), count(derived_from) FROM articles",
    }
    for label, sql in queries.items():
        print(f"{label}: {db.sql(sql).fetchall()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--max-rss-gb", type=float, default=12.0, help="kill an enrich run past this memory")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="kill an enrich run after this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--disable", action="append", default=[], metavar="PLUGIN",
                        help="leave an enrich plugin out (the path that still completes at a size)")
    parser.add_argument("--work", type=Path, help="folder for the output folders (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--fit", type=Path, metavar="OUT", help="print the statistics of a published folder")
    args = parser.parse_args()
    if args.fit:
        fit(args.fit)
        return
    reports = []
    limits = {"rss": int(args.max_rss_gb * 2 ** 30), "seconds": args.max_minutes * 60}
    with tempfile.TemporaryDirectory(dir=args.work) as folder:
        for size in args.docs:
            print(f"{size:,} documents", file=sys.stderr, flush=True)
            reports.append(measure(size, Path(folder), limits, args.seed,
                                   tuple(args.disable)))
            print(json.dumps(reports[-1]), file=sys.stderr, flush=True)
            if args.json:
                args.json.write_text(json.dumps(reports, indent=1))
    print_table(reports)


if __name__ == "__main__":
    main()
