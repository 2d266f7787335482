"""Numeric statements: one `figures` row per number that counts or measures something.

"home to around 11,000 residents" becomes quantity 11000, counts "residents", approx true; "30
kilometers (18 miles) east of" becomes 30 km (the conversion in brackets restates the same figure, so
it is not a second row); "$1.13bn" is 1.13e9 USD; "76% of voters" is 76 % of "voters"; "tens of
thousands of casualties" is 10,000 (vague amounts take the least they can mean, and are approximate).

A number is read from the shared spaCy parse: digits ("11,000", "1.5 million", "1.13bn"), number
words ("three", "several hundred", "tens of thousands"), a unit or currency next to it, the thing it
counts after it, and a cue before it that makes it approximate ("about", "some", "more than", "up to",
"an estimated" ...). Years, dates, times and durations ("three years") belong to the dates table, and
ordinals ("54th") and numbers inside names ("Boeing 787", "11th Army Corps") are not figures.
`about_entity_id` is left to enrich, which sees the entities of the whole corpus.

The segments beside the body that the NLP plugin parsed (headline, standfirst, captions, date line)
give rows too, with `segment` = the segment's seq and offsets into its text ("Some 11,000 people
lived in Siversk" under a photo). The number words, units and cues are English: a parse in another
language gives no figures (rather than "12 мая" counting "мая").
"""

from __future__ import annotations

import re
from bisect import bisect_right

from etl import Contract, hookimpl, place_name_sql

NAME = "figures"
#: The languages whose number words, units and cues this module knows (the parse's `lang_`).
LANGUAGES = ("en",)
SEGMENTS_KEY = "segments"  # where the NLP plugin puts the parses of the segments beside the body

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
          "dozen": 12, "bn": 1e9, "mn": 1e6, "k": 1e3}
VAGUE_SCALES = {"tens": 10, "dozens": 12, "hundreds": 1e2, "thousands": 1e3, "millions": 1e6,
                "billions": 1e9}
FEW = {"several": 3, "few": 3, "a few": 3, "some": 3}  # "several hundred": at least 300
DIGITS = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(bn|mn|m|k)?$", re.I)

# Cues that make a figure approximate, longest first so "more than" wins over "than".
APPROX_CUES = [
    ("as", "many", "as"), ("as", "much", "as"), ("an", "estimated"), ("more", "than"),
    ("less", "than"), ("fewer", "than"), ("up", "to"), ("at", "least"), ("close", "to"),
    ("just", "over"), ("just", "under"), ("well", "over"), ("about",), ("around",),
    ("approximately",), ("nearly",), ("almost",), ("roughly",), ("some",), ("over",),
    ("estimated",), ("circa",), ("approx",), ("~",), ("under",),
]
UNITS = {  # unit word -> (unit, what is counted)
    "km": ("km", "kilometers"), "kilometer": ("km", "kilometers"), "kilometre": ("km", "kilometers"),
    "kilometers": ("km", "kilometers"), "kilometres": ("km", "kilometers"),
    "mi": ("mi", "miles"), "mile": ("mi", "miles"), "miles": ("mi", "miles"),
    "m": ("m", "meters"), "meter": ("m", "meters"), "metre": ("m", "meters"), "meters": ("m", "meters"),
    "metres": ("m", "meters"), "kg": ("kg", "kilograms"), "kilograms": ("kg", "kilograms"),
    "tons": ("t", "tonnes"), "tonnes": ("t", "tonnes"), "ton": ("t", "tonnes"), "tonne": ("t", "tonnes"),
    "hectares": ("ha", "hectares"), "ha": ("ha", "hectares"),
    "%": ("%", "percent"), "percent": ("%", "percent"), "pct": ("%", "percent"),
    "dollars": ("USD", "money"), "dollar": ("USD", "money"), "euros": ("EUR", "money"),
    "euro": ("EUR", "money"), "pounds": ("GBP", "money"), "rubles": ("RUB", "money"),
    "roubles": ("RUB", "money"), "hryvnias": ("UAH", "money"), "hryvnia": ("UAH", "money"),
    "yuan": ("CNY", "money"), "yen": ("JPY", "money"),
}
CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₴": "UAH",
                  "₽": "RUB"}
