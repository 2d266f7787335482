"""The language of each article, read from its text (lingua), the page's markup only a hint.

Markup is often wrong (a Thai page served as `lang="en"` by its template, `Content-Language: UTF-8`) or
missing, so the body text decides: lingua (`lingua-language-detector`, its models inside the package,
nothing downloaded) reads the first `sample_chars` characters of the body segments. The markup's
language is kept when the text is too short to judge (under `min_letters` letters) or lingua is not
sure of any language; `language_source` says which: "text" or "markup". Codes are ISO 639-1. Text
mostly in a script lingua has no model for (Myanmar, Khmer, Lao, Tibetan, Sinhala, ...) is named by its
script when the script is written for one language, else left to the markup.

Runs in the clean stage, after `furniture` has labelled the body, so that `doc.language` is set before
any extract plugin reads it (the contract provides `articles.language`).

Cost: the detector is built once per worker process, on first use, and kept (module-level cache). Its
low-accuracy mode (`accuracy = "low"`, the default) uses lingua's trigram models only: on the
newspaper4k pages it gave the same answers as the high-accuracy mode at a fraction of the memory
(see `bench/metadata_realworld.py`, which prints time per document and memory of both). lingua's cost
grows with the text it reads (8 ms for 1,000 characters), so it first reads the opening `quick_chars`
characters and stops there when it is at least `quick_confidence` sure: on 2,400 pages and articles
(BBC, newspaper4k, article-extraction-benchmark) the answer was the one of the full sample every time,
at a third of the cost. Unsure, it reads the full sample.
"""

from __future__ import annotations

import re
import threading
from importlib.metadata import PackageNotFoundError, version

from etl import Contract, Setting, hookimpl, language_code

NAME = "language"
INSTALL = "pip install 'lingua-language-detector>=2.1'"
_DETECTORS: dict[str, object] = {}
# Scripts lingua has no model for, with the language each is written for when it is one language.
# lingua reads such text as whatever its few Latin letters suggest (a Burmese page came out "en"), so
# the script answers instead; a script shared by several languages (Ethiopic) leaves it to the markup.
_UNMODELLED_SCRIPTS = (
    ((0x1000, 0x109F), "my"),  # Myanmar
    ((0x1780, 0x17FF), "km"),  # Khmer
    ((0x0E80, 0x0EFF), "lo"),  # Lao
    ((0x0F00, 0x0FFF), "bo"),  # Tibetan
    ((0x0D80, 0x0DFF), "si"),  # Sinhala
    ((0x0D00, 0x0D7F), "ml"),  # Malayalam
    ((0x0C80, 0x0CFF), "kn"),  # Kannada
    ((0x0B00, 0x0B7F), "or"),  # Oriya
    ((0x0780, 0x07BF), "dv"),  # Thaana
    ((0x1200, 0x139F), None),  # Ethiopic: Amharic, Tigrinya, ...
)
_UNMODELLED = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for (low, high), _ in _UNMODELLED_SCRIPTS) + "]")
_LOCK = threading.Lock()


@hookimpl
def etl_settings():
    return {
        "accuracy": Setting("low", str, "lingua's mode: 'low' (trigrams only, small and fast) or 'high' "
                                        "(all n-gram models: better on a sentence or two, about 1 GB)"),
        "min_letters": Setting(20, int, "below this many letters of body text the markup's language is kept"),
        "sample_chars": Setting(1000, int, "characters of body text read (the opening of the article)"),
        "min_confidence": Setting(0.5, float, "lingua's confidence below which the markup's language is kept"),
        "quick_chars": Setting(300, int, "characters read first; the full sample only when lingua is less "
                               "than quick_confidence sure of them (0: always the full sample)"),
        "quick_confidence": Setting(0.999, float, "lingua's confidence on the first quick_chars characters "
                                    "that settles the language"),
    }


@hookimpl
def etl_contract():
    return {"clean": Contract(provides=("articles.language", "articles.language_source"))}


@hookimpl
def etl_fingerprint(config):
    try:
        return f"lingua-language-detector=={version('lingua-language-detector')}"
    except PackageNotFoundError:
        raise RuntimeError(f"the language plugin needs lingua: {INSTALL} "
                           "(or disable it: [stages] disable = [\"language\"])") from None


@hookimpl
def etl_clean(documents, config):
    settings = config.settings(NAME)
    for doc in documents:
        body = [segment.text for segment in doc.segments if segment.label == "body"]
        text = "\n".join(body) if body else doc.text
        detected = detect_language(text, settings)
        markup = language_code(doc.language)
        if detected:
            doc.language, doc.language_source = detected, "text"
        elif markup:
            doc.language, doc.language_source = markup, "markup"
        else:
            doc.language = doc.language_source = None


def detect_language(text: str, settings: dict) -> str | None:
    """The ISO 639-1 code of the language of `text`, or None when it is too short or lingua is unsure."""
    sample = (text or "")[:settings["sample_chars"]]
    letters = [ch for ch in sample if ch.isalpha()]
    if len(letters) < settings["min_letters"]:
        return None
    if len(_UNMODELLED.findall(sample)) * 2 > len(letters):  # else no one script of them can be the most
        for (low, high), code in _UNMODELLED_SCRIPTS:
            if sum(low <= ord(ch) <= high for ch in letters) * 2 > len(letters):
                return code
    lingua = detector(settings["accuracy"])
    quick = settings.get("quick_chars", 0)
    if 0 < quick < len(sample):
        values = lingua.compute_language_confidence_values(sample[:quick])
        if values and values[0].value >= settings.get("quick_confidence", 1.0):
            return values[0].language.iso_code_639_1.name.lower()
    values = lingua.compute_language_confidence_values(sample)
    if not values or values[0].value < settings["min_confidence"]:
        return None
    return values[0].language.iso_code_639_1.name.lower()


def detector(accuracy: str = "low"):
    """lingua's detector over all its languages, built once per process."""
    if accuracy not in ("low", "high"):
        raise ValueError(f"[plugins.language] accuracy must be 'low' or 'high', not {accuracy!r}")
    with _LOCK:
        if accuracy not in _DETECTORS:
            try:
                from lingua import LanguageDetectorBuilder
            except ImportError as exc:
                raise RuntimeError(f"the language plugin needs lingua: {INSTALL}") from exc
            builder = LanguageDetectorBuilder.from_all_languages()
            _DETECTORS[accuracy] = (builder.with_low_accuracy_mode() if accuracy == "low" else builder).build()
        return _DETECTORS[accuracy]
