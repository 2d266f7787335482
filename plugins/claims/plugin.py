"""Attributed statements: one `claims` row per statement with its speaker, cue, content and stance.

Runs after `spacy` (sentences, lemmas, tags) and `entities` (speaker mentions). The dependency parser
is the costly component, so it runs only on the sentences that hold a cue (a speech verb or "according
to"), in one batch per document batch: the parser of the `spacy` plugin's own pipeline, fed the token
vectors that pass computed already.

Covered: indirect speech ("X said the city had fallen"), reporting verbs beyond "say" (told, warned,
urged, called for, blamed X for Y, forecast, cited), "X quoted Y as saying", statements made in a
document ("resigned in a letter stating", "issued a statement calling"), direct quotations in straight, curly or
«angle» marks with the speaker before (`it stated, «...»`) or after (`"...," he said`), quotations
over several sentences, quoted words inside reported speech (mixed), "according to X", and denials.
`speaker` is the speaker as written, except that a pronoun ("he said", "it added") is replaced by the
text of its antecedent when one is found (the last person, or the last organisation-like speaker or
entity, before it); `speaker_mention_id` is then the antecedent's mention. Rules live in
`etl_plugins.claims.attribution`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta

from etl import Contract, Setting, hookimpl

from . import attribution as attr

NAME = "claims"
__version__ = "0.1.0"


@hookimpl
def etl_contract():
    # Dates: a statement introduced by "last month" or "on Dec. 10" is dated by them.
    return {"extract": Contract(needs=("nlp", "dependency_parse"), reads=("entities", "dates"), provides=("claims",))}


@hookimpl
def etl_settings():
    return {"window": Setting(4, int, "sentences back to look for the antecedent of a pronoun speaker")}


@hookimpl
def etl_extract(documents, config, run):
    window = config.settings(NAME)["window"]
    docs = [doc for doc in documents if doc.nlp is not None and doc.text.strip()]
    if not docs:
        return
    candidates = [(doc, sent) for doc in docs for sent in candidate_sentences(doc.nlp)]
    parses = run.service("dependency_parse")([sent for _, sent in candidates])
    by_doc: dict[int, list[attr.Parsed]] = {}
    for (doc, sent), parse in zip(candidates, parses):
        by_doc.setdefault(id(doc), []).append(attr.Parsed(sent, parse))
    for doc in docs:
        mentions = doc.entities  # each has its mention_id: the host gives it one
        claims = extract_claims(doc.text, doc.nlp, by_doc.get(id(doc), []), mentions, window)
        for row in claim_rows(doc, claims):
            doc.add("claims", plugin=NAME, **row)


def candidate_sentences(nlp_doc) -> list:
    """Sentences with a cue outside quotation marks: the only ones worth parsing."""
    quotes = attr.find_quotes(nlp_doc.text)
    lexicon = attr.lexicon_for(nlp_doc.lang_)
    # A cue's lemma is a speech verb, "according to" starts with "according": the set lookup spares
    # the full test to every other token.
    words = lexicon.speech if lexicon is not None else frozenset()
    found = []
    for sent in nlp_doc.sents:
        if any((t.lemma_.lower() in words or t.lower_ == "according")
               and (attr.is_cue(t) or attr.is_according_to(t)) and not attr.quote_at(quotes, t.idx) for t in sent):
            found.append(sent)
    return found


def extract_claims(text: str, nlp_doc, parsed: list[attr.Parsed], mentions: list[dict],
                   window: int = 4) -> list[attr.Claim]:
    """Every claim of one document, speakers resolved, in text order."""
    quotes = attr.find_quotes(text)
    claims: list[attr.Claim] = []
    for p in parsed:
        for tok in p.parse:
            shared = p.token(tok.i)
            if attr.quote_at(quotes, shared.idx):
                continue
            if attr.is_according_to(shared):
                claim = according_to_claim(p, tok, text, quotes)
            elif attr.is_cue(shared) and tok.dep_ not in ("amod", "compound"):
                claim = cue_claim(p, tok, shared.lemma_.lower(), text, quotes)
            else:
                claim = None
            if claim is not None:
                claims.append(claim)
    claims.sort(key=lambda c: c.cue_start)
    mentions = sorted(mentions, key=lambda m: m["start"])
    sentence_starts = [s.start_char for s in nlp_doc.sents]
    for claim in claims:
        attach_mention(claim, mentions)
    for claim in claims:
        if claim.pronoun:
            resolve_pronoun(claim, claims, mentions, quotes, sentence_starts, window)
    return claims


def cue_claim(p: attr.Parsed, cue, lemma: str, text: str, quotes) -> attr.Claim | None:
    cue_start, cue_end = p.span(cue, cue)
    subject = attr.subject_of(p, cue)
    if subject is None:
        return None
    speaker_start, speaker_end = attr.speaker_span(p, subject)
    frame_start, frame_end = min(speaker_start, cue_start), max(speaker_end, cue_end)
    found = attr.content_of(p, cue, lemma)
    content_head = found[2] if found else None
    trailing = attr.trailer_quote(text, quotes, frame_start)
    leading = attr.leader_quote(text, quotes, _frame_end(p, cue, frame_end))
    if trailing and (found is None or found[0] < trailing[1]):
        opening_sentence = p.sent.doc.char_span(trailing[0], trailing[0] + 1, alignment_mode="expand")
        start, end, kind = attr.quote_content(
            text, *trailing, opening_sentence.sent.start_char if opening_sentence is not None else None)
        content_head = None
    elif leading and (found is None or found[0] >= leading[0]):
        start, end, kind = attr.quote_content(text, *leading)
    elif found is not None:
        start, end = attr.trim(text, found[0], found[1])
        start, end = _close_quotes(start, end, quotes)
        kind = attr.quote_kind(start, end, quotes, text)
    else:
        return None
    if end <= start:
        return None
    content = text[start:end]
    claim = attr.Claim(
        cue=lemma, cue_start=cue_start, cue_end=cue_end, start=start, end=end,
        speaker=text[speaker_start:speaker_end], speaker_start=speaker_start, speaker_end=speaker_end,
        stance=attr.stance_of(lemma, attr.is_negated(cue), content, attr.is_negated(content_head)),
        quote=kind,
    )
    pronouns = attr.PERSON_PRONOUNS | attr.THING_PRONOUNS
    if subject.lower_ in pronouns and speaker_end - speaker_start == len(subject.text):
        claim.pronoun = subject.lower_
    return claim


def _frame_end(p: attr.Parsed, cue, frame_end: int) -> int:
    """Where the speaker frame ends: after the cue's adjuncts ("said on Facebook, ...")."""
    for child in cue.rights:
        if child.dep_ in ("prep", "npadvmod", "advmod", "dative", "dobj") and not child.is_punct:
            frame_end = max(frame_end, p.subtree_span(child, skip_marks=False)[1])
        elif child.is_punct:
            break
    return frame_end


