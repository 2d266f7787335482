"""One spelling of a name across scripts, romanization conventions and Slavic case endings.

"Сіверськ", "Северск", "Siwersk" and "Siversk" are one town; "Сіверська" and "Северске" are it again,
inflected. `name_words(surface, language)` turns a surface into the words `entity_links` compares:

1. a Latin-script name written by the conventions of its article's language is rewritten to the
   English conventions that `anyascii` uses for Cyrillic (German "Schukow" and Polish "Żukow" become
   "zhukov" as "Жуков" does; French "ch" is "sh", German and Polish "ch" is "kh", "w" is "v", ...);
2. `anyascii` romanizes every other script, and letters that differ only by convention fold
   together (y/j/i, doubled letters);
3. a case ending is cut from each word (at least three letters stay), whatever the language: an
   English "Zelensky" must meet the Ukrainian genitive "Зеленського", so both become "zelensk".

`skeleton(word)` is the blocking key: the consonants only, with the sounds that romanizations write
in several ways folded into one letter (s/z/sh/zh/shch, ch/ts, g/h). Only names whose every word has
the same skeleton are compared; `entity_links` then asks rapidfuzz how alike the words are.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

#: How each language's romanization of Slavic names writes what English (and anyascii) writes
#: otherwise. One regex pass per language, longest spelling first, so "tsch" is never read as "sch".
CONVENTIONS: dict[str, dict[str, str]] = {
    "de": {"schtsch": "shch", "tsch": "ch", "sch": "sh", "ch": "kh", "z": "ts", "w": "v", "j": "y"},
    "pl": {"szcz": "shch", "cz": "ch", "sz": "sh", "rz": "zh", "ż": "zh", "ch": "kh", "c": "ts", "w": "v",
           "j": "y", "ie": "e"},
    "fr": {"chtch": "shch", "tch": "ch", "ch": "sh", "j": "zh", "ou": "u"},
    "nl": {"sj": "sh", "tsj": "ch", "zj": "zh", "ch": "kh", "oe": "u", "j": "y", "w": "v"},
    "cs": {"š": "sh", "č": "ch", "ž": "zh", "ch": "kh", "c": "ts", "j": "y", "w": "v"},
}
CONVENTIONS["sk"] = CONVENTIONS["cs"]
_CONVENTION_RE = {lang: re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)))
                  for lang, table in CONVENTIONS.items()}

#: Case (and gender) endings of Slavic nouns, adjectives and names as they read after step 2
#: (y and j are i, doubled letters single), longest first. Cut from every word, whatever its language.
CASE_ENDINGS = ("iego", "iemu", "ogo", "oho", "omu", "emu", "ami", "akh", "ach", "oiu", "aia", "iei",
                "om", "em", "am", "im", "oi", "ei", "iu", "ia", "ie", "a", "e", "i", "o", "u")
#: Surname endings that tell a man's name from a woman's (Zelensky, Zelenska), as read after step 2,
#: following "sk"/"ck"/"tsk": a nominative or an unambiguous oblique case.
MASCULINE_ENDINGS = ("i", "ogo", "oho", "omu", "im", "iego", "iemu")
FEMININE_ENDINGS = ("a", "aia", "oi", "iei", "oiu", "u", "iu")
MIN_STEM = 3

_SKELETON = [("shch", "s"), ("sh", "s"), ("zh", "s"), ("z", "s"), ("ch", "c"), ("ts", "c"), ("kh", "x"),
             ("h", "g"), ("ck", "k"), ("q", "k"), ("ph", "f")]
_SKELETON_RE = re.compile("|".join(re.escape(a) for a, _ in _SKELETON))
_SKELETON_MAP = dict(_SKELETON)
_VOWELS = re.compile(r"[aeiou]+")
_ADJECTIVAL_SURNAME = re.compile(r"(?:sk|ck|tsk)([a-z]*)$")
_NOT_LETTERS = re.compile(r"[^a-z0-9\s]+")
_DOUBLES = re.compile(r"(.)\1+")


def is_latin(text: str) -> bool:
    """True when every letter of `text` is Latin (accents allowed)."""
    return text.isascii() or all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text)


def romanized(surface: str, language: str | None) -> str:
    """The surface in lower-case ASCII by English conventions: steps 1 and 2, before endings are cut."""
    text = surface.lower()
    if is_latin(text) and language in _CONVENTION_RE:
        text = _CONVENTION_RE[language].sub(lambda m: CONVENTIONS[language][m.group()], text)
    text = anyascii(text).lower()
    text = _NOT_LETTERS.sub("", text)  # soft signs (') and punctuation carry no sound
    text = text.replace("x", "ks").replace("y", "i").replace("j", "i").replace("w", "v")
    return _DOUBLES.sub(r"\1", text)


def stem_word(word: str) -> str:
    """The word without its case ending, keeping at least MIN_STEM letters."""
    for ending in CASE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[:-len(ending)]
    return word


def name_words(surface: str, language: str | None) -> tuple[str, ...]:
    """The words of a name as compared across scripts: romanized, conventions folded, endings cut."""
    return tuple(stem_word(word) for word in romanized(surface, language).split())


def surname_gender(word: str) -> str | None:
    """"m" or "f" when a romanized word is a Slavic adjectival surname whose ending tells its gender."""
    match = _ADJECTIVAL_SURNAME.search(word)
    if not match:
        return None
    ending = match.group(1)
    return "m" if ending in MASCULINE_ENDINGS else "f" if ending in FEMININE_ENDINGS else None


def skeleton(word: str) -> str:
    """The blocking key of a compared word: its consonants, sounds written several ways as one letter."""
    folded = _SKELETON_RE.sub(lambda m: _SKELETON_MAP[m.group()], word)
    return _DOUBLES.sub(r"\1", _VOWELS.sub("", folded))
