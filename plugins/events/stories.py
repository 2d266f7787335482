"""Stories for `event_links`: documents that report one happening, grouped so that a call over the whole
corpus and an incremental call give the same stories.

- **Vectors of their own.** A document is a vector of its content words and linked entities, each word
  weighted by how rare it is in general language (`wordfreq`, by the document's `articles.language`),
  each entity by a fixed weight. Nothing in a vector depends on the rest of the corpus, so vectors are
  computed once per document and kept (`event_links__vectors`). A corpus IDF would change every vector
  whenever a document comes in; on ECB+ the general-language rarity scores within 0.1 CoNLL of it on
  dev and 0.2 on train (bench/events_ecbplus.py).
- **Candidate pairs.** A term in more than one document and at most `cap` of them (`story_max_df` of
  the corpus, at most `MAX_POSTING`) is eligible; each document proposes its `MAX_TERMS_PER_DOC`
  rarest eligible terms (`event_links__selected`), and two documents proposing one term are a candidate
  pair. A term's eligibility changes only when its document frequency (or the cap) crosses a bound: then
  the documents holding it choose again, and their pairs change only through the (document, term)
  selections that changed (a pair through a dropped one is lost unless another selected term still joins
  the two; one through an added one is new unless stored already). Only the pairs of at least
  `NEIGHBOURHOOD_LINK` are kept, with their cosine (`event_links__pairs`: on the synthetic 10k layer 48k
  of 6.5M); the weak ones are found again from the selected terms where they count (see below).
- **Units, neighbourhoods, components.** Units: the components of the graph of pairs of at least
  min(`NEIGHBOURHOOD_LINK`, `story_similarity`) plus copy groups (`articles.dup_group`); the documents of a
  neighbourhood (chained by such pairs, up to `MAX_NEIGHBOURHOOD`) are compared all with all, other pairs
  count only if they are candidates, unknown pairs count 0. Average linkage with a threshold is
  reducible: two groups whose pairs are all below `story_similarity` never merge, so each component of
  the graph of known pairs of at least `story_similarity` (plus copy groups) is clustered on its own
  (scipy; a heap beyond `DENSE_UNIT`), with the same stories as the whole unit (checked on ECB+ dev and
  train and on BBC). Documents chain into units of thousands; components stay small (10k layer: a
  unit of 7,128, components of at most 43).
- **An incremental call** recomputes the units that hold a document added, removed, touched or whose
  candidate pairs changed (and those they now reach), but links again only the components whose digest
  (members, known pairs and their values, copy groups) is not the one their members kept.

Every value is computed in an order that does not depend on which other documents are in the call
(vocabulary sorted by term, components by doc id), so a pair's cosine and a component's clusters are bit
for bit those of a call over the whole corpus.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

import pyarrow as pa

PREFIX = "event_links__"
VECTORS, TERMS, SELECTED, PAIRS, STORIES = WORKING_TABLES = tuple(
    PREFIX + name for name in ("vectors", "terms", "selected", "pairs", "stories"))
#: A word's weight: `WORD_CEILING` minus its Zipf frequency (log10 per billion words: "the" 7.7,
#: "earthquake" 4.2, unseen 0), at least `WORD_FLOOR`; tuned on ECB+ dev.
WORD_CEILING = 8.0
WORD_FLOOR = 0.5
ENTITY_WEIGHT = 4.0
#: Words of a language wordfreq does not list all weigh this (on ECB+ dev, flat word weights at half the
#: entities' lost 0.3 CoNLL against the general-language rarity).
UNLISTED_WORD_WEIGHT = 2.0
MAX_TERMS_PER_DOC = 40
#: A term in more documents than this proposes no pair, whatever the corpus's size: `story_max_df` alone
#: (a share) lets a term's documents grow with the corpus, and its pairs with their square.
MAX_POSTING = 200
#: Documents chained by pairs this similar are compared all with all (up to `MAX_NEIGHBOURHOOD` of them).
NEIGHBOURHOOD_LINK = 0.12
MAX_NEIGHBOURHOOD = 2000
#: A full call computes the vectors, and finds and measures the candidate pairs, of this many documents at a time.
SLICE = 5000
#: Components up to this size are clustered on a dense distance matrix (scipy); larger ones on the sparse pairs.
DENSE_UNIT = 4000
#: Two documents whose known similarity is at least `story_similarity` less this are in one component
#: (see `_cluster`): below it, no rounding of a mean of such values reaches the threshold.
MARGIN = 1e-9
_WORD = re.compile(r"[^\W\d_][\w'’-]{2,}")
# Words of news prose that say nothing of what a report is about.
_STOP = frozenset("""
    the and for that with this from have has had was were are been being will would could should their there
    they them his her its our your who whom which what when where while after before about into over under
    than then also more most some such only other said says say told tell according just very much many
    year years month months week weeks day days time times today yesterday tomorrow new last first second
    one two three four five six seven eight nine ten people news report reported reports statement officials
    official monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december told added including however because during since
    until against between both each few those these being here another still even back well made make