# Durations and clock times are dates-table material, not figures.
TIME_UNITS = {"second", "seconds", "minute", "minutes", "min", "mins", "hour", "hours", "day", "days",
              "week", "weeks", "month", "months", "year", "years", "decade", "decades", "century",
              "centuries", "am", "pm", "a.m.", "p.m.", "o'clock"}
NOT_FIGURES = {"DATE", "TIME", "ORDINAL"}
NUMERIC_LABELS = {"CARDINAL", "QUANTITY", "MONEY", "PERCENT", ""}
POPULATION = {"population", "home", "inhabitants", "residents"}


@hookimpl
def etl_contract():
    return {
        "extract": Contract(reads=("nlp", "segment_nlp"), provides=("figures",)),
        "enrich": Contract(reads=("figures", "sentences", "entities.entity_id", "entities.label", "entities.form"),
                           provides=("figures.about_entity_id",),
                           incremental=True),
    }


@hookimpl
def etl_extract(documents, config):
    for doc in documents:
        if doc.nlp is None or doc.nlp.lang_ not in LANGUAGES:
            continue
        starts = [sent.start_char for sent in doc.nlp.sents]
        for row in figures(doc.nlp):
            doc.add("figures", plugin=NAME, sentence=bisect_right(starts, row["start"]) - 1, **row)
        for seq, parsed in sorted(doc.nlp.user_data.get(SEGMENTS_KEY, {}).items()):
            for row in figures(parsed):
                doc.add("figures", plugin=NAME, sentence=None, segment=seq, **row)


def figures(parsed) -> list[dict]:
    """Every figure in one spaCy Doc, in text order."""
    rows, i = [], 0
    while i < len(parsed):
        found = read_figure(parsed, i)
        if found is None:
            i += 1
            continue
        row, i = found
        if row:
            rows.append(row)
    return rows


