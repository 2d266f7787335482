"""Which languages the NLP plugins cover, and the run summary's word on documents no plugin covers.

An NLP plugin declares each language it parses as the capability ``nlp:<code>`` in its extract
contract (``etl_contract(config)``: the `spacy` plugin's languages follow its `models` setting). A
document whose language none of them covers is left unparsed, so its entities, sentences, claims and
figures stay empty rather than coming from another language's model; `uncovered_warning` counts such
documents per language for the run summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping

#: The capability prefix an NLP plugin provides per language it parses: ``nlp:fr``.
NLP_LANGUAGE = "nlp:"


def language_code(language: str | None) -> str | None:
    """The primary subtag of a language tag, lower case ("en-GB", "EN_us" -> "en"); None for none."""
    if not language or not language.strip():
        return None
    return language.strip().replace("_", "-").split("-")[0].lower()


def covered_languages(provides: Iterable[Iterable[str]]) -> tuple[bool, set[str]]:
    """(whether any plugin provides `nlp`, the language codes provided) over the provides of the
    planned extract plugins."""
    names = {name for provided in provides for name in provided}
    return "nlp" in names, {name[len(NLP_LANGUAGE):] for name in names if name.startswith(NLP_LANGUAGE)}


def uncovered_counts(languages: Iterable[str | None], covered: set[str]) -> Counter:
    """Documents per language code that no NLP plugin covers (documents without a language are parsed
    by the default model, so they are not counted)."""
    codes = (language_code(language) for language in languages)
    return Counter(code for code in codes if code is not None and code not in covered)


def uncovered_warning(contracts: Mapping[str, object], languages: Callable[[], list[str | None]]) -> list[str]:
    """The run summary's line on documents in languages without NLP, from `languages()` (every published
    article's language) and the planned extract plugins' contracts (plugin -> Contract); [] when none."""
    has_nlp, covered = covered_languages(contract.provides for contract in contracts.values())
    if not has_nlp:
        return []  # no NLP at all is the user's choice (every NLP plugin disabled), not a gap
    counts = uncovered_counts(languages(), covered)
    if not counts:
        return []
    listed = ", ".join(f"{code} {n}" for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return [f"{sum(counts.values())} document(s) in a language no NLP plugin covers were not parsed ({listed}; "
            f"covered: {', '.join(sorted(covered)) or 'none'}): their sentences, entities, claims and figures "
            f"are empty. To add a language, name its spaCy model under [plugins.spacy] models (such as "
            f"models = {{de = \"de_core_news_sm\"}}) or install a plugin that covers it (README: Languages)"]
