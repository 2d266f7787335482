"""The vocabulary and calendar arithmetic of the date rules (`etl_plugins.dates.timex_rules`).

Words and regex fragments for months, weekdays, numbers and units; the context a resolver reads
(anchor, last day met, tense); and calendar points, each a (value, granularity, range_start,
range_end) tuple, with the arithmetic to move between them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

# --- vocabulary ------------------------------------------------------------------------------------

MONTHS = {name: i for i, names in enumerate([
    (), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")]) for name in names}
WEEKDAYS = {d: i for i, d in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
SEASON_MONTHS = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI"}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
            "last": 4, "final": 4}
UNITS = {"year": "Y", "month": "M", "week": "W", "day": "D", "hour": "H", "minute": "MIN",
         "second": "S", "decade": "DE", "century": "CE", "quarter": "Q", "fortnight": "FN",
         "yr": "Y", "hr": "H", "min": "MIN"}
SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
VAGUE = {"few", "several", "some", "many", "couple", "numerous", "recent", "coming", "the"}
MOD_WORDS = {"early": "START", "earlier": "START", "beginning": "START", "start": "START",
             "mid": "MID", "middle": "MID", "late": "END", "later": "END", "end": "END"}
QUANT_MODS = {"more than": "MORE_THAN", "over": "MORE_THAN", "at least": "MORE_THAN", "just over": "MORE_THAN",
              "nearly": "APPROX", "almost": "APPROX", "about": "APPROX", "around": "APPROX",
              "approximately": "APPROX", "roughly": "APPROX", "some": "APPROX", "close to": "APPROX",
              "less than": "LESS_THAN", "under": "LESS_THAN", "up to": "LESS_THAN", "within": "LESS_THAN",
              "no more than": "LESS_THAN", "at most": "LESS_THAN", "just under": "LESS_THAN"}

_month_alt = "|".join(sorted((m for m in MONTHS if m != "may"), key=len, reverse=True))
MONTH = rf"(?-i:(?:{'|'.join(n.capitalize() for n in _month_alt.split('|'))}|May)\b\.?|(?:MAY\b))"
MONTH_FULL = r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December)"
YEAR = r"(?:1[6-9]\d\d|20\d\d)"
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
WEEKDAY = r"(?-i:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_num_words = "|".join(sorted(list(SMALL) + list(TENS), key=len, reverse=True))
NUMBER = (rf"(?:\d+(?:\.\d+)?(?:\s+1/2)?|(?:{_num_words})(?:[- ](?:{_num_words}))?(?:\s+hundred|\s+thousand)?"
          r"|a\s+(?:few|couple(?:\s+of)?|dozen|hundred|thousand)|an?|few|several|some|many|a\s+half|half\s+an?)")
UNIT = r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centur(?:y|ies)|quarters?|fortnights?)"
QMOD = (r"(?:(?P<qmod>more\s+than|at\s+least|nearly|almost|about|around|approximately|roughly|close\s+to|"
        r"less\s+than|up\s+to|no\s+more\s+than|at\s+most)\s+)?")
MODP = (r"(?:(?:the\s+)?(?P<mod>early|mid|late|beginning\s+of|start\s+of|middle\s+of|end\s+of)"
        r"(?:\s+|-(?=\w))(?:the\s+)?)?")
RELP = r"(?P<rel>this|last|next|past|previous|coming|following|current|that|same)"

PRESENT_WORDS = {"now", "currently", "current", "presently", "nowadays", "at present", "the present",
                 "these days", "right now", "just now", "at the moment"}
FUTURE_WORDS = {"the future", "future", "soon", "in the future", "shortly"}


class Unanchored(Exception):
    """A relative expression met no anchor: `value` keeps what the text itself says."""

    def __init__(self, value: str, granularity: str | None = None, kind: str = "date"):
        super().__init__(value)
        self.value, self.granularity, self.kind = value, granularity, kind


@dataclass
class Timex:
    start: int
    end: int
    text: str
    value: str
    kind: str = "date"
    mod: str | None = None
    granularity: str | None = None
    range_start: date | None = None
    range_end: date | None = None
    relative: bool = False  # the value depends on an anchor (publication date, text date, last date)
    resolved: bool = True  # False when a relative value met no anchor
    base: date | None = None  # the earlier date of the text it counts from ("the next day"), if any


@dataclass
class Context:
    anchor: date | None
    last: date | None = None  # the last day-precise date met in the text, for "the next day"
    tense: str = "past"  # "past" or "future" around the expression being resolved
    last_in_sentence: bool = False  # `last` was met in the sentence being read
    sentence: str = ""  # the text of the sentence being read
    used_last: bool = False  # the expression being resolved counted from `last`, not from the anchor

    def previous(self) -> date | None:
        self.used_last = True
        return self.last

    def need(self, value: str, granularity: str | None = None, kind: str = "date") -> date:
        if self.anchor is None:
            raise Unanchored(value, granularity, kind)
        return self.anchor


# --- calendar points: (value, granularity, range_start, range_end) ----------------------------------

def p_day(d: date):
    return d.isoformat(), "day", d, d


def p_month(y: int, m: int):
    return f"{y:04d}-{m:02d}", "month", date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def p_year(y: int):
    return f"{y:04d}", "year", date(y, 1, 1), date(y, 12, 31)


def p_week(d: date):
    y, w, _ = d.isocalendar()
    monday = date.fromisocalendar(y, w, 1)
    return f"{y:04d}-W{w:02d}", "week", monday, monday + timedelta(days=6)


def p_weekend(d: date):
    y, w, _ = d.isocalendar()
    saturday = date.fromisocalendar(y, w, 6)
    return f"{y:04d}-W{w:02d}-WE", "week", saturday, saturday + timedelta(days=1)


def p_quarter(y: int, q: int):
    end_month = 3 * q
    return (f"{y:04d}-Q{q}", "quarter", date(y, end_month - 2, 1),
            date(y, end_month, calendar.monthrange(y, end_month)[1]))


def p_half(y: int, h: int):
    return f"{y:04d}-H{h}", "half", date(y, 1 if h == 1 else 7, 1), date(y, 6, 30) if h == 1 else date(y, 12, 31)


def p_season(y: int, code: str):
    first = date(y, SEASON_MONTHS[code], 1)
    last = first + relativedelta(months=3) - timedelta(days=1)
    return f"{y:04d}-{code}", "season", first, last


def p_decade(decade: int):
    return f"{decade // 10:03d}", "decade", date(decade, 1, 1), date(decade + 9, 12, 31)


def p_century(hundreds: int):
    return f"{hundreds:02d}", "century", date(max(hundreds * 100, 1), 1, 1), date(hundreds * 100 + 99, 12, 31)


def quarter_of(d: date) -> int:
    return (d.month - 1) // 3 + 1


def nearest_year(month: int, day: int | None, anchor: date) -> int:
    """The year that puts month(-day) nearest the anchor."""
    best = None
    for y in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            d = date(y, month, day or 15)
        except ValueError:
            continue
        if best is None or abs((d - anchor).days) < abs((best - anchor).days):
            best = d
    return best.year if best else anchor.year


TENSE_SLACK_DAYS = 90


def year_by_tense(month: int, day: int | None, anchor: date, tense: str) -> int:
    """Nearest the anchor; but a past-tense sentence does not look far ahead, nor a future one back."""
    y = nearest_year(month, day, anchor)
    probe = date(y, month, day or 1)
    if tense == "past" and probe > anchor + timedelta(days=TENSE_SLACK_DAYS):
        return y - 1
    if tense == "future" and (date(y, month, day or calendar.monthrange(y, month)[1]) < anchor):
        return y + 1
    return y


def narrow(mod: str | None, start: date, end: date) -> tuple[date, date]:
    """START/MID/END select the first, middle or last third of an interval."""
    if mod not in ("START", "MID", "END") or start is None:
        return start, end
    third = (end - start).days // 3
    if mod == "START":
        return start, start + timedelta(days=third)
    if mod == "MID":
        return start + timedelta(days=third), end - timedelta(days=third)
    return end - timedelta(days=third), end


def to_number(text: str) -> float | None:
    """'three' -> 3, 'twenty-five' -> 25, '5 1/2' -> 5.5, 'a' -> 1; None for vague amounts."""
    t = re.sub(r"\s+", " ", text.lower().strip())
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    if m := re.fullmatch(r"(\d+) 1/2", t):
        return int(m.group(1)) + 0.5
    if t in ("a", "an"):
        return 1
    if t in ("a half", "half a", "half an"):
        return 0.5
    if t in ("a couple", "a couple of"):
        return 2
    if t in ("a dozen",):
        return 12
    if t in ("a hundred", "a thousand"):
        return 100 if "hundred" in t else 1000
    total, scale = 0, 1
    words = re.split(r"[- ]", t)
    if words and words[-1] in ("hundred", "thousand"):
        scale = 100 if words.pop() == "hundred" else 1000
    for w in words:
        if w in SMALL:
            total += SMALL[w]
        elif w in TENS:
            total += TENS[w]
        else:
            return None
    return total * scale


def duration_value(amount: float | None, unit: str) -> str:
    """P3Y, PT5H30M, P10Y for a decade, PXY when the amount is vague."""
    code = UNITS[unit]
    if code == "DE":
        code, amount = "Y", None if amount is None else amount * 10
    elif code == "CE":
        code, amount = "Y", None if amount is None else amount * 100
    elif code == "FN":
        code, amount = "W", None if amount is None else amount * 2
    time = code in ("H", "MIN", "S")
    letter = "M" if code == "MIN" else code
    prefix = "PT" if time else "P"
    if amount is None:
        return f"{prefix}X{letter}"
    if amount != int(amount):
        smaller = {"Y": ("M", 12), "M": ("D", 30), "W": ("D", 7), "D": ("H", 24), "H": ("M", 60),
                   "MIN": ("S", 60), "Q": ("M", 3)}
        if code in smaller:
            small, factor = smaller[code]
            whole = int(amount)
            rest = round((amount - whole) * factor)
            if whole == 0:
                return f"{'PT' if code in ('D', 'H', 'MIN') else 'P'}{rest}{small}"
            if code in ("D",):
                return f"P{whole}DT{rest}H"
            return f"{prefix}{whole}{letter}{rest}{small}"
    return f"{prefix}{int(amount)}{letter}"


def shift(d: date, unit: str, n: int) -> date:
    code = UNITS[unit]
    step = {"Y": relativedelta(years=n), "M": relativedelta(months=n), "W": timedelta(weeks=n),
            "D": timedelta(days=n), "DE": relativedelta(years=10 * n), "Q": relativedelta(months=3 * n),
            "FN": timedelta(weeks=2 * n), "CE": relativedelta(years=100 * n)}.get(code)
    return d + step if step is not None else d


def point_at(d: date, unit: str):
    """The calendar unit containing d at the unit's own granularity."""
    code = UNITS[unit]
    if code in ("Y",):
        return p_year(d.year)
    if code == "M":
        return p_month(d.year, d.month)
    if code in ("W", "FN"):
        return p_week(d)
    if code == "Q":
        return p_quarter(d.year, quarter_of(d))
    if code == "DE":
        return p_decade(d.year // 10 * 10)
    if code == "CE":
        return p_century(d.year // 100)
    return p_day(d)


def unknown_value(unit: str) -> str:
    return {"Y": "XXXX", "M": "XXXX-XX", "W": "XXXX-WXX", "Q": "XXXX-QX", "DE": "XXX",
            "CE": "XX"}.get(UNITS[unit], "XXXX-XX-XX")


def unit_of(word: str) -> str:
    w = word.lower().rstrip(".")
    if w.startswith("centur"):
        return "century"
    return w[:-1] if w.endswith("s") and w[:-1] in UNITS else w


def month_number(word: str) -> int:
    return MONTHS[word.lower().rstrip(".")]



