"""Temporal expressions: find them with rules and normalise them to TIMEX3, in the spirit of HeidelTime.

Pure functions, no hooks: the `dates` plugin and `bench/tempeval.py` both call `tag(text, ...)`.
Each rule is a regular expression and a handler; a handler returns a *resolver*, a function of the
context (the anchor date, the last day mentioned, the tense around the expression) that gives the
TIMEX3 value, kind, mod, granularity and the interval denoted. Overlapping matches are settled
longest first, so "late 2022" beats "2022" and "more than three years" beats "three years".

A relative expression with no anchor raises `Unanchored` and keeps only what the text says
("XXXX-12-11", "XXXX-XX"): the year, or the day, is unknown.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

from .literals import could_match, fold, required_literals

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
QMOD = r"(?:(?P<qmod>more\s+than|at\s+least|nearly|almost|about|around|approximately|roughly|close\s+to|less\s+than|up\s+to|no\s+more\s+than|at\s+most)\s+)?"
MODP = r"(?:(?:the\s+)?(?P<mod>early|mid|late|beginning\s+of|start\s+of|middle\s+of|end\s+of)(?:\s+|-(?=\w))(?:the\s+)?)?"
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



# --- rules -----------------------------------------------------------------------------------------

Resolved = dict  # value, kind, mod, granularity, range_start, range_end, relative
Resolver = Callable[[Context], Resolved]
RULES: list[tuple[str, re.Pattern, Callable]] = []
REQUIRED: dict[str, frozenset[str] | None] = {}  # per rule, strings one of which every match contains


def rule(pattern: str, flags: int = re.I):
    def register(handler):
        compiled = re.compile(pattern, flags | re.X)
        if "x" not in compiled.groupindex:
            # An expression starts at the start of a word. Said in the pattern, a match can no longer
            # start inside a word ("cr-ops and...") and swallow the real one after it, and the engine
            # passes over the inside of words at once: the rules run three times faster.
            compiled = re.compile(r"(?<![^\W_])(?:" + pattern + "\n)", flags | re.X)  # \n ends a comment
        RULES.append((handler.__name__, compiled, handler))
        REQUIRED[handler.__name__] = required_literals(compiled)
        return handler
    return register


def result(point, kind="date", mod=None, relative=False, value=None) -> Resolved:
    v, gran, start, end = point
    start, end = narrow(mod, start, end)
    return {"value": value or v, "kind": kind, "mod": mod, "granularity": gran,
            "range_start": start, "range_end": end, "relative": relative}


def mod_of(word: str | None) -> str | None:
    return MOD_WORDS.get(word.lower().split()[0].rstrip("-")) if word else None


def dated(y: int, m: int, d: int):
    try:
        return date(y, m, d)
    except ValueError:
        return None


@rule(rf"{MODP}(?P<mon>{MONTH})\s+(?P<d>{DAY})\b(?!\s*(?:%|\d|,\d|:\d))(?:,?\s+(?P<y>{YEAR})\b)?")
def month_day(m, text):
    return _day_of_month(m)


@rule(rf"{MODP}\b(?P<d>{DAY})\s+(?:of\s+)?(?P<mon>{MONTH})(?:,?\s+(?P<y>{YEAR})\b)?")
def day_month(m, text):
    return _day_of_month(m)


def _day_of_month(m):
    month, day = month_number(m["mon"]), int(re.match(r"\d+", m["d"]).group())
    mod = mod_of(m["mod"])
    if m["y"]:
        d = dated(int(m["y"]), month, day)
        return d and (lambda ctx: result(p_day(d), mod=mod))

    def resolve(ctx):
        anchor = ctx.need(f"XXXX-{month:02d}-{day:02d}", "day")
        y = year_by_tense(month, day, anchor, ctx.tense)
        d = dated(y, month, day)
        return d and result(p_day(d), mod=mod, relative=True)
    return resolve if 1 <= day <= 31 else None


@rule(r"\b(?P<y>(?:19|20)\d\d)-(?P<mo>[01]\d)-(?P<d>[0-3]\d)\b(?:T(?P<h>[0-2]\d):(?P<mi>[0-5]\d))?")
def iso_date(m, text):
    d = dated(int(m["y"]), int(m["mo"]), int(m["d"]))
    if d is None:
        return None
    if m["h"]:
        return lambda ctx: result(p_day(d), kind="time", value=f"{d.isoformat()}T{m['h']}:{m['mi']}")
    return lambda ctx: result(p_day(d))


@rule(r"(?<![\d/.])(?P<mo>1[0-2]|0?[1-9])/(?P<d>[12]\d|3[01]|0?[1-9])/(?P<y>(?:19|20)\d\d|\d\d)(?![\d/])")
def us_numeric(m, text):
    y = int(m["y"])
    y = y if y > 99 else (2000 + y if y < 50 else 1900 + y)
    d = dated(y, int(m["mo"]), int(m["d"]))
    return d and (lambda ctx: result(p_day(d)))


@rule(rf"{MODP}(?P<mon>{MONTH}),?\s+(?:of\s+)?(?P<y>{YEAR})\b")
def month_year(m, text):
    point, mod = p_month(int(m["y"]), month_number(m["mon"])), mod_of(m["mod"])
    return lambda ctx: result(point, mod=mod)


@rule(rf"{MODP}(?:(?P<rel>last|this|next|(?:the\s+)?(?:previous|following))\s+)?(?P<mon>{MONTH_FULL}|(?-i:Jan|Feb|Aug|Sept|Sep|Oct|Nov|Dec)\.)"
      r"(?:\s+(?P<rel2>this|last|next)\s+year)?\b(?!\s*\d)")
def bare_month(m, text):
    month, mod = month_number(m["mon"]), mod_of(m["mod"])
    rel = (m["rel"] or m["rel2"] or "").lower().replace("the ", "")
    if m["mon"] in ("May", "March") and not (rel or mod) and not re.search(
            r"\b(?:in|since|until|till|by|of|from|to|through|before|after|during|early|late|mid|between|and|last|next|this)\s+$",
            text[max(0, m.start() - 15):m.start()], re.I):
        return None

    def resolve(ctx):
        anchor = ctx.need(f"XXXX-{month:02d}", "month")
        if rel in ("last", "previous"):
            y = anchor.year - 1 if month >= anchor.month else anchor.year
            if m["rel2"]:
                y = anchor.year - 1
        elif rel in ("next", "following"):
            y = anchor.year + 1 if month <= anchor.month else anchor.year
            if m["rel2"]:
                y = anchor.year + 1
        elif rel == "this":
            y = anchor.year
        elif ctx.tense == "future":
            y = anchor.year if month >= anchor.month else anchor.year + 1
        else:
            y = year_by_tense(month, None, anchor, ctx.tense)
        return result(p_month(y, month), mod=mod, relative=True)
    return resolve


@rule(rf"(?P<fiscal>(?:fiscal|calendar|model|school)\s+(?:year\s+)?)?{MODP}(?<![\d$,.])(?<!\d[-/])(?P<y>{YEAR})\b(?!\s*(?:%|-\d|–\d|,\d|\.\d|\d))")
def year(m, text):
    mod = mod_of(m["mod"])
    if not (m["mod"] or m["fiscal"]):
        before, after = text[max(0, m.start() - 2):m.start()], text[m.end():m.end() + 12]
        if re.search(r"[$€£#]\s*$", before) or re.match(r"\s*(?:percent|people|troops|soldiers|residents|km|kilomet|miles|tons|units|dollars|euros)", after, re.I):
            return None
    point = p_year(int(m["y"]))
    return lambda ctx: result(point, mod=mod)


@rule(rf"(?<![\d$])(?P<y1>{YEAR})\s*(?:-|–|—|/|\s+to\s+)\s*(?P<y2>{YEAR}|\d\d)\b(?!\s*(?:%|-\d))")
def year_range(m, text):
    y1, y2 = int(m["y1"]), int(m["y2"])
    if y2 < 100:
        y2 = y1 // 100 * 100 + y2
    if not 0 < y2 - y1 <= 30:
        return None
    return lambda ctx: {"value": f"{y1:04d}/{y2:04d}", "kind": "date", "mod": None, "granularity": "year",
                        "range_start": date(y1, 1, 1), "range_end": date(y2, 12, 31), "relative": False}


@rule(rf"{MODP}(?:the\s+)?(?P<mod2>early|mid|late)?[\s-]?(?:(?P<dec>(?:1[0-9]|20)\d0)|'(?P<d2>\d0))'?s\b")
def decade(m, text):
    mod = mod_of(m["mod"] or m["mod2"])
    dec = int(m["dec"]) if m["dec"] else 1900 + int(m["d2"])
    return lambda ctx: result(p_decade(dec), mod=mod)


@rule(r"(?:the\s+)?(?P<mod>early|mid|late)?[\s-]?(?P<n>\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first)[\s-]century\b")
def century(m, text):
    words = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
             "eighteenth", "nineteenth", "twentieth", "twenty-first"]
    n = m["n"].lower()
    ordinal = int(re.match(r"\d+", n).group()) if n[0].isdigit() else words.index(n) + 1
    mod = mod_of(m["mod"])
    return lambda ctx: result(p_century(ordinal - 1), mod=mod)


@rule(rf"(?P<fisc>(?:the\s+)?(?:(?:fiscal|calendar)\s+)?(?P<yr>{YEAR}|this\s+year's|last\s+year's|next\s+year's)\s+)?"
      rf"(?:the\s+(?=\S+\s+quarter))?(?:(?:fiscal|calendar|latest|comparable|year-earlier|year-ago)[\s-]+)*"
      r"(?P<q>first|second|third|fourth|1st|2nd|3rd|4th|last|final)[\s-](?:fiscal[\s-])?quarter\b"
      rf"(?:\s+of\s+(?:(?:fiscal|calendar)\s+)?(?:(?P<y>{YEAR})|(?P<rel>this|last|next)\s+year))?")
def quarter(m, text):
    q = ORDINALS[m["q"].lower()]
    if m["q"].lower() == "last" and not (m["y"] or m["yr"] or m["rel"]):
        return None  # "the last quarter" is the quarter before the anchor's: see relative_period
    explicit = m["y"] or (m["yr"] if m["yr"] and m["yr"][0].isdigit() else None)
    if explicit:
        point = p_quarter(int(explicit), q)
        return lambda ctx: result(point)
    rel = (m["rel"] or (m["yr"] or "").split(" ")[0]).lower()
    year_ago = "year-earlier" in m.group().lower() or "year-ago" in m.group().lower()

    def resolve(ctx):
        anchor = ctx.need(f"XXXX-Q{q}", "quarter")
        if rel in ("this", "last", "next"):
            y = anchor.year + {"this": 0, "last": -1, "next": 1}[rel]
        else:
            y = anchor.year if date(anchor.year, 3 * q - 2, 1) <= anchor else anchor.year - 1
        return result(p_quarter(y - year_ago, q), relative=True)
    return resolve


@rule(rf"(?:the\s+)?(?P<h>first|second|last|latter)\s+half\s+(?:of\s+)?(?:(?P<y>{YEAR})|(?P<rel>this|last|next)\s+year|the\s+year)")
def half(m, text):
    h = 1 if m["h"].lower() == "first" else 2
    if m["y"]:
        point = p_half(int(m["y"]), h)
        return lambda ctx: result(point)
    rel = (m["rel"] or "this").lower()

    def resolve(ctx):
        anchor = ctx.need(f"XXXX-H{h}", "half")
        return result(p_half(anchor.year + {"this": 0, "last": -1, "next": 1}[rel], h), relative=True)
    return resolve


@rule(rf"{MODP}(?:(?P<rel>this\s+past|this|last|next|the|that|(?:the\s+)?(?:past|previous|coming|following))\s+)?"
      rf"(?P<s>spring|summer|fall|autumn|winter)\b(?:\s+(?:of\s+)?(?P<y>{YEAR})\b)?")
def season(m, text):
    code, mod = SEASONS[m["s"].lower()], mod_of(m["mod"])
    if m["y"]:
        point = p_season(int(m["y"]), code)
        return lambda ctx: result(point, mod=mod)
    rel = (m["rel"] or "").lower().replace("the ", "")
    if (rel in ("", "the") and not mod) and (m["s"].lower() == "fall" or m["s"][0].isupper()):
        return None  # "fall" the verb, "the fall of the city", "Prague Spring" the name

    def resolve(ctx):
        anchor = ctx.need(f"XXXX-{code}", "season")
        if rel in ("last", "past", "previous"):
            y = anchor.year - 1
        elif rel == "this past":
            y = anchor.year if date(anchor.year, SEASON_MONTHS[code], 1) <= anchor else anchor.year - 1
        elif rel in ("next", "coming", "following"):
            y = anchor.year + 1 if date(anchor.year, SEASON_MONTHS[code], 1) <= anchor else anchor.year
        else:
            y = anchor.year
        return result(p_season(y, code), mod=mod, relative=True)
    return resolve


@rule(r"(?:(?:the\s+)?(?P<mod>early|earlier|late|later|mid|beginning\s+of|start\s+of|middle\s+of|end\s+of)[\s-]+(?:in\s+)?)?"
      r"(?P<rel>this|last|next|the\s+current|the\s+latest|the\s+previous|the\s+following|the\s+same|that|the|current|latest)\s+"
      r"(?P<unit>year|month|week|weekend|quarter|decade|century)(?![\s-]+(?:old|long)\b)\b")
def relative_period(m, text):
    rel = m["rel"].lower().replace("the ", "").strip()
    unit = m["unit"].lower()
    mod = mod_of(m["mod"])
    if rel == "the" and not mod and unit not in ("weekend", "quarter"):
        return None  # "the year" alone is a duration more often than a date
    if rel in ("the", "latest") and unit == "quarter":
        rel = "latest"
    step = {"this": 0, "current": 0, "last": -1, "next": 1, "previous": -1, "following": 1, "same": 0,
            "that": 0, "the": 0, "latest": 0}[rel]
    anaphoric = rel in ("previous", "following", "same", "that")

    def resolve(ctx):
        base = ctx.previous() if anaphoric and ctx.last else ctx.need(unknown_value(unit if unit != "weekend" else "week"),
                                                               unit if unit != "weekend" else "week")
        if unit == "weekend":
            d = base + timedelta(weeks=step)
            if rel == "the" and ctx.tense == "past" and d.weekday() < 5:
                d -= timedelta(weeks=1)
            return result(p_weekend(d), mod=mod, relative=True)
        if unit == "quarter" and rel == "latest":
            return result(point_at(base - relativedelta(months=3), "quarter"), mod=mod, relative=True)
        d = shift(base, unit, step)
        point = point_at(d, unit)
        if m["mod"] and m["mod"].lower() in ("earlier", "later") and step == 0 and not anaphoric:
            v, gran, start, end = point
            start, end = (start, base) if m["mod"].lower() == "earlier" else (base, end)
            return {"value": v, "kind": "date", "mod": mod, "granularity": gran, "range_start": start,
                    "range_end": end, "relative": True}
        return result(point, mod=mod, relative=True)
    return resolve


@rule(r"(?:the\s+)?(?:(?:comparable|same)\s+)?(?:year-earlier|year-ago|year\s+earlier|prior-year|previous-year)"
      r"(?:\s+(?:period|quarter|third\s+quarter|second\s+quarter|first\s+quarter|fourth\s+quarter|nine\s+months|results|level|figure))?")
def year_ago_period(m, text):
    def resolve(ctx):
        anchor = ctx.need("XXXX-QX", "quarter")
        latest = anchor - relativedelta(months=3)
        return result(p_quarter(latest.year - 1, quarter_of(latest)), relative=True)
    return resolve


@rule(r"(?:(?P<mod>early|earlier|late|later)\s+)?(?P<w>today|yesterday|tomorrow|tonight)\b"
      r"(?:\s+(?P<part>morning|afternoon|evening|night))?")
def deictic_day(m, text):
    w, mod = m["w"].lower(), mod_of(m["mod"])
    offset = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[w]
    part = PARTS_OF_DAY.get((m["part"] or ("tonight" if w == "tonight" else "")).lower())

    def resolve(ctx):
        anchor = ctx.need("XXXX-XX-XX", "day")
        d = anchor + timedelta(days=offset)
        if part:
            return result(p_day(d), kind="time", mod=mod, value=f"{d.isoformat()}T{part}", relative=True)
        return result(p_day(d), mod=mod, relative=True)
    return resolve


@rule(r"(?:(?P<mod>early|earlier|late|later|mid)[\s-]+)?(?P<rel>this|last|yesterday|tomorrow|the)\s+(?P<part>morning|afternoon|evening|night)\b")
def part_of_day(m, text):
    rel, part, mod = m["rel"].lower(), PARTS_OF_DAY[m["part"].lower()], mod_of(m["mod"])
    if rel == "the" and not mod:
        return None
    offset = {"this": 0, "the": 0, "last": -1 if part == "NI" or part == "EV" else 0,
              "yesterday": -1, "tomorrow": 1}[rel]

    def resolve(ctx):
        d = ctx.need("XXXX-XX-XX", "day", "time") + timedelta(days=offset)
        return result(p_day(d), kind="time", mod=mod, value=f"{d.isoformat()}T{part}", relative=True)
    return resolve


@rule(rf"(?:(?P<mod>early|earlier|late|later)\s+)?(?:(?P<rel>last|next|this|(?:the\s+)?previous|(?:the\s+)?following|(?P<every>every|each))\s+)?"
      rf"(?P<wd>{WEEKDAY})(?P<plural>s)?\b(?:\s+(?P<part>morning|afternoon|evening|night)s?\b)?")
def weekday(m, text):
    wd = WEEKDAYS[m["wd"].lower()]
    rel = (m["rel"] or "").lower().replace("the ", "")
    part = PARTS_OF_DAY.get((m["part"] or "").lower())
    mod = mod_of(m["mod"])
    if m["every"] or m["plural"]:
        value = f"XXXX-WXX-{wd + 1}" + (f"T{part}" if part else "")
        return lambda ctx: {"value": value, "kind": "set", "mod": None, "granularity": "day",
                            "range_start": None, "range_end": None, "relative": False}

    def resolve(ctx):
        if rel in ("previous", "following") and ctx.last:
            base = ctx.previous()
        else:
            base = ctx.need(f"XXXX-WXX-{wd + 1}", "day")
        back = (base.weekday() - wd) % 7
        if rel in ("last", "previous"):
            d = base - timedelta(days=back or 7)
        elif rel in ("next", "following"):
            d = base + timedelta(days=(wd - base.weekday()) % 7 or 7)
        elif rel == "this":
            d = base + timedelta(days=wd - base.weekday())
        elif ctx.tense == "future" and back:
            d = base + timedelta(days=(wd - base.weekday()) % 7)
        else:
            d = base - timedelta(days=back)
        if part:
            return result(p_day(d), kind="time", mod=mod, value=f"{d.isoformat()}T{part}", relative=True)
        return result(p_day(d), mod=mod, relative=True)
    return resolve


TIME_OF_DAY = (r"(?:(?P<h>[01]?\d|2[0-3])(?:[:.](?P<mi>[0-5]\d))?\s*(?P<ap>a\.m\.?|p\.m\.?|am\b|pm\b|o'clock)"
               r"|(?P<h24>[01]\d|2[0-3]):(?P<mi24>[0-5]\d)(?!\d)(?=\s*(?:GMT|UTC|[ECMP][SD]T|local|hours|h\b))"
               r"|(?P<word>noon|midnight|midday))")


@rule(rf"(?:(?P<approx>about|around|approximately|shortly\s+(?:before|after)|just\s+(?:before|after))\s+)?{TIME_OF_DAY}"
      r"(?:\s+(?P<tz>GMT|UTC|[ECMP][SD]T|local\s+time))?"
      rf"(?:,?\s+(?:on\s+)?(?P<when>today|yesterday|tomorrow|(?:last\s+|next\s+)?{WEEKDAY}|(?P<mon>{MONTH})\s+(?P<d>{DAY})\b))?")
def clock_time(m, text):
    if m["word"]:
        if not re.search(r"\b(?:at|by|until|till|before|after|around|about|from|to|since|past)\s+$",
                         text[max(0, m.start() - 8):m.start()], re.I) and not m["when"]:
            return None
        hour, minute = (12, 0) if m["word"].lower() in ("noon", "midday") else (24, 0)
    elif m["h24"]:
        hour, minute = int(m["h24"]), int(m["mi24"])
    else:
        hour, minute = int(m["h"]), int(m["mi"] or 0)
        ap = m["ap"].lower()
        if ap.startswith("p") and hour < 12:
            hour += 12
        elif ap.startswith("a") and hour == 12:
            hour = 0
        if hour > 24:
            return None
    mod = "APPROX" if m["approx"] and m["approx"].lower() in ("about", "around", "approximately") else None
    when = (m["when"] or "").lower()
    sub = None
    if when:
        inner = next((h(mm, text) for name, pat, h in RULES if name in ("weekday", "deictic_day", "month_day")
                      for mm in [pat.fullmatch(m["when"])] if mm), None)
        sub = inner

    def resolve(ctx):
        if sub is not None:
            base = sub(ctx)["range_start"]
            relative = True
        elif ctx.last is not None and ctx.last_in_sentence:
            base, relative = ctx.previous(), True
        else:
            base, relative = ctx.need(f"XXXX-XX-XXT{hour:02d}:{minute:02d}", "day", "time"), True
        return result(p_day(base), kind="time", mod=mod, relative=relative,
                      value=f"{base.isoformat()}T{hour:02d}:{minute:02d}")
    return resolve


DURATION_REL = ("past|last|next|previous|coming|first|latest|final|following|preceding|ensuing|remaining|recent|"
                "initial|entire|whole|full|same")


@rule(rf"{QMOD}(?:(?:the|its|their|his|her)\s+(?=(?:{DURATION_REL})\s))?(?:(?P<rel>{DURATION_REL})\s+)?"
      rf"(?P<num>{NUMBER})(?:\s+|(?P<adj>-))(?:(?:more|additional|full|straight|consecutive|long|whole|trading|business|calendar|working|extra)\s+)?"
      rf"(?P<unit>{UNIT})\b(?P<hyph>-(?:long|old))?(?:\s+(?P<tail>ago|earlier|later|from\s+now|hence|previously))?")
def duration(m, text):
    unit = unit_of(m["unit"])
    num_text = m["num"].lower()
    if m["hyph"] and m["hyph"].lower() == "-old":
        return None  # ages are not temporal expressions
    if num_text in ("a", "an") and m["rel"] and not m["tail"]:
        return None
    amount = None if num_text.replace("a ", "") in VAGUE or num_text in VAGUE else to_number(num_text)
    if amount is None and num_text not in VAGUE and num_text.replace("a ", "") not in VAGUE:
        return None
    if unit == "second" and num_text in ("a", "an", "the"):
        return None
    if unit == "quarter" and re.search(r"-quarters\b", m.group(), re.I):
        return None  # "three-quarters" is a fraction
    qmod = QUANT_MODS.get(re.sub(r"\s+", " ", m["qmod"].lower())) if m["qmod"] else None
    tail = (m["tail"] or "").lower()
    if tail in ("before", "after", "since", "back"):
        tail = ""  # "two days after the vote": the duration is the expression, "after" a signal
    if tail:
        return _offset(m, unit, amount, tail, qmod)
    value = duration_value(amount, unit)
    return lambda ctx: {"value": value, "kind": "duration", "mod": qmod, "granularity": None,
                        "range_start": None, "range_end": None, "relative": False}


QUARTERLY = re.compile(r"quarter|\bperiod\b", re.I)


def _offset(m, unit, amount, tail, qmod):
    """'three years ago', 'two days later': a date at the unit's granularity, counted from an anchor."""
    sign = 1 if tail in ("later", "from now", "hence") else -1
    anaphoric = tail in ("later", "earlier")

    def resolve(ctx):
        if amount is None and anaphoric:  # "several weeks later": only the distance is known
            return {"value": duration_value(None, unit), "kind": "duration", "mod": qmod,
                    "granularity": None, "range_start": None, "range_end": None, "relative": False}
        if amount is None:
            return {"value": "PAST_REF" if sign < 0 else "FUTURE_REF", "kind": "date", "mod": qmod,
                    "granularity": None, "range_start": None, "range_end": None, "relative": True}
        base = ctx.previous() if anaphoric and ctx.last else ctx.need("PAST_REF" if sign < 0 else "FUTURE_REF")
        whole = int(amount) if amount == int(amount) else None
        if whole == 1 and UNITS[unit] == "Y" and QUARTERLY.search(ctx.sentence):
            latest = base - relativedelta(months=3)  # "net fell from $5 million a year earlier"
            return result(p_quarter(latest.year - 1, quarter_of(latest)), mod=qmod, relative=True)
        if whole is None:
            d = base + sign * timedelta(days=round(amount * {"Y": 365, "M": 30.4, "W": 7, "D": 1}.get(UNITS[unit], 1)))
            return result(p_day(d) if UNITS[unit] in ("D", "W") else p_month(d.year, d.month), mod=qmod, relative=True)
        d = shift(base, unit, sign * whole)
        return result(point_at(d, unit), mod=qmod, relative=True)
    return resolve