""".split())

def stories(db, threshold: float, max_df: float, changes=None) -> dict[str, str] | None:
    """doc_id -> story id (the smallest doc_id of its story) for the documents whose events must be read:
    every document in a full call (`changes` None), else those of the stories the changes altered (whole
    stories). The working tables are brought up to date either way."""
    n = db.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    cap = min(MAX_POSTING, max(2, int(max_df * n)))
    link = min(NEIGHBOURHOOD_LINK, threshold)
    if changes is None:
        docs = _full_tables(db, cap, link - MARGIN)
        return _cluster(db, docs, _stored_matrix(db, docs), threshold, link)
    return _incremental(db, cap, threshold, link, changes)


# --- vectors -------------------------------------------------------------------------------------------------


def terms(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP]


@functools.lru_cache(maxsize=None)
def _frequencies(language: str | None) -> dict[str, float] | None:
    import wordfreq

    # The small lists (words down to a Zipf frequency of 3) load in milliseconds and, every rarer word
    # taking the top weight, score on ECB+ as the large ones do.
    if not language or language not in wordfreq.available_languages("small"):
        return None
    return wordfreq.get_frequency_dict(language, "small")


@functools.lru_cache(maxsize=None)
def _weights(language: str | None) -> dict[str, float]:
    """The weights of the terms met so far in one language (a run meets the same words again and again)."""
    return {}


def term_weight(term: str, frequencies: dict[str, float] | None) -> float:
    if term.startswith("entity:"):
        return ENTITY_WEIGHT
    if frequencies is None:
        return UNLISTED_WORD_WEIGHT
    frequency = frequencies.get(term, 0.0)
    zipf = math.log10(frequency * 1e9) if frequency > 0 else 0.0
    return max(WORD_FLOOR, WORD_CEILING - zipf)


def document_vector(text: str, language: str | None, entity_ids: Iterable[str]) -> list[tuple[str, float]]:
    """(term, unit weight) of one document, rarest (heaviest) term first, then by term."""
    counts = Counter(terms(text or "") + ["entity:" + e for e in entity_ids])
    known = _weights(language)
    rarity = {}
    for t in counts:
        weight = known.get(t)
        if weight is None:
            weight = known[t] = term_weight(t, _frequencies(language))
        rarity[t] = weight
    weights = {t: (1 + math.log(c)) * rarity[t] for t, c in counts.items()}
    # fsum: exactly rounded whatever the order of the terms (two entity rows at one offset may come either way)
    norm = math.sqrt(math.fsum(w * w for w in weights.values())) or 1.0
    return [(t, weights[t] / norm) for t in sorted(counts, key=lambda t: (-rarity[t], t))]


def _vectors_of(db, docs: list[str] | None) -> dict[str, list[tuple[str, float]]]:
    where = "" if docs is None else "WHERE doc_id IN (SELECT doc_id FROM _el_docs)"
    if docs is not None:
        db.register("_el_docs", pa.table({"doc_id": pa.array(docs, pa.string())}))
    try:
        names: dict[str, list[str]] = defaultdict(list)
        for doc_id, entity_id in db.execute(f"""SELECT doc_id, entity_id FROM entities {where}
                                               {'AND' if where else 'WHERE'} entity_id IS NOT NULL
                                               ORDER BY doc_id, start""").fetchall():
            names[doc_id].append(entity_id)
        return {doc_id: document_vector(text, language, names.get(doc_id, ()))
                for doc_id, text, language in db.execute(
                    f"SELECT doc_id, text, language FROM articles {where} ORDER BY doc_id").fetchall()}
    finally:
        if docs is not None:
            db.unregister("_el_docs")


def _vectors_table(vectors: dict[str, list[tuple[str, float]]]) -> pa.Table:
    docs, names, weights, ranks = [], [], [], []
    for doc_id, vector in vectors.items():
        for rank, (term, weight) in enumerate(vector):
            docs.append(doc_id)
            names.append(term)
            weights.append(weight)
            ranks.append(rank)
    terms_column = pa.array(names, pa.string())
    # Each distinct term is hashed once (a corpus repeats its terms; a cache of them all would be as large).
    encoded = terms_column.dictionary_encode()
    keys = pa.array([term_key(t) for t in encoded.dictionary.to_pylist()], pa.int64()).take(encoded.indices)
    return pa.table({"doc_id": pa.array(docs, pa.string()), "term": terms_column,
                     "weight": pa.array(weights, pa.float64()), "rank": pa.array(ranks, pa.int32()), "key": keys})


def term_key(term: str) -> int:
    """A number of the term's own, by which columns are ordered (sorting numbers is cheaper than words)."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "big", signed=True)


def _stored_matrix(db, docs: list[str]):
    """The stored unit vectors of `docs` (sorted) as the rows of a sparse matrix, columns in the order of
    the terms' keys: a pair's products are then summed in one order whatever the other rows, so its
    cosine is the same in any call."""
    from scipy.sparse import csr_matrix

    if not docs:
        return csr_matrix((0, 1))
    db.register("_el_index", pa.table({"doc_id": pa.array(docs, pa.string()),
                                       "i": pa.array(range(len(docs)), pa.int64())}))
    try:
        # A key's column is its rank among the keys of `docs`, ranked here: numpy's unique with its inverse
        # sorts every cell (27M of 100k documents: 8 s; this, 2 s).
        found = db.execute(f"""WITH cells AS (SELECT x.i, v.key, v.weight
                                              FROM {VECTORS} v JOIN _el_index x ON x.doc_id = v.doc_id),
                                    ranks AS (SELECT key, row_number() OVER (ORDER BY key) - 1 AS c
                                              FROM (SELECT DISTINCT key FROM cells))
                               SELECT cells.i, ranks.c, cells.weight FROM cells JOIN ranks ON ranks.key = cells.key
                               """).fetchnumpy()
    finally:
        db.unregister("_el_index")
    import numpy as np

    rows, columns = np.asarray(found["i"]), np.asarray(found["c"])
    matrix = csr_matrix((found["weight"], (rows, columns)),
                        shape=(len(docs), int(columns.max()) + 1 if len(columns) else 1))
    matrix.sort_indices()
    return matrix


