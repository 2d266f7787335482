"""Function words per language, so that no pronoun, conjunction or article is taken for a name.

A small model tags sentence-initial capitals as names in languages it was not trained on ("Sie",
"Wie", "Doch" as PERSON in German, "Он" as ORG in Russian, "Le" as PERSON in French). The list of
function words per language is spaCy's own (`Language.Defaults.stop_words`): one owner, general
knowledge of each language, nothing fitted to a corpus.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def function_words(language: str) -> frozenset[str]:
    """Lower-cased function words of `language` (a spaCy language code); empty when spaCy has none."""
    from spacy.util import get_lang_class

    try:
        return frozenset(word.lower() for word in get_lang_class(language).Defaults.stop_words)
    except Exception:  # a language spaCy does not know: no list rather than a failure
        return frozenset()


def is_function_word(text: str, language: str) -> bool:
    """A single word of the language's function words, not written as an acronym ("US" stays)."""
    return not text.isupper() and text.lower() in function_words(language)