@rule(r"(?:(?P<det>the|its|their|his|her)\s+)?(?P<rel>past|last|next|previous|coming|recent|following|ensuing|preceding|few|several|many)\s+"
      r"(?:(?:few|several|many|couple\s+of)\s+)?(?P<unit>years|months|weeks|days|hours|minutes|decades|centuries|quarters)\b(?:\s+(?P<tail>ago|ahead))?")
def vague_duration(m, text):
    unit = unit_of(m["unit"])
    value = duration_value(None, unit)
    if m["tail"] and m["tail"].lower() == "ago":
        return lambda ctx: {"value": "PAST_REF", "kind": "date", "mod": None, "granularity": None,
                            "range_start": None, "range_end": None, "relative": True}
    return lambda ctx: {"value": value, "kind": "duration", "mod": None, "granularity": None,
                        "range_start": None, "range_end": None, "relative": False}


@rule(r"(?:the\s+)?(?P<rel>past|last|next|coming|previous|following)\s+(?P<unit>year|month|week|decade|century)\b(?!'s)")
def past_unit(m, text):
    # "over the past year" spans a duration of one year; "last year" alone (relative_period) is a date
    if not m.group().lower().startswith("the"):
        return None
    value = duration_value(1, m["unit"].lower())
    return lambda ctx: {"value": value, "kind": "duration", "mod": None, "granularity": None,
                        "range_start": None, "range_end": None, "relative": False}


