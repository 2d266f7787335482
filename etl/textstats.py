"""Counting words in text, whatever its script: the one owner of `articles.word_count`.

The rule, per whitespace-separated token:

- text in scripts that separate words with spaces (Latin, Cyrillic, Greek, Arabic, Hebrew, Hangul,
  Devanagari, ...) counts one word per token, as before ("don't" and "2,000" are one word each);
- Chinese characters and Japanese kana count one word each, the convention of word counters for
  Chinese and Japanese (Microsoft Word counts each East Asian character as a word); punctuation such as
  "，" or "。" counts for nothing;
- Thai, Lao, Khmer, Myanmar and Tibetan are written without spaces between words and have no such
  convention, so their words are estimated: one per `LETTERS_PER_WORD` base letters of a run (vowel
  signs and tone marks, which sit on a letter, are not counted), rounded up, the average length of a
  word in Thai running text being about three base letters.

A token that mixes them ("2018年6月") counts each part by its own rule: "2018" and "6" are words, "年" and
"月" are characters, and punctuation inside it ("，") nothing. No dictionary or model is loaded: a count
is cheap and the same on every machine.
"""

from __future__ import annotations

import re
import unicodedata

LETTERS_PER_WORD = 3

# Han ideographs (with extension A and compatibility forms), hiragana, katakana (half-width too).
_CJK = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
# Thai, Lao, Tibetan, Myanmar, Khmer.
_UNSPACED = "\u0e00-\u0e7f\u0e80-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff"
_PARTS = re.compile(rf"(?P<cjk>[{_CJK}])|(?P<unspaced>[{_UNSPACED}]+)|(?P<other>[^{_CJK}{_UNSPACED}]+)")


def count_words(text: str) -> int:
    """Words in `text` by the module's rule: spaced scripts by token, CJK by character, Thai and its
    neighbours estimated from their letters."""
    if text.isascii():
        return len(text.split())
    words = 0
    for token in text.split():
        parts = list(_PARTS.finditer(token))
        if len(parts) == 1 and parts[0].group("other"):
            words += 1  # the common case, and a lone "—" stays a token as it always was
            continue
        for match in parts:
            if match.group("cjk"):
                words += 1
            elif unspaced := match.group("unspaced"):
                letters = sum(1 for ch in unspaced if unicodedata.category(ch) == "Lo")
                words += -(-letters // LETTERS_PER_WORD) if letters else 0
            elif any(ch.isalnum() for ch in match.group("other")):
                words += 1
    return words
