"""The date rules: each a regular expression and a handler that returns a resolver.

A rule registers itself in `RULES` (in order: on equal length, the earlier rule wins) with the strings
every match must contain (`REQUIRED`, for skipping it on texts without them). Its handler reads the
match and returns a resolver, a function of the `Context` giving the TIMEX3 value, kind, mod,
granularity and interval, or None when the match is not a date after all.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Callable

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

from .literals import required_literals
from .timex_calendar import (
    DAY,
    FUTURE_WORDS,
    MOD_WORDS,
    MODP,
    MONTH,
    MONTH_FULL,
    NUMBER,
    ORDINALS,
    PARTS_OF_DAY,
    PRESENT_WORDS,
    QMOD,
    QUANT_MODS,
    SEASON_MONTHS,
    SEASONS,
    UNIT,
    UNITS,
    VAGUE,
    WEEKDAY,
    WEEKDAYS,
    YEAR,
    Context,
    duration_value,
    month_number,
    narrow,
    p_century,
    p_day,
    p_decade,
    p_half,
    p_month,
    p_quarter,
    p_season,
    p_weekend,
    p_year,
    point_at,
    quarter_of,
    shift,
    to_number,
    unit_of,
    unknown_value,
    year_by_tense,
)

Resolved = dict  # value, kind, mod, granularity, range_start, range_end, relative
Resolver = Callable[[Context], Resolved]
RULES: list[tuple[str, re.Pattern, Callable]] = []
REQUIRED: dict[str, frozenset[str] | None] = {}  # per rule, strings one of which every match contains


def rule(pattern: str, flags: int = re.I):
    def register(handler):
        # An expression starts at the start of a word. Said in the pattern, a match can no longer
        # start inside a word ("cr-ops and...") and swallow the real one after it, and the engine
        # passes over the inside of words at once: the rules run three times faster.
        compiled = re.compile(r"(?<![^\W_])(?:" + pattern + "\n)", flags | re.X)  # \n ends a comment
        if "x" in compiled.groupindex:  # the expression is group x, which may start after the match
            compiled = re.compile(pattern, flags | re.X)
        RULES.append((handler.__name__, compiled, handler))
        REQUIRED[handler.__name__] = required_literals(compiled)
        return handler
    return register


def result(point, kind="date", mod=None, relative=False, value=None) -> Resolved:
    v, gran, start, end = point
    start, end = narrow(mod, start, end)
    return {"value": value or v, "kind": kind, "mod": mod, "granularity": gran,
            "range_start": start, "range_end": end, "relative": relative}


def day_or_part(d: date, part: str | None, mod: str | None) -> Resolved:
    """Relative day `d`, or its part ("2025-12-11TMO", a time) when the text names one."""
    if part:
        return result(p_day(d), kind="time", mod=mod, value=f"{d.isoformat()}T{part}", relative=True)
    return result(p_day(d), mod=mod, relative=True)


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
    return day_of_month(month, day, int(m["y"]) if m["y"] else None, mod_of(m["mod"]))


def day_of_month(month: int, day: int, year: int | None, mod: str | None = None) -> Resolver | None:
    """A day of a month, of a given year or (relative) of the year nearest the anchor by tense."""
    if year is not None:
        d = dated(year, month, day)
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

    return month_of_year(month, rel, bool(m["rel2"]), mod)


def month_of_year(month: int, rel: str = "", rel_is_year: bool = False, mod: str | None = None) -> Resolver:
    """A month without its year: last/next/this one ("last December", "December next year"), else
    the one nearest the anchor by tense."""
    def resolve(ctx):
        anchor = ctx.need(f"XXXX-{month:02d}", "month")
        if rel in ("last", "previous"):
            y = anchor.year - 1 if month >= anchor.month or rel_is_year else anchor.year
        elif rel in ("next", "following"):
            y = anchor.year + 1 if month <= anchor.month or rel_is_year else anchor.year
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
        if re.search(r"[$€£#]\s*$", before) or re.match(
                r"\s*(?:percent|people|troops|soldiers|residents|km|kilomet|miles|tons|units|dollars|euros)",
                after, re.I):
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
    edge = m["mod"].lower() if m["mod"] and m["mod"].lower() in ("earlier", "later") else None
    return calendar_unit(unit, step, mod, anaphoric=anaphoric, rel=rel, edge=edge)


def calendar_unit(unit: str, step: int, mod: str | None = None, anaphoric: bool = False, rel: str = "",
                  edge: str | None = None) -> Resolver:
    """The week, month, year... `step` units from the anchor ("last month": -1), or from the last day
    met when `anaphoric` ("the following week"); `edge` "earlier" / "later" cuts "this month" at the anchor."""
    def resolve(ctx):
        base = (ctx.previous() if anaphoric and ctx.last
                else ctx.need(unknown_value(unit if unit != "weekend" else "week"),
                              unit if unit != "weekend" else "week"))
        if unit == "weekend":
            d = base + timedelta(weeks=step)
            if rel == "the" and ctx.tense == "past" and d.weekday() < 5:
                d -= timedelta(weeks=1)
            return result(p_weekend(d), mod=mod, relative=True)
        if unit == "quarter" and rel == "latest":
            return result(point_at(base - relativedelta(months=3), "quarter"), mod=mod, relative=True)
        d = shift(base, unit, step)
        point = point_at(d, unit)
        if edge and step == 0 and not anaphoric:
            v, gran, start, end = point
            start, end = (start, base) if edge == "earlier" else (base, end)
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
    return day_from_anchor(offset, part, mod)


def day_from_anchor(offset: int, part: str | None = None, mod: str | None = None) -> Resolver:
    """The day `offset` days from the anchor ("yesterday": -1), or a part of it."""
    def resolve(ctx):
        anchor = ctx.need("XXXX-XX-XX", "day")
        return day_or_part(anchor + timedelta(days=offset), part, mod)
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
        return day_or_part(d, part, mod)
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

    return day_of_week(wd, rel, part, mod)


def day_of_week(wd: int, rel: str = "", part: str | None = None, mod: str | None = None) -> Resolver:
    """Weekday `wd` (0 Monday) near the anchor: the last one in a past-tense sentence, the next one in a
    future one; `rel` last/next/this/previous/following as written."""
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
        return day_or_part(d, part, mod)
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
        return offset_from_anchor(unit, amount, tail, qmod)
    value = duration_value(amount, unit)
    return lambda ctx: {"value": value, "kind": "duration", "mod": qmod, "granularity": None,
                        "range_start": None, "range_end": None, "relative": False}


QUARTERLY = re.compile(r"quarter|\bperiod\b", re.I)


def offset_from_anchor(unit: str, amount: float | None, tail: str, qmod: str | None = None) -> Resolver:
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
    if w in ("weekly", "monthly", "quarterly", "daily") and re.match(
            r"\s+(?:newspaper|magazine|report|meeting|average|basis|dividend|newsletter|publication|show|column)",
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
                    r"president|leader|leadership|government|administration|minister|owner|chairman|chief|head)",
                    after):
            return None
    value = ("PRESENT_REF" if w in PRESENT_WORDS or w == "the time being" else
             "FUTURE_REF" if w in FUTURE_WORDS else "PAST_REF")
    return lambda ctx: {"value": value, "kind": "date", "mod": None, "granularity": None,
                        "range_start": None, "range_end": None, "relative": True}


def _ref_context(m, text, w):
    before = text[max(0, m.start() - 12):m.start()].lower()
    if w == "the past":
        return bool(re.search(r"\b(?:in|from|of)\s+$", before)) and not re.match(
            r"\s+(?:few|several|\d|two|three|year|month|week|decade)", text[m.end():m.end() + 10])
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
        return day_or_part(d, part, mod)
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


