"""German dates: "11. Dezember 2025", "Dezember 2025", "am Donnerstag", "gestern", "vergangenen Monat"."""

from . import Language

LANGUAGE = Language(
    code="de",
    months={"januar": 1, "jänner": 1, "februar": 2, "feber": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5, "juni": 6,
            "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12},
    month_abbreviations={"jan": 1, "jän": 1, "feb": 2, "mär": 3, "mrz": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                         "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dez": 12},
    weekdays={"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
              "sonnabend": 5, "sonntag": 6},
    days={"vorgestern": -2, "gestern": -1, "heute": 0, "morgen": 1, "übermorgen": 2},
    # "am Morgen", "heute Morgen": the morning, not tomorrow
    day_guards={"morgen": r"(?:\bam|\bheute|\bgestern|\bjeden|\bden|\bder|\bdes|\bdem|\bein|\beinen|\beinem|"
                          r"\bguten|\bdiesen|\bfrühen|\bnächsten)\s+$"},
    units={r"woche": "week", r"monats?": "month", r"jahr(?:es|s)?": "year", r"wochenendes?": "weekend"},
    previous=r"letzte[nmrs]?|vergangene[nmrs]?|vorige[nmrs]?",
    this=r"diese[nmrs]?",
    next=r"nächste[nmrs]?|kommende[nmrs]?",
    day_suffix=r"\.",
    month_prepositions=r"im|in|seit|bis|ab|vom|zum",
    mods={r"Anfang": "START", r"Mitte": "MID", r"Ende": "END"},
    ago=r"vor\s+{n}\s+{unit}",
    ago_units={r"tage?n?": "day", r"wochen?": "week", r"monate?n?": "month", r"jahre?n?": "year"},
    future=r"wird|werden|wirst|soll|sollen|will|wollen|plant|planen|geplant|künftig",
)