@rule(r"\b(?:for|in|over|during|since)\s+(?P<x>(?P<unit>years|months|weeks|days|decades|centuries|hours))\b")
def bare_plural(m, text):
    value = duration_value(None, unit_of(m["unit"]))
    return lambda ctx: {"value": value, "kind": "duration", "mod": None, "granularity": None,
                        "range_start": None, "range_end": None, "relative": False}


@rule(r"\b(?P<w>daily|weekly|monthly|yearly|hourly|nightly|biweekly|"
      r"(?:every|each|per)\s+(?:other\s+)?(?:day|week|month|year|quarter|hour|night|morning|evening|weekend|season|summer|winter|spring|fall))\b")
def frequency(m, text):
    w = m["w"].lower().split()[-1]
    values = {"daily": "P1D", "day": "P1D", "nightly": "P1D", "night": "P1D", "morning": "P1D", "evening": "P1D",
              "weekly": "P1W", "week": "P1W", "weekend": "P1W", "biweekly": "P2W", "monthly": "P1M",
              "month": "P1M", "annually": "P1Y", "yearly": "P1Y", "year": "P1Y", "hourly": "PT1H",
              "hour": "PT1H", "quarterly": "P3M", "quarter": "P3M", "season": "P1Y", "summer": "XXXX-SU",
              "winter": "XXXX-WI", "spring": "XXXX-SP", "fall": "XXXX-FA"}
    value = values[w]
    if w in ("weekly", "monthly", "quarterly", "daily") and re.match(r"\s+(?:newspaper|magazine|report|meeting|average|basis|dividend|newsletter|publication|show|column)",
                                                                    text[m.end():m.end() + 14], re.I):
        return None
    return lambda ctx: {"value": value, "kind": "set", "mod": None, "granularity": None,
                        "range_start": None, "range_end": None, "relative": False}


