"""Cross-document event identity: mentions of one real-world event share `events.event_id`.

Two steps, and incremental (`changes`): a call after documents came, went or changed gives what a call
over the whole corpus would, and its cost follows the stories the changes reach.

1. **Stories** (`etl_plugins.events.stories`). Documents are grouped into stories: reports of the same
   happening share rare words and names. Each document is a vector of its content words, weighted by
   their rarity in general language, and its linked entities; candidate pairs come only from terms in
   few documents (an inverted index), and groups whose mean cosine reaches `story_similarity` join one
   story (average linkage; inside a neighbourhood of documents chained by close pairs, every pair
   counts). Copies of a report (`articles.dup_group`) are one story. Each component of the pairs at least
   that close (and copy groups) is clustered on its own, which gives the stories of one linkage over all;
   an incremental call clusters again only the components whose pairs or members the changes altered.
2. **Events within a story.** Mentions of one event class ("captured", "seized", "the fall" of a place;
   `lexicon.CLASSES`), or of one lemma when the lexicon has no class for it, are one event unless their
   arguments tell them apart: two different places, two different patients, or dates that cannot
   be the same day keep two captures, two earthquakes, two arrests apart. An incremental call reads
   again only the stories whose members, or whose members' rows, changed.

`event_id` is derived from the content (the earliest mention's id), so a run from scratch and an
incremental run give the same ids. The entity ids of each mention's agent, patient and place are
filled from `entities.entity_id` (the entity linker's).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from etl import Contract, Setting, hookimpl, place_name_sql

from . import stories as story_module

NAME = "event_links"
STORY_SIMILARITY = 0.15
STORY_MAX_DF = 0.05
#: Two day-precise dates of one event may differ this much (a report's "Friday" against another's date).
DATE_SLACK_DAYS = 2


@hookimpl
def etl_contract():
    return {"enrich": Contract(
        reads=("events", "dates", "articles.dup_group", "entities.entity_id", "entities.label", "entities.form"),
        provides=("events.event_id", "events.agent_entity_id", "events.patient_entity_id",
                  "events.place_entity_id"),
        incremental=True)}


@hookimpl
def etl_settings():
    return {
        "story_similarity": Setting(STORY_SIMILARITY, float, "mean cosine between two groups of documents "
                                   "from which they are one story"),
        "story_max_df": Setting(STORY_MAX_DF, float, "share of the corpus above which a term is too common "
                                "to propose two documents as one story"),
    }


@hookimpl
def etl_enrich(db, config, changes):
    settings = config.settings(NAME)
    if changes is not None and not changes.kept(db, *story_module.WORKING_TABLES):
        changes = None  # a state from before this plugin kept its tables: everything is computed again
    # The documents whose rows are new or whose inputs changed (all of them in a full call).
    scope = "" if changes is None else "AND e.doc_id IN (SELECT doc_id FROM _el_scope)"
    if changes is not None:
        db.register("_el_scope", pa.table({"doc_id": pa.array(sorted(changes.affected), pa.string())}))
    db.execute(f"""
        UPDATE events SET agent_entity_id = a.entity_id, patient_entity_id = p.entity_id,
                          place_entity_id = l.entity_id
        FROM events e
        LEFT JOIN entities a ON a.mention_id = e.agent_mention_id
        LEFT JOIN entities p ON p.mention_id = e.patient_mention_id
        LEFT JOIN entities l ON l.mention_id = e.place_mention_id
        WHERE events.event_mention_id = e.event_mention_id AND events.doc_id = e.doc_id {scope}""")
    if changes is not None:
        db.unregister("_el_scope")
    stories = story_module.stories(db, settings["story_similarity"], settings["story_max_df"], changes)
    if not stories:
        return
    db.register("_el_story_docs", pa.table({"doc_id": pa.array(sorted(stories), pa.string())}))
    rows = db.execute(f"""
        SELECT e.event_id, e.event_mention_id, e.doc_id, e.lemma, e.event_class,
               CASE WHEN {place_name_sql("p")} THEN e.patient_entity_id END,
               CASE WHEN d.written THEN e.range_start END, CASE WHEN d.written THEN e.range_end END
        FROM events e
        LEFT JOIN entities p ON p.mention_id = e.patient_mention_id
        LEFT JOIN (SELECT doc_id, sentence, value, bool_or(anchor = 'absolute') AS written FROM dates
                   WHERE doc_id IN (SELECT doc_id FROM _el_story_docs) GROUP BY ALL) d
               ON d.doc_id = e.doc_id AND d.sentence = e.sentence AND d.value = e.date_value
        WHERE e.doc_id IN (SELECT doc_id FROM _el_story_docs)
        ORDER BY e.doc_id, e.start, e.event_mention_id""").fetchall()
    db.unregister("_el_story_docs")
    if not rows:
        return
    ids = event_ids([Mention(*row[1:]) for row in rows], stories)
    # Most ids of an incremental call are those the rows hold already: only the others are written.
    ids = {row[1]: ids[row[1]] for row in rows if ids[row[1]] != row[0]}
    if not ids:
        return
    db.register("_event_ids", pa.table({"event_mention_id": list(ids), "event_id": list(ids.values())}))
    db.execute("""UPDATE events SET event_id = i.event_id FROM _event_ids i
                  WHERE events.event_mention_id = i.event_mention_id""")
    db.unregister("_event_ids")


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
        events: list[_Event] = []
        for mention in block:
            for event in events:
                if event.admits(mention):
                    event.add(mention)
                    break
            else:
                events.append(_Event(mention))
        for event in events:
            first = min(m.mention_id for m in event.mentions)
            event_id = hashlib.sha256(first.encode()).hexdigest()[:32]
            ids.update((m.mention_id, event_id) for m in event.mentions)
    return ids


class _Event:
    """Mentions taken as one event, with what tells events apart summed up over them, so that a mention is
    checked against the event at once rather than against each member (a story of a thousand reports holds
    thousands of mentions of one class): the places done to, and the span of the day-precise dates."""

    def __init__(self, mention: Mention) -> None:
        self.mentions: list[Mention] = []
        self.places: set[str] = set()
        self.earliest: date | None = None
        self.latest: date | None = None
        self.add(mention)

    def add(self, mention: Mention) -> None:
        self.mentions.append(mention)
        if mention.place_patient:
            self.places.add(mention.place_patient)
        if precise(mention):
            start = mention.range_start
            self.earliest = start if self.earliest is None else min(self.earliest, start)
            self.latest = start if self.latest is None else max(self.latest, start)

    def admits(self, mention: Mention) -> bool:
        """Whether `mention` may be one event with every member.

        Only strong evidence keeps two mentions of one class in one story apart, because the arguments read
        without a parse are often incomplete (on ECB+, splitting on every differing argument cost 4 points of
        CoNLL F1): two different places captured, attacked or hit, or two day-precise dates written out in
        full (not "Friday", whose day depends on an anchor the text may not give) more than
        `DATE_SLACK_DAYS` apart.
        """
        if mention.place_patient and self.places - {mention.place_patient}:
            return False
        if not precise(mention) or self.earliest is None:
            return True
        start = mention.range_start
        return (start - self.earliest).days <= DATE_SLACK_DAYS and (self.latest - start).days <= DATE_SLACK_DAYS


def precise(mention: Mention) -> bool:
    return (mention.range_start is not None and mention.range_end is not None
            and (mention.range_end - mention.range_start).days <= 1)
