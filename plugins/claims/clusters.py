"""Propositions: claims that state the same thing share `claims.cluster_id`, however they are worded.

A claim's proposition is the event its content states (`events.event_id`, linked across documents by
`event_links`), with its modality: "Moscow's forces had captured Siversk", "its troops had seized full
control of Siversk" and "the city's fall" meet because their events are one. `claims.event_id` names
that event.

* The **content's event** is the first verb, or event of a known class, inside the content that is
  not itself a report ("said", "claimed"): "captured" in "had captured Siversk", "fall" in "the
  city's fall marked a step", "reclaim" in "to reclaim lost territory".
* **Opposites** deny each other (`etl.OPPOSITE_EVENT_CLASSES`: capture and hold, win and lose, rise and fall,
  convict and acquit ...): "Siversk remains under the control of Ukraine" states a hold of Siversk,
  which denies its capture; "fighting in the city is still ongoing" states that it has not fallen.
  Such a claim joins the proposition of the event it opposes, when the corpus has one about the same
  place or patient, with its stance turned to `deny`.
* **Modality**: a warning, a forecast or a goal ("could fall", "vowed to retake") is not the statement
  that the event happened: it is a proposition of its own (`event_id~goal`).
* A claim whose content only points back ("denied the claim", "dismissed them as propaganda") joins
  the proposition of the claim just before it in the same article.
* A rewrite restates its source: a claim of a document `derived_from` another takes the proposition
  of the source's claim by the same speaker that it most resembles.
* A claim with no event forms a proposition of its own content words and the entities it names, so
  copies of one statement still meet.

Every step is a lookup or a group-by: the cost is linear in the number of claims and events. Called
incrementally (`etl_enrich`), it redoes only the documents a change can reach, and leaves exactly what a
call over the whole corpus would.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa
from rapidfuzz import fuzz

from etl import OPPOSITE_EVENT_CLASSES, Changes, Contract, hookimpl

NAME = "claim_clusters"
#: Working tables kept between runs: each claim's extracted stance and own proposition, the opposites
#: chosen (`choose_opposites`) and what they are chosen from.
STATE = f"{NAME}__claims"
CHOSEN = f"{NAME}__opposites"
#: Per document, its asserted events of a proposition's side by (class, entity, event): what the choice of
#: opposites counts.
COUNTS = f"{NAME}__reports"
#: The side of each pair of opposites that names the proposition ("captured" is asserted or denied;
#: "held" denies it), and event classes that, said of a place, deny its capture.
PROPOSITION_SIDE = frozenset({"capture", "win", "rise", "open", "convict", "approve", "advance", "agree"})
DENIES_CAPTURE = frozenset({"hold", "fight"})
#: Cues that make what follows a possibility, not a report that it happened ("warned that the fall ...").
WARNING_CUES = frozenset({"warn", "fear", "predict", "forecast", "caution"})
# A content that only points back: "denied the claim", "disputed the assertion", "dismissed them as
# propaganda". The whole content: "it will not be you tomorrow" says something of its own.
_ANAPHORIC = re.compile(
    r"(?:the|this|that|these|those|such|its|their|his|her|[\w-]+['’]s)?\s*"
    r"(?:claims?|assertions?|allegations?|reports?|statements?|accounts?|them|it)"
    r"(?:\s+as\s+[\w -]{1,40})?[\s.,!?\"'”»]*", re.I)
_WORD = re.compile(r"[^\W\d_]{4,}")
#: How alike (rapidfuzz token-set ratio) a rewrite's statement must be to its source's to restate it.
REWRITE_SIMILARITY = 50


@dataclass(frozen=True)
class ContentEvent:
    start: int
    event_id: str | None
    event_class: str | None
    kind: str
    modality: str
    target: str | None  # the entity the event is done to, or where it happens


@hookimpl
def etl_contract():
    # Every column of `events` is read (class, modality, patient and place, not only the id), and of
    # `claims` the speakers entity_links links: declaring them is what puts a document whose inputs an
    # earlier plugin changed into `changes.touched` in an incremental run.
    return {"enrich": Contract(reads=("claims", "events", "entities.entity_id", "articles.derived_from"),
                               provides=("claims.cluster_id", "claims.event_id", "claims.stance"),
                               incremental=True)}


@hookimpl
def etl_enrich(db, changes):  # no default: pluggy never passes an argument that has one (always a full call)
    """A full call works out every claim's proposition; an incremental one (`changes`) redoes only the
    documents whose claims can have moved, from the same inputs, and leaves what a full call would.

    A claim's proposition depends on its own document (its events and entities, the claim before it), on
    the corpus-wide choice of the event an opposite denies (`opposed_propositions`) and, for a rewrite, on
    its source's claims. So the documents redone are those added or touched, those with a claim whose
    opposite's choice changed, and, for following sources, the rewrites of any of these or of a removed
    document. The next call starts from three working tables: each claim's extracted stance (a denial
    overwrites `claims.stance`) with its own proposition before following a source, the opposites'
    choices, and the per-document counts those choices are made from."""
    if changes is None:
        db.execute(f"""CREATE OR REPLACE TABLE {STATE} (claim_id VARCHAR, doc_id VARCHAR,
                       extracted_stance VARCHAR, cluster_id VARCHAR, event_id VARCHAR, stance VARCHAR,
                       opposes VARCHAR)""")
        db.execute(f"CREATE OR REPLACE TABLE {CHOSEN} (event_class VARCHAR, target VARCHAR, event_id VARCHAR)")
        db.execute(f"DROP TABLE IF EXISTS {COUNTS}")
        db.execute("""CREATE OR REPLACE TEMP TABLE _cc_changes AS
                      SELECT doc_id, 'added' AS change
                      FROM (SELECT doc_id FROM articles UNION SELECT doc_id FROM claims)""")
    else:
        if not changes.kept(db, STATE, CHOSEN):
            # Without the extracted stances no call can be exact; failing makes the host's next run full.
            raise RuntimeError(f"{NAME}: an incremental call without the working tables {STATE}, {CHOSEN}")
        db.execute(f"CREATE OR REPLACE TEMP TABLE _cc_changes AS SELECT doc_id, change FROM {changes.table}")
    # A changed document is both removed and added: its old claims go before its new ones come.
    db.execute(f"DELETE FROM {STATE} WHERE doc_id IN (SELECT doc_id FROM _cc_changes WHERE change <> 'touched')")
    db.execute(f"""INSERT INTO {STATE} (claim_id, doc_id, extracted_stance)
                   SELECT claim_id, doc_id, stance FROM claims
                   WHERE doc_id IN (SELECT doc_id FROM _cc_changes WHERE change = 'added')""")
    choose_opposites(db)
    db.execute(f"""CREATE OR REPLACE TEMP TABLE _cc_redo AS
        SELECT doc_id FROM _cc_changes WHERE change <> 'removed'
        UNION SELECT doc_id FROM {STATE} WHERE opposes IN (SELECT target FROM _cc_moved)""")
    own_propositions(db)
    # The rewrites whose own claims or whose source's may have changed; a removed source's rewrites go
    # back to their own propositions.
    db.execute("""CREATE OR REPLACE TEMP TABLE _cc_rewrites AS
        SELECT doc_id FROM articles
        WHERE derived_from IS NOT NULL AND derived_from <> doc_id
          AND (doc_id IN (SELECT doc_id FROM _cc_redo) OR derived_from IN (SELECT doc_id FROM _cc_redo)
               OR derived_from IN (SELECT doc_id FROM _cc_changes WHERE change = 'removed'))""")
    follow_sources(db)
    db.execute(f"""
        UPDATE claims SET cluster_id = p.cluster_id, event_id = p.event_id, stance = p.stance
        FROM (SELECT s.claim_id, s.stance,
                     CASE WHEN f.claim_id IS NULL THEN s.cluster_id ELSE f.cluster_id END AS cluster_id,
                     CASE WHEN f.claim_id IS NULL THEN s.event_id ELSE f.event_id END AS event_id
              FROM {STATE} s LEFT JOIN _cc_follow f ON f.claim_id = s.claim_id
              WHERE s.doc_id IN (SELECT doc_id FROM _cc_redo UNION SELECT doc_id FROM _cc_rewrites)) p
        WHERE claims.claim_id = p.claim_id""")
    for table in ("_cc_changes", "_cc_moved", "_cc_redo", "_cc_rewrites", "_cc_follow"):
        db.execute(f"DROP TABLE IF EXISTS {table}")


def own_propositions(db) -> None:
    """Each claim of the documents in `_cc_redo`: its proposition before any source is followed, into
    the working table."""
    claims = db.sql(f"""SELECT c.claim_id, c.doc_id, c.content, s.extracted_stance, c.start, c."end", c.cue
                        FROM claims c JOIN {STATE} s ON s.claim_id = c.claim_id AND s.doc_id = c.doc_id
                        WHERE c.doc_id IN (SELECT doc_id FROM _cc_redo)
                        ORDER BY c.doc_id, c.cue_start, c.claim_id""").fetchall()
    if not claims:
        return
    events = content_events(db)
    proposition_of = opposed_propositions(db)
    names = entity_names(db)
    rows: dict[str, list] = {"claim_id": [], "cluster_id": [], "event_id": [], "stance": [], "opposes": []}
    previous: dict[str, tuple[str, str | None]] = {}
    for claim_id, doc_id, content, stance, start, end, cue in claims:
        event = main_event(events.get(doc_id, ()), start, end)
        event_id, key, opposes = None, None, None
        if event is not None and event.event_id is not None:
            event_id = event.event_id
            if opposite_sides(event):
                opposes = event.target
            opposed = opposite_event(event, proposition_of)
            if opposed is not None:
                event_id = opposed
                stance = "deny"
            modality = "hedged" if event.modality == "asserted" and cue in WARNING_CUES else event.modality
            key = event_id + ("" if modality == "asserted" else "~" + modality)
        elif _ANAPHORIC.fullmatch((content or "").strip(" \"'“”«»‘’")) and doc_id in previous:
            key, event_id = previous[doc_id]
        else:
            words = sorted({w.lower() for w in _WORD.findall(content or "")})[:12]
            key = "words:" + " ".join(words) + "|" + ",".join(sorted(names.get((doc_id, start, end), ())))
        previous[doc_id] = (key, event_id)
        rows["claim_id"].append(claim_id)
        rows["cluster_id"].append(hashlib.sha256(key.encode()).hexdigest()[:16])
        rows["event_id"].append(event_id)
        rows["stance"].append(stance)
        rows["opposes"].append(opposes)
    db.register("_propositions", pa.table(rows, schema=pa.schema([(name, pa.string()) for name in rows])))
    db.execute(f"""UPDATE {STATE} SET cluster_id = p.cluster_id, event_id = p.event_id, stance = p.stance,
                                      opposes = p.opposes
                   FROM _propositions p WHERE {STATE}.claim_id = p.claim_id""")
    db.unregister("_propositions")


def follow_sources(db) -> None:
    """A rewrite restates its source's statements in other words ("ready to fight on" / "prepared to
    continue"): a claim of a document derived from another (in `_cc_rewrites`) takes the proposition of
    the source's claim by the same speaker whose content it most resembles, when they share enough words.
    It takes the source claim's own proposition: a source is never itself a rewrite (copies points every
    member of a group at the group's one source), and so no claim's result depends on the order of others."""
    pairs = db.sql("""
        SELECT d.claim_id, s.claim_id, d.content, s.content
        FROM claims d
        JOIN articles a ON a.doc_id = d.doc_id AND a.derived_from IS NOT NULL AND a.derived_from <> a.doc_id
        JOIN claims s ON s.doc_id = a.derived_from
         AND coalesce(s.speaker_entity_id, lower(s.speaker)) = coalesce(d.speaker_entity_id, lower(d.speaker))
        WHERE d.doc_id IN (SELECT doc_id FROM _cc_rewrites)
        ORDER BY d.claim_id, s.claim_id""").fetchall()
    best: dict[str, tuple[float, str]] = {}
    for derived, source, derived_content, source_content in pairs:
        score = fuzz.token_set_ratio(derived_content or "", source_content or "")
        if score >= REWRITE_SIMILARITY and score > best.get(derived, (0.0, ""))[0]:
            best[derived] = (score, source)
    db.register("_cc_best", pa.table({"claim_id": pa.array(list(best), pa.string()),
                                      "source": pa.array([s for _, s in best.values()], pa.string())}))
    db.execute(f"""CREATE OR REPLACE TEMP TABLE _cc_follow AS
                   SELECT b.claim_id, s.cluster_id, s.event_id
                   FROM _cc_best b JOIN {STATE} s ON s.claim_id = b.source""")
    db.unregister("_cc_best")


def content_events(db) -> dict[str, list[ContentEvent]]:
    """The event mentions of every document in `_cc_redo` that `main_event` can take, in text order: those
    inside a claim's content, of a class other than a report, or verbal (most mentions are neither)."""
    rows = db.sql("""
        SELECT e.doc_id, e.start, e.event_id, e.event_class, e.kind, e.modality,
               coalesce(e.patient_entity_id, e.place_entity_id)
        FROM events e WHERE e.doc_id IN (SELECT doc_id FROM _cc_redo)
          AND e.event_class IS DISTINCT FROM 'report' AND (coalesce(e.event_class, '') <> '' OR e.kind = 'verbal')
          AND EXISTS (SELECT 1 FROM claims c WHERE c.doc_id = e.doc_id AND c.start <= e.start AND e.start < c."end")
        ORDER BY e.doc_id, e.start""").fetchall()
    by_doc: dict[str, list[ContentEvent]] = defaultdict(list)
    for doc_id, start, event_id, event_class, kind, modality, target in rows:
        by_doc[doc_id].append(ContentEvent(start, event_id, event_class, kind, modality or "asserted", target))
    return by_doc


