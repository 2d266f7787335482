"""General knowledge of news events: which nouns name events, which words report one happening, and
which events deny each other.

Every list encodes the language of news in general (wars, disasters, crime, courts, politics,
business, sport), not the wording of any one corpus. `bench/events_ecbplus.py` measures what they do
on ECB+ topics the lists were not written from.
"""

from __future__ import annotations

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

#: Events that deny each other when said of the same thing: a city captured and a city held, a vote won
#: and lost, prices that rise and fall, a door opened and closed, an accused convicted and acquitted.
OPPOSITES: dict[str, str] = {}
for _a, _b in (("capture", "hold"), ("win", "lose"), ("rise", "drop"), ("open", "close"),
               ("convict", "acquit"), ("approve", "reject"), ("advance", "retreat"), ("agree", "reject")):
    OPPOSITES.setdefault(_a, _b)
    OPPOSITES.setdefault(_b, _a)

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