@rule(r"\b(?P<w>now|currently|current|presently|nowadays|at\s+present|the\s+present|these\s+days|"
      r"recently|lately|formerly|the\s+past|the\s+future|"
      r"the\s+time\s+being)\b")
def reference(m, text):
    w = re.sub(r"\s+", " ", m["w"].lower())
    if w == "the past" and not _ref_context(m, text, w):
        return None
    if w in ("current", "recent", "future"):
        after = text[m.end():m.end() + 20].lower()
        if re.match(r"\s+(?:account|affairs|events|generation|accounts|form|version|status|members?|"
                    r"president|leader|leadership|government|administration|minister|owner|chairman|chief|head)", after):
            return None
    value = ("PRESENT_REF" if w in PRESENT_WORDS or w == "the time being" else
             "FUTURE_REF" if w in FUTURE_WORDS else "PAST_REF")
    return lambda ctx: {"value": value, "kind": "date", "mod": None, "granularity": None,
                        "range_start": None, "range_end": None, "relative": True}


def _ref_context(m, text, w):
    before = text[max(0, m.start() - 12):m.start()].lower()
    if w == "the past":
        return bool(re.search(r"\b(?:in|from|of)\s+$", before)) and not re.match(r"\s+(?:few|several|\d|two|three|year|month|week|decade)", text[m.end():m.end() + 10])
    if w == "earlier":
        return m.start() == 0 or text[m.start() - 1] in "\n" or (re.search(r"[.!?]\s+$", before) is not None
                                                                     and text[m.end():m.end() + 1] == ",")
    return False  # "once" is a count far more often than "formerly"


