"""Event mentions of one parsed document: triggers, and what their clause says of them.

A trigger is a verb (not a light or linking one), or a noun that names an event: one of the news
nominals of `lexicon.EVENT_NOUNS`, a member of an event class, or a deverbal noun whose verb is an
event ("the evacuation", "the shooting"). Without a dependency parse (it would cost as much as the
rest of the NLP pass), the clause is read from the tagged tokens around the trigger:

- **polarity**: a negation in the verb group before it ("did not capture", "has never been seen"),
  or "no" before a noun ("no attack");
- **modality**: asserted; hedged ("could fall", "reportedly seized", "the threat of an attack");
  conditional ("would"); future ("will", "expected to launch"); goal ("vowed to reclaim",
  "aims to take"); a clause opened by "if" or "unless" is conditional;
- **arguments**: the entity mentions of its sentence: the agent is the nearest person, organisation
  or country before it, the patient the nearest entity right after it (a place the event names:
  "captured Siversk", "the fall of Siversk"), the place the nearest place after "in", "at", "near" or
  similar; the date is the nearest full date of its sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from etl import names_a_place as is_place

from .languages import lexicon_for
from .lexicon import ENGLISH, FUTURE_WORDS, GOAL_WORDS, HEDGE_NOUNS, HEDGE_WORDS, MODALS, Lexicon

ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
KIND_OF = {"VERB": "verbal", "AUX": "verbal", "ADJ": "adjectival"}
#: How far back "the city" may look for the place it stands for.
ANAPHOR_REACH = 400
CLAUSE_BREAKS = frozenset({";", ":", "—", "–", "(", ")"})


@dataclass
class EventMention:
    start: int
    end: int
    text: str
    lemma: str
    kind: str  # verbal | nominal
    event_class: str | None
    sentence: int
    polarity: str = "positive"
    modality: str = "asserted"
    agent: dict | None = None
    patient: dict | None = None
    place: dict | None = None
    date: dict | None = None


def document_events(parsed, entities: Sequence[dict], dates: Sequence[dict]) -> list[EventMention]:
    """Every event mention of one spaCy Doc, given the document's entity and date rows, read with the
    lexicon of the parse's language."""
    lexicon = lexicon_for(parsed.lang_)
    by_sentence: dict[int, list[dict]] = {}
    for row in entities:
        by_sentence.setdefault(row.get("sentence"), []).append(row)
    dates_by_sentence: dict[int, list[dict]] = {}
    for row in dates:
        if row.get("range_start") is not None and row.get("kind") in ("date", "time"):
            dates_by_sentence.setdefault(row.get("sentence"), []).append(row)
    places = sorted((row for row in entities if is_place(row)), key=lambda row: row["start"])
    # `Doc.text` joins every token again on each access: read it once per document.
    text = parsed.text
    settlements = settlement_names(text, places)
    found = []
    for index, sentence in enumerate(parsed.sents):
        mentions = by_sentence.get(index, [])
        inside = _entity_tokens(sentence, mentions)
        for token in sentence:
            if token.i in inside or not is_trigger(token, lexicon):
                continue
            event = EventMention(token.idx, token.idx + len(token.text), token.text, base_lemma(token, lexicon),
                                 KIND_OF.get(token.pos_, "nominal"), None, index)
            group = _verb_group(token, sentence.start, lexicon)  # read once, for polarity and modality
            event.polarity = polarity(token, group, lexicon)
            event.modality = modality(token, sentence, group)
            event.agent, event.patient, event.place = arguments(token, mentions, text, lexicon)
            if event.patient is None and event.place is None:
                event.patient = event.place = settlement_anaphor(token, places, text, settlements)
            event.event_class = event_class(event, token, text, lexicon)
            if event.event_class == "hold" and event.lemma in lexicon.remain_verbs | lexicon.control_nouns \
                    and event.patient is not None:
                # "X remains under the control of Ukraine": who holds it follows; what is held is named before
                event.agent, event.patient, event.place = event.patient, None, None
            if event.event_class == "hold" and event.patient is None and event.place is None:
                # What "remains under control" is a place, named just before ("Siversk ... it remains").
                event.patient = event.place = preceding_place(token, places, text, settlements)
            event.date = nearest(dates_by_sentence.get(index, []), token.idx)
            found.append(event)
    return found


def _entity_tokens(sentence, mentions: Iterable[dict]) -> set[int]:
    """Tokens inside entity names: "the Fall of Rome" as a title is not a fall."""
    inside = set()
    for row in mentions:
        span = sentence.doc.char_span(row["start"], row["end"], alignment_mode="expand")
        if span is not None:
            inside.update(range(span.start, span.end))
    return inside


def base_lemma(token, lexicon: Lexicon = ENGLISH) -> str:
    """The lemma, with a deverbal noun's verb where the lexicon knows it ("killing" -> "kill")."""
    lemma = token.lemma_.lower()
    if token.pos_ != "NOUN" or lemma in lexicon.class_of:
        return lemma
    for suffix, replacement in lexicon.deverbal:
        if lemma.endswith(suffix) and len(lemma) > len(suffix) + 2:
            verb = lemma[: -len(suffix)] + replacement
            if verb in lexicon.class_of:
                return verb
    return lemma