def main_event(events, start: int | None, end: int | None) -> ContentEvent | None:
    """The event the content [start, end) states: its first verb or event of a known class that is not
    a report ("its troops had seized ...", "the city's fall marked ...", "to reclaim lost territory")."""
    if start is None or end is None:
        return None
    return next((e for e in events if start <= e.start < end and e.event_class != "report"
                 and (e.event_class or e.kind == "verbal")), None)


def choose_opposites(db) -> None:
    """(class, entity) -> the event most often reported as that class done to or at that entity, kept in
    the working table; the entities whose choice changed since the table was last written go to
    `_cc_moved`. A new report of a capture can change which event every "still holds" of that place
    denies, wherever it is: the counts are kept per document (`COUNTS`), so that a call recounts only
    the (class, entity) pairs the changed documents report, not every event of the corpus."""
    sides = ", ".join(f"'{side}'" for side in sorted(PROPOSITION_SIDE))
    counted = f"""SELECT doc_id, event_class, coalesce(patient_entity_id, place_entity_id) AS target, event_id,
                         count(*) AS n
                  FROM events
                  WHERE event_class IN ({sides}) AND event_id IS NOT NULL AND modality = 'asserted'
                    AND coalesce(patient_entity_id, place_entity_id) IS NOT NULL"""
    if Changes.kept(db, COUNTS):
        db.execute(f"""CREATE OR REPLACE TEMP TABLE _cc_pairs AS
            SELECT DISTINCT event_class, target FROM {COUNTS} WHERE doc_id IN (SELECT doc_id FROM _cc_changes)""")
        db.execute(f"DELETE FROM {COUNTS} WHERE doc_id IN (SELECT doc_id FROM _cc_changes)")
        db.execute(f"""INSERT INTO {COUNTS} {counted}
            AND doc_id IN (SELECT doc_id FROM _cc_changes WHERE change <> 'removed') GROUP BY ALL""")
        db.execute(f"""INSERT INTO _cc_pairs SELECT DISTINCT event_class, target FROM {COUNTS}
                       WHERE doc_id IN (SELECT doc_id FROM _cc_changes WHERE change <> 'removed')""")
    else:
        # A full call, or a state kept before the counts were: count every document, recheck every pair.
        db.execute(f"CREATE OR REPLACE TABLE {COUNTS} AS {counted} GROUP BY ALL")
        db.execute(f"""CREATE OR REPLACE TEMP TABLE _cc_pairs AS
            SELECT DISTINCT event_class, target FROM {COUNTS} UNION SELECT event_class, target FROM {CHOSEN}""")
    db.execute(f"""CREATE OR REPLACE TEMP TABLE _cc_chosen AS
        SELECT event_class, target, event_id FROM (
            SELECT event_class, target, event_id,
                   row_number() OVER (PARTITION BY event_class, target ORDER BY n DESC, event_id) AS rank
            FROM (SELECT event_class, target, event_id, sum(n) AS n FROM {COUNTS}
                  WHERE (event_class, target) IN (SELECT (event_class, target) FROM _cc_pairs)
                  GROUP BY ALL))
        WHERE rank = 1""")
    db.execute(f"""CREATE OR REPLACE TEMP TABLE _cc_moved_pairs AS
        SELECT p.event_class, p.target FROM _cc_pairs p
        LEFT JOIN _cc_chosen n ON n.event_class = p.event_class AND n.target = p.target
        LEFT JOIN {CHOSEN} o ON o.event_class = p.event_class AND o.target = p.target
        WHERE n.event_id IS DISTINCT FROM o.event_id""")
    db.execute("CREATE OR REPLACE TEMP TABLE _cc_moved AS SELECT DISTINCT target FROM _cc_moved_pairs")
    db.execute(f"""DELETE FROM {CHOSEN}
                   WHERE (event_class, target) IN (SELECT (event_class, target) FROM _cc_moved_pairs)""")
    db.execute(f"""INSERT INTO {CHOSEN} SELECT * FROM _cc_chosen
                   WHERE (event_class, target) IN (SELECT (event_class, target) FROM _cc_moved_pairs)""")
    for table in ("_cc_chosen", "_cc_pairs", "_cc_moved_pairs"):
        db.execute(f"DROP TABLE {table}")


