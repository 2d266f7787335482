"""Entity mentions from the shared spaCy parse, made consistent within each document.

The small spaCy model labels a name from its immediate context, so one town comes out as GPE, PRODUCT,
ORG and PERSON in the same article. A reader knows better: a name keeps one meaning in one article.
So the spans spaCy finds are cleaned (no leading "the", no possessive "'s", no person titles, nothing
across a line break, nothing without a letter) and grouped by surface form; each group takes the label
with the most evidence, where every spaCy label counts once and the words around a mention count more:
"the city of X", "in X", "east of X", "X, a town ..." for places; "President X", "X, a spokesman ...",
the surname of a full name for persons; "broadcaster X", "X Corps" for organisations. Occurrences of
a labelled name that spaCy missed are added with the document's label. Numeric and temporal spans are
left to the dates and figures tables. Across documents, labels are reconciled by enrich, not here.

A maker's name followed by a model designation ("Airbus A330-200", "Boeing 787") is one PRODUCT
mention: the product, not the maker. A one-word PERSON or ORG that is a function word of the parse's
language ("Sie", "Он", "Le") is dropped, unless it is the surname of a full name in the document
("Theresa May" ... "May said"). Models of other languages label with PER/LOC/ORG/MISC; PER is read as
PERSON. The segments a reader sees beside the body (headline, standfirst, captions, date line: parsed
by the NLP plugin into `nlp.user_data["segments"]`) give rows too, with `segment` = the segment's seq,
offsets into that segment's text and no `sentence`; a name the body labels keeps the body's label
there. Body rows have `segment` NULL.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass

from etl import DEMONYM_FORM, NAME_FORM, PLACE_LABELS, Contract, Setting, hookimpl

from .demonyms import LONGEST, place_of
from .function_words import is_function_word
from .names import HEAD_LEGAL_FORMS, HONORIFICS, ORGANISATION_NOUNS, PERSON_CUES

NAME = "entities"
NOT_NAMES = ["DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"]

PLACE, PERSON, ORG = "place", "PERSON", "ORG"
#: Labels of models trained on WikiNER / CoNLL-style data (spaCy's French, natasha) in this table's terms.
LABEL_ALIASES = {"PER": PERSON}
#: Where the NLP plugin puts the parses of the segments beside the body ({seq: Doc}).
SEGMENTS_KEY = "segments"

STRONG, WEAK, HINT = 3.0, 1.5, 0.5  # one spaCy label counts 1

DETERMINERS = {"the", "a", "an", "this", "that", "these", "those"}
POSSESSIVE = {"'s", "’s", "'", "’"}
# Words that put a person name right after them ("President X", "co-founder X", "Mr X").
PERSON_TITLES = PERSON_CUES
# Nouns that, in an apposition, say what kind of thing the name is ("X, a town in ...").
PLACE_NOUNS = {
    "city", "town", "village", "settlement", "hamlet", "outpost", "region", "province", "oblast",
    "district", "county", "state", "country", "nation", "capital", "port", "hub", "island",
    "municipality", "suburb", "stronghold", "area", "territory", "republic", "neighbourhood",
    "neighborhood", "river", "valley", "centre", "center",
    # French, as its lemmatiser writes them ("la ville de X"): the same reading in the other language with a model
    "ville", "village", "localité", "commune", "région", "capitale", "province", "fleuve",
}
# "the residents of X", "the mayor of X", "the outskirts of X".
PLACE_OF = {"resident", "inhabitant", "mayor", "governor", "outskirt", "outskirts", "suburb", "habitant", "maire",
            "banlieue", "périphérie",
            "heart", "centre", "center", "street", "people", "population", "north", "south", "east",
            "west"}
APPOSITION_POS = {"DET", "ADJ", "NOUN", "PROPN", "NUM", "ADV"}
ORG_NOUNS = ORGANISATION_NOUNS | {
    "operator", "union", "organization", "organisation", "brand", "label", "studio", "brigade", "battalion",
    "regiment", "unit", "corps", "ministry", "council", "committee",
}
# "in X" is a place more often than not, but business news also invests "in Apple". French "à" and "dans".
PLACE_PREPOSITIONS = {"in": 1.0, "near": 1.5, "inside": 1.5, "outside": 1.5, "across": 0.5,
                      "into": 0.5, "throughout": 0.5, "à": 1.0, "dans": 1.0}
OF = {"of", "de", "d'", "d’"}  # "the city of X", "la ville de X"
# Roles named after an organisation or place ("Ryanair CEO", "Kremlin spokesman"): not a person.
ROLES_AFTER = {"ceo", "cfo", "coo", "chairman", "chairwoman", "spokesman", "spokeswoman",
               "spokesperson", "president", "founder", "chief", "executive", "director", "head",
               "analyst", "official", "officials", "boss", "shareholders", "employees", "staff"}
COMPASS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
           "northern", "southern", "eastern", "western", "central"}
# Last words that give a name's kind away ("Bakhmutka River", "54th Brigade").
PLACE_HEADS = {"river", "oblast", "region", "province", "mountains", "mountain", "sea", "lake",
               "island", "islands", "valley", "county", "district", "bay", "gulf", "peninsula"}
FACILITY_HEADS = {"airport", "bridge", "street", "square", "avenue", "road", "station", "port"}
ORG_HEADS = HEAD_LEGAL_FORMS | {
    "corps", "brigade", "battalion", "regiment", "division", "army", "navy", "ministry", "university", "bank",
    "agency", "council", "party", "committee", "command", "forces", "group", "institute", "court", "parliament",
    "staff", "airlines", "airways", "association", "federation", "service", "office",
}


@dataclass
class Mention:
    start: int  # character offsets into the document text
    end: int
    first: int  # token indices into the spaCy Doc
    last: int   # exclusive
    label: str
    key: str    # the surface form mentions are grouped by
    found_by_model: bool = True
    form: str = NAME_FORM  # or DEMONYM_FORM


@hookimpl
def etl_contract():
    return {"extract": Contract(needs=("nlp",), reads=("segment_nlp",), provides=("entities",))}


@hookimpl
def etl_settings():
    return {"exclude_labels": Setting(NOT_NAMES, list, "spaCy labels that are not entity mentions")}


@hookimpl
def etl_extract(documents, config):
    excluded = set(config.settings(NAME)["exclude_labels"])
    for doc in documents:
        if doc.nlp is None:
            continue
        starts = [sent.start_char for sent in doc.nlp.sents]
        body = document_mentions(doc.nlp, excluded)
        for mention in body:
            doc.add("entities", start=mention.start, end=mention.end,
                    text=doc.text[mention.start:mention.end], label=mention.label, form=mention.form,
                    sentence=bisect_right(starts, mention.start) - 1, plugin=NAME)
        # A name keeps one meaning in one article: a headline of five words says less than the body.
        body_labels = {mention.key: mention.label for mention in body if mention.form == NAME_FORM}
        for seq, parsed in sorted(doc.nlp.user_data.get(SEGMENTS_KEY, {}).items()):
            for mention in document_mentions(parsed, excluded):
                if mention.form == NAME_FORM:
                    mention.label = body_labels.get(mention.key, mention.label)
                # Offsets are into the segment's text: the id says which segment, so it never meets a body id.
                doc.add("entities", mention_id=f"{doc.doc_id}:s{seq}:{mention.start}:{mention.end}",
                        start=mention.start, end=mention.end, text=parsed.text[mention.start:mention.end],
                        label=mention.label, form=mention.form, sentence=None, segment=seq, plugin=NAME)


def document_mentions(parsed, excluded=frozenset(NOT_NAMES)) -> list[Mention]:
    """The cleaned, consistently labelled entity mentions of one spaCy Doc, in text order."""
    mentions = [m for ent in parsed.ents if ent.label_ not in excluded
                for m in [clean(parsed, ent.start, ent.end, LABEL_ALIASES.get(ent.label_, ent.label_))] if m]
    mentions = [product_name(parsed, m) if "PRODUCT" not in excluded else m for m in mentions]
    mentions += honorific_mentions(parsed, mentions)
    missed = missed_mentions(parsed, mentions)
    labels, supported = vote(parsed, mentions + missed)
    # A name the model labelled only now and then ("iPhone" once an organisation, mostly nothing)
    # spreads to its other occurrences only when their context backs the label.
    by_model = Counter(m.key for m in mentions if m.found_by_model)
    seen = Counter(m.key for m in mentions + missed)
    mentions += [m for m in missed if 2 * by_model[m.key] >= seen[m.key] or m.key in supported]
    for mention in mentions:
        mention.label = labels.get(mention.key, mention.label)
    mentions += nationality_adjectives(parsed, mentions)
    surnames = {m.key.rsplit(" ", 1)[1] for m in mentions if m.label == PERSON and " " in m.key}
    return sorted((m for m in mentions if m.label and not function_word_name(parsed, m, surnames)),
                  key=lambda m: m.start)


def nationality_adjectives(parsed, mentions: list[Mention]) -> list[Mention]:
    """A nationality adjective before a noun ("Ukrainian forces", "the Russian defence ministry") names its
    country, as a modifier: it becomes a GPE mention of form DEMONYM_FORM, so that `entity_links` gives it the
    country's entity and place-finding consumers can leave it out (the place an article is about is a name,
    not an adjective). The same word as a noun ("the Russians", "an Iraqi was hurt") stays a group (NORP).
    Labels the mentions in place and returns the adjectives the model missed."""
    for mention in mentions:
        if mention.label in ("NORP", *PLACE_LABELS) and place_of(mention.key) and modifies_noun(parsed, mention.last):
            mention.label, mention.form = "GPE", DEMONYM_FORM
    taken = covered_tokens(mentions)
    missed, i = [], 0
    while i < len(parsed):
        for width in range(min(LONGEST, len(parsed) - i), 0, -1):
            span = parsed[i:i + width]
            if taken.isdisjoint(range(i, i + width)) and span[0].text[:1].isupper() and place_of(span.text) \
                    and modifies_noun(parsed, i + width):
                missed.append(Mention(span.start_char, span.end_char, i, i + width, "GPE", name_key(span.text),
                                      found_by_model=False, form=DEMONYM_FORM))
                i += width - 1
                break
        i += 1
    return missed


def modifies_noun(parsed, after: int) -> bool:
    """The token at `after` is the noun (or a further adjective) the word before it modifies."""
    return after < len(parsed) and parsed[after].pos_ in ("NOUN", "PROPN", "ADJ") and parsed[after].is_alpha


def function_word_name(parsed, mention: Mention, surnames: set[str]) -> bool:
    """A one-word person or organisation that is a function word of the text's language ("Sie", "Он")."""
    return (mention.label in (PERSON, ORG) and mention.last - mention.first == 1 and mention.key not in surnames
            and is_function_word(mention.key, parsed.lang_))


