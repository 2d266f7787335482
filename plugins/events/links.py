"""Cross-document event identity: mentions of one real-world event share `events.event_id`.

Two steps, each about linear in the corpus:

1. **Stories.** Documents are grouped into stories: reports of the same happening share rare words and
   names. Each document is a TF-IDF vector of its content words and linked entities; candidate pairs
   come only from terms rarer than `story_max_df` of the corpus and than `MAX_POSTING` documents (an
   inverted index, so a document is compared with the few that share its rare terms, not with all), and
   groups whose mean cosine reaches `story_similarity` join one story (average linkage; inside a
   neighbourhood of documents chained by close pairs, every pair counts, as sparse products). Copies of
   a report (`articles.dup_group`) are one story.
2. **Events within a story.** Mentions of one event class ("captured", "seized", "the fall" of a place;
   `lexicon.CLASSES`), or of one lemma when the lexicon has no class for it, are one event unless their
   arguments tell them apart: two different places, two different patients, or dates that cannot
   be the same day keep two captures, two earthquakes, two arrests apart.

`event_id` is derived from the content (the earliest mention's id), so a run from scratch and an
incremental run give the same ids. The entity ids of each mention's agent, patient and place are
filled from `entities.entity_id` (the entity linker's).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from etl import Contract, Setting, hookimpl

NAME = "event_links"
STORY_SIMILARITY = 0.15
STORY_MAX_DF = 0.05
MAX_TERMS_PER_DOC = 40
#: A term in more documents than this proposes no pair, whatever the corpus's size: `story_max_df` alone
#: (a share) lets a term's documents grow with the corpus, and its pairs with their square.
MAX_POSTING = 200
#: Documents chained by pairs this similar are compared all with all (up to `MAX_NEIGHBOURHOOD` of them).
NEIGHBOURHOOD_LINK = 0.12
MAX_NEIGHBOURHOOD = 2000
#: Two day-precise dates of one event may differ this much (a report's "Friday" against another's date).
DATE_SLACK_DAYS = 2
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


@hookimpl
def etl_contract():
    return {"enrich": Contract(
        reads=("events", "dates", "articles.dup_group", "entities.entity_id"),
        provides=("events.event_id", "events.agent_entity_id", "events.patient_entity_id",
                  "events.place_entity_id"))}


@hookimpl
def etl_settings():
    return {
        "story_similarity": Setting(STORY_SIMILARITY, float, "mean TF-IDF cosine between two groups of "
                                   "documents from which they are one story"),
        "story_max_df": Setting(STORY_MAX_DF, float, "share of the corpus above which a term is too common "
                                "to propose two documents as one story"),
    }


@hookimpl
def etl_enrich(db, config):
    settings = config.settings(NAME)
    db.execute("""
        UPDATE events SET agent_entity_id = a.entity_id, patient_entity_id = p.entity_id,
                          place_entity_id = l.entity_id
        FROM events e
        LEFT JOIN entities a ON a.mention_id = e.agent_mention_id
        LEFT JOIN entities p ON p.mention_id = e.patient_mention_id
        LEFT JOIN entities l ON l.mention_id = e.place_mention_id
        WHERE events.event_mention_id = e.event_mention_id AND events.doc_id = e.doc_id""")
    mentions = [Mention(*row) for row in db.execute("""
        SELECT e.event_mention_id, e.doc_id, e.lemma, e.event_class,
               CASE WHEN p.label IN ('GPE', 'LOC', 'FAC') THEN e.patient_entity_id END,
               CASE WHEN d.written THEN e.range_start END, CASE WHEN d.written THEN e.range_end END
        FROM events e
        LEFT JOIN entities p ON p.mention_id = e.patient_mention_id
        LEFT JOIN (SELECT doc_id, sentence, value, bool_or(anchor = 'absolute') AS written FROM dates GROUP BY ALL) d
               ON d.doc_id = e.doc_id AND d.sentence = e.sentence AND d.value = e.date_value
        ORDER BY e.doc_id, e.start""").fetchall()]
    if not mentions:
        return
    stories = story_of_documents(db, settings["story_similarity"], settings["story_max_df"])
    ids = event_ids(mentions, stories)
    db.register("_event_ids", pa.table({"event_mention_id": list(ids), "event_id": list(ids.values())}))
    db.execute("""UPDATE events SET event_id = i.event_id FROM _event_ids i
                  WHERE events.event_mention_id = i.event_mention_id""")
    db.unregister("_event_ids")


# --- stories ----------------------------------------------------------------------------------------------


def story_of_documents(db, threshold: float, max_df: float) -> dict[str, str]:
    """doc_id -> story id (the smallest doc_id of its story): average-linkage clusters of the documents
    whose TF-IDF vectors are close, copies of one report always together."""
    texts = db.execute("SELECT doc_id, text, coalesce(dup_group, doc_id) FROM articles ORDER BY doc_id").fetchall()
    names: dict[str, list[str]] = defaultdict(list)
    for doc_id, entity_id in db.execute(
            "SELECT doc_id, entity_id FROM entities WHERE entity_id IS NOT NULL ORDER BY doc_id, start").fetchall():
        names[doc_id].append("entity:" + entity_id)
    counts = {doc_id: Counter(terms(text) + names.get(doc_id, [])) for doc_id, text, _ in texts}
    copies: dict[str, list[str]] = defaultdict(list)
    for doc_id, _, group in texts:
        copies[group].append(doc_id)
    vectors, similarity = similar_pairs(counts, max_df)
    return average_linkage(list(copies.values()), with_neighbourhoods(vectors, similarity), threshold)


def with_neighbourhoods(vectors: dict[str, dict[str, float]], similarity: dict[tuple[str, str], float],
                        link: float = NEIGHBOURHOOD_LINK) -> dict[tuple[str, str], float]:
    """`similarity` completed inside each neighbourhood: documents joined by a chain of pairs of at least
    `link` are compared all with all, when the neighbourhood is small enough; a pair that shares no rare
    term then still counts its (small) similarity in the average, instead of 0."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), value in similarity.items():
        if value >= link:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    neighbourhoods: dict[str, list[str]] = defaultdict(list)
    for doc in list(parent):
        neighbourhoods[find(doc)].append(doc)
    completed = dict(similarity)
    for docs in neighbourhoods.values():
        if len(docs) > MAX_NEIGHBOURHOOD:
            continue
        docs.sort()
        for (a, b), value in all_pairs(docs, vectors):
            completed.setdefault((a, b), value)
    return completed


