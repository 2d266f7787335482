"""Cue lexicons per language: the verbs that report speech, the verbs of denial, negation words, and
the wording by which content denies a claim. One lexicon per language, each the one place its words
live; `attribution` reads the lexicon of the parse's language (`Doc.lang_`).

The words are general knowledge of news language (reporting verbs as style guides and grammars list
them), not phrases taken from evaluation texts. English is the language the claim rules were built
and measured on (MEANTIME); French and Russian share the rules through Universal Dependencies
(`nsubj`, `ccomp`, `obj`), which spaCy's French model and natasha both produce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CueLexicon:
    #: Lemmas of verbs that introduce what someone said, wrote or reported (not what they thought).
    speech: frozenset[str]
    #: Lemmas of verbs that deny what they introduce ("denied that ...").
    deny: frozenset[str]
    #: Lemmas whose direct object is what was said ("denied the claim").
    object_content: frozenset[str] = frozenset()
    #: Adverbs and particles that negate the verb they modify (besides a `neg` dependency).
    negations: frozenset[str] = frozenset()
    #: Content that contradicts a claim whatever the verb ("... remains under the control of ...").
    denial_content: re.Pattern | None = None
    #: Pronouns that stand for a person, and for an organisation or group, as a speaker.
    person_pronouns: frozenset[str] = frozenset()
    thing_pronouns: frozenset[str] = frozenset()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH = CueLexicon(
    speech=_words("""
        say tell add state claim deny report announce explain warn insist refute dispute allege describe
        note acknowledge assert declare confirm reiterate remark indicate inform argue write admit concede
        contend maintain stress emphasize emphasise predict promise vow pledge threaten reject dismiss rebut
        contradict counter reply respond comment mention observe conclude estimate suggest complain accuse
        urge tweet testify recount recall characterize label brand disclose reveal charge
        cite call ask request recommend advise order forecast post outline blame condemn criticize criticise
        praise applaud
    """),
    deny=_words("deny refute dispute reject dismiss rebut contradict disavow"),
    object_content=_words("""
        deny refute dispute reject dismiss rebut contradict disavow report announce confirm claim allege
        acknowledge admit reiterate emphasize emphasise stress disclose reveal predict estimate
        cite request recommend forecast outline blame condemn criticize criticise praise applaud
    """),
    negations=_words("not n't never"),
    denial_content=re.compile(
        r"\b(?:remains?|remained|still)\b[^.;]{0,20}?\bunder\b[^.;]{0,25}?\bcontrol\b"
        r"|\bstill\s+(?:held|controlled)\s+by\b"
        r"|\b(?:talk(?:ing)?|claims?|reports?|allegations?|statements?|assertions?|rumou?rs?)\b[^.;]{0,80}?"
        r"\b(?:is|are|was|were)\s+(?:simply\s+|completely\s+|absolutely\s+|totally\s+)?"
        r"(?:impossible|false|untrue|not\s+true|baseless|groundless|unfounded|nonsense|premature|a\s+lie|lies|fake)\b"
        r"|\b(?:has|have|had)\s+(?:not|n't|never)\s+(?:been\s+)?(?:fallen|captured|taken|seized|lost)\b",
        re.IGNORECASE,
    ),
    person_pronouns=_words("he she"),
    thing_pronouns=_words("it they"),
)

FRENCH = CueLexicon(
    speech=_words("""
        dire déclarer affirmer annoncer expliquer ajouter indiquer préciser souligner assurer confirmer
        rapporter raconter avertir prévenir insister répondre répéter reconnaître admettre écrire soutenir
        prétendre accuser dénoncer promettre menacer révéler démentir nier réfuter contester rejeter récuser
        estimer déplorer marteler rappeler signaler confier lancer tweeter twitter
    """),
    deny=_words("démentir nier réfuter contester rejeter récuser"),
    object_content=_words("démentir nier réfuter contester rejeter récuser annoncer confirmer révéler reconnaître"),
    negations=_words("ne n' pas jamais plus aucunement nullement"),
    denial_content=re.compile(
        r"\b(?:reste|restent|demeure|demeurent|toujours)\b[^.;]{0,20}?\bsous\b[^.;]{0,25}?\bcontrôle\b"
        r"|\b(?:informations?|affirmations?|allégations?|rumeurs?|déclarations?|propos)\b[^.;]{0,80}?"
        r"\b(?:est|sont|était|étaient)\s+(?:totalement\s+|complètement\s+|absolument\s+)?"
        r"(?:fausses?|faux|infondée?s?|mensong(?:e|ères?)|sans\s+fondement|erronée?s?)\b"
        r"|\bn['’]\s*(?:a|ont|avait|avaient)\s+(?:pas|jamais)\s+été\s+(?:prise?s?|capturée?s?|perdue?s?)\b",
        re.IGNORECASE,
    ),
    person_pronouns=_words("il elle"),
    thing_pronouns=_words("ils elles"),
)

RUSSIAN = CueLexicon(
    speech=_words("""
        сказать говорить заявить заявлять сообщить сообщать отметить отмечать подчеркнуть подчёркивать
        подчеркивать добавить добавлять пояснить пояснять объяснить объяснять рассказать рассказывать
        уточнить уточнять указать указывать признать признавать подтвердить подтверждать предупредить
        предупреждать написать писать утверждать настаивать обещать пообещать пригрозить грозить
        опровергнуть опровергать отрицать отвергнуть отвергать оспорить оспаривать ответить отвечать
        заверить заверять сообщить объявить объявлять обвинить обвинять назвать называть
    """),
    deny=_words("опровергнуть опровергать отрицать отвергнуть отвергать оспорить оспаривать дезавуировать"),
    object_content=_words("опровергнуть опровергать отрицать отвергнуть отвергать оспорить оспаривать "
                          "подтвердить подтверждать объявить объявлять признать признавать"),
    negations=_words("не ни никогда"),
    denial_content=re.compile(
        r"(?:остаётся|остается|остаются|находится|находятся|по-прежнему)[^.;]{0,20}?под[^.;]{0,25}?контрол"
        r"|не\s+соответству(?:ет|ют)\s+действительности"
        r"|(?:являются|является|это)\s+(?:ложью|фейком|фейк|неправдой|дезинформацией)"
        r"|(?:информаци\w*|сообщени\w*|заявлени\w*|утверждени\w*|слух\w*)[^.;]{0,80}?"
        r"(?:ложн\w+|недостоверн\w+|не\s+соответству\w+|беспочвенн\w+|голословн\w+)",
        re.IGNORECASE,
    ),
    person_pronouns=_words("он она"),
    thing_pronouns=_words("они оно"),
)

#: Language code (a spaCy `Doc.lang_`) -> its cue lexicon.
LEXICONS = {"en": ENGLISH, "fr": FRENCH, "ru": RUSSIAN}


def lexicon_for(language: str) -> CueLexicon | None:
    """The cue lexicon of `language`, or None: claims are read only in languages that have one."""
    return LEXICONS.get(language)
