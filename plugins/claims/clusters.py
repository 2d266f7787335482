"""Claims about the same proposition share `claims.cluster_id`, however they are worded.

A proposition is an event frame and what it is about: ("control", Siversk) holds "Moscow's forces had
captured Siversk", "its troops had seized full control of Siversk", "the city's fall under Russian
control" and the denial "Siversk remains under the control of the Armed Forces of Ukraine".

* The **frame** comes from the content's wording, through a small lexicon of the events news reports
  dispute (control of a place, advances, attacks, casualties, negotiations, support from locals).
* The **target** is the entity the content names — a city or town first (a place the corpus calls
  one: "Siversk, a city in ..."), then any place that is not the controller in "under the control of
  ..." — by `entity_id` when the entity plugins have linked it. Content that names none ("the city",
  "the key settlement", "it") is about the city its article mentions most.
* A claim whose content only points back ("denied the claim", "disputed the assertion", "dismissed
  them as propaganda") joins the cluster of the claim just before it in the same article.

Claims with no frame form clusters of their own content words and targets, so identical wording
still meets. Every step is a lookup or a group-by: the cost is linear in the number of claims.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

import pyarrow as pa

from etl import Contract, hookimpl

NAME = "claim_clusters"

# Frame lexicon: patterns over the lower-cased content. Order matters: the first frame found wins.
FRAMES = (
    ("control", r"\b(captur\w*|seiz\w*|taken|took|take[sn]?|fall(en|s)?|fell|lost|los(e|ing)|"
                r"occup\w*|overr[au]n\w*|liberat\w*|under (the |its |their |\w+ )?control|control of|"
                r"full control|complete control|still held|hold(s|ing)? (on|out))\b"),
    ("advance", r"\b(advanc\w*|progress\w*|push(es|ed|ing)? (into|toward|towards|on)|gain\w* ground|"
                r"unstoppable|impossible to hold back)\b"),
    ("attack", r"\b(attack\w*|strik(e|es|ing)|struck|shell\w*|bomb\w*|incursion\w*|infiltrat\w*|penetrat\w*)\b"),
    ("casualties", r"\b(kill\w*|dead|deaths?|casualt\w*|wounded|injur\w*)\b"),
    ("negotiation", r"\b(talks|negotiat\w*|ceasefire|cease-fire|truce|peace (deal|agreement|talks))\b"),
    ("local_support", r"\b(locals?|residents?|civilians?) .{0,40}\b(aid\w*|help\w*|support\w*|provid\w*|allow\w*)\b"),
)
_COMPILED = [(name, re.compile(pattern)) for name, pattern in FRAMES]
_ANAPHORIC = re.compile(
    r"^(the|this|that|these|those|such|its|their|his|her|russia'?s?|ukraine'?s?|\w+'s)?\s*"
    r"(claims?|assertions?|allegations?|reports?|statements?|accounts?|them|it|this|that)\b", re.I)
# A warning, a forecast or a goal is not the statement that the event happened.
_HEDGED = re.compile(r"\b(not yet|risk|could|might|may|would|threat\w*|danger\w*|expected to|aim\w* (to|at)|"
                     r"plan\w* to|seek\w* to|sought to|try\w* to|attempt\w* to|vow\w* to|pledg\w* to|"
                     r"promis\w* to|ready to|prepared to|intend\w* to|want\w* to)\b")
# "X, a small city", "the town of X": the places a bare "the city" or "the town" can stand for.
_SETTLEMENT_AFTER = re.compile(r"^,? (a|an|the) ([\w-]+ ){0,3}(city|town|village|settlement|outpost|hub)\b")
_SETTLEMENT_BEFORE = re.compile(r"\b(city|town|village|settlement) of $")
# The controller in "under the control of the Armed Forces of Ukraine" is not what is controlled.
_CONTROLLER = re.compile(r"\bunder (the |its |their )?(full |complete )?control of (the )?([\w-]+ ){0,3}(of )?$")
_SETTLEMENT_ANAPHOR = re.compile(r"\b(the|this) (\w+ )?(city|town|village|settlement)\b|\bit\b")
_PLACE_LABELS = ("GPE", "LOC", "FAC")
_WORD = re.compile(r"[^\W\d_]{4,}")


@hookimpl
def etl_contract():
    return {"enrich": Contract(reads=("claims", "entities.entity_id"), provides=("claims.cluster_id",))}


@hookimpl
def etl_enrich(db, config):
    claims = db.sql("""SELECT claim_id, doc_id, content, stance, start, "end", cue_start
                       FROM claims ORDER BY doc_id, cue_start""").fetchall()
    if not claims:
        return
    texts = dict(db.sql("SELECT doc_id, text FROM articles SEMI JOIN claims USING (doc_id)").fetchall())
    mentions = _mentions(db)
    settlements = _settlements(mentions, texts)
    main_place = _main_places(mentions, settlements)
    keys: dict[str, str] = {}
    previous: dict[str, str] = {}
    for claim_id, doc_id, content, stance, start, end, _ in claims:
        text = texts.get(doc_id, "")
        targets = [(entity, label, text[max(0, s - 40):s], s - start)
                   for s, e, entity, label in mentions.get(doc_id, ())
                   if start is not None and end is not None and s >= start and e <= end]
        key = proposition_key(content or "", targets, settlements, main_place.get(doc_id), previous.get(doc_id))
        keys[claim_id] = key
        previous[doc_id] = key
    table = pa.table({
        "claim_id": pa.array(list(keys), pa.string()),
        "cluster_id": pa.array([hashlib.sha256(k.encode()).hexdigest()[:16] for k in keys.values()], pa.string()),
    })
    db.register("_clusters", table)
    db.execute("UPDATE claims SET cluster_id = c.cluster_id FROM _clusters c WHERE claims.claim_id = c.claim_id")
    db.unregister("_clusters")


def proposition_key(content: str, targets: list[tuple[str, str, str, int]], settlements: set[str],
                    main_place: str | None, previous: str | None) -> str:
    """The proposition a claim's content states, as a string key (frame and target).

    `targets` are the entity mentions inside the content: (entity, label, the 40 characters before it,
    its offset in the content).
    """
    lowered = content.lower().strip(" \"'“”«»‘’.,")
    found = next(((name, match) for name, pattern in _COMPILED if (match := pattern.search(lowered))), None)
    frame = found[0] if found else None
    if frame is None and previous is not None and _ANAPHORIC.match(lowered):
        return previous
    places = [(entity, offset) for entity, label, before, offset in targets
              if label in _PLACE_LABELS and not _CONTROLLER.search(before.lower())]
    if found is None:
        target = places[0][0] if places else (targets[0][0] if targets else None)
    else:
        # The place next to the event word, else the city a "the city"/"it" stands for, else any place.
        event = found[1].start()
        near = [p for p in places if abs(p[1] - event) <= 60]
        named_settlements = [p for p in near if p[0] in settlements]
        if named_settlements or near:
            target = min(named_settlements or near, key=lambda p: abs(p[1] - event))[0]
        elif _SETTLEMENT_ANAPHOR.search(lowered) or not places:
            target = main_place
        else:
            target = places[0][0]
    if frame is None:
        words = sorted({w for w in _WORD.findall(lowered)})[:12]
        return f"words:{' '.join(words)}|{target or ''}"
    # Only hedges near the event word count: "the city's fall marked a step ... aimed at" is not one.
    near = lowered[max(0, found[1].start() - 50):found[1].end() + 50]
    hedged = bool(_HEDGED.search(near)) or (lowered.startswith("to ") and not lowered.startswith("to have "))
    return f"{frame}{'~hedged' if hedged else ''}|{target or ''}"


def _mentions(db) -> dict[str, list[tuple[int, int, str, str]]]:
    rows = db.sql("""SELECT doc_id, start, "end", coalesce(entity_id, lower(text)), label
                     FROM entities ORDER BY doc_id, start""").fetchall()
    by_doc: dict[str, list[tuple[int, int, str, str]]] = {}
    for doc_id, start, end, entity, label in rows:
        by_doc.setdefault(doc_id, []).append((start, end, entity, label))
    return by_doc


def _settlements(mentions, texts: dict[str, str]) -> set[str]:
    """Places the corpus calls a city, town or village anywhere ("Siversk, a city in ...")."""
    found = set()
    for doc_id, rows in mentions.items():
        text = texts.get(doc_id)
        if not text:
            continue
        for start, end, entity, label in rows:
            if label in _PLACE_LABELS and (_SETTLEMENT_AFTER.match(text[end:end + 60])
                                           or _SETTLEMENT_BEFORE.search(text[max(0, start - 30):start])):
                found.add(entity)
    return found


def _main_places(mentions, settlements: set[str]) -> dict[str, str]:
    """The settlement each article mentions most, else its most mentioned place (ties: the first)."""
    out = {}
    for doc_id, rows in mentions.items():
        places = [entity for _, _, entity, label in rows if label in _PLACE_LABELS]
        local = [p for p in places if p in settlements] or places
        if local:
            counts = Counter(local)
            out[doc_id] = max(counts, key=lambda e: (counts[e], -local.index(e)))
    return out
