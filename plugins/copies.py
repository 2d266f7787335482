"""Copies, rewrites and syndication: `articles.dup_group`, `derived_from`, `derived_similarity`.

Extract computes, per document and in parallel, a MinHash signature of the document's content-word
stems (`copy_signatures`). Enrich then finds candidate pairs by locality-sensitive hashing in DuckDB
(bands of the signature that collide), never all pairs, and verifies each candidate:

* a **copy** shares most of its word 5-grams with the other (containment of the shorter one);
* a **rewrite** tells the same facts in the same order in other words: nearly every sentence of the
  shorter one has a counterpart in the other (sharing a quarter of its content words), in the same
  order, and the named entities follow the same order. A follow-up story that reuses a report's
  background and quotes around new facts is not a rewrite of it.

Verified pairs are joined into groups (union-find). In each group the source is the earliest
published article, or the fullest one when dates are missing; the others are `derived_from` it, with
the similarity that linked them. An article with no copy is a group of its own (`dup_group` is its
`doc_id`), so `count(DISTINCT dup_group)` counts independent reports. Exact copies (same text) are
grouped before hashing, so a thousand identical documents cost one signature comparison, not a
million.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from functools import lru_cache

import pyarrow as pa
from rapidfuzz.distance import LCSseq

from etl import Contract, Setting, hookimpl

NAME = "copies"
BANDS, ROWS = 42, 3  # 126 permutations; pairs above ~0.3 stem Jaccard collide in some band
SHINGLE_CACHE = 4096  # documents whose hashed 5-grams are kept during enrich (some 100 MB at most)
MAX_BUCKET = 200  # a band value shared by more documents is boilerplate, not evidence
#: Candidates whose signatures agree on fewer of their values than this share (an estimate of the stem Jaccard)
#: are not verified. Two news articles on unrelated subjects share some content words (stem Jaccard 0.05-0.15
#: on BBC), and with three rows a band lets a few percent of such pairs collide: most candidates are that
#: background, and their number grows with the square of the corpus. On all of BBC the 38 pairs that verify
#: estimate 0.40 and up; this keeps 518 of the 14,078 candidates.
MIN_ESTIMATED_JACCARD = 0.2
_STOP = frozenset(
    "the a an of to in and or for on at by with from as is was were be been being has have had that this "
    "these those which who whom its it their his her they he she we you i but not are than into over under "
    "after before about said says say also would could will can may might there here what when where while "
    "more most other some such only just very so no yes do does did".split())
_WORD = re.compile(r"[^\W_]+")


@hookimpl
def etl_contract():
    return {
        "extract": Contract(provides=("copy_signatures",)),
        "enrich": Contract(reads=("copy_signatures",),
                           provides=("articles.dup_group", "articles.derived_from", "articles.derived_similarity"),
                           incremental=True),
    }


@hookimpl
def etl_settings():
    return {
        "copy_containment": Setting(0.6, float, "share of the shorter text's word 5-grams found in the other"),
        "rewrite_entity_order": Setting(0.6, float, "entities in the same order (LCS over the shorter list)"),
        "rewrite_sentences": Setting(0.85, float, "share of the shorter text's sentences matched in order"),
        "sentence_match": Setting(0.25, float, "Jaccard of content-word stems for two sentences to match"),
        "rewrite_min_entities": Setting(5, int, "fewer named entities than this cannot show a rewrite"),
    }


@hookimpl
def etl_tables():
    return {"copy_signatures": pa.schema([
        ("text_sha256", pa.string()),
        ("minhash", pa.list_(pa.uint32())),
        # The publication date as extracted: a later enrich plugin may fill `articles.published_at` of an
        # undated copy from its group, and the source of a group is chosen by the dates documents came with.
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("plugin", pa.string()),
    ])}


@hookimpl
def etl_extract(documents, config):
    # Imported here: datasketch imports scipy, a second of start-up that a run extracting nothing
    # (an unchanged run) should not pay.
    from datasketch import MinHash

    for doc in documents:
        stems = content_stems(doc.text)
        if not stems:
            continue
        signature = MinHash(num_perm=BANDS * ROWS, seed=1)
        signature.update_batch([s.encode() for s in stems])
        doc.add("copy_signatures", text_sha256=hashlib.sha256(doc.text.encode()).hexdigest(),
                minhash=[int(v) for v in signature.hashvalues], published_at=doc.published_at, plugin=NAME)


def content_stems(text: str) -> set[str]:
    """Content words cut to five letters: "captured" and "capture" agree, "the" and "said" are gone."""
    return {w[:5] for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP and not w.isdigit()}


def shingles(text: str, size: int = 5) -> set[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {" ".join(words[i:i + size]) for i in range(max(1, len(words) - size + 1))}


@hookimpl
def etl_enrich(db, config, changes):
    """Verify the candidate pairs, group the copies and name each group's source.

    Incremental (`changes`): every candidate pair is found again (in SQL, over the signatures), but only
    pairs not verified before are verified; a pair's verdict depends on its two documents alone, so the
    verdicts kept in `copies__pairs` stay right until one of them changes."""
    settings = config.settings(NAME)
    pairs = candidate_pairs(db)
    known = _known_verdicts(db, changes) if changes is not None else {}
    todo = sorted(p for p in pairs if p not in known)  # in order, so that one document's pairs come together
    docs = _documents(db, {d for pair in todo for d in pair})

    # A document is a candidate in many pairs: its 5-grams are hashed once and kept for a while.
    @lru_cache(maxsize=SHINGLE_CACHE)
    def hashed_shingles(doc_id: str) -> frozenset[int]:
        return frozenset(map(hash, shingles(docs[doc_id]["text"])))

    verdicts = {pair: known[pair] for pair in pairs if pair in known}
    for a, b in todo:
        verdicts[(a, b)] = verify(docs[a], docs[b], settings, hashed_shingles(a), hashed_shingles(b))
    _keep_verdicts(db, verdicts)
    links = {pair: similarity for pair, similarity in verdicts.items() if similarity is not None}
    for group in _exact_copy_groups(db):
        for other in group[1:]:
            links[(group[0], other)] = 1.0
    _publish(db, _ranks(db), links)


def _known_verdicts(db, changes) -> dict[tuple[str, str], float | None]:
    """The verdicts of the previous run on pairs of documents that have not changed since."""
    if not changes.kept(db, "copies__pairs"):
        return {}
    gone = changes.removed
    return {(a, b): similarity for a, b, similarity in db.sql("SELECT a, b, similarity FROM copies__pairs").fetchall()
            if a not in gone and b not in gone}


def _keep_verdicts(db, verdicts: dict[tuple[str, str], float | None]) -> None:
    ordered = sorted(verdicts)
    db.register("_verdicts", pa.table({
        "a": pa.array([a for a, _ in ordered], pa.string()), "b": pa.array([b for _, b in ordered], pa.string()),
        "similarity": pa.array([verdicts[pair] for pair in ordered], pa.float64())}))
    db.execute("CREATE OR REPLACE TABLE copies__pairs AS SELECT * FROM _verdicts")
    db.unregister("_verdicts")


def candidate_pairs(db) -> set[tuple[str, str]]:
    """Documents whose signatures collide in at least one band and agree on at least MIN_ESTIMATED_JACCARD of
    their values (exact copies are handled apart)."""
    rows = db.sql(f"""
        WITH one_per_text AS (
            SELECT min(doc_id) AS doc_id, any_value(minhash) AS minhash
            FROM copy_signatures GROUP BY text_sha256
        ), bands AS (
            SELECT doc_id, band, hash(list_slice(minhash, band * {ROWS} + 1, band * {ROWS} + {ROWS})) AS key
            FROM one_per_text, range({BANDS}) AS r(band)
        ), buckets AS (
            SELECT band, key, list(doc_id ORDER BY doc_id) AS members
            FROM bands GROUP BY band, key HAVING count(*) BETWEEN 2 AND {MAX_BUCKET}
        ), pairs AS (
            SELECT DISTINCT a.m AS a, b.m AS b
            FROM buckets, unnest(members) AS a(m), unnest(members) AS b(m)
            WHERE a.m < b.m
        )
        SELECT p.a, p.b FROM pairs p
        JOIN one_per_text x ON x.doc_id = p.a JOIN one_per_text y ON y.doc_id = p.b
        WHERE list_sum(list_transform(list_zip(x.minhash, y.minhash), lambda v: (v[1] = v[2])::INTEGER))
              >= {MIN_ESTIMATED_JACCARD} * len(x.minhash)
    """).fetchall()
    return {(a, b) for a, b in rows}


def _exact_copy_groups(db) -> list[list[str]]:
    rows = db.sql("""SELECT list(doc_id ORDER BY doc_id) FROM copy_signatures
                     GROUP BY text_sha256 HAVING count(*) > 1""").fetchall()
    return [r[0] for r in rows]


def _documents(db, ids: set[str]) -> dict[str, dict]:
    if not ids:
        return {}
    db.register("_copy_ids", pa.table({"doc_id": sorted(ids)}))
    rows = db.sql("""
        SELECT a.doc_id, a.text,
               (SELECT list(lower(e.text) ORDER BY e.start) FROM entities e
                WHERE e.doc_id = a.doc_id AND e.segment IS NULL) AS names,
               (SELECT list([s.start, s."end"] ORDER BY s.sentence) FROM sentences s WHERE s.doc_id = a.doc_id)
        FROM articles a SEMI JOIN _copy_ids USING (doc_id)
    """).fetchall()
    db.unregister("_copy_ids")
    return {r[0]: {"doc_id": r[0], "text": r[1], "names": r[2] or [],
                   "sentences": [r[1][start:end] for start, end in (r[3] or [])]}
            for r in rows}


def _ranks(db) -> dict[str, tuple]:
    """Each signed document's rank as a group's source (`_source_rank`), from what extraction gave it."""
    return {doc_id: _source_rank(doc_id, published, words) for doc_id, published, words in db.sql(
        "SELECT c.doc_id, c.published_at, a.word_count FROM copy_signatures c JOIN articles a USING (doc_id)"
    ).fetchall()}


def verify(a: dict, b: dict, settings: dict, sa: frozenset | None = None, sb: frozenset | None = None) -> float | None:
    """The similarity that makes `a` and `b` one report, or None when they are not (`sa` and `sb`:
    their 5-grams, when the caller has them)."""
    sa = shingles(a["text"]) if sa is None else sa
    sb = shingles(b["text"]) if sb is None else sb
    containment = len(sa & sb) / max(1, min(len(sa), len(sb)))
    if containment >= settings["copy_containment"]:
        return round(containment, 4)
    names_a, names_b = a["names"], b["names"]
    if min(len(names_a), len(names_b)) < settings["rewrite_min_entities"]:
        return None
    order = LCSseq.similarity(names_a, names_b) / min(len(names_a), len(names_b))
    if order < settings["rewrite_entity_order"]:
        return None
    aligned = ordered_sentence_match(a["sentences"], b["sentences"], settings["sentence_match"])
    if aligned is not None and aligned >= settings["rewrite_sentences"]:
        return round((order + aligned) / 2, 4)
    return None


def ordered_sentence_match(a: list[str], b: list[str], threshold: float, min_sentences: int = 4) -> float | None:
    """Share of the shorter text's sentences that have a matching sentence in the other, in order.

    Each sentence is matched to its most similar one (Jaccard of content-word stems); the longest run
    of matches in increasing position counts. None when the shorter text has too few sentences.
    """
    stems_a = [s for s in map(content_stems, a) if len(s) >= 4]
    stems_b = [s for s in map(content_stems, b) if len(s) >= 4]
    if len(stems_a) > len(stems_b):
        stems_a, stems_b = stems_b, stems_a
    if len(stems_a) < min_sentences:
        return None
    positions = []
    for sentence in stems_a:
        score, where = max((len(sentence & other) / len(sentence | other), j) for j, other in enumerate(stems_b))
        if score >= threshold:
            positions.append(where)
    increasing: list[int] = []  # patience sorting: the longest increasing subsequence's length
    for position in positions:
        k = bisect_left(increasing, position)
        increasing[k:k + 1] = [position]
    return len(increasing) / len(stems_a)


def _publish(db, ranks: dict[str, tuple], links: dict[tuple[str, str], float]) -> None:
    """Write each group's rows, changing only the articles whose values differ (an incremental run's
    later plugins are told exactly which documents changed)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[root_a] = root_b
    groups: dict[str, list[str]] = {}
    for doc in parent:
        groups.setdefault(find(doc), []).append(doc)
    rows = []
    for members in groups.values():
        source = min(members, key=lambda d: ranks[d])
        group_id = min(members)
        for doc in members:
            similarity = None if doc == source else _best_link(doc, source, members, links)
            rows.append((doc, group_id, None if doc == source else source, similarity))
    table = pa.table({
        "doc_id": pa.array([r[0] for r in rows], pa.string()),
        "dup_group": pa.array([r[1] for r in rows], pa.string()),
        "derived_from": pa.array([r[2] for r in rows], pa.string()),
        "derived_similarity": pa.array([r[3] for r in rows], pa.float32()),
    })
    db.register("_copy_links", table)
    # An article alone is its own group, so that count(DISTINCT dup_group) counts independent reports.
    db.execute("""UPDATE articles SET dup_group = coalesce(l.dup_group, articles.doc_id), derived_from = l.derived_from,
                  derived_similarity = l.derived_similarity
                  FROM articles a LEFT JOIN _copy_links l USING (doc_id)
                  WHERE articles.doc_id = a.doc_id
                    AND (articles.dup_group IS DISTINCT FROM coalesce(l.dup_group, a.doc_id)
                         OR articles.derived_from IS DISTINCT FROM l.derived_from
                         OR articles.derived_similarity IS DISTINCT FROM l.derived_similarity)""")
    db.unregister("_copy_links")


def _source_rank(doc_id: str, published, words: int | None) -> tuple:
    """Earliest published first; undated articles after dated ones, the fullest first; then by id."""
    return (published is None, published.timestamp() if published else 0, -(words or 0), doc_id)


def _best_link(doc: str, source: str, members: list[str], links: dict[tuple[str, str], float]) -> float | None:
    direct = links.get((doc, source)) or links.get((source, doc))
    if direct is not None:
        return direct
    linked = [v for (a, b), v in links.items() if doc in (a, b) and (a in members and b in members)]
    return max(linked) if linked else None