def is_trigger(token, lexicon: Lexicon = ENGLISH) -> bool:
    if token.lower_ in lexicon.control_nouns and token.pos_ in ("NOUN", "VERB"):
        return True  # "full control of the city", "under the control of": events of taking and holding
    if token.pos_ == "VERB":
        return token.lemma_.lower() not in lexicon.light_verbs and token.is_alpha
    if token.pos_ == "ADJ":
        return token.lower_ in lexicon.event_adjectives
    if token.pos_ != "NOUN" or not token.is_alpha:
        return False
    lemma = token.lemma_.lower()
    return lemma in lexicon.event_nouns or base_lemma(token, lexicon) in lexicon.class_of


def event_class(event: EventMention, token=None, text: str | None = None, lexicon: Lexicon = ENGLISH) -> str | None:
    if token is not None and text is None:
        text = token.doc.text  # the caller's copy spares joining the tokens again: pass it
    if token is not None and event.lemma in lexicon.remain_verbs and lexicon.under_control.match(
            text[event.end:event.end + 60]):
        return "hold"
    if token is not None and lexicon.takes_control and event.lemma in lexicon.control_verbs \
            and lexicon.takes_control.match(text[event.end:event.end + 40]):
        return "capture"
    if token is not None and event.lemma in lexicon.control_nouns:
        # "under the control of" a place is held; "(full) control of" a place is taken.
        return "hold" if lexicon.held.search(text[max(0, event.start - 30):event.end]) else "capture"
    if token is not None and event.lemma == "talk" and text[event.end:event.end + 7].startswith(" about"):
        return "report"  # "talking about full control of the city is impossible": a word about a claim
    cls = lexicon.class_of.get(event.lemma)
    if event.lemma in lexicon.needs_place:
        target = event.patient or (event.place if event.lemma in lexicon.falls | lexicon.losses else None)
        placed = target is not None and is_place(target)
        if event.lemma in lexicon.falls and not placed:
            return "drop" if event.kind == "verbal" else None
        if event.lemma in lexicon.losses:
            return "capture" if placed else cls  # a town lost is a town taken; a match lost is a loss
        return cls if placed else None
    return cls


def polarity(token, group: list | None = None, lexicon: Lexicon = ENGLISH) -> str:
    """Negative when a negation stands in the verb group before the trigger, or "no" before a noun."""
    for left in _verb_group(token, lexicon=lexicon) if group is None else group:
        if left.lower_ in lexicon.negations:
            return "negative"
    return "positive"


def _verb_group(token, sentence_start: int | None = None, lexicon: Lexicon = ENGLISH) -> list:
    """The auxiliaries, particles and adverbs right before the trigger ("has not yet been")."""
    group = []
    i = token.i - 1
    if sentence_start is None:
        sentence_start = token.sent.start
    while i >= sentence_start and len(group) < 5:
        left = token.doc[i]
        if left.pos_ in ("AUX", "PART", "ADV") or left.lower_ in lexicon.negations or left.tag_ == "MD":
            group.append(left)
            i -= 1
            continue
        if token.pos_ == "NOUN" and left.pos_ in ("DET", "ADJ", "NUM"):
            group.append(left)
            i -= 1
            continue
        break
    return group


def modality(token, sentence, group: list | None = None) -> str:
    group = _verb_group(token, sentence.start) if group is None else group
    for left in group:
        word = left.lower_
        if word in HEDGE_WORDS:
            return "hedged"
        if word in MODALS:
            return MODALS[word]
    # "expected to launch", "vowed to reclaim", "ready to fight on": the word before "to".
    to = next((left for left in group if left.lower_ == "to"), None)
    if to is None and token.i - 1 >= sentence.start and token.doc[token.i - 1].lower_ == "to":
        to = token.doc[token.i - 1]
    if to is not None and to.i - 1 >= sentence.start:
        governor = token.doc[to.i - 1]
        lemma = governor.lemma_.lower()
        if lemma in GOAL_WORDS:
            return "goal"
        if lemma in FUTURE_WORDS:
            return "future"
        if lemma in ("be", "seem", "appear") or governor.lower_ in ("said", "believed", "thought", "reported"):
            return "hedged"
    if token.pos_ == "NOUN":
        # "the fall of Siversk, while not yet complete, is a real risk": what is said of the event after it.
        after = token.doc[token.i + 1:min(sentence.end, token.i + 14)]
        if any(t.lemma_.lower() in HEDGE_NOUNS or t.lower_ in ("yet", "could", "might", "may") for t in after):
            return "hedged"
        before = token.doc[max(sentence.start, token.i - 4):token.i]
        words = [t.lower_ for t in before]
        if any(w in HEDGE_NOUNS for w in words) and "of" in words:
            return "hedged"
        if any(t.lemma_.lower() in GOAL_WORDS | {"plan", "planned", "expected", "possible"} for t in before):
            return "goal"
    clause = token.doc[sentence.start:token.i]
    for left in reversed(clause):
        if left.text in CLAUSE_BREAKS:
            break
        if left.lower_ in ("if", "unless"):
            return "conditional"
    return "asserted"