def all_pairs(docs: list[str], vectors: dict[str, dict[str, float]]) -> list[tuple[tuple[str, str], float]]:
    """((a, b), cosine) of every pair of `docs` (a before b in `docs`) with a cosine above 0.

    One sparse product of the documents' unit vectors: a neighbourhood of two thousand documents is two
    million pairs, which compared one by one in Python took a minute and a half of a BBC run's enrich.
    """
    matrix = unit_matrix(docs, vectors)
    products = (matrix @ matrix.T).tocoo()
    return [((docs[i], docs[j]), float(v)) for i, j, v in zip(products.row.tolist(), products.col.tolist(),
                                                               products.data.tolist()) if i < j and v > 0]


def unit_matrix(docs: list[str], vectors: dict[str, dict[str, float]]):
    """The documents' unit TF-IDF vectors as the rows of a sparse matrix, in the order of `docs`."""
    from scipy.sparse import csr_matrix

    vocabulary: dict[str, int] = {}
    rows, columns, weights = [], [], []
    for row, doc in enumerate(docs):
        for term, weight in vectors[doc].items():
            rows.append(row)
            columns.append(vocabulary.setdefault(term, len(vocabulary)))
            weights.append(weight)
    return csr_matrix((weights, (rows, columns)), shape=(len(docs), max(1, len(vocabulary))))


def average_linkage(groups: list[list[str]], similarity: dict[tuple[str, str], float],
                    threshold: float) -> dict[str, str]:
    """Merge `groups` (lists of doc ids) while the mean similarity of two groups reaches `threshold`.

    Similarities absent from `similarity` count as 0, so only pairs that share a rare term are ever
    compared: the cost follows the number of such pairs, not the square of the corpus. A heap holds
    the current mean of every pair of groups with a similar pair between them.
    """
    group_of = {doc: index for index, members in enumerate(groups) for doc in members}
    members = {index: list(docs) for index, docs in enumerate(groups)}
    sums: dict[int, dict[int, float]] = defaultdict(dict)
    for (a, b), value in similarity.items():
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


