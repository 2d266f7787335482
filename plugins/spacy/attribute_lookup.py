"""spaCy's `attribute_ruler`, answered from a table instead of a Matcher run over every token.

The English pipelines map tags to coarse POS, morphology and a few lemmas with an `attribute_ruler`
of about 180 rules. Nearly all of them test one token's own attributes (its tag, its lower-case form,
its dependency label), so their outcome for a token is a function of a few values that repeat across
a corpus: "NN" + "city" gets the same attributes every time. Running the full Matcher on every token
costs a fifth of the whole tagging pass; this component evaluates the one-token rules once per
distinct combination of values and remembers the result. Rules it cannot evaluate itself (several
tokens, quantifiers, predicates other than equality, IN, NOT_IN and REGEX) stay in a small Matcher.
Every token then gets the attributes of its matching rules applied in rule order, later rules winning,
which is exactly how `AttributeRuler` applies them, so the output is the same token for token.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Callable

# Token attributes whose value `Doc.to_array` gives as a string hash, and the flags it gives as 0/1.
STRING_ATTRS = {"ORTH", "LOWER", "NORM", "TAG", "DEP", "LEMMA", "ENT_TYPE", "SHAPE", "PREFIX", "SUFFIX"}
FLAG_ATTRS = {"IS_SPACE", "IS_PUNCT", "IS_ALPHA", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE",
              "IS_STOP", "LIKE_NUM"}
GATES = ("TAG", "LOWER", "ORTH")  # attributes a one-token rule is indexed by, when it names one value
MAX_CACHED = 50_000  # distinct value combinations remembered; the table starts over beyond that


def compile_ruler(ruler) -> Callable | None:
    """A component equivalent to the `AttributeRuler` `ruler`, or None when no rule can be tabled."""
    from spacy.matcher import Matcher

    # One-token tests indexed by the exact tag or form they require, so that a new combination of
    # values is checked against a handful of rules rather than all of them.
    singles: dict[tuple[str, str] | None, list[tuple[int, Callable[[dict], bool]]]] = defaultdict(list)
    residual = Matcher(ruler.vocab, validate=False)
    for rule, spec in enumerate(ruler.patterns):
        tabled = [test for pattern in spec["patterns"] if (test := _one_token_test(pattern)) is not None]
        if len(tabled) < len(spec["patterns"]) or spec["index"] not in (0, -1):
            residual.add(ruler.vocab.strings.add(str(rule)), spec["patterns"])
            continue
        for pattern, test in zip(spec["patterns"], tabled):
            singles[_gate(pattern[0])].append((rule, test))
    if not singles:
        return None
    keys = sorted({key for pattern in ruler.patterns for tokens in pattern["patterns"] for token in tokens
                   for key in token if key in STRING_ATTRS | FLAG_ATTRS})
    return AttributeLookup(ruler, singles, residual if len(residual) else None, keys)


class AttributeLookup:
    """Applies an `AttributeRuler`'s rules with one table lookup per token."""

    def __init__(self, ruler, singles, residual, keys: list[str]):
        from spacy.attrs import IDS

        self.ruler = ruler
        self.singles = singles
        self.residual = residual
        self.keys = keys
        self.attr_ids = [IDS[key] for key in keys]
        self.table: dict[tuple, tuple[int, ...]] = {}  # token values -> the one-token rules they match
        self.merged: dict[tuple[int, ...], dict] = {}  # matching rules -> the attributes they set

    def __call__(self, doc):
        from spacy.tokens import Span
        from spacy.tokens._retokenize import set_token_attrs

        if not len(doc):
            return doc
        strings = doc.vocab.strings
        extra: dict[int, list[int]] = defaultdict(list)
        if self.residual is not None:
            for match_id, start, end in self.residual(doc, allow_missing=True):
                rule = int(strings[match_id])
                extra[Span(doc, start, end)[self.ruler.indices[rule]].i].append(rule)
        rows = doc.to_array(self.attr_ids).reshape(len(doc), len(self.attr_ids)).tolist()
        for i, row in enumerate(rows):
            key = tuple(row)
            rules = self.table.get(key)
            if rules is None:
                rules = self._rules_for(key, strings)
            if i in extra:
                rules = tuple(sorted(set(rules) | set(extra[i])))
            if rules:
                set_token_attrs(doc[i], self._merged(rules))
        return doc

    def _rules_for(self, key: tuple, strings) -> tuple[int, ...]:
        values = {name: (bool(value) if name in FLAG_ATTRS else strings[value])
                  for name, value in zip(self.keys, key)}
        candidates = self.singles.get(None, []) + [
            test for gate in GATES if gate in values for test in self.singles.get((gate, values[gate]), [])]
        rules = tuple(sorted({rule for rule, test in candidates if test(values)}))
        if len(self.table) >= MAX_CACHED:
            self.table.clear()
        self.table[key] = rules
        return rules

    def _merged(self, rules: tuple[int, ...]) -> dict:
        """The attributes `rules` set when applied in order; few distinct sets of rules ever match."""
        if rules in self.merged:
            return self.merged[rules]
        merged: dict = {}
        for rule in rules:
            attrs = self.ruler.attrs[rule]
            extensions = {**merged.get("_", {}), **attrs.get("_", {})}  # set one by one, so they add up
            merged.update(attrs)
            if extensions:
                merged["_"] = extensions
        self.merged[rules] = merged
        return merged


def _gate(token: dict) -> tuple[str, str] | None:
    """The attribute and exact value a one-token pattern requires, for the index of `compile_ruler`."""
    return next(((name, token[name]) for name in GATES if isinstance(token.get(name), str)), None)


def _one_token_test(pattern: list[dict]) -> Callable[[dict], bool] | None:
    """A predicate over one token's values equivalent to the Matcher `pattern`, if it is that simple."""
    if len(pattern) != 1:
        return None
    tests = []
    for name, wanted in pattern[0].items():
        if name not in STRING_ATTRS and name not in FLAG_ATTRS:
            return None
        test = _value_test(wanted, name in FLAG_ATTRS)
        if test is None:
            return None
        tests.append((name, test))
    return lambda values: all(test(values[name]) for name, test in tests)


def _value_test(wanted: Any, flag: bool) -> Callable[[Any], bool] | None:
    if flag:
        return (lambda value: value == bool(wanted)) if isinstance(wanted, bool) else None
    if isinstance(wanted, str):
        return lambda value: value == wanted
    if not isinstance(wanted, dict) or not wanted or set(wanted) - {"IN", "NOT_IN", "REGEX"}:
        return None
    if not all(isinstance(v, str) for key in ("IN", "NOT_IN") for v in wanted.get(key, ())):
        return None  # string hashes: the Matcher compares those itself
    tests = []
    if "IN" in wanted:
        allowed = frozenset(wanted["IN"])
        tests.append(lambda value: value in allowed)
    if "NOT_IN" in wanted:
        refused = frozenset(wanted["NOT_IN"])
        tests.append(lambda value: value not in refused)
    if "REGEX" in wanted:
        search = re.compile(wanted["REGEX"]).search
        tests.append(lambda value: search(value) is not None)
    return lambda value: all(test(value) for test in tests)