HOLIDAYS = {"christmas day": (12, 25), "christmas eve": (12, 24), "christmas": (12, 25),
            "new year's day": (1, 1), "new year's eve": (12, 31), "valentine's day": (2, 14),
            "independence day": (7, 4), "halloween": (10, 31), "boxing day": (12, 26)}


@rule(r"(?-i:Christmas\s+Day|Christmas\s+Eve|Christmas|New\s+Year's\s+(?:Day|Eve)|Valentine's\s+Day|"
      r"Independence\s+Day|Halloween|Boxing\s+Day|Thanksgiving(?:\s+Day)?|Easter\s+Sunday|Good\s+Friday)"
      rf"(?:\s+(?P<y>{YEAR}))?", flags=0)
def holiday(m, text):
    name = re.sub(r"\s+", " ", m.group().lower())
    name = re.sub(r"\s+\d{4}$", "", name)

    def on(y):
        if name.startswith("thanksgiving"):
            first = date(y, 11, 1)
            return first + timedelta(days=(3 - first.weekday()) % 7 + 21)
        if name.startswith("easter"):
            return easter(y)
        if name == "good friday":
            return easter(y) - timedelta(days=2)
        return date(y, *HOLIDAYS[name])

    if m["y"]:
        d = on(int(m["y"]))
        return lambda ctx: result(p_day(d))

    def resolve(ctx):
        anchor = ctx.need("XXXX-XX-XX", "day")
        best = min((on(y) for y in (anchor.year - 1, anchor.year, anchor.year + 1)),
                   key=lambda d: abs((d - anchor).days))
        return result(p_day(best), relative=True)
    return resolve