class _registered:
    """A list of doc ids as a one-column DuckDB view for the length of a `with`."""

    def __init__(self, db, name: str, docs: Iterable[str]):
        self.db, self.name = db, name
        db.register(name, pa.table({"doc_id": pa.array(sorted(set(docs)), pa.string())}))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.db.unregister(self.name)


def _select_sql(docs_filter: str) -> str:
    """Each document's `MAX_TERMS_PER_DOC` heaviest eligible terms."""
    return f"""SELECT doc_id, term FROM (
                   SELECT v.doc_id, v.term, row_number() OVER (PARTITION BY v.doc_id ORDER BY v.rank) AS r
                   FROM {VECTORS} v JOIN {TERMS} t ON t.term = v.term
                   WHERE t.eligible {docs_filter})
               WHERE r <= {MAX_TERMS_PER_DOC}"""


_PAIRS_SQL = f"""SELECT DISTINCT least(s1.doc_id, s2.doc_id) AS a, greatest(s1.doc_id, s2.doc_id) AS b
                 FROM {SELECTED} s1 JOIN {SELECTED} s2 ON s1.term = s2.term AND s1.doc_id <> s2.doc_id"""


def _full_tables(db, cap: int, floor: float) -> list[str]:
    for table in (VECTORS, TERMS, SELECTED, PAIRS, STORIES):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    docs = sorted(d for (d,) in db.execute("SELECT doc_id FROM articles").fetchall())
    db.execute(f"CREATE TABLE {VECTORS} (doc_id VARCHAR, term VARCHAR, weight DOUBLE, rank INTEGER, key BIGINT)")
    # A slice of the documents at a time: the vectors of the whole corpus as Python objects are gigabytes.
    for start in range(0, len(docs), SLICE):
        db.register("_el_vectors", _vectors_table(_vectors_of(db, docs[start:start + SLICE])))
        db.execute(f"INSERT INTO {VECTORS} SELECT * FROM _el_vectors")
        db.unregister("_el_vectors")
    db.execute(f"""CREATE TABLE {TERMS} AS SELECT term, count(*) AS df, count(*) > 1 AND count(*) <= {cap}
                   AS eligible FROM {VECTORS} GROUP BY term""")
    db.execute(f"CREATE TABLE {SELECTED} AS {_select_sql('')}")
    db.execute(f"CREATE TABLE {PAIRS} (a VARCHAR, b VARCHAR, cosine DOUBLE)")
    # The candidate pairs grow with the corpus (up to MAX_TERMS_PER_DOC * MAX_POSTING a document): they are
    # found and measured for a slice of the documents at a time, so that memory holds one slice's.
    matrix = _stored_matrix(db, docs)
    for start in range(0, len(docs), SLICE):
        bounds = [d.replace("'", "''") for d in (docs[start], docs[min(len(docs), start + SLICE) - 1])]
        _store_pairs(db, f"""SELECT DISTINCT s1.doc_id AS a, s2.doc_id AS b FROM {SELECTED} s1 JOIN {SELECTED} s2
                                ON s1.term = s2.term AND s1.doc_id < s2.doc_id
                                WHERE s1.doc_id BETWEEN '{bounds[0]}' AND '{bounds[1]}'""", docs, floor, matrix)
    db.execute(f"CREATE TABLE {STORIES} (doc_id VARCHAR, unit VARCHAR, story VARCHAR, digest VARCHAR)")
    return docs


def _store_pairs(db, pairs_sql: str, docs: list[str], floor: float, matrix=None) -> None:
    """Insert the pairs `pairs_sql` selects (columns a < b, all in `docs`, sorted) whose cosine is at least
    `floor`, with it. The others (nine in ten and more) are weak: they decide no unit nor component, and
    inside a neighbourhood that is compared all with all their cosine is the neighbourhood's product;
    `_weak_pairs` finds them again where they weigh in a mean."""
    import numpy as np

    db.register("_el_index", pa.table({"doc_id": pa.array(docs, pa.string()),
                                       "i": pa.array(range(len(docs)), pa.int64())}))
    try:
        found = db.execute(f"""SELECT x.i AS a, y.i AS b FROM ({pairs_sql}) p
                               JOIN _el_index x ON x.doc_id = p.a JOIN _el_index y ON y.doc_id = p.b
                               ORDER BY a, b""").fetchnumpy()
    finally:
        db.unregister("_el_index")
    left, right = np.asarray(found["a"], dtype=np.int64), np.asarray(found["b"], dtype=np.int64)
    cosine = pair_cosines(_stored_matrix(db, docs) if matrix is None else matrix, left, right)
    keep = cosine >= floor
    names = np.array(docs, dtype=object)
    db.register("_el_pairs", pa.table({"a": pa.array(names[left[keep]], pa.string()),
                                       "b": pa.array(names[right[keep]], pa.string()),
                                       "cosine": pa.array(cosine[keep], pa.float64())}))
    db.execute(f"INSERT INTO {PAIRS} SELECT * FROM _el_pairs")
    db.unregister("_el_pairs")


