"""event_links called incrementally equals event_links called on the whole corpus.

The corpora are generated (pseudo-words unknown to any word list, topic by topic, with copies, shared
names and dates), written straight into DuckDB tables with the columns event_links reads, so no NLP
runs. Each check: a full call on corpus A, the host's swap simulated (rows of removed and changed
documents deleted, rows of added ones inserted as extraction wrote them, inputs of touched ones
changed), an incremental call, then everything event_links provides and keeps compared with a full
call on the final corpus.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field, replace

import duckdb
import pyarrow as pa
import pytest

from etl import Changes
from etl.config import Config
from etl_plugins.events import links, stories

TOPICS = 7
TRIGGERS = ("attack", "flood", "election", "capture", "strike")
FILLER = ("government", "water", "city", "police", "market", "council", "river", "school", "minister")
PROVIDED = ("event_id", "agent_entity_id", "patient_entity_id", "place_entity_id")


@dataclass
class Doc:
    text: str
    names: list[str]  # entity ids, one mention each
    triggers: list[str]
    dup_group: str | None = None
    dates: list[str | None] = field(default_factory=list)  # one per trigger


def topic_words(topic: int) -> list[str]:
    return [f"zq{topic}x{k}bor" for k in range(8)]


def make_doc(rng: random.Random) -> Doc:
    main = rng.randrange(TOPICS)
    words = rng.sample(topic_words(main), rng.randint(3, 7)) + rng.sample(FILLER, 3)
    if rng.random() < 0.4:  # a second topic mentioned in passing: bridges between stories
        words += rng.sample(topic_words(rng.randrange(TOPICS)), rng.randint(1, 4))
    rng.shuffle(words)
    triggers = rng.sample(TRIGGERS, rng.randint(1, 3))
    dates = [rng.choice([None, "2024-03-0" + str(rng.randint(1, 9))]) for _ in triggers]
    return Doc(" ".join(words + triggers), [f"name{main}", f"name{rng.randrange(TOPICS)}"], triggers, None, dates)


def tables(corpus: dict[str, Doc]) -> dict[str, pa.Table]:
    articles, entities, events, dates = [], [], [], []
    for doc_id, doc in sorted(corpus.items()):
        articles.append({"doc_id": doc_id, "text": doc.text, "language": "en",
                         "dup_group": doc.dup_group or doc_id})
        for k, name in enumerate(doc.names):
            entities.append({"doc_id": doc_id, "mention_id": f"{doc_id}:e{k}", "entity_id": name,
                             "label": "GPE", "form": "name", "start": 1000 + k})
        for k, (trigger, day) in enumerate(zip(doc.triggers, doc.dates or [None] * len(doc.triggers))):
            # Ids as the product makes them, in no relation to the order of the documents.
            mention_id = hashlib.sha256(f"{doc_id}:v{k}".encode()).hexdigest()[:16]
            events.append({"doc_id": doc_id, "event_mention_id": mention_id, "start": k, "lemma": trigger,
                           "event_class": None, "sentence": 0, "agent_mention_id": None,
                           "patient_mention_id": f"{doc_id}:e{k % len(doc.names)}", "place_mention_id": None,
                           "date_value": day, "range_start": day and _date(day), "range_end": day and _date(day),
                           **{column: None for column in PROVIDED}})
            if day:
                dates.append({"doc_id": doc_id, "sentence": 0, "value": day, "anchor": "absolute"})
    schema = {
        "articles": {"doc_id": pa.string(), "text": pa.string(), "language": pa.string(), "dup_group": pa.string()},
        "entities": {"doc_id": pa.string(), "mention_id": pa.string(), "entity_id": pa.string(),
                     "label": pa.string(), "form": pa.string(), "start": pa.int32()},
        "events": {"doc_id": pa.string(), "event_mention_id": pa.string(), "start": pa.int32(),
                   "lemma": pa.string(), "event_class": pa.string(), "sentence": pa.int32(),
                   "agent_mention_id": pa.string(), "patient_mention_id": pa.string(),
                   "place_mention_id": pa.string(), "date_value": pa.string(), "range_start": pa.date32(),
                   "range_end": pa.date32(), **{column: pa.string() for column in PROVIDED}},
        "dates": {"doc_id": pa.string(), "sentence": pa.int32(), "value": pa.string(), "anchor": pa.string()},
    }
    rows = {"articles": articles, "entities": entities, "events": events, "dates": dates}
    return {name: pa.Table.from_pylist(rows[name], schema=pa.schema(list(columns.items())))
            for name, columns in schema.items()}


def _date(day: str):
    from datetime import date

    return date.fromisoformat(day)


def database(corpus: dict[str, Doc]) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    for name, table in tables(corpus).items():
        db.register("_rows", table)
        db.execute(f"CREATE TABLE {name} AS SELECT * FROM _rows")
        db.unregister("_rows")
    return db


def config(**settings) -> Config:
    values = {name: setting.default for name, setting in links.etl_settings().items()}
    return Config(plugins={links.NAME: {**values, **settings}})


def swap(db, corpus: dict[str, Doc], final: dict[str, Doc], touched: set[str]) -> Changes:
    """What the host does before an incremental call: rows of removed or changed documents deleted, rows of
    added or changed ones inserted as extracted; touched documents get their new inputs in place."""
    removed = {d for d in corpus if d not in final or (final[d].text, final[d].triggers) != (corpus[d].text,
                                                                                           corpus[d].triggers)}
    added = {d for d in final if d not in corpus} | (removed & set(final))
    fresh = tables({d: final[d] for d in added})
    db.register("_ids", pa.table({"doc_id": pa.array(sorted(removed), pa.string())}))
    for name in fresh:
        db.execute(f"DELETE FROM {name} WHERE doc_id IN (SELECT doc_id FROM _ids)")
        db.register("_rows", fresh[name])
        db.execute(f"INSERT INTO {name} SELECT * FROM _rows")
        db.unregister("_rows")
    db.unregister("_ids")
    for doc_id in sorted(touched):
        db.execute("UPDATE articles SET dup_group = ? WHERE doc_id = ?", [final[doc_id].dup_group or doc_id, doc_id])
        for k, name in enumerate(final[doc_id].names):
            db.execute("UPDATE entities SET entity_id = ? WHERE mention_id = ?", [name, f"{doc_id}:e{k}"])
    return Changes(added=frozenset(added), removed=frozenset(removed), touched=frozenset(touched))


def provided(db) -> tuple[list, list]:
    events = db.execute(f"SELECT event_mention_id, {', '.join(PROVIDED)} FROM events ORDER BY 1").fetchall()
    kept = [db.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in (stories.VECTORS, stories.TERMS, stories.SELECTED, stories.PAIRS, stories.STORIES)]
    return events, kept


def partition(db) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for doc_id, story in db.execute(f"SELECT doc_id, story FROM {stories.STORIES}").fetchall():
        groups.setdefault(story, set()).add(doc_id)
    return {frozenset(g) for g in groups.values()}


def story_of(db, doc_id: str) -> set[str]:
    return next(set(group) for group in partition(db) if doc_id in group)


def evolve(rng: random.Random, corpus: dict[str, Doc], adds: int, removes: int,
           counter: list[int]) -> tuple[dict[str, Doc], set[str]]:
    final = dict(corpus)
    for doc_id in rng.sample(sorted(final), removes):
        del final[doc_id]
    for _ in range(adds):
        counter[0] += 1
        doc = make_doc(rng)
        if rng.random() < 0.2 and final:  # a copy of a report already there
            source = rng.choice(sorted(final))
            doc = replace(final[source], dup_group=final[source].dup_group or source)
        final[f"d{counter[0]:04d}"] = doc
    old = sorted(set(final) & set(corpus))
    changed = rng.choice(old)
    final[changed] = replace(make_doc(rng), dup_group=final[changed].dup_group)
    touched = set()
    for doc_id in rng.sample([d for d in old if d != changed], 2):
        touched.add(doc_id)
        doc = final[doc_id]
        if rng.random() < 0.5:
            final[doc_id] = replace(doc, names=[doc.names[0], f"name{rng.randrange(TOPICS)}x"])
        else:
            final[doc_id] = replace(doc, dup_group=rng.choice(old))
    return final, touched


@pytest.mark.parametrize("seed, settings, limits", [
    (1, {}, {}), (2, {"story_max_df": 0.2}, {}), (3, {"story_similarity": 0.1}, {}), (4, {}, {}),
    # Units too large for a dense matrix (the sparse average linkage), neighbourhoods too large to complete.
    # (and the full call's candidate pairs found a few documents at a time).
    (5, {"story_max_df": 0.2}, {"DENSE_UNIT": 3, "MAX_NEIGHBOURHOOD": 4, "SLICE": 7}),
])
def test_a_chain_of_incremental_calls_equals_full_calls(seed, settings, limits, monkeypatch):
    for name, value in limits.items():
        monkeypatch.setattr(stories, name, value)
    rng = random.Random(seed)
    counter = [0]
    corpus = {}
    for _ in range(40):
        counter[0] += 1
        corpus[f"d{counter[0]:04d}"] = make_doc(rng)
    db = database(corpus)
    links.etl_enrich(db=db, config=config(**settings), changes=None)
    reshaped = 0
    for step in range(4):
        final, touched = evolve(rng, corpus, adds=rng.randint(1, 6), removes=rng.randint(0, 4), counter=counter)
        before = partition(db)
        changes = swap(db, corpus, final, touched)
        links.etl_enrich(db=db, config=config(**settings), changes=changes)
        whole = database(final)
        links.etl_enrich(db=whole, config=config(**settings), changes=None)
        assert provided(db) == provided(whole), f"seed {seed}, step {step}"
        survivors = set(corpus) & set(final) - changes.removed - changes.touched
        after = partition(db)
        # Old documents that were together and now are apart, or the reverse: stories merged or split.
        reshaped += {g & survivors for g in before} - {frozenset()} != {g & survivors for g in after} - {frozenset()}
        corpus = final
    assert reshaped, "no step merged or split a story of documents already there"


def test_a_new_document_that_joins_two_stories_merges_them_in_the_incremental_call():
    a = [f"zq1x{k}bor" for k in range(6)]
    b = [f"zq2x{k}bor" for k in range(6)]
    corpus = {
        "a1": Doc(" ".join(a + ["flood"]), ["name1"], ["flood"]),
        "a2": Doc(" ".join(a[:5] + ["flood"]), ["name1"], ["flood"]),
        "b1": Doc(" ".join(b + ["flood"]), ["name2"], ["flood"]),
        "b2": Doc(" ".join(b[:5] + ["flood"]), ["name2"], ["flood"]),
    }
    for k in range(36):  # unrelated documents, so that the pairs' terms are rare enough to propose them
        corpus[f"z{k:02d}"] = Doc(f"zq9y{k}tam zq9w{k}pel", [f"other{k}"], ["strike"])
    settings = {"story_similarity": 0.3, "story_max_df": 0.5}
    db = database(corpus)
    links.etl_enrich(db=db, config=config(**settings), changes=None)
    assert {frozenset({"a1", "a2"}), frozenset({"b1", "b2"})} <= partition(db)
    final = dict(corpus, c1=Doc(" ".join(a + b + ["flood"]), ["name1", "name2"], ["flood"]))
    for k in range(2, 8):
        final[f"c{k}"] = final["c1"]
    changes = swap(db, corpus, final, set())
    links.etl_enrich(db=db, config=config(**settings), changes=changes)
    whole = database(final)
    links.etl_enrich(db=whole, config=config(**settings), changes=None)
    assert provided(db) == provided(whole)
    assert {"a1", "a2", "b1", "b2", "c1"} <= story_of(db, "a1"), "the bridging reports made one story of the two"
    # And back: the bridges removed, the two stories are apart again.
    changes = swap(db, final, corpus, set())
    links.etl_enrich(db=db, config=config(**settings), changes=changes)
    assert {frozenset({"a1", "a2"}), frozenset({"b1", "b2"})} <= partition(db)
    again = database(corpus)
    links.etl_enrich(db=again, config=config(**settings), changes=None)
    assert provided(db) == provided(again)


def test_without_its_working_tables_an_incremental_call_computes_everything():
    rng = random.Random(9)
    corpus = {f"d{k:02d}": make_doc(rng) for k in range(30)}
    db = database(corpus)
    links.etl_enrich(db=db, config=config(), changes=Changes(added=frozenset(corpus)))
    whole = database(corpus)
    links.etl_enrich(db=whole, config=config(), changes=None)
    assert provided(db) == provided(whole)
    assert db.execute("SELECT count(*) FROM events WHERE event_id IS NULL").fetchall() == [(0,)]


def test_word_weights_do_not_depend_on_the_corpus():
    one = stories.document_vector("The earthquake destroyed Valparaiso", "en", ["Q1"])
    assert dict(one) == dict(stories.document_vector("The earthquake destroyed Valparaiso", "en", ["Q1"]))
    weights = dict(one)
    assert weights["valparaiso"] > weights["earthquake"] > weights["destroyed"], "rarer words weigh more"
    assert [t for t, _ in one][0] == "valparaiso", "terms come rarest first"
    flat = dict(stories.document_vector("zzword yyword", "xx", []))
    assert flat["zzword"] == flat["yyword"], "a language without a word list weighs its words alike"


def test_terms_crossing_the_cap_change_the_pairs_of_documents_that_stay(monkeypatch):
    """A term whose document frequency crosses the cap (or the cap moves with the corpus's size) makes the
    documents holding it choose again, although their vectors did not change: the pairs they lose (unless
    another selected term joins them still) and gain must be those of a full call."""
    monkeypatch.setattr(stories, "MAX_TERMS_PER_DOC", 4)  # a dropped term is replaced by the next one
    rng = random.Random(11)
    # Pseudo-words all weigh the same: a document proposes its alphabetically first eligible ones.
    words = [f"zq{k:02d}vel" for k in range(24)]

    def doc() -> Doc:
        picked = sorted(rng.sample(words, rng.randint(5, 9)))
        return Doc(" ".join(picked + ["flood"]), [f"name{rng.randrange(3)}"], ["flood"])

    settings = {"story_max_df": 0.3, "story_similarity": 0.3}  # cap 12 of 40 documents: near most words' df
    corpus = {f"d{k:03d}": doc() for k in range(40)}
    counter = [len(corpus)]
    db = database(corpus)
    links.etl_enrich(db=db, config=config(**settings), changes=None)
    seen = Counter()
    for step in range(6):
        final = dict(corpus)
        # Growing, then shrinking: dfs and the cap cross each other both ways.
        adds, removes = (rng.randint(4, 8), rng.randint(0, 2)) if step < 3 else (rng.randint(0, 2),
                                                                                  rng.randint(4, 8))
        for doc_id in rng.sample(sorted(final), removes):
            del final[doc_id]
        for _ in range(adds):
            counter[0] += 1
            final[f"d{counter[0]:03d}"] = doc()
        changed = rng.choice(sorted(set(final) & set(corpus)))
        final[changed] = doc()
        eligible = dict(db.execute(f"SELECT term, eligible FROM {stories.TERMS}").fetchall())
        selected = set(db.execute(f"SELECT doc_id, term FROM {stories.SELECTED}").fetchall())
        pairs = set(db.execute(f"SELECT a, b FROM {stories.PAIRS}").fetchall())
        changes = swap(db, corpus, final, set())
        links.etl_enrich(db=db, config=config(**settings), changes=changes)
        whole = database(final)
        links.etl_enrich(db=whole, config=config(**settings), changes=None)
        assert provided(db) == provided(whole), f"step {step}"
        stayed = set(final) - changes.added
        now = dict(db.execute(f"SELECT term, eligible FROM {stories.TERMS}").fetchall())
        seen["became eligible"] += any(now[t] and not e for t, e in eligible.items() if t in now)
        seen["became ineligible"] += any(e and not now[t] for t, e in eligible.items() if t in now)
        chosen = set(db.execute(f"SELECT doc_id, term FROM {stories.SELECTED}").fetchall())
        seen["chose again"] += any(d in stayed for d, _ in chosen ^ selected)
        kept_pairs = set(db.execute(f"SELECT a, b FROM {stories.PAIRS}").fetchall())
        seen["lost a pair"] += any(a in stayed and b in stayed for a, b in pairs - kept_pairs)
        seen["gained a pair"] += any(a in stayed and b in stayed for a, b in kept_pairs - pairs)
        corpus = final
    assert all(seen[k] for k in ("became eligible", "became ineligible", "chose again", "lost a pair",
                                 "gained a pair")), seen
