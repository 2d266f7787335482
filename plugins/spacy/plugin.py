"""Run spaCy once per batch and attach each parse to its document (`document.nlp`).

This is the one full NLP pass of the pipeline: extract plugins after it read `document.nlp` instead of
parsing again. It also writes the `sentences` table (each sentence's offsets), which every other
table's `sentence` index refers to. The dependency parser is the costly component and is off by default (sentence
boundaries come from the lighter `senter`); a plugin that needs dependencies on a few sentences asks
for them there. Paragraph breaks always end a sentence.
"""

from __future__ import annotations

from etl import Contract, Setting, hookimpl

from .models import DEFAULT_MODEL, load_model, model_version, pipeline_for
from .parse import SentenceParser

NAME = "spacy"
__all__ = ["DEFAULT_MODEL", "load_model", "model_version", "pipeline_for"]  # for programs that parse as the plugin does
_zone: BatchZone | None = None  # the open memory zone of the last batch (worker processes only)


@hookimpl
def etl_settings():
    return {
        "model": Setting(DEFAULT_MODEL, str, "spaCy pipeline: an installed package name or a folder"),
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
def etl_contract():
    return {"extract": Contract(provides=("nlp", "sentences", "dependency_parse"))}


@hookimpl
def etl_services(config):
    return {"dependency_parse": SentenceParser(config.settings(NAME))}


@hookimpl
def etl_fingerprint(config):
    model = config.settings(NAME)["model"]
    return f"{model}=={model_version(model)}"


@hookimpl
def etl_extract(documents, config, run):
    settings = config.settings(NAME)
    nlp = pipeline_for(settings)
    # Only in a worker process: in the caller's own process, the caller may hold parses of its own.
    if settings["memory_zone"] and run.worker_process:
        enter_batch_zone(nlp, documents)
    texts = (doc.text for doc in documents)
    for doc, parsed in zip(documents, nlp.pipe(texts, batch_size=settings["batch_size"])):
        doc.nlp = parsed
        # Sentence spans, so that any row's `sentence` index leads back to the sentence's text.
        for index, sentence in enumerate(parsed.sents):
            text = sentence.text  # spaCy keeps the white space after a sentence in it; the row does not
            start = sentence.start_char + len(text) - len(text.lstrip())
            doc.add("sentences", sentence=index, start=start, end=sentence.start_char + len(text.rstrip()),
                    plugin=NAME)


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


def enter_batch_zone(nlp, documents) -> None:
    """Parse `documents` in the open zone if they belong to its batch, else in a new one."""
    global _zone
    if _zone is not None and _zone.holds(nlp, documents):
        return
    close_batch_zone()
    _zone = BatchZone(nlp, documents)


def close_batch_zone() -> None:
    """Free what spaCy interned for the last batch; its parses must not be read afterwards."""
    global _zone
    if _zone is not None:
        _zone.close()
        _zone = None


