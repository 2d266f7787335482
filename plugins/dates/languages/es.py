"""Spanish dates: "11 de diciembre de 2025", "diciembre de 2025", "el jueves", "ayer", "el mes pasado"."""

from . import Language

LANGUAGE = Language(
    code="es",
    months={"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
            "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12},
    month_abbreviations={"ene": 1, "feb": 2, "mar": 3, "abr": 4, "jun": 6, "jul": 7, "ago": 8, "sep": 9,
                         "sept": 9, "oct": 10, "nov": 11, "dic": 12},
    weekdays={"lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4,
              "sábado": 5, "sabado": 5, "domingo": 6},
    days={"anteayer": -2, "antier": -2, "ayer": -1, "hoy": 0, "mañana": 1, "pasado mañana": 2},
    # "la mañana", "esta mañana": the morning, not tomorrow
    day_guards={"mañana": r"(?:\bla|\besta|\buna|\bcada|\btoda|\bmedia|\bsu|\bpor|\bde)\s+$"},
    units={r"semana": "week", r"mes": "month", r"año": "year", r"fin\s+de\s+semana": "weekend"},
    previous=r"pasado|pasada",
    this=r"este|esta",
    next=r"próximo|próxima|proximo|proxima",
    previous_after=r"pasado|pasada",
    next_after=r"próximo|próxima|proximo|proxima|que\s+viene|entrante",
    articles=r"el|la",
    day_month_link=r"de",
    month_year_link=r"de|del",
    month_prepositions=r"en|desde|hasta|de|para",
    mods={r"principios\s+de": "START", r"mediados\s+de": "MID", r"finales\s+de|fines\s+de": "END"},
    ago=r"hace\s+{n}\s+{unit}",
    ago_units={r"días?|dias?": "day", r"semanas?": "week", r"mes(?:es)?": "month", r"años?": "year"},
    future=r"va\s+a|van\s+a|será|serán|habrá|prevé|previsto|prevista|planea",
)
