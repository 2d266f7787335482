"""French dates: "11 décembre 2025", "1er décembre", "décembre 2025", "jeudi", "hier", "le mois dernier"."""

from . import Language

LANGUAGE = Language(
    code="fr",
    months={"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
            "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
            "décembre": 12, "decembre": 12},
    month_abbreviations={"janv": 1, "jan": 1, "jun": 6, "jul": 7, "aoû": 8, "sep": 9,
                         "févr": 2, "fevr": 2, "fév": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10,
                         "nov": 11, "déc": 12, "dec": 12},
    weekdays={"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6},
    days={"avant-hier": -2, "hier": -1, "aujourd'hui": 0, "aujourd’hui": 0, "demain": 1, "après-demain": 2},
    units={r"semaine": "week", r"mois": "month", r"année|an": "year", r"week-end|weekend": "weekend"},
    previous="",  # "la dernière semaine" is the last seven days more often than last week
    this=r"cette|cet|ce",
    next=r"prochaine|prochain",
    previous_after=r"dernière|dernier|derniere|passée|passé|passee|passe",
    next_after=r"prochaine|prochain",
    articles=r"le|la|l'|l’",
    day_suffix=r"er|e",
    month_prepositions=r"en|depuis|jusqu'en|jusqu’en|d'ici",
    mods={r"début": "START", r"mi-": "MID", r"fin": "END"},
    ago=r"il\s+y\s+a\s+{n}\s+{unit}",
    ago_units={r"jours?": "day", r"semaines?": "week", r"mois": "month", r"ans|années?": "year"},
    future=r"va|vont|sera|seront|aura|auront|devrait|devraient|prévu|prévue|prévoit|compte",
)