def arguments(token, mentions: Sequence[dict], text: str,
              lexicon: Lexicon = ENGLISH) -> tuple[dict | None, dict | None, dict | None]:
    """(agent, patient, place) among the entity rows of the trigger's sentence."""
    start, end = token.idx, token.idx + len(token.text)
    agent = patient = place = None
    before = [m for m in mentions if m["end"] <= start and m.get("label") in ACTOR_LABELS]
    if before:
        nearest_before = before[-1]
        gap = text[nearest_before["end"]:start]
        if not any(mark in gap for mark in CLAUSE_BREAKS) and len(gap) < 80:
            agent = nearest_before
    after = [m for m in mentions if m["start"] >= end]
    for m in after:
        gap = text[end:m["start"]].lower()
        words = gap.split()
        if len(words) > 4 or any(mark in gap for mark in CLAUSE_BREAKS):
            break
        if words and words[-1] in lexicon.place_prepositions and is_place(m):
            place = place or m
            continue
        if patient is None and (not words or words[-1] in lexicon.patient_links):
            patient = m
    if place is None:
        for m in after:
            gap = text[end:m["start"]]
            if len(gap) > 120 or any(mark in gap for mark in CLAUSE_BREAKS):
                break
            words = gap.lower().split()
            if words and words[-1] in lexicon.place_prepositions and is_place(m):
                place = m
                break
    if place is None and patient is not None and is_place(patient):
        place = patient
    return agent, patient, place


_LOCATIVE = re.compile(r"\b(?:in|of|near|outside|across)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}$", re.I)
_SETTLEMENT_AFTER = re.compile(r"^,? (?:a|an|the) (?:[\w-]+ ){0,4}(?:city|town|village|settlement|outpost|hub)\b",
                               re.I)
_SETTLEMENT_BEFORE = re.compile(r"\b(?:city|town|village|settlement) of $", re.I)
_SETTLEMENT = re.compile(r"(?:the|this|that|its|key|small|front-line|eastern|\s)+"
                         r"(?:city|town|village|settlement|outpost|stronghold)\b", re.I)


def settlement_names(text: str, places: Sequence[dict]) -> set[str]:
    """The places the document calls a city, town or village ("Siversk, a small city in ...", "the
    town of X"): what a later "the city" most likely stands for."""
    found = set()
    for row in places:
        if _SETTLEMENT_AFTER.match(text[row["end"]:row["end"] + 60]) or \
                _SETTLEMENT_BEFORE.search(text[max(0, row["start"] - 30):row["start"]]):
            found.add(row["text"].lower())
    return found


def settlement_anaphor(token, places: Sequence[dict], text: str, settlements: set[str] = frozenset()) -> dict | None:
    """The place a "the city" next to the trigger stands for: the nearest place named before it.

    "the city's fall", "the fall of the town", "fighting in the city": news refers back to the city
    it just named. Within `ANAPHOR_REACH` characters, else nothing.
    """
    start, end = token.idx, token.idx + len(token.text)
    before = text[max(0, start - 60):start]
    # "the city's fall", "the city «remains", "the key settlement had been lost"
    possessive = re.search(r"(?:city|town|village|settlement)(?:['’]s\s+|\s+(?:had|has|have|was|were|is|are)\s+"
                           r"(?:been\s+|not\s+|already\s+|never\s+)*|\s*[«\"“]?\s*)$", before, re.I)
    # "the fall of the town", "fighting in the city", "fighting continues in the city"
    following = re.match(r"\s+(?:[a-z]+\s+){0,3}?(?:of|in|at|near|inside|for)\s+" + _SETTLEMENT.pattern,
                         text[end:end + 80], re.I)
    if not (possessive or following):
        return None
    return preceding_place(token, places, text, settlements)


def preceding_place(token, places: Sequence[dict], text: str, settlements: set[str] = frozenset()) -> dict | None:
    """The nearest place named before the trigger, within `ANAPHOR_REACH` characters; a place the
    document calls a city first."""
    start = token.idx
    earlier = [row for row in places if row["end"] <= start and start - row["end"] <= ANAPHOR_REACH]
    called = [row for row in earlier if row["text"].lower() in settlements]
    if called:
        return called[-1]
    # A place named only as where another is ("Pokrovsk, a hub also in Donetsk") is not what "the city"
    # points back to when a place before it is named for itself.
    named = [row for row in earlier if not _LOCATIVE.search(text[max(0, row["start"] - 25):row["start"]])]
    return (named or earlier)[-1] if earlier else None


def nearest(rows: Sequence[dict], offset: int) -> dict | None:
    if not rows:
        return None
    return min(rows, key=lambda row: (abs(row["start"] - offset), row["start"]))
