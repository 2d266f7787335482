"""Russian NLP from natasha: the parse (`document.nlp`) of documents in Russian.

spaCy publishes no Russian pipeline on the package registry; natasha (MIT, with its news embeddings
and models installed with it: `pip install 'newsetl[ru]'`) segments, tags morphology and lemmas,
parses Universal Dependencies and finds PER, LOC and ORG names in Russian news. This plugin runs it on
the documents whose language is `ru` (and on their headline, standfirst, captions and date line) and
attaches the result as a spaCy `Doc`, so the extract plugins after it work on Russian as they do on
any parse: `entities` gives the names (PER read as PERSON), `claims` reads Russian reporting verbs
and denials from the dependencies natasha found (no parser runs again), `figures` leaves it alone
(its words are English) and `events` reads Russian event words with English's classes ("захват
Северска" is a capture). It provides `nlp:ru` (listed by `etl plugins`); documents in other languages are not
touched. Not installed, it provides nothing and Russian documents count as not covered in the run
summary; named in `[stages] extract` without natasha installed, the run stops with the install
command.
"""

from __future__ import annotations

import importlib.util
import re
from types import SimpleNamespace

from etl import Contract, EtlError, hookimpl, language_code

from .convert import to_spacy

NAME = "natasha"
LANGUAGE = "ru"
INSTALL = "pip install 'newsetl[ru]'"
PARSED_SEGMENTS = ("headline", "standfirst", "caption", "dateline")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
SEGMENTS_KEY = "segments"

_models = None  # loaded once per process
_zone: tuple[object, set[int], list] | None = None  # (open memory zone, ids of its batch's documents, documents)


def installed() -> bool:
    return importlib.util.find_spec("natasha") is not None


@hookimpl
def etl_contract():
    if not installed():
        return {}
    return {"extract": Contract(provides=("nlp", f"nlp:{LANGUAGE}", "sentences", "segment_nlp"))}


@hookimpl
def etl_fingerprint(config):
    if not installed():
        if NAME in config.stages.get("extract", ()):
            raise EtlError(f"[stages] extract names {NAME!r}, but natasha is not installed; install it with "
                           f"`{INSTALL}`, or leave {NAME!r} out")
        return None
    from importlib.metadata import version

    return f"natasha=={version('natasha')};slovnet=={version('slovnet')}"


@hookimpl
def etl_extract(documents, run):
    russian = [doc for doc in documents
               if doc.nlp is None and language_code(doc.language) == LANGUAGE and doc.text.strip()]
    if not russian or not installed():
        return
    if run.worker_process:
        enter_batch_zone(russian)
    for doc in russian:
        parsed = analyse(doc.text)
        doc.nlp = parsed
        parsed.user_data[SEGMENTS_KEY] = {
            segment.seq: analyse(segment.text) for segment in doc.segments
            if segment.label in PARSED_SEGMENTS and segment.text.strip()}
        for index, sentence in enumerate(parsed.sents):
            text = sentence.text
            start = sentence.start_char + len(text) - len(text.lstrip())
            if text.strip():
                doc.add("sentences", sentence=index, start=start,
                        end=sentence.start_char + len(text.rstrip()), plugin=NAME)


def analyse(text: str):
    """natasha's analysis of `text` as a spaCy Doc, paragraph by paragraph: a blank line always ends a
    sentence (as in the `spacy` plugin's parses), and natasha's segmenter would run a title without a
    full stop into the next paragraph."""
    models = load()
    from natasha import Doc

    paragraphs = []
    for start, end in paragraph_spans(text):
        analysis = Doc(text[start:end])
        analysis.segment(models["segmenter"])
        analysis.tag_morph(models["morph"])
        analysis.parse_syntax(models["syntax"])
        analysis.tag_ner(models["ner"])
        for token in analysis.tokens:
            token.lemmatize(models["vocab"])
        paragraphs.append((start, analysis))
    parsed = to_spacy(models["spacy_vocab"], text, combined(paragraphs))
    if parsed.text != text:  # every offset of every row would be wrong: fail the document instead
        raise ValueError("natasha's tokens do not rebuild the document's text; its offsets cannot be trusted")
    return parsed


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of `text` that holds more than white space."""
    spans, start = [], 0
    for brk in [*PARAGRAPH_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        if text[start:end].strip():
            spans.append((start, end))
        start = brk.end() if brk else len(text)
    return spans


def combined(paragraphs):
    """One analysis of the whole text from the analyses of its paragraphs (offsets shifted, token ids
    made unique per paragraph)."""
    sents, spans = [], []
    for number, (offset, analysis) in enumerate(paragraphs):
        for sentence in analysis.sents:
            tokens = [SimpleNamespace(
                text=t.text, start=t.start + offset, stop=t.stop + offset, id=f"{number}:{t.id}",
                head_id=f"{number}:{t.head_id}" if t.head_id else None, rel=t.rel, pos=t.pos, lemma=t.lemma,
                feats=t.feats) for t in sentence.tokens]
            sents.append(SimpleNamespace(tokens=tokens))
        spans += [SimpleNamespace(start=span.start + offset, stop=span.stop + offset, type=span.type)
                  for span in analysis.spans]
    return SimpleNamespace(sents=sents, spans=spans)


def enter_batch_zone(documents) -> None:
    """Intern this batch's strings in a spaCy memory zone, closed when the next batch arrives (after the
    host wrote this one), so that a worker's string store does not grow with the corpus; a retry of a
    document of the open batch stays in its zone (as the `spacy` plugin does)."""
    global _zone
    if _zone is not None and any(id(doc) in _zone[1] for doc in documents):
        return
    if _zone is not None:
        _zone[0].__exit__(None, None, None)
    context = load()["spacy_nlp"].memory_zone()
    context.__enter__()
    _zone = (context, {id(doc) for doc in documents}, list(documents))


def load() -> dict:
    global _models
    if _models is None:
        import spacy
        from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, NewsSyntaxParser, Segmenter

        _point_pymorphy2_at_its_dictionary()
        embedding = NewsEmbedding()
        _models = {"segmenter": Segmenter(), "morph": NewsMorphTagger(embedding),
                   "syntax": NewsSyntaxParser(embedding), "ner": NewsNERTagger(embedding), "vocab": MorphVocab(),
                   "spacy_nlp": spacy.blank(LANGUAGE)}
        _models["spacy_vocab"] = _models["spacy_nlp"].vocab
    return _models


def _point_pymorphy2_at_its_dictionary() -> None:
    """pymorphy2 (natasha's lemmatizer) finds its dictionary through `pkg_resources`, which setuptools
    no longer ships (81 and later): without this, a fresh environment fails with "No module named
    'pkg_resources'". Its documented `PYMORPHY2_DICT_PATH` names the Russian dictionary package instead;
    a path the user set is kept."""
    import os

    if "PYMORPHY2_DICT_PATH" not in os.environ:
        import pymorphy2_dicts_ru

        os.environ["PYMORPHY2_DICT_PATH"] = pymorphy2_dicts_ru.get_path()
