"""General knowledge of news events: which nouns name events, which words report one happening, and
which events deny each other.

Every list encodes the language of news in general (wars, disasters, crime, courts, politics,
business, sport), not the wording of any one corpus. `bench/events_ecbplus.py` measures what they do
on ECB+ topics the lists were not written from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: Event classes: lemmas (verbs and their nominalisations) that name one kind of happening. Mentions of
#: one real-world event are compared within a class, so "captured", "seized" and "the fall" can meet.
CLASSES: dict[str, frozenset[str]] = {name: frozenset(words.split()) for name, words in {
    "capture": "capture seize take fall occupy overrun conquer liberate retake recapture annex storm",
    "hold": "hold defend repel repulse resist withstand",
    "attack": "attack strike assault bomb bombard shell raid ambush invade invasion offensive incursion "
              "bombing airstrike shelling",
    "fight": "fight fighting battle clash combat",
    "kill": "kill murder slay assassinate execute massacre slaughter killing murder assassination execution",
    "die": "die death perish dead",
    "injure": "injure wound hurt injury injured wounded",
    "shoot": "shoot shooting gun gunfire",
    "arrest": "arrest detain apprehend capture_person custody detention",
    "charge": "charge indict accuse prosecute indictment prosecution",
    "convict": "convict sentence jail imprison conviction verdict",
    "acquit": "acquit clear exonerate acquittal",
    "try": "trial",
    "explode": "explode blast explosion detonate detonation",
    "burn": "burn fire blaze ignite",
    "quake": "earthquake quake tremor",
    "storm": "hurricane typhoon cyclone tornado",
    "flood": "flood flooding inundate",
    "crash": "crash collide collision derail derailment",
    "elect": "elect election vote win_election reelect",
    "resign": "resign quit resignation step_down",
    "appoint": "appoint name nominate hire appointment nomination",
    "fire_job": "dismiss sack oust dismissal ouster layoff",
    "acquire": "acquire buy purchase takeover acquisition merge merger",
    "sell": "sell sale divest",
    "launch": "launch unveil introduce release debut",
    "announce": "announce announcement unveil",
    "agree": "agree sign agreement deal accord treaty pact",
    "reject": "reject refuse veto rebuff",
    "approve": "approve pass ratify endorse approval ratification",
    "win": "win victory triumph beat defeat",
    "lose": "lose loss",
    "rise": "rise increase climb grow jump surge soar gain growth",
    "drop": "fall drop decline decrease plunge slump sink tumble",
    "open": "open reopen opening",
    "close": "close shut closure shutdown",
    "protest": "protest demonstrate demonstration rally march riot",
    "rescue": "rescue evacuate evacuation save",
    "kidnap": "kidnap abduct abduction hijack",
    "escape": "escape flee",
    "visit": "visit tour trip",
    "meet": "meet meeting summit talk talks negotiate negotiation",
    "ceasefire": "ceasefire truce armistice",
    "advance": "advance push progress",
    "retreat": "retreat withdraw withdrawal pullback",
    "sanction": "sanction ban embargo",
    "host": "host",
    "help": "help aid assist support provide supply",
    "marry": "marry wed wedding marriage",
    "divorce": "divorce separate separation",
    "report": "say tell report state claim announce declare add",
}.items()}

#: Class of each lemma (a lemma in two classes keeps the first: "fall" is a capture before a drop).
CLASS_OF: dict[str, str] = {}
for _name, _lemmas in CLASSES.items():
    for _lemma in _lemmas:
        CLASS_OF.setdefault(_lemma, _name)

#: Nouns that name events: general nominals of news reporting (a noun counts as an event trigger when
#: its lemma is here, in a class above, or a deverbal noun of a verb, see `triggers.is_event_noun`).
EVENT_NOUNS = frozenset("""
    accident acquisition acquittal address advance aftermath agreement airstrike ambush announcement appeal
    appearance appointment approval arrest arrival assassination assault attack auction audit award ban
    bankruptcy battle beating bid birth blast blaze blockade bombing boycott breach break-in bribe
    burglary campaign capture celebration ceremony championship change charge clash closure coalition
    collapse collision competition concert conference conflict confrontation conquest contest conviction
    coup crackdown crash crime crisis cut deal death debate debut decision defeat delay demonstration
    departure deportation derailment detention disappearance disaster discovery dismissal dispute
    divorce drought earthquake election embargo emergency epidemic eruption escape evacuation execution
    exodus expansion explosion famine festival fight fighting final fire flight flood fraud funeral game
    gunfire hearing heist hijacking hurricane incident incursion increase injury inquiry interview
    invasion investigation kidnapping killing landing launch lawsuit layoff leak loss march marriage
    massacre match meeting merger murder negotiation nomination occupation offensive operation outage
    outbreak overdose pandemic parade payment performance premiere probe protest purchase quake raid
    rally ransom recall recession reelection referendum release rescue resignation retreat revolt
    revolution riot robbery ruling sale scandal search season seizure sentence session settlement
    shelling shooting shortage show siege slump speech spill stabbing standoff storm strike struggle
    suicide summit surgery surrender suspension takeover talks tender test theft tornado tour
    tournament tragedy trial truce tsunami uprising verdict veto victory violence visit vote walkout war
    wedding win withdrawal arson arraignment comeback damage downtime move offer playoff rampage record
    rehab round service stint testimony transfer treatment vigil