def terms(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP]


def similar_pairs(counts: dict[str, Counter], max_df: float) -> tuple[dict, dict[tuple[str, str], float]]:
    """TF-IDF cosine of the pairs of documents that share a term rarer than `max_df` of the corpus."""
    n = len(counts)
    df = Counter(term for terms_ in counts.values() for term in terms_)
    idf = {term: math.log((1 + n) / (1 + d)) + 1 for term, d in df.items()}
    vectors = {}
    for doc_id, terms_ in counts.items():
        weights = {t: (1 + math.log(c)) * idf[t] for t, c in terms_.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors[doc_id] = {t: w / norm for t, w in weights.items()}
    cap = min(MAX_POSTING, max(2, int(max_df * n)))
    postings: dict[str, list[str]] = defaultdict(list)
    for doc_id, vector in vectors.items():
        rare = sorted((t for t in vector if 1 < df[t] <= cap), key=lambda t: (df[t], t))
        for term in rare[:MAX_TERMS_PER_DOC]:
            postings[term].append(doc_id)
    candidates = sorted({(a, b) for docs in postings.values() for i, a in enumerate(docs) for b in docs[i + 1:]})
    return vectors, dict(pair_cosines(candidates, vectors))


def pair_cosines(pairs: list[tuple[str, str]], vectors: dict[str, dict[str, float]],
                 chunk: int = 20_000) -> list[tuple[tuple[str, str], float]]:
    """((a, b), cosine) of each of `pairs` whose cosine is above 0, computed a chunk of pairs at a time as
    the row sums of two sparse matrices multiplied element by element."""
    if not pairs:
        return []
    docs = sorted({d for pair in pairs for d in pair})
    row_of = {doc: row for row, doc in enumerate(docs)}
    matrix = unit_matrix(docs, vectors)
    found = []
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        left = matrix[[row_of[a] for a, _ in part]]
        right = matrix[[row_of[b] for _, b in part]]
        values = left.multiply(right).sum(axis=1).A1.tolist()
        found.extend((pair, value) for pair, value in zip(part, values) if value > 0)
    return found


# --- events within a story ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """What event identity reads of one `events` row."""

    mention_id: str
    doc_id: str
    lemma: str | None
    event_class: str | None
    place_patient: str | None  # the entity id of a place the event is done to ("captured Siversk")
    range_start: date | None
    range_end: date | None

    @property
    def key(self) -> str:
        return self.event_class or "lemma:" + (self.lemma or "")


def event_ids(mentions: list[Mention], stories: dict[str, str]) -> dict[str, str]:
    """event_mention_id -> event_id for every mention (see the module's doc)."""
    blocks: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for mention in mentions:
        blocks[(stories.get(mention.doc_id, mention.doc_id), mention.key)].append(mention)
    ids: dict[str, str] = {}
    for block in blocks.values():
        events: list[list[Mention]] = []
        for mention in block:
            for event in events:
                if all(compatible(mention, other) for other in event):
                    event.append(mention)
                    break
            else:
                events.append([mention])
        for event in events:
            first = min(m.mention_id for m in event)
            event_id = hashlib.sha256(first.encode()).hexdigest()[:32]
            ids.update((m.mention_id, event_id) for m in event)
    return ids


def compatible(a: Mention, b: Mention) -> bool:
    """Whether two mentions of one class in one story may be one event.

    Only strong evidence keeps them apart, because the arguments read without a parse are often
    incomplete (on ECB+, splitting on every differing argument cost 4 points of CoNLL F1): two
    different places captured, attacked or hit, or two day-precise dates written out in full (not
    "Friday", whose day depends on an anchor the text may not give) more than `DATE_SLACK_DAYS` apart.
    """
    if a.place_patient and b.place_patient and a.place_patient != b.place_patient:
        return False
    return not (precise(a) and precise(b) and (abs((a.range_start - b.range_start).days) > DATE_SLACK_DAYS))


def precise(mention: Mention) -> bool:
    return (mention.range_start is not None and mention.range_end is not None
            and (mention.range_end - mention.range_start).days <= 1)