def read_figure(parsed, i: int):
    """(row or None, next index) when a number starts at token `i`, else None."""
    number = read_number(parsed, i)
    if number is None:
        return None
    value, end, vague = number
    tokens = parsed[i:end]
    if any(t.ent_type_ in NOT_FIGURES or t.ent_type_ not in NUMERIC_LABELS for t in tokens):
        return None, end  # a date, an ordinal, or part of a name such as "Boeing 787"
    start_token = i
    unit = counts = None
    currency = currency_before(parsed, i)
    if currency:
        start_token -= 1
        unit, counts = currency, "money"
        if end < len(parsed) and parsed[end].lower_.rstrip(".") in ("m", "mn", "bn", "b", "k"):
            value *= {"m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "k": 1e3}[parsed[end].lower_.rstrip(".")]
            end += 1  # "€20m"
    cue_start = approx_cue(parsed, start_token)
    after = end  # the token after the number and its unit
    if unit is None:
        unit_end, unit_found = unit_after(parsed, end)
        if unit_found:
            (unit, counts), after = unit_found, unit_end
    span_end = after
    if after < len(parsed) and parsed[after].lower_ in TIME_UNITS:
        return None, after  # "three years": a duration
    after = skip_conversion(parsed, after)
    counted = counted_noun(parsed, after, vague)
    if counted and (counts is None or counts == "percent"):
        counts = counted
    if counts is None and population_context(parsed, cue_start if cue_start is not None else start_token):
        counts = "residents"
    is_year = (not vague and unit is None and counts is None and len(tokens) == 1
               and re.fullmatch(r"1\d{3}|20\d{2}", tokens[0].text))
    if is_year:
        return None, end
    if unit is None and counts is None and not vague and not tokens[0].text[0].isdigit():
        return None, end  # a bare number word ("one of them") says nothing measurable
    first = cue_start if cue_start is not None else start_token
    start_char = parsed[first].idx
    end_char = parsed[span_end - 1].idx + len(parsed[span_end - 1].text.rstrip("."))
    return {
        "start": start_char, "end": end_char, "text": parsed[first:span_end].text[:end_char - start_char],
        "quantity": float(value), "unit": unit, "counts": counts,
        "approx": bool(vague or cue_start is not None),
    }, after


def read_number(parsed, i: int):
    """(value, end token, vague) for a number starting at token `i`: "11,000", "1.5 million",
    "tens of thousands", "several hundred", "twenty-five"; None when there is none."""
    token = parsed[i]
    word = token.lower_
    match = DIGITS.match(token.text)
    if match:
        value = float(match.group(1).replace(",", "") + (match.group(2) or ""))
        suffix = (match.group(3) or "").lower()
        if suffix:
            value *= SCALES.get(suffix, 1e6)  # "20m" after a currency sign is millions
        return scaled(parsed, i + 1, value, vague=False)
    if word in NUMBER_WORDS:
        value = NUMBER_WORDS[word]
        j = i + 1
        if j + 1 < len(parsed) and parsed[j].text == "-" and parsed[j + 1].lower_ in NUMBER_WORDS:
            value += NUMBER_WORDS[parsed[j + 1].lower_]  # "twenty-five"
            j += 2
        if word == "one" and j < len(parsed) and parsed[j].lower_ == "of":
            return None  # "one of the most stable parts"
        return scaled(parsed, j, value, vague=False)
    if word in VAGUE_SCALES:
        value, j = VAGUE_SCALES[word], i + 1
        if j + 1 < len(parsed) and parsed[j].lower_ == "of" and parsed[j + 1].lower_ in VAGUE_SCALES \
                and VAGUE_SCALES[parsed[j + 1].lower_] > value:
            value *= VAGUE_SCALES[parsed[j + 1].lower_]  # "tens of thousands"
            j += 2
        return value, j, True
    if word in FEW and i + 1 < len(parsed) and parsed[i + 1].lower_ in SCALES:
        return scaled(parsed, i + 1, FEW[word], vague=True)
    if word in ("a", "an") and i + 1 < len(parsed) and parsed[i + 1].lower_ in ("hundred", "thousand",
                                                                                "million", "dozen"):
        return scaled(parsed, i + 1, 1, vague=False)
    return None


def scaled(parsed, j: int, value: float, vague: bool):
    while j < len(parsed) and parsed[j].lower_ in SCALES and parsed[j].lower_ not in ("k",):
        value *= SCALES[parsed[j].lower_]
        j += 1
    return value, j, vague


def currency_before(parsed, i: int) -> str | None:
    if i > 0 and parsed[i - 1].lower_ in CURRENCY_SIGNS:
        return CURRENCY_SIGNS[parsed[i - 1].lower_]
    return None


def unit_after(parsed, j: int):
    """(end, (unit, counts)) when a unit follows at token `j` ("km", "-km", "%", "per cent")."""
    if j < len(parsed) and parsed[j].text == "-" and j + 1 < len(parsed):
        j += 1  # "a 30-km drive"
    if j >= len(parsed):
        return j, None
    word = parsed[j].lower_.rstrip(".")
    if word == "per" and j + 1 < len(parsed) and parsed[j + 1].lower_ == "cent":
        return j + 2, UNITS["%"]
    if word in ("square", "sq") and j + 1 < len(parsed) and parsed[j + 1].lower_ in UNITS:
        unit, counts = UNITS[parsed[j + 1].lower_]
        return j + 2, (unit + "2", "square " + counts)
    if word in UNITS and not (word == "m" and parsed[j].text == "m."):
        return j + 1, UNITS[word]
    return j, None


def skip_conversion(parsed, j: int) -> int:
    """Past "(18 miles)": a conversion restates the figure before it, it is not another figure."""
    if j < len(parsed) and parsed[j].text == "(":
        number = read_number(parsed, j + 1)
        if number:
            end, unit = unit_after(parsed, number[1])
            if unit and end < len(parsed) and parsed[end].text == ")":
                return end + 1
    return j


def approx_cue(parsed, i: int) -> int | None:
    """The first token of an approximation cue ending right before token `i`, if any."""
    for cue in APPROX_CUES:
        first = i - len(cue)
        if first >= 0 and tuple(t.lower_ for t in parsed[first:i]) == cue:
            return first
    return None


def counted_noun(parsed, j: int, vague: bool) -> str | None:
    """What the number counts: "11,000 residents", "thousands of casualties", "two major cities",
    and for a bare vague amount the participle after it ("millions displaced")."""
    if j < len(parsed) and parsed[j].lower_ == "of" and (vague or j + 1 < len(parsed)):
        j += 1  # "tens of thousands of casualties", "76% of voters"
    while j + 1 < len(parsed) and parsed[j].pos_ in ("ADJ", "PROPN") \
            and parsed[j].ent_type_ in ("", "NORP", "GPE") and parsed[j + 1].pos_ in ("NOUN", "ADJ", "PROPN"):
        j += 1  # "11,000 Ukrainian troops"
    if j < len(parsed) and parsed[j].pos_ == "NOUN" and parsed[j].is_alpha:
        noun = parsed[j].lower_
        return None if noun in TIME_UNITS else noun
    if vague and j < len(parsed) and parsed[j].tag_ == "VBN" \
            and not (j + 1 < len(parsed) and parsed[j + 1].lower_ == "to"):
        return parsed[j].lower_  # "millions displaced", not "millions forced to flee"
    return None


def population_context(parsed, i: int) -> bool:
    """"a population of around 11,000", "home to 11,000": a count of residents."""
    words = [t.lower_ for t in parsed[max(0, i - 3):i]]
    return bool(words) and (words[-1] in ("of", "to") and any(w in POPULATION for w in words[:-1]))


# --- enrich: what each figure is about ------------------------------------------------------------


@hookimpl
def etl_enrich(db, config, changes):
    """Fill `about_entity_id`: the place named nearest before the figure in its sentence ("Siversk,
    home to around 11,000 residents"), else the nearest after it; a count of people with no place in
    its sentence, or in a sentence about "the city", is about the place its article mentions most.
    Only linked entities (with an `entity_id`) count: without an entity linker it stays empty. Rows of
    segments beside the body (`segment` set: offsets into the segment, not the article) are left out.

    Each article's figures depend on that article's rows alone: an incremental run redoes the articles
    added and those whose entity ids changed."""
    # Each part of the query is cut to the articles redone: the corpus's entities and sentences are not read.
    scope = "(SELECT doc_id FROM etl_changes WHERE change IN ('added', 'touched'))"
    only = {alias: "" if changes is None else f"AND {alias}.doc_id IN {scope}" for alias in ("e", "f", "figures")}
    db.execute(f"""
        UPDATE figures SET about_entity_id = pick.entity
        FROM (
            WITH places AS (
                SELECT e.doc_id, e.start, e."end", s.sentence, e.entity_id AS entity
                FROM entities e JOIN sentences s
                  ON s.doc_id = e.doc_id AND e.start >= s.start AND e."end" <= s."end"
                WHERE {place_name_sql("e")} AND e.entity_id IS NOT NULL AND e.segment IS NULL {only["e"]}
            ), figure_sentences AS (
                SELECT f.doc_id, f.start, f."end", f.counts, s.sentence,
                       regexp_matches(substr(a.text, s.start + 1, f.start - s.start),
                                      '\\b(the|this) ([a-z-]+ )?(city|town|village|settlement)\\b', 'i') AS anaphoric
                FROM figures f JOIN sentences s ON s.doc_id = f.doc_id AND f.start >= s.start AND f.start < s."end"
                JOIN articles a ON a.doc_id = f.doc_id
                WHERE f.segment IS NULL {only["f"]}
            ), nearest AS (
                SELECT fs.doc_id, fs.start,
                       arg_min(p.entity, (CASE WHEN p."end" <= fs.start THEN fs.start - p."end"
                                               ELSE 100000 + p.start - fs."end" END, p.start, p.entity)) AS entity
                FROM figure_sentences fs JOIN places p ON p.doc_id = fs.doc_id AND p.sentence = fs.sentence
                GROUP BY fs.doc_id, fs.start
            ), main_place AS (
                SELECT doc_id, arg_max(entity, (n, -first)) AS entity
                FROM (SELECT doc_id, entity, count(*) AS n, min(start) AS first FROM places GROUP BY ALL)
                GROUP BY doc_id
            )
            SELECT f.doc_id, f.start,
                   CASE WHEN fs.anaphoric AND f.counts IN ('residents', 'people', 'inhabitants', 'population')
                        THEN m.entity
                        ELSE coalesce(n.entity, CASE WHEN f.counts IN
                             ('residents', 'people', 'inhabitants', 'population', 'civilians') THEN m.entity END)
                   END AS entity
            FROM figures f LEFT JOIN figure_sentences fs USING (doc_id, start)
            LEFT JOIN nearest n USING (doc_id, start) LEFT JOIN main_place m USING (doc_id)
            WHERE f.segment IS NULL {only["f"]}
        ) AS pick
        WHERE figures.doc_id = pick.doc_id AND figures.start = pick.start AND figures.segment IS NULL {only["figures"]}
    """)