#: A model designation: "A380", "A330-200", "F-35", "737-800", "Su-25"; or three digits ("787").
MODEL_DESIGNATION = re.compile(r"(?=[\w-]*\d)(?:[A-Za-z]{1,3}-?\d[\w-]*|\d{3}(?:-\d{1,3})?)")


def product_name(parsed, mention: Mention) -> Mention:
    """A maker's name with a model designation names a product, not the maker: "Airbus A330-200",
    "Boeing 787" (news style names aircraft, weapons and devices so). The mention is extended over the
    designation and labelled PRODUCT."""
    last = mention.last
    designation = parsed[last] if last < len(parsed) else None
    if mention.last - 1 >= mention.first and is_model_designation(parsed[mention.last - 1]) \
            and mention.last - mention.first > 1:
        designation, last = parsed[mention.last - 1], mention.last - 1  # the model put the number in the name
    if designation is None or not is_model_designation(designation) or mention.label not in (ORG, PERSON):
        return mention
    end = designation.i + 1
    # "A330-200": the tokenizer splits the variant off
    while end + 1 < len(parsed) and parsed[end].text == "-" and not parsed[end].whitespace_ \
            and any(ch.isdigit() for ch in parsed[end + 1].text) and parsed[end + 1].text.isalnum():
        end += 2
    text = parsed[mention.first:end].text
    return Mention(mention.start, parsed[end - 1].idx + len(parsed[end - 1].text), mention.first, end, "PRODUCT",
                   name_key(text), mention.found_by_model)