@rule(r"(?:the\s+)?(?P<which>next|following|previous|same)\s+(?P<unit>day|morning|evening|night|afternoon)|"
      r"(?:the\s+)?day\s+(?P<ba>before|after)(?!\s+(?:the|a|an|his|her|their|its)\b)|that\s+(?P<that>day|morning|evening|night|afternoon)|(?P<earlier>earlier|later)\s+that\s+day")
def anaphoric_day(m, text):
    which = (m["which"] or m["ba"] or ("same" if m["that"] or m["earlier"] else "")).lower()
    unit = (m["unit"] or m["that"] or "day").lower()
    offset = {"next": 1, "following": 1, "after": 1, "previous": -1, "before": -1, "same": 0}[which]
    part = PARTS_OF_DAY.get(unit)
    mod = mod_of(m["earlier"])

    def resolve(ctx):
        base = ctx.previous() if ctx.last else ctx.need("XXXX-XX-XX", "day")
        d = base + timedelta(days=offset)
        if part:
            return result(p_day(d), kind="time", mod=mod, value=f"{d.isoformat()}T{part}", relative=True)
        return result(p_day(d), mod=mod, relative=True)
    return resolve


@rule(r"(?:(?:around|at|by)\s+)?(?:the\s+)?(?:(?P<l>latest|last|same|comparable|corresponding)\s+)?(?P<p>period)\b(?!\s+of)|(?P<ye>year[-\s]end|year's\s+end)")
def period(m, text):
    if m["ye"]:
        def resolve_year_end(ctx):
            anchor = ctx.need("XXXX", "year")
            return result(p_year(anchor.year), mod="END", relative=True)
        return resolve_year_end
    if (m["l"] or "").lower() != "latest":
        return None

    def resolve(ctx):
        anchor = ctx.need("XXXX-QX", "quarter")
        return result(point_at(anchor - relativedelta(months=3), "quarter"), relative=True)
    return resolve