def opposed_propositions(db) -> dict[tuple[str, str], str]:
    """The chosen opposites of the entities the events of the documents in `_cc_redo` are done to."""
    rows = db.sql(f"""
        SELECT event_class, target, event_id FROM {CHOSEN}
        WHERE target IN (SELECT coalesce(patient_entity_id, place_entity_id) FROM events
                         WHERE doc_id IN (SELECT doc_id FROM _cc_redo))""").fetchall()
    return {(event_class, target): event_id for event_class, target, event_id in rows}


def opposite_sides(event: ContentEvent) -> list[str]:
    """The events this one would deny by stating their opposite, in the order they are looked up."""
    if event.target is None or event.event_class in PROPOSITION_SIDE:
        return []
    sides = {OPPOSITE_EVENT_CLASSES.get(event.event_class or "")}
    if event.event_class in DENIES_CAPTURE:
        sides.add("capture")
    return sorted(s for s in sides if s in PROPOSITION_SIDE)


def opposite_event(event: ContentEvent, proposition_of: dict[tuple[str, str], str]) -> str | None:
    """The event this one denies by stating its opposite, when the corpus reports one about its target."""
    for side in opposite_sides(event):
        if (side, event.target) in proposition_of:
            return proposition_of[(side, event.target)]
    return None


def entity_names(db) -> dict[tuple[str, int, int], list[str]]:
    """(doc_id, claim start, claim end) -> the entities named inside the content of each claim of the
    documents in `_cc_redo`."""
    rows = db.sql("""
        SELECT c.doc_id, c.start, c."end", coalesce(e.entity_id, lower(e.text))
        FROM claims c JOIN entities e ON e.doc_id = c.doc_id AND e.start >= c.start AND e."end" <= c."end"
        WHERE e.segment IS NULL  -- a headline's or caption's offsets are into its own text, not the body's
          AND c.doc_id IN (SELECT doc_id FROM _cc_redo)
        """).fetchall()
    found: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for doc_id, start, end, entity in rows:
        found[(doc_id, start, end)].append(entity)
    return {key: sorted(set(values)) for key, values in found.items()}