def _close_quotes(start: int, end: int, quotes) -> tuple[int, int]:
    """Extend a content span so that it never cuts a quotation in two."""
    for q_start, q_end in attr.quotes_between(quotes, start, end):
        if q_start < end < q_end and q_start >= start:
            end = q_end
        if q_start < start < q_end and q_end <= end:
            start = q_start
    return start, end


def according_to_claim(p: attr.Parsed, according, text: str, quotes) -> attr.Claim | None:
    if according.i + 1 >= len(p.parse):
        return None
    to = p.parse[according.i + 1]
    objects = [c for c in to.children if c.dep_ == "pobj"] or [c for c in according.children if c.dep_ == "pobj"]
    if not objects:
        return None
    source = objects[0]
    speaker_start, speaker_end = attr.speaker_span(p, source)
    phrase_start = p.start(according)
    phrase_end = max(p.end(t) for t in source.subtree)
    sent_start, sent_end = p.sent.start_char, p.sent.end_char
    before = text[sent_start:phrase_start].strip(" ,—–-\n")
    after = text[phrase_end:sent_end].strip(" ,.;—–-\n")
    if not before:  # "According to X, ...": the statement starts after the comma that closes the phrase
        comma = text.find(",", phrase_end, sent_end)
        start, end = attr.trim(text, comma + 1 if 0 <= comma - phrase_end <= 80 else phrase_end, sent_end)
    elif not after:
        start, end = attr.trim(text, sent_start, phrase_start)
    else:  # "X, according to Y, did Z": the statement is the whole sentence
        start, end = attr.trim(text, sent_start, sent_end)
    end = end - 1 if end > start and text[end - 1] == "." else end
    if end <= start:
        return None
    start, end = _close_quotes(start, end, quotes)
    content = text[start:end]
    return attr.Claim(
        cue="according to", cue_start=phrase_start, cue_end=p.end(to), start=start, end=end,
        speaker=text[speaker_start:speaker_end], speaker_start=speaker_start, speaker_end=speaker_end,
        stance=attr.stance_of("according to", False, content, False),
        quote=attr.quote_kind(start, end, quotes, text),
    )


# --- speakers ---------------------------------------------------------------------------------------


def attach_mention(claim: attr.Claim, mentions: list[dict]) -> None:
    """The entity mention of the speaker: the one covering the phrase's last name-like word, else a
    person named inside the phrase ("Russia's chief of the General Staff Valery Gerasimov")."""
    if claim.speaker_start is None or claim.pronoun:
        return
    inside = [m for m in mentions if claim.speaker_start <= m["start"] and m["end"] <= claim.speaker_end]
    ends_phrase = [m for m in inside if m["end"] == claim.speaker_end]
    people = [m for m in inside if m["label"] == "PERSON"]
    chosen = (ends_phrase or people or [None])[-1]
    if chosen is None:
        covering = [m for m in mentions if m["start"] <= claim.speaker_start and claim.speaker_end <= m["end"]]
        chosen = covering[0] if covering else None
    if chosen is not None:
        claim.speaker_mention_id, claim.speaker_label = chosen["mention_id"], chosen["label"]