# --- the tagger ------------------------------------------------------------------------------------

AMBIGUOUS_YEAR = re.compile(r"\d{4}")
NOT_DATES = {"CARDINAL", "MONEY", "QUANTITY", "PERCENT", "ORDINAL"}


@dataclass
class Parse:
    """What the tagger reads from a spaCy Doc: sentences, tense around a span, entity labels."""

    sentence_of: Callable[[int], int | None] = lambda pos: None
    tense_of: Callable[[int, int], str] = lambda start, end: "past"
    label_of: Callable[[int, int], str | None] = lambda start, end: None
    sentence_text: Callable[[int], str] | None = None


def candidates(text: str, parse: Parse) -> list[tuple[int, int, Callable]]:
    """Every rule's matches, overlaps settled longest first (then by rule order)."""
    found = []
    folded = fold(text)
    for order, (name, pattern, handler) in enumerate(RULES):
        if not could_match(REQUIRED[name], folded):
            continue  # most texts never mention a quarter or a century: skip those rules unread
        for m in pattern.finditer(text):
            start, end = m.span("x") if "x" in pattern.groupindex and m.group("x") else m.span()
            if end > start and not (start and text[start - 1].isalnum()) and not (
                    end < len(text) and text[end].isalnum() and text[end - 1].isalnum()):
                found.append((start, end, order, name, m, handler))
    found.sort(key=lambda c: (c[0] - c[1], c[2], c[0]))
    taken: list[tuple[int, int, Callable]] = []
    for start, end, _, name, m, handler in found:
        if any(start < e and s < end for s, e, _ in taken):
            continue
        if name == "year" and AMBIGUOUS_YEAR.fullmatch(m.group()) and parse.label_of(start, end) in NOT_DATES:
            continue
        resolver = handler(m, text)
        if resolver is not None:
            taken.append((start, end, resolver))
    return sorted(taken, key=lambda c: c[0])