def is_model_designation(token) -> bool:
    """A designation, not a quantity: no thousands comma, no year ("Airbus 2008 results"), no share
    ("Boeing 100 percent")."""
    text = token.text
    if not MODEL_DESIGNATION.fullmatch(text) or re.fullmatch(r"(?:19|20)\d\d", text):
        return False
    following = token.nbor(1).lower_ if token.i + 1 < len(token.doc) else ""
    return not (text.isdigit() and following in ("%", "percent", "per", "pct"))


def clean(parsed, first: int, last: int, label: str) -> Mention | None:
    """Trim what is not part of the name; None when what is left is not a name."""
    while first < last and (parsed[first].lower_ in DETERMINERS or parsed[first].is_punct
                            or parsed[first].is_space
                            or (label == PERSON and last - first > 1 and is_title(parsed[first]))):
        first += 1
    while last > first and (parsed[last - 1].lower_ in POSSESSIVE and last - first > 1
                            or parsed[last - 1].is_punct or parsed[last - 1].is_space):
        last -= 1
    if first == last:
        return None
    start, end = parsed[first].idx, parsed[last - 1].idx + len(parsed[last - 1].text)
    text = parsed[first:last].text  # not parsed.text[...]: Doc.text rebuilds the whole text on each call
    if not is_name(text) or all(t.lower_ in COMPASS or t.is_punct for t in parsed[first:last]):
        return None
    return Mention(start, end, first, last, label, name_key(text))


