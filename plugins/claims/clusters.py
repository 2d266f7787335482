"""Propositions: claims that state the same thing share `claims.cluster_id`, however they are worded.

A claim's proposition is the event its content states (`events.event_id`, linked across documents by
`event_links`), with its modality: "Moscow's forces had captured Siversk", "its troops had seized full
control of Siversk" and "the city's fall" meet because their events are one. `claims.event_id` names
that event.

* The **content's event** is the first verb, or event of a known class, inside the content that is
  not itself a report ("said", "claimed"): "captured" in "had captured Siversk", "fall" in "the
  city's fall marked a step", "reclaim" in "to reclaim lost territory".
* **Opposites** deny each other (`lexicon.OPPOSITES`: capture and hold, win and lose, rise and fall,
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

Every step is a lookup or a group-by: the cost is linear in the number of claims and events.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa
from rapidfuzz import fuzz

from etl import Contract, hookimpl

from ..events.lexicon import OPPOSITES

NAME = "claim_clusters"
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
    return {"enrich": Contract(reads=("claims", "events.event_id", "entities.entity_id", "articles.derived_from"),
                               provides=("claims.cluster_id", "claims.event_id", "claims.stance"))}


@hookimpl
def etl_enrich(db):
    claims = db.sql("""SELECT claim_id, doc_id, content, stance, start, "end", cue
                       FROM claims ORDER BY doc_id, cue_start, claim_id""").fetchall()
    if not claims:
        return
    events = content_events(db)
    proposition_of = opposed_propositions(db)
    names = entity_names(db)
    rows = {"claim_id": [], "cluster_id": [], "event_id": [], "stance": []}
    previous: dict[str, tuple[str, str | None]] = {}
    for claim_id, doc_id, content, stance, start, end, cue in claims:
        event = main_event(events.get(doc_id, ()), start, end)
        event_id, key = None, None
        if event is not None and event.event_id is not None:
            event_id = event.event_id
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
    follow_sources(db, rows)
    db.register("_propositions", pa.table(rows))
    db.execute("""UPDATE claims SET cluster_id = p.cluster_id, event_id = p.event_id, stance = p.stance
                  FROM _propositions p WHERE claims.claim_id = p.claim_id""")
    db.unregister("_propositions")


def follow_sources(db, rows: dict[str, list]) -> None:
    """A rewrite restates its source's statements in other words ("ready to fight on" / "prepared to
    continue"): a claim of a document derived from another takes the proposition of the source's claim by
    the same speaker whose content it most resembles, when they share enough words."""
    pairs = db.sql("""
        SELECT d.claim_id, s.claim_id, d.content, s.content
        FROM claims d
        JOIN articles a ON a.doc_id = d.doc_id AND a.derived_from IS NOT NULL AND a.derived_from <> a.doc_id
        JOIN claims s ON s.doc_id = a.derived_from
         AND coalesce(s.speaker_entity_id, lower(s.speaker)) = coalesce(d.speaker_entity_id, lower(d.speaker))
        ORDER BY d.claim_id, s.claim_id""").fetchall()
    best: dict[str, tuple[float, str]] = {}
    for derived, source, derived_content, source_content in pairs:
        score = fuzz.token_set_ratio(derived_content or "", source_content or "")
        if score >= REWRITE_SIMILARITY and score > best.get(derived, (0.0, ""))[0]:
            best[derived] = (score, source)
    index = {claim_id: i for i, claim_id in enumerate(rows["claim_id"])}
    for derived, (_, source) in best.items():
        i, j = index[derived], index[source]
        rows["cluster_id"][i], rows["event_id"][i] = rows["cluster_id"][j], rows["event_id"][j]


def content_events(db) -> dict[str, list[ContentEvent]]:
    """The event mentions of every document that holds a claim, in text order."""
    rows = db.sql("""
        SELECT e.doc_id, e.start, e.event_id, e.event_class, e.kind, e.modality,
               coalesce(e.patient_entity_id, e.place_entity_id)
        FROM events e SEMI JOIN claims c ON c.doc_id = e.doc_id
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


def opposed_propositions(db) -> dict[tuple[str, str], str]:
    """(class, entity) -> the event most often reported as that class done to or at that entity."""
    rows = db.sql("""
        SELECT event_class, coalesce(patient_entity_id, place_entity_id) AS target, event_id, count(*) AS n
        FROM events
        WHERE event_class IS NOT NULL AND event_id IS NOT NULL AND modality = 'asserted'
          AND coalesce(patient_entity_id, place_entity_id) IS NOT NULL
        GROUP BY ALL ORDER BY n DESC, event_id""").fetchall()
    chosen: dict[tuple[str, str], str] = {}
    for event_class, target, event_id, _ in rows:
        if event_class in PROPOSITION_SIDE:
            chosen.setdefault((event_class, target), event_id)
    return chosen


def opposite_event(event: ContentEvent, proposition_of: dict[tuple[str, str], str]) -> str | None:
    """The event this one denies by stating its opposite, when the corpus reports one about its target."""
    if event.target is None or event.event_class in PROPOSITION_SIDE:
        return None
    sides = {OPPOSITES.get(event.event_class or "")} | ({"capture"} if event.event_class in DENIES_CAPTURE else set())
    for side in sorted(s for s in sides if s in PROPOSITION_SIDE):
        if (side, event.target) in proposition_of:
            return proposition_of[(side, event.target)]
    return None


def entity_names(db) -> dict[tuple[str, int, int], list[str]]:
    """(doc_id, claim start, claim end) -> the entities named inside the claim's content."""
    rows = db.sql("""
        SELECT c.doc_id, c.start, c."end", coalesce(e.entity_id, lower(e.text))
        FROM claims c JOIN entities e ON e.doc_id = c.doc_id AND e.start >= c.start AND e."end" <= c."end"
        WHERE e.segment IS NULL  -- a headline's or caption's offsets are into its own text, not the body's
        """).fetchall()
    found: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for doc_id, start, end, entity in rows:
        found[(doc_id, start, end)].append(entity)
    return {key: sorted(set(values)) for key, values in found.items()}
