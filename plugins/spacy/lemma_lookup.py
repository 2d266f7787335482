"""spaCy's rule lemmatizer, with its word lists searchable and its answers remembered.

In "rule" mode spaCy's `Lemmatizer` works out each token's lemma in Python from its form, its coarse
POS and its morphology. Two things made it cost as much as the tagger and the tok2vec layer together:
it checks candidate forms against word lists kept as Python lists (57,528 nouns, scanned one by one
for every candidate), and it caches only some answers (punctuation, proper nouns and words already
in their base form are worked out again each time they occur). This component asks a copy of the
lemmatizer whose word lists are sets (membership is all the rules test), once per distinct
(form, POS, morphology), and reads the rest from a table. For spaCy's own `Lemmatizer` and the
English one the answer depends on those three values alone, so the lemmas are the same, token for
token. Other languages' lemmatizers may read more (the Spanish one reads whether a word starts a
sentence): their pipelines keep spaCy's component.
"""

from __future__ import annotations

import copy
from typing import Callable

MAX_CACHED = 100_000  # distinct (form, POS, morphology) remembered; the table starts over beyond that


def compile_lemmatizer(lemmatizer) -> LemmaLookup | None:
    """A component equivalent to `lemmatizer`, or None unless its answer is known to depend on the
    form, POS and morphology alone."""
    return LemmaLookup(lemmatizer) if _reads_only_the_key(lemmatizer) else None


def _reads_only_the_key(lemmatizer) -> bool:
    """Whether `lemmatizer` works each lemma out from its token's form, POS and morphology alone:
    spaCy's `Lemmatizer` in "rule" or "lookup" mode, with no method of its own but the English
    `is_base_form` (which reads the POS and the morphology)."""
    from spacy.lang.en.lemmatizer import EnglishLemmatizer
    from spacy.pipeline import Lemmatizer

    kind = type(lemmatizer)
    if not isinstance(lemmatizer, Lemmatizer):
        return False
    if lemmatizer.mode == "lookup":
        return kind.lookup_lemmatize is Lemmatizer.lookup_lemmatize
    return (lemmatizer.mode == "rule" and kind.rule_lemmatize is Lemmatizer.rule_lemmatize
            and kind.is_base_form in (Lemmatizer.is_base_form, EnglishLemmatizer.is_base_form))


class LemmaLookup:
    """Sets every token's lemma as `lemmatizer` would, working each distinct key out once."""

    def __init__(self, lemmatizer) -> None:
        self.lemmatizer = lemmatizer
        self.lemmas: dict[tuple[int, int, int], str] = {}
        self._twin = None

    def __call__(self, doc):
        from spacy.attrs import LEMMA, MORPH, ORTH, POS

        if self._twin is None:
            # The first document goes through the lemmatizer itself, which checks that its tables are
            # loaded and raises its own error when they are not.
            doc = self.lemmatizer(doc)
            self._twin = _with_word_sets(self.lemmatizer)
            return doc
        if not len(doc):
            return doc
        lemmatize: Callable = getattr(self._twin, f"{self._twin.mode}_lemmatize")
        values = doc.to_array([ORTH, POS, MORPH, LEMMA])
        lemmas = values[:, 3].copy()
        overwrite = self.lemmatizer.overwrite
        add = doc.vocab.strings.add  # in a memory zone, the lemma's string lasts as long as the zone
        for i, (orth, pos, morph, lemma) in enumerate(values.tolist()):
            if lemma and not overwrite:
                continue  # set before, by the attribute ruler: the lemmatizer leaves it too
            key = (orth, pos, morph)
            text = self.lemmas.get(key)
            if text is None:
                if len(self.lemmas) >= MAX_CACHED:
                    self.lemmas.clear()
                    self._twin.cache.clear()  # its own, which grows as fast
                text = self.lemmas[key] = lemmatize(doc[i])[0]
            lemmas[i] = add(text)
        doc.from_array([LEMMA], lemmas)
        return doc


def _with_word_sets(lemmatizer):
    """A copy of `lemmatizer` whose `lemma_index` word lists are sets (the same answers, found at once)."""
    from spacy.lookups import Lookups, Table

    twin = copy.copy(lemmatizer)
    twin.cache = {}
    twin.lookups = Lookups()
    for name in lemmatizer.lookups.tables:
        table = lemmatizer.lookups.get_table(name)
        if name == "lemma_index":
            table = Table(name, {key: frozenset(words) for key, words in table.items()})
        twin.lookups.set_table(name, table)
    return twin