def resolve_pronoun(claim: attr.Claim, claims: list[attr.Claim], mentions: list[dict], quotes,
                    sentence_starts: list[int], window: int) -> None:
    """Replace a pronoun speaker by its antecedent: for he/she the last person named or speaking
    before the statement; for it/they the last organisation-like speaker, else the last ORG, GPE or
    NORP mention, outside quotations and within `window` sentences."""
    anchor = min(claim.start, claim.speaker_start)
    first_sentence = max(bisect_right(sentence_starts, anchor) - 1 - window, 0)
    earliest = sentence_starts[first_sentence] if sentence_starts else 0
    person = claim.pronoun in attr.PERSON_PRONOUNS
    recent = claims[bisect_left(claims, earliest, key=lambda c: c.cue_start):
                    bisect_right(claims, anchor + 1000, key=lambda c: c.cue_start)]
    speakers = [(c.speaker_start, c.speaker, c.speaker_mention_id) for c in recent
                if c is not claim and c.speaker_start is not None and earliest <= c.speaker_start < anchor
                and (c.pronoun is None or c.speaker != c.pronoun)
                and ((c.speaker_label == "PERSON") == person)
                and not (c.speaker_label is None and person)]
    near = mentions[bisect_left(mentions, earliest, key=lambda m: m["start"]):
                    bisect_left(mentions, anchor, key=lambda m: m["start"])]
    entities = [(m["start"], m["text"], m["mention_id"]) for m in near
                if earliest <= m["start"] < anchor and not attr.quote_at(quotes, m["start"])
                and (m["label"] == "PERSON" if person else m["label"] in ("ORG", "GPE", "NORP"))]
    pool = speakers + entities if person else (speakers or entities)
    if pool:
        _, claim.speaker, claim.speaker_mention_id = max(pool, key=lambda item: item[0])
        claim.speaker_label = "PERSON" if person else None


# --- rows -------------------------------------------------------------------------------------------


def claim_rows(doc, claims: list[attr.Claim]) -> list[dict]:
    sentences = [(s.start_char, s.end_char) for s in doc.nlp.sents]
    starts = [start for start, _ in sentences]
    published = doc.published_at.date() if isinstance(doc.published_at, datetime) else doc.published_at
    rows, seen = [], set()
    for c in claims:
        claim_id = f"{doc.doc_id}:{c.cue_start}"
        if claim_id in seen:
            continue
        seen.add(claim_id)
        cue_sentence = max(bisect_right(starts, c.cue_start) - 1, 0)
        said, granularity = claim_date(c, sentences[cue_sentence] if sentences else (0, 0), doc.dates, published)
        rows.append({
            "claim_id": claim_id, "speaker": c.speaker, "speaker_mention_id": c.speaker_mention_id,
            "cue": c.cue, "cue_start": c.cue_start, "cue_end": c.cue_end, "stance": c.stance,
            "quote": c.quote, "content": doc.text[c.start:c.end], "start": c.start, "end": c.end,
            "sentence_start": max(bisect_right(starts, min(c.start, c.cue_start)) - 1, 0),
            "sentence_end": max(bisect_right(starts, max(c.end, c.cue_end) - 1) - 1, 0),
            "claim_date": said, "claim_date_granularity": granularity,
        })
    return rows


#: Periods a statement can be dated to ("on Thursday", "last week", "in November", "in 2023"); finer first,
#: so that of two dates equally near the cue the more precise one wins.
STATEMENT_GRANULARITIES = ("day", "week", "month", "quarter", "half", "year")


def claim_date(claim: attr.Claim, sentence: tuple[int, int], dates: list[dict],
               published) -> tuple[date | None, str | None]:
    """When the statement was made, and how precisely: the date nearest the cue among those named in the
    cue's sentence outside the reported content ("said last month", "On Dec. 14, X said"), as the first
    day of the period it names; else the publication day. A date inside the content is when the
    reported event happened, not the statement ("X said Russia captured it on Dec. 11")."""
    inside = [d for d in dates
              if d.get("segment") is None  # a caption's or headline's row has offsets into its own text
              and d.get("granularity") in STATEMENT_GRANULARITIES and d.get("kind", "date") in ("date", "time")
              and isinstance(d.get("range_start"), date)
              and sentence[0] <= d["start"] and d["end"] <= sentence[1]
              and not (claim.start <= d["start"] < claim.end)]
    if inside:
        nearest = min(inside, key=lambda d: (min(abs(d["start"] - claim.cue_end), abs(d["end"] - claim.cue_start)),
                                             STATEMENT_GRANULARITIES.index(d["granularity"])))
        return period_start(nearest["range_start"], nearest["granularity"]), nearest["granularity"]
    if published is None:
        return None, None  # the dates enrich may date it later from an inferred publication day
    return published, "day"


def period_start(day: date, granularity: str) -> date:
    """The first day of the period of `granularity` that holds `day`. A modified expression ("late last
    month", "earlier this week") narrows its range, but the statement is dated by the period it names,
    so that claims of one month share one `claim_date`."""
    day = day.date() if isinstance(day, datetime) else day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if granularity == "half":
        return date(day.year, 1 if day.month <= 6 else 7, 1)
    if granularity == "year":
        return date(day.year, 1, 1)
    return day