# --- an incremental call -------------------------------------------------------------------------------------


def _incremental(db, cap: int, threshold: float, link: float, changes) -> dict[str, str]:
    removed = set(changes.removed)
    fresh = set(changes.added) | set(changes.touched)  # documents whose vector is computed again
    gone = removed | set(changes.touched)  # documents whose stored rows are dropped
    with _registered(db, "_el_gone", gone):
        left = db.execute(f"SELECT DISTINCT unit, story FROM {STORIES} "
                          f"WHERE doc_id IN (SELECT doc_id FROM _el_gone)").fetchall()
        dirty_units = {unit for unit, _ in left}
        lost_members = {story for _, story in left}  # stories a document left: their events are read again
        # Document frequencies follow the vectors that leave and come.
        new_vectors = _vectors_of(db, sorted(fresh))
        db.register("_el_vectors", _vectors_table(new_vectors))
        db.execute(f"""CREATE TEMP TABLE _el_delta AS SELECT term, sum(d) AS d FROM (
                           SELECT term, -1 AS d FROM {VECTORS} WHERE doc_id IN (SELECT doc_id FROM _el_gone)
                           UNION ALL SELECT term, 1 FROM _el_vectors) GROUP BY term""")
        db.execute(f"DELETE FROM {VECTORS} WHERE doc_id IN (SELECT doc_id FROM _el_gone)")
        db.execute(f"INSERT INTO {VECTORS} SELECT * FROM _el_vectors")
        db.unregister("_el_vectors")
        db.execute(f"""INSERT INTO {TERMS} SELECT term, 0, false FROM _el_delta
                       WHERE term NOT IN (SELECT term FROM {TERMS})""")
        db.execute(f"UPDATE {TERMS} SET df = df + _el_delta.d FROM _el_delta WHERE {TERMS}.term = _el_delta.term")
        db.execute("DROP TABLE _el_delta")
        # A term whose document frequency (or the cap, with the corpus's size) crossed a bound.
        db.execute(f"""CREATE TEMP TABLE _el_flipped AS SELECT term FROM {TERMS}
                       WHERE eligible <> (df > 1 AND df <= {cap})""")
        db.execute(f"UPDATE {TERMS} SET eligible = (df > 1 AND df <= {cap}) "
                   f"WHERE term IN (SELECT term FROM _el_flipped)")
        db.execute(f"DELETE FROM {TERMS} WHERE df <= 0")
        db.execute(f"DELETE FROM {SELECTED} WHERE doc_id IN (SELECT doc_id FROM _el_gone)")
        db.execute(f"DELETE FROM {STORIES} WHERE doc_id IN (SELECT doc_id FROM _el_gone)")
    with _registered(db, "_el_fresh", fresh):
        db.execute(f"""CREATE TEMP TABLE _el_choosing AS SELECT doc_id FROM _el_fresh UNION
                       SELECT DISTINCT doc_id FROM {VECTORS} WHERE term IN (SELECT term FROM _el_flipped)""")
    db.execute("DROP TABLE _el_flipped")
    db.execute(f"CREATE TEMP TABLE _el_chosen AS {_select_sql('AND v.doc_id IN (SELECT doc_id FROM _el_choosing)')}")
    # The candidate pairs change only through the (document, term) selections that changed: a document that
    # chose again mostly keeps 39 of its 40 terms, and computing all its pairs again (each term's postings)
    # would cost hundreds of times the change. Fresh documents (new vector) lose and gain all their pairs.
    with _registered(db, "_el_fresh", fresh):
        db.execute(f"""CREATE TEMP TABLE _el_dropped AS
                       SELECT doc_id, term FROM {SELECTED} WHERE doc_id IN (SELECT doc_id FROM _el_choosing)
                       EXCEPT SELECT doc_id, term FROM _el_chosen""")
        db.execute(f"""CREATE TEMP TABLE _el_gained AS
                       SELECT doc_id, term FROM _el_chosen WHERE doc_id NOT IN (SELECT doc_id FROM _el_fresh)
                       EXCEPT SELECT doc_id, term FROM {SELECTED}
                       WHERE doc_id IN (SELECT doc_id FROM _el_choosing)""")
        moved = fresh | {d for (d,) in db.execute(
            "SELECT doc_id FROM _el_dropped UNION SELECT doc_id FROM _el_gained").fetchall()}
        # The stored pairs a dropped selection made (the selections are still the old ones, fresh documents'
        # gone): they are lost unless the two documents still share a selected term.
        db.execute(f"""CREATE TEMP TABLE _el_maybe_lost AS SELECT DISTINCT c.a, c.b FROM (
                           SELECT least(d.doc_id, s.doc_id) AS a, greatest(d.doc_id, s.doc_id) AS b
                           FROM _el_dropped d JOIN {SELECTED} s ON s.term = d.term AND s.doc_id <> d.doc_id) c
                       SEMI JOIN {PAIRS} p ON p.a = c.a AND p.b = c.b""")
        db.execute(f"DELETE FROM {SELECTED} WHERE doc_id IN (SELECT doc_id FROM _el_choosing)")
        db.execute(f"INSERT INTO {SELECTED} SELECT doc_id, term FROM _el_chosen")
    for table in ("_el_chosen", "_el_choosing", "_el_dropped"):
        db.execute(f"DROP TABLE {table}")
    with _registered(db, "_el_moved", moved | removed):
        dirty_units |= {u for (u,) in db.execute(
            f"SELECT DISTINCT unit FROM {STORIES} WHERE doc_id IN (SELECT doc_id FROM _el_moved)").fetchall()}
    with _registered(db, "_el_fresh", fresh | removed):
        db.execute(f"""DELETE FROM {PAIRS} WHERE a IN (SELECT doc_id FROM _el_fresh)
                       OR b IN (SELECT doc_id FROM _el_fresh)""")
        db.execute(f"""DELETE FROM {PAIRS} USING (
                           SELECT a, b FROM _el_maybe_lost EXCEPT
                           SELECT m.a, m.b FROM _el_maybe_lost m JOIN {SELECTED} s1 ON s1.doc_id = m.a
                           JOIN {SELECTED} s2 ON s2.doc_id = m.b AND s2.term = s1.term) lost
                       WHERE {PAIRS}.a = lost.a AND {PAIRS}.b = lost.b""")
        # A pair a gained selection makes and that is stored was a candidate already (its documents kept
        # their vectors, so their cosine); one not stored is measured (a weak candidate of before stays out).
        new_pairs = f"""SELECT c.a, c.b FROM (
                            SELECT DISTINCT least(g.doc_id, s.doc_id) AS a, greatest(g.doc_id, s.doc_id) AS b
                            FROM _el_gained g JOIN {SELECTED} s ON s.term = g.term AND s.doc_id <> g.doc_id
                            WHERE s.doc_id NOT IN (SELECT doc_id FROM _el_fresh)) c
                        ANTI JOIN {PAIRS} p ON p.a = c.a AND p.b = c.b
                        UNION {_PAIRS_SQL} WHERE s1.doc_id IN (SELECT doc_id FROM _el_fresh)"""
        db.execute(f"CREATE TEMP TABLE _el_todo AS {new_pairs}")
    involved = sorted({d for (d,) in db.execute("SELECT a FROM _el_todo UNION SELECT b FROM _el_todo").fetchall()})
    _store_pairs(db, "SELECT a, b FROM _el_todo", involved, link - MARGIN)
    for table in ("_el_gained", "_el_maybe_lost", "_el_todo"):
        db.execute(f"DROP TABLE {table}")
    with _registered(db, "_el_units", dirty_units):
        seeds = moved | {d for (d,) in db.execute(
            f"SELECT doc_id FROM {STORIES} WHERE unit IN (SELECT doc_id FROM _el_units)").fetchall()}
    seeds -= removed - set(changes.added)
    reached = _reach(db, seeds, link)
    with _registered(db, "_el_reached", reached):
        kept = {doc: (story, digest) for doc, story, digest in db.execute(
            f"SELECT doc_id, story, digest FROM {STORIES} WHERE doc_id IN (SELECT doc_id FROM _el_reached)").fetchall()}
        db.execute(f"DELETE FROM {STORIES} WHERE doc_id IN (SELECT doc_id FROM _el_reached)")
    before = {doc: story for doc, (story, _) in kept.items()}
    reached = sorted(reached)
    after = _cluster(db, reached, _stored_matrix(db, reached), threshold, link, kept)
    return _changed_stories(before, after, fresh, lost_members)