def is_name(text: str) -> bool:
    """A name sits on one line and has a capital letter (so at least one letter)."""
    return "\n" not in text and any(ch.isupper() for ch in text)


def name_key(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


def is_title(token) -> bool:
    return token.lower_.rstrip(".") in PERSON_TITLES


def honorific_mentions(parsed, mentions: list[Mention]) -> list[Mention]:
    """"Mr Hollis" names a person even when the model saw nothing there."""
    taken = covered_tokens(mentions)
    found = []
    for token in parsed[:-1]:
        if token.lower_.rstrip(".") not in HONORIFICS or token.i in taken:
            continue
        last = token.i + 1
        while last < len(parsed) and is_capitalised_word(parsed[last]) and last not in taken:
            last += 1
        if last > token.i + 1:
            mention = clean(parsed, token.i + 1, last, PERSON)
            if mention:
                mention.found_by_model = False
                found.append(mention)
    return found


def vote(parsed, mentions: list[Mention]) -> tuple[dict[str, str], set[str]]:
    """One label per surface form: the one with the most evidence over all its mentions.

    Returns the labels and the names whose label the context backs, not only the model."""
    votes: dict[str, Counter] = defaultdict(Counter)
    context: dict[str, Counter] = defaultdict(Counter)
    model_labels: dict[str, Counter] = defaultdict(Counter)
    for mention in mentions:
        if mention.label:  # the model's label, or PERSON for "Mr X"; none on a missed occurrence
            votes[mention.key][kind(mention.label)] += 1
            model_labels[mention.key][mention.label] += 1
        context[mention.key].update(context_evidence(parsed, mention))
    for key, evidence in context.items():
        votes[key].update(evidence)
    first_round = {key: top(v) for key, v in votes.items() if v}
    # A surname alone is the person of the full name ("Valery Gerasimov" ... "Gerasimov").
    surnames = {key.rsplit(" ", 1)[1] for key, what in first_round.items() if " " in key and what == PERSON}
    for mention in mentions:
        if mention.key in surnames:
            votes[mention.key][PERSON] += STRONG
            context[mention.key][PERSON] += STRONG
    # Names in a list are of one kind ("Sloviansk and Kramatorsk").
    for left, right in coordinated(parsed, mentions):
        if left.key in first_round and right.key in first_round:
            votes[left.key][first_round[right.key]] += WEAK
            votes[right.key][first_round[left.key]] += WEAK
    labels = {key: specific_label(key, top(v), model_labels[key]) for key, v in votes.items() if v}
    supported = {key for key, label in labels.items() if context[key][kind(label)] > 0}
    return labels, supported


def coordinated(parsed, mentions: list[Mention]):
    """Pairs of neighbouring mentions joined only by "and", "or" or a comma."""
    ordered = sorted(mentions, key=lambda m: m.first)
    for left, right in zip(ordered, ordered[1:]):
        between = [t.lower_ for t in parsed[left.last:right.first]]
        if between and left.key != right.key and set(between) <= {"and", "or", ","} \
                and between != [","] and "NORP" not in (left.label, right.label):
            yield left, right


def kind(label: str) -> str:
    return PLACE if label in PLACE_LABELS else label


def top(votes: Counter) -> str:
    return max(votes.items(), key=lambda item: item[1])[0]  # ties: the first seen, spaCy's own


def specific_label(key: str, winner: str, model_labels: Counter) -> str:
    if winner != PLACE:
        return winner
    places = Counter({label: n for label, n in model_labels.items() if label in PLACE_LABELS})
    if places:
        return top(places)
    head = key.rsplit(" ", 1)[-1].lower()
    return "LOC" if head in PLACE_HEADS else "FAC" if head in FACILITY_HEADS else "GPE"


def context_evidence(parsed, mention: Mention) -> Counter:
    """What the words around one mention (and its own last word) say it is."""
    evidence: Counter = Counter()
    words = [t.lower_ for t in parsed[mention.first:mention.last]]
    head = words[-1].rstrip(".")
    before = [word(t) for t in previous_tokens(parsed, mention.first, 3)]
    before_pos = [t.pos_ for t in previous_tokens(parsed, mention.first, 1)]
    after = parsed[mention.last:mention.last + 8]
    capitalised = all(is_capitalised_word(t) or not t.is_alpha for t in parsed[mention.first:mention.last])

    if head in PLACE_HEADS or head in FACILITY_HEADS:
        evidence[PLACE] += STRONG
    elif head in ORG_HEADS:
        evidence[ORG] += STRONG
    elif 2 <= len(words) <= 3 and capitalised and all(t.is_alpha for t in parsed[mention.first:mention.last]):
        evidence[PERSON] += HINT  # "Valery Gerasimov" has the shape of a person's name

    if before:
        if before[0] in PERSON_TITLES and before_pos[0] in ("NOUN", "PROPN"):
            evidence[PERSON] += STRONG
        elif before[0] in ORG_NOUNS:
            evidence[ORG] += STRONG  # "broadcaster Suspilne"
        elif before[0] in PLACE_PREPOSITIONS:
            evidence[PLACE] += PLACE_PREPOSITIONS[before[0]]
        elif before[0] in OF and len(before) > 1:
            if before[1] in PLACE_NOUNS or before[1] in COMPASS or before[1] in PLACE_OF:
                evidence[PLACE] += STRONG  # "the city of X", "east of X", "the outskirts of X"
        elif before[0] == "," and len(before) > 1:
            if before[1] in ORG_NOUNS:
                evidence[ORG] += STRONG  # "the low-cost airline, X"
            elif before[1] in PLACE_NOUNS:
                evidence[PLACE] += STRONG
    if len(after) >= 2 and after[0].text == ",":
        evidence.update(apposition_evidence(after[1:]))
    elif after:
        following = word(after[1]) if after[0].lower_ in POSSESSIVE and len(after) > 1 else word(after[0])
        if after[0].lower_ in PLACE_HEADS | {"city", "direction", "area"} and not after[0].ent_type_:
            evidence[PLACE] += WEAK  # "the Siversk direction", "Donetsk region"
        elif following in ROLES_AFTER and not after[0].ent_type_:
            evidence[PERSON] -= WEAK  # "Ryanair CEO": people do not have CEOs
    return evidence


def apposition_evidence(tokens) -> Counter:
    """"X, a small town ...", "X, chief sergeant of ...", "X, Ukraine": what follows the comma."""
    evidence: Counter = Counter()
    if tokens[0].ent_type_ == "GPE" and tokens[0].ent_iob_ == "B":
        evidence[PLACE] += WEAK
        return evidence
    if tokens[0].lower_ == "home" and len(tokens) > 1 and tokens[1].lower_ == "to":
        evidence[PLACE] += STRONG  # "X, home to 11,000 people"
        return evidence
    for token in tokens[:6]:
        if token.text == "-":
            continue  # "co-founder"
        if token.pos_ not in APPOSITION_POS:
            break  # a verb, a preposition, a comma: the apposition (if any) is over
        if token.pos_ in ("NOUN", "PROPN"):
            noun = word(token)
            if noun in PERSON_TITLES and token.i + 1 < len(token.doc) \
                    and is_capitalised_word(token.nbor(1)):
                break  # "X, Apple CEO Steve Jobs said": the title of the next name
            if noun in PERSON_TITLES:
                evidence[PERSON] += STRONG
            elif noun in PLACE_NOUNS:
                evidence[PLACE] += STRONG
            elif noun in ORG_NOUNS:
                evidence[ORG] += STRONG
            else:
                continue
            break
    return evidence


def word(token) -> str:
    """The lowercased lemma without a trailing full stop: "cities" -> "city", "Gen." -> "gen"."""
    return (token.lemma_ or token.text).lower().rstrip(".")


def previous_tokens(parsed, index: int, count: int) -> list:
    """Up to `count` tokens before token `index` on the same line, nearest first, skipping
    determiners right before it and hyphens ("north-east")."""
    tokens = []
    i = index - 1
    while i >= 0 and parsed[i].lower_ in DETERMINERS:
        i -= 1
    while i >= 0 and len(tokens) < count and not parsed[i].is_space:
        if parsed[i].text != "-":
            tokens.append(parsed[i])
        i -= 1
    return tokens


def missed_mentions(parsed, mentions: list[Mention]) -> list[Mention]:
    """Occurrences of a name the model labelled elsewhere in the document but passed over here
    ("Kyiv" before "’s"). Their contexts count in the vote; whether they are kept is decided there."""
    taken = covered_tokens(mentions)
    lowercase_words = {t.text for t in parsed if t.is_alpha and t.text.islower()}
    keys = sorted({m.key for m in mentions}, key=len, reverse=True)  # longer names first
    if not keys:
        return []
    names = "|".join(re.escape(key).replace("'", "['’]") for key in keys)
    pattern = re.compile(r"(?<!\w)(?:" + names + r")(?!\w)")
    found = []
    for match in pattern.finditer(parsed.text):
        span = parsed.char_span(match.start(), match.end())
        if span is None or any(i in taken for i in range(span.start, span.end)) \
                or not stands_alone(parsed, span, lowercase_words):
            continue
        found.append(Mention(span.start_char, span.end_char, span.start, span.end, "",
                             name_key(match.group()), found_by_model=False))
        taken.update(range(span.start, span.end))
    return found


def stands_alone(parsed, span, lowercase_words: set[str]) -> bool:
    """Not a piece of a longer capitalised name, and not a common word capitalised by position."""
    first, last = span.start, span.end
    if first > 0 and is_capitalised_word(parsed[first - 1]) and not parsed[first - 1].is_sent_start \
            and not is_title(parsed[first - 1]):
        return False
    if last < len(parsed) and is_capitalised_word(parsed[last]):
        return False
    return not (span[0].is_sent_start and len(span) == 1 and span.text.lower() in lowercase_words)


def is_capitalised_word(token) -> bool:
    return token.is_alpha and token.text[0].isupper()


def covered_tokens(mentions: list[Mention]) -> set[int]:
    return {i for m in mentions for i in range(m.first, m.last)}