""".split())

#: Verbs that are never events in themselves: the copula and the auxiliaries used as main verbs.
#: (Light verbs such as "make", "take" or "set" are kept: "made a bid", "set a record" are reported
#: events, and the class lexicon, not the trigger rule, keeps them from meeting unrelated mentions.)
LIGHT_VERBS = frozenset("be have do seem appear".split())
#: Adjectives that state the outcome of an event ("two dead", "found guilty", "three missing").
EVENT_ADJECTIVES = frozenset("dead injured wounded missing guilty killed arrested jailed hospitalized".split())

#: Words that, right before a verb group, negate it.
NEGATIONS = frozenset({"not", "n't", "never", "no", "nor", "neither", "cannot"})

#: Modal words of the verb group and what they make of the event.
MODALS = {
    "could": "hedged", "might": "hedged", "may": "hedged", "can": "hedged", "must": "hedged",
    "would": "conditional", "should": "conditional",
    "will": "future", "shall": "future", "'ll": "future", "wo": "future",
}
#: Verbs and adjectives that, before "to" + the event, say it has not happened: a plan, a forecast, a
#: goal ("expected to launch", "vowed to reclaim", "ready to fight on").
GOAL_WORDS = frozenset("""
    aim attempt hope intend plan plot pledge promise seek strive try vow want wish threaten prepare
    ready prepared determined eager keen willing resolve
""".split())
FUTURE_WORDS = frozenset("expect schedule set due likely poised bound going about".split())
HEDGE_WORDS = frozenset("""
    reportedly allegedly apparently possibly probably perhaps maybe purportedly supposedly seemingly
    possible potential alleged suspected likely unconfirmed
""".split())
#: Nouns governing an event noun ("the threat of an attack", "the risk of a fall") that keep it unreal.
HEDGE_NOUNS = frozenset("threat risk danger fear possibility prospect chance plan plans bid attempt".split())

#: Words that, before a place's name, say the event happened there ("in Siversk", "near the port").
PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "outside", "inside", "across", "into", "around", "from",
                                "throughout", "within", "toward", "towards"})
#: Words that may stand between a trigger and what it is done to ("the fall of Siversk", "full control over").
PATIENT_LINKS = frozenset({"of", "the", "full", "control", "over"})
#: Suffixes of deverbal nouns ("evacuation", "shooting", "payment"), tried against the verb lemmas.
DEVERBAL = (("ation", "ate"), ("ation", ""), ("ition", "ish"), ("tion", "te"), ("sion", "de"), ("ment", ""),
            ("ing", ""), ("ing", "e"), ("al", ""), ("ure", "e"), ("ance", ""), ("ence", ""))
#: Lemmas whose class depends on what follows: "took Siversk" is a capture, "took part" is not;
#: "prices fell 3%" is a drop, "Siversk fell" a capture; a town lost is a town taken, a match lost a loss.
NEEDS_PLACE = frozenset({"take", "hold", "fall", "storm", "lose"})
FALLS, LOSSES = frozenset({"fall"}), frozenset({"lose"})
#: "remains under the control of", "stays in Ukrainian hands": a place held.
REMAIN_VERBS = frozenset({"remain", "stay"})
UNDER_CONTROL = re.compile(r"\s+(?:firmly\s+|still\s+)?(?:under\s+(?:the\s+)?(?:full\s+)?control|in\s+\w+\s+hands)",
                           re.I)
#: The control noun: "under the control of" a place is held, "(full) control of" a place is taken.
CONTROL_NOUNS = frozenset({"control"})
HELD = re.compile(r"\bunder\s+(?:the\s+|its\s+|their\s+|[\w-]+\s+){0,2}\w+$", re.I)
#: "gained complete control over", "took full control of": a capture.
CONTROL_VERBS = frozenset({"gain", "take", "seize", "assume", "establish", "win", "claim"})
TAKES_CONTROL = re.compile(r"\s+(?:full\s+|complete\s+|total\s+)?control\s+(?:of|over)\b", re.I)


@dataclass(frozen=True)
class Lexicon:
    """The words event mentions of one language are read with. The classes, and what opposes what, are
    shared by every language: a French "prise" and an English "capture" are one class."""

    language: str
    class_of: Mapping[str, str]
    event_nouns: frozenset[str]
    light_verbs: frozenset[str]
    negations: frozenset[str]
    place_prepositions: frozenset[str]
    patient_links: frozenset[str]
    needs_place: frozenset[str]
    falls: frozenset[str]
    losses: frozenset[str]
    remain_verbs: frozenset[str]
    under_control: re.Pattern
    control_nouns: frozenset[str]
    held: re.Pattern
    event_adjectives: frozenset[str] = frozenset()
    deverbal: tuple[tuple[str, str], ...] = ()
    control_verbs: frozenset[str] = frozenset()
    takes_control: re.Pattern | None = None


def classes_of(classes: Mapping[str, str]) -> dict[str, str]:
    """{class: "lemma lemma ..."} -> {lemma: class}, the first class of a lemma in two keeping it."""
    found: dict[str, str] = {}
    for name, lemmas in classes.items():
        for lemma in lemmas.split():
            found.setdefault(lemma, name)
    return found


ENGLISH = Lexicon(
    "en", CLASS_OF, EVENT_NOUNS, LIGHT_VERBS, NEGATIONS, PLACE_PREPOSITIONS, PATIENT_LINKS, NEEDS_PLACE, FALLS,
    LOSSES, REMAIN_VERBS, UNDER_CONTROL, CONTROL_NOUNS, HELD, EVENT_ADJECTIVES, DEVERBAL, CONTROL_VERBS,
    TAKES_CONTROL)