def _changed_stories(before: dict[str, str], after: dict[str, str], fresh: set[str],
                     lost_members: set[str]) -> dict[str, str]:
    """The part of `after` (doc -> story) whose events must be read again: the stories whose members
    changed, or hold a document whose rows are new or whose inputs changed. (A story left as it was
    keeps its events: they depend on its members' mentions only.)"""
    members_after: dict[str, set[str]] = defaultdict(set)
    members_before: dict[str, set[str]] = defaultdict(set)
    for doc, story in after.items():
        members_after[story].add(doc)
    for doc, story in before.items():
        members_before[story].add(doc)
    changed = {story for story, members in members_after.items()
               if story in lost_members or members != members_before.get(story) or members & fresh}
    return {doc: story for doc, story in after.items() if story in changed}


def _reach(db, seeds: set[str], link: float) -> set[str]:
    """`seeds` and every document joined to them by a chain of close pairs or copy groups."""
    reached, frontier = set(seeds), set(seeds)
    while frontier:
        with _registered(db, "_el_frontier", frontier):
            found = {d for (d,) in db.execute(f"""
                SELECT b FROM {PAIRS} WHERE cosine >= ? AND a IN (SELECT doc_id FROM _el_frontier)
                UNION SELECT a FROM {PAIRS} WHERE cosine >= ? AND b IN (SELECT doc_id FROM _el_frontier)
                UNION SELECT doc_id FROM articles WHERE dup_group IN (
                    SELECT dup_group FROM articles WHERE doc_id IN (SELECT doc_id FROM _el_frontier))""",
                [link, link]).fetchall()}
        frontier = found - reached
        reached |= frontier
    return reached


