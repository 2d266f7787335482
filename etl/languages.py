"""Which languages the NLP plugins cover, and the run summary's word on documents no plugin covers.

An NLP plugin declares each language it parses as the capability ``nlp:<code>`` in its extract
contract (``etl_contract(config)``: the `spacy` plugin's languages follow its `models` setting). A
document whose language none of them covers is left unparsed, so its entities, sentences, claims and
figures stay empty rather than coming from another language's model; `uncovered_warning` counts such
documents per language for the run summary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

#: The capability prefix an NLP plugin provides per language it parses: ``nlp:fr``.
NLP_LANGUAGE = "nlp:"


# ISO 639-1 codes of the languages a page's markup may name by a three-letter or legacy code.
_ISO_639_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "eng": "en", "fra": "fr", "fre": "fr",
                    "deu": "de", "ger": "de", "spa": "es", "rus": "ru", "ukr": "uk", "zho": "zh", "chi": "zh",
                    "jpn": "ja", "kor": "ko", "ara": "ar", "por": "pt", "ita": "it", "pol": "pl", "tha": "th",
                    "nld": "nl", "dut": "nl", "tur": "tr", "fas": "fa", "per": "fa", "heb": "he", "hin": "hi",
                    "lav": "lv", "lit": "lt", "est": "et", "kat": "ka", "geo": "ka", "mya": "my", "bur": "my",
                    "vie": "vi", "ces": "cs", "cze": "cs", "ell": "el", "gre": "el", "swe": "sv", "nob": "nb",
                    "nor": "no", "dan": "da", "fin": "fi", "hun": "hu", "ron": "ro", "rum": "ro", "bul": "bg"}
# Two-letter codes that are ISO 639-1 languages; anything else ("ut" from "UTF-8") is not a language.
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee
el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is
it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms
mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk
sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
yo za zh zu
""".split())


def language_code(tag: str | None) -> str | None:
    """The ISO 639-1 code of a language tag ("en-GB" -> "en", "zho" -> "zh"), or None for what is not one
    ("UTF-8", "x-default")."""
    match = re.match(r"^\s*([a-zA-Z]{2,3})(?:[-_][\w-]*)?\s*$", tag or "")
    if not match:
        return None
    code = match.group(1).lower()
    code = _ISO_639_ALIASES.get(code, code)
    return code if code in ISO_639_1 else None


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