def tag(text: str, anchor: date | None = None, parse: Parse | None = None,
        found: list[tuple[int, int, Callable]] | None = None) -> list[Timex]:
    """The temporal expressions of `text`, resolved against `anchor` (None: relative ones unresolved).

    `found` is `candidates(text, parse)` when the caller already has it: matching the rules is the
    costly part and does not depend on the anchor.
    """
    parse = parse or Parse()
    ctx = Context(anchor)
    last_sentence = None
    out = []
    for start, end, resolver in (candidates(text, parse) if found is None else found):
        sentence = parse.sentence_of(start)
        ctx.tense = parse.tense_of(start, end)
        ctx.sentence = parse.sentence_text(start) if parse.sentence_text else line_around(text, start)
        ctx.last_in_sentence = ctx.last is not None and sentence is not None and sentence == last_sentence
        ctx.used_last = False
        base = ctx.last
        try:
            r = resolver(ctx)
            resolved = True
        except Unanchored as missing:
            r = {"value": missing.value, "kind": missing.kind, "mod": None, "granularity": missing.granularity,
                 "range_start": None, "range_end": None, "relative": True}
            resolved = False
        if not r:
            continue
        if r["granularity"] == "day" and r["range_start"] and r["kind"] in ("date", "time"):
            ctx.last, last_sentence = r["range_start"], sentence
        out.append(Timex(start=start, end=end, text=text[start:end], resolved=resolved,
                         base=base if ctx.used_last else None, **r))
    return out


def explicit_dates(text: str, found: list[tuple[int, int, Callable]] | None = None) -> list[date]:
    """Full dates written out (day, month and year): the evidence for a text's own date."""
    if found is None and not AMBIGUOUS_YEAR.search(text):
        return []  # no four digits, no year, no full date
    return [t.range_start for t in tag(text, found=found) if t.granularity == "day" and not t.relative
            and t.range_start is not None and t.mod is None]


FUTURE_MARKERS = {"will", "'ll", "shall", "wo", "gonna"}


def spacy_parse(doc) -> Parse:
    """Sentences, tense and entity labels from a spaCy Doc (tagger and NER; the parser may be off)."""
    if doc is None:
        return Parse()
    from bisect import bisect_right

    sents = list(doc.sents)
    starts = [s.start_char for s in sents]
    ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def sentence_of(pos):
        return max(bisect_right(starts, pos) - 1, 0) if starts else None

    def tense_of(start, end):
        if not sents:
            return "past"
        sent = sents[sentence_of(start)]
        verbs = [t for t in sent if t.tag_.startswith("VB") or t.tag_ == "MD"]
        if not verbs:
            return "past"
        nearest = min(verbs, key=lambda t: min(abs(t.idx - start), abs(t.idx - end)))
        window = doc[max(nearest.i - 3, sent.start):nearest.i + 1]
        if any(t.lower_ in FUTURE_MARKERS for t in window) or \
                (nearest.tag_ == "VB" and any(t.lower_ == "to" for t in window)) or \
                any(t.lower_ in ("going",) and t.nbor(1).lower_ == "to" for t in window if t.i + 1 < len(doc)):
            return "future"
        return "past"

    def label_of(start, end):
        for s, e, label in ents:
            if s < end and start < e:
                return label
        return None

    def sentence_text(pos):
        return sents[sentence_of(pos)].text if sents else ""

    return Parse(sentence_of, tense_of, label_of, sentence_text)


def line_around(text: str, pos: int) -> str:
    return text[text.rfind("\n", 0, pos) + 1:(text.find("\n", pos) + 1 or len(text) + 1) - 1]