# --- clustering of units -------------------------------------------------------------------------------------


def _cluster(db, docs: list[str], matrix, threshold: float, link: float,
             kept: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """Stories of `docs` (sorted, whole units; `matrix` their vectors), stored in `event_links__stories`
    and returned. `kept`: doc -> (story, digest) of an earlier call; a component whose members all kept
    the digest it has now keeps their stories (its linkage would give them again)."""
    if not docs:
        return {}
    import numpy as np

    n = len(docs)
    db.register("_el_index", pa.table({"doc_id": pa.array(docs, pa.string()),
                                       "i": pa.array(range(n), pa.int64())}))
    try:
        found = db.execute(f"""SELECT x.i AS a, y.i AS b, p.cosine FROM {PAIRS} p
                               JOIN _el_index x ON x.doc_id = p.a JOIN _el_index y ON y.doc_id = p.b
                               ORDER BY a, b""").fetchnumpy()
        copies = db.execute("""SELECT x.i, min(x.i) OVER (PARTITION BY coalesce(a.dup_group, a.doc_id))
                               FROM articles a JOIN _el_index x ON x.doc_id = a.doc_id ORDER BY x.i""").fetchnumpy()
    finally:
        db.unregister("_el_index")
    left, right, cosine = (np.asarray(found[k]) for k in ("a", "b", "cosine"))
    group = np.asarray(copies[list(copies)[1]], dtype=np.int64)
    close = cosine >= link
    neighbourhood = _components(n, left[close], right[close])
    unit = _components_with_copies(left[close], right[close], group)
    left, right, similarity = _known_pairs(left, right, cosine, neighbourhood, matrix)
    left, right, similarity = _weak_pairs(db, docs, left, right, similarity, neighbourhood, group, matrix,
                                          threshold)
    story, digest = link_components(docs, left, right, similarity, group, threshold, kept)
    first_of_unit = np.argsort(unit, kind="stable")[np.searchsorted(np.sort(unit), unit)]
    db.register("_el_stories", pa.table({"doc_id": pa.array(docs, pa.string()),
                                         "unit": pa.array([docs[i] for i in first_of_unit.tolist()], pa.string()),
                                         "story": pa.array(story, pa.string()),
                                         "digest": pa.array(digest, pa.string())}))
    db.execute(f"INSERT INTO {STORIES} SELECT * FROM _el_stories")
    db.unregister("_el_stories")
    return dict(zip(docs, story))


def link_components(docs: list[str], left, right, similarity, group, threshold: float,
                    kept: dict[str, tuple[str, str]] | None = None) -> tuple[list[str], list[str]]:
    """Average linkage of `docs` (sorted) whose known pairs are (`left`, `right`, `similarity`: indexes,
    left < right; any other pair counts as 0), copies of a report (`group`: the index of each one's first
    copy) kept together: each document's story (the smallest doc id in it) and its component's digest.

    Average linkage with a threshold is reducible: two groups merge only if the mean of their pairs reaches
    `threshold`, which it cannot when every pair between them is below it. So the components of the graph
    of pairs at least that similar (and of copy groups) never share a story, and each is clustered on its
    own, on the pairs inside it: the stories are those of clustering all of `docs` at once, at the cost of
    the components (most are small even where the documents chain into one unit of thousands). A
    component whose members all hold the digest it has now in `kept` (doc -> (story, digest)) keeps their
    stories: the digest covers everything its linkage reads."""
    import numpy as np

    n = len(docs)
    strong = similarity >= threshold - MARGIN
    everyone = np.arange(n)
    component = _components_with_copies(left[strong], right[strong], group)
    inside = component[left] == component[right]
    left, right, similarity = left[inside], right[inside], similarity[inside]
    by_component = np.argsort(component[left], kind="stable")
    pair_bounds = np.searchsorted(component[left][by_component], np.arange(component.max() + 2))
    order = np.argsort(component, kind="stable")  # members of each component in doc order
    member_bounds = np.searchsorted(component[order], np.arange(component.max() + 2))
    local = np.empty(n, dtype=np.int64)  # a document's index among its component's members
    local[order] = everyone - member_bounds[component[order]]
    story, digest = list(docs), [""] * n
    kept = kept or {}
    for label in np.flatnonzero(np.diff(member_bounds) > 1).tolist():
        members = order[member_bounds[label]:member_bounds[label + 1]]
        picked = by_component[pair_bounds[label]:pair_bounds[label + 1]]
        names = [docs[i] for i in members.tolist()]
        rows, columns, values = local[left[picked]], local[right[picked]], similarity[picked]
        groups = local[group[members]]
        hashed = hashlib.blake2b(repr(threshold).encode(), digest_size=16)
        for part in ("\0".join(names).encode(), rows.tobytes(), columns.tobytes(), values.tobytes(),
                     groups.tobytes()):
            hashed.update(len(part).to_bytes(8, "big"))
            hashed.update(part)
        mark = hashed.hexdigest()
        if all(kept.get(name, ("", ""))[1] == mark for name in names):
            found = [kept[name][0] for name in names]
        else:
            found = component_stories(names, rows, columns, values, groups, threshold)
        for i, doc in zip(members.tolist(), found):
            story[i], digest[i] = doc, mark
    return story, digest


def _weak_pairs(db, docs, left, right, similarity, neighbourhood, group, matrix, threshold: float):
    """The known pairs with the weak candidate pairs (not stored) added where they weigh in a mean: inside a
    component that is not within one neighbourhood compared all with all (a neighbourhood too large to
    complete, or neighbourhoods joined by copies)."""
    import numpy as np

    n = len(docs)
    strong = similarity >= threshold - MARGIN
    component = _components_with_copies(left[strong], right[strong], group)
    sizes = np.bincount(neighbourhood)
    completed = (sizes <= MAX_NEIGHBOURHOOD)[neighbourhood]
    # A component is covered when its members share one completed neighbourhood (the others' keys are
    # their own).
    key = np.where(completed, neighbourhood, -1 - np.arange(n))
    low, high = np.full(component.max() + 1, n + 1), np.full(component.max() + 1, -n - 1)
    np.minimum.at(low, component, key)
    np.maximum.at(high, component, key)
    members = np.bincount(component)
    uncovered = np.flatnonzero((members[component] > 1) & ~((low == high)[component]))
    if not len(uncovered):
        return left, right, similarity
    db.register("_el_uncovered", pa.table({"doc_id": pa.array([docs[i] for i in uncovered.tolist()], pa.string()),
                                           "i": pa.array(uncovered, pa.int64()),
                                           "component": pa.array(component[uncovered], pa.int64())}))
    try:
        db.execute(f"""CREATE TEMP TABLE _el_terms AS SELECT u.i, s.term, u.component
                       FROM {SELECTED} s JOIN _el_uncovered u ON u.doc_id = s.doc_id""")
        found = db.execute("""SELECT DISTINCT t1.i AS a, t2.i AS b FROM _el_terms t1 JOIN _el_terms t2
                              ON t1.term = t2.term AND t1.component = t2.component AND t1.i < t2.i
                              ORDER BY a, b""").fetchnumpy()
        db.execute("DROP TABLE _el_terms")
    finally:
        db.unregister("_el_uncovered")
    rows, columns = np.asarray(found["a"], dtype=np.int64), np.asarray(found["b"], dtype=np.int64)
    known = left * n + right
    at = np.minimum(np.searchsorted(known, rows * n + columns), max(len(known) - 1, 0))
    new = ~(known[at] == rows * n + columns) if len(known) else np.ones(len(rows), dtype=bool)
    rows, columns = rows[new], columns[new]
    values = pair_cosines(matrix, rows, columns)
    keep = values > 0
    rows, columns, values = np.concatenate([left, rows[keep]]), np.concatenate([right, columns[keep]]), \
        np.concatenate([similarity, values[keep]])
    order = np.argsort(rows * n + columns, kind="stable")
    return rows[order], columns[order], values[order]


def _components_with_copies(left, right, group):
    """The components of the pairs (`left`, `right`) with each document joined to its first copy (`group`)."""
    import numpy as np

    n = len(group)
    return _components(n, np.concatenate([left, np.arange(n)]), np.concatenate([right, group]))


def _components(n: int, rows, columns):
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(rows)), (rows, columns)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _known_pairs(left, right, cosine, neighbourhood, matrix):
    """The pairs whose similarity is known (a < b, sorted): the candidate pairs, with their stored cosine,
    and every pair of a neighbourhood of at most `MAX_NEIGHBOURHOOD` documents, with the product of
    their vectors. Any other pair counts as 0."""
    import numpy as np
    from scipy.sparse import triu

    order = np.argsort(neighbourhood, kind="stable")
    bounds = np.searchsorted(neighbourhood[order], np.arange(neighbourhood.max() + 2))
    sizes = np.diff(bounds)
    rows, columns, values = [left], [right], [cosine]
    for label in np.flatnonzero((sizes > 1) & (sizes <= MAX_NEIGHBOURHOOD)).tolist():
        inside = order[bounds[label]:bounds[label + 1]]
        block = matrix[inside]
        block = triu(block @ block.T, k=1).tocoo()
        rows.append(inside[block.row])
        columns.append(inside[block.col])
        values.append(block.data)
    rows, columns, values = np.concatenate(rows), np.concatenate(columns), np.concatenate(values)
    # The candidate pairs come first: a pair both a candidate and completed keeps its stored cosine.
    first = np.unique(rows * matrix.shape[0] + columns, return_index=True)[1]
    return rows[first], columns[first], values[first]


def component_stories(names: list[str], rows, columns, values, groups, threshold: float) -> list[str]:
    """Average linkage of one component: for each document (`names`, sorted) the smallest doc id of its
    story. `rows`, `columns`, `values`: its known pairs (local indexes, row < column; any other pair
    counts as 0); `groups`: each document's copy group (the local index of its first copy)."""
    import numpy as np

    n = len(names)
    if n > DENSE_UNIT:
        by_group: dict[int, list[int]] = defaultdict(list)
        for k, g in enumerate(groups.tolist()):
            by_group[g].append(k)
        merged = average_linkage(sorted(by_group.values()),
                                 dict(zip(zip(rows.tolist(), columns.tolist()), values.tolist())), threshold)
        return [names[merged[k]] for k in range(n)]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    similarity = np.zeros((n, n))
    similarity[rows, columns] = values
    similarity[columns, rows] = values
    # Copies are one story from the start: as close as can be, they merge before anything else, and what
    # they merge with next is decided by the mean over all their members, as for one group.
    similarity[groups[:, None] == groups[None, :]] = 1.0
    np.subtract(1.0, similarity, out=similarity)  # distances, in place: a unit of 4,000 is 128 MB a copy
    np.clip(similarity, 0.0, None, out=similarity)
    np.fill_diagonal(similarity, 0.0)
    distances = squareform(similarity, checks=False)
    labels = fcluster(linkage(distances, method="average"), 1.0 - threshold, criterion="distance").tolist()
    smallest: dict[int, str] = {}
    for name, label in zip(names, labels):
        smallest.setdefault(label, name)
    return [smallest[label] for label in labels]


def average_linkage(groups: list[list[int]], similarity: dict[tuple[int, int], float],
                    threshold: float) -> dict[int, int]:
    """Merge `groups` (lists of documents) while the mean similarity of two groups reaches `threshold`; for
    units too large for a dense matrix. A heap holds the current mean of every pair of groups with a
    similar pair between them."""
    group_of = {doc: index for index, members in enumerate(groups) for doc in members}
    members = {index: list(docs) for index, docs in enumerate(groups)}
    sums: dict[int, dict[int, float]] = defaultdict(dict)
    for (a, b), value in sorted(similarity.items()):
        ga, gb = group_of[a], group_of[b]
        if ga != gb:
            sums[ga][gb] = sums[ga].get(gb, 0.0) + value
            sums[gb][ga] = sums[gb].get(ga, 0.0) + value
    heap = [(-total / (len(members[a]) * len(members[b])), a, b)
            for a, row in sums.items() for b, total in row.items() if a < b]
    heapq.heapify(heap)
    while heap:
        negative, a, b = heapq.heappop(heap)
        if a not in members or b not in members or b not in sums[a]:
            continue
        mean = sums[a][b] / (len(members[a]) * len(members[b]))
        if abs(mean + negative) > 1e-12:
            continue  # stale: this pair's mean changed since it was pushed
        if mean < threshold:
            break
        members[a].extend(members.pop(b))
        for other, total in sums.pop(b).items():
            sums[other].pop(b, None)
            if other == a:
                continue
            sums[a][other] = sums[a].get(other, 0.0) + total
            sums[other][a] = sums[a][other]
        for other, total in sums[a].items():
            heapq.heappush(heap, (-total / (len(members[a]) * len(members[other])), min(a, other), max(a, other)))
    return {doc: min(docs) for docs in members.values() for doc in docs}


# --- cosines -------------------------------------------------------------------------------------------------


def pair_cosines(matrix, left, right, pairs: int = 1 << 18):
    """The cosines of the pairs of rows (`left[k]`, `right[k]`) of `matrix`: for about `pairs` pairs at a
    time, the product of the rows of one side with those of the other only (not with every row: that is
    the square of the corpus). When a few documents are in most pairs (an incremental call's), each of them
    is multiplied with its own partners alone: a block of them would compute every row with every partner
    of the block, mostly cells no pair wants. Either way a pair's sum is taken over its common columns in
    their order (from 0, adding the products one after the other: the other products of the dense row are
    0 and leave it as it is), whichever rows are in the block, so its cosine is the same in any call."""
    import numpy as np

    cosine = np.zeros(len(left))
    if not len(left):
        return cosine
    count = np.bincount(np.concatenate([left, right]))
    swap = count[right] > count[left]
    few = 2 * len(np.unique(np.where(swap, right, left))) <= len(np.unique(left))
    if not few:
        swap[:] = False  # no few documents in most pairs (a full call): blocks of consecutive rows are faster
    side, other = np.where(swap, right, left), np.where(swap, left, right)
    order = np.argsort(side, kind="stable")
    side, other = side[order], other[order]
    found = np.zeros(len(side))
    if few:
        dense = np.zeros(matrix.shape[1])
        bounds = np.flatnonzero(np.r_[True, side[1:] != side[:-1], True]).tolist()
        for start, end in zip(bounds[:-1], bounds[1:]):
            at = slice(matrix.indptr[side[start]], matrix.indptr[side[start] + 1])
            dense[matrix.indices[at]] = matrix.data[at]
            found[start:end] = matrix[other[start:end]] @ dense
            dense[matrix.indices[at]] = 0.0
        cosine[order] = found
        return cosine
    start = 0
    while start < len(side):
        end = int(np.searchsorted(side, side[min(len(side), start + pairs) - 1], side="right"))
        rows, at_row = np.unique(side[start:end], return_inverse=True)
        partners, at_partner = np.unique(other[start:end], return_inverse=True)
        product = (matrix[rows] @ matrix[partners].T).tocsr()
        product.sum_duplicates()  # sorted columns in each row: the cells are found by one search
        keys = np.repeat(np.arange(len(rows), dtype=np.int64), np.diff(product.indptr)) * len(partners)
        keys += product.indices
        wanted = at_row.reshape(-1).astype(np.int64) * len(partners) + at_partner.reshape(-1)
        if len(keys):
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            found[start:end] = np.where(keys[at] == wanted, product.data[at], 0.0)
        start = end
    cosine[order] = found
    return cosine

