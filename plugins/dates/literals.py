"""Words a regular expression cannot match without, to skip it on texts that hold none of them.

A date rule such as "the third quarter of 2004" runs over the whole text of every article, trying
its optional prefixes at every character, although most articles never mention a quarter. Any match
must contain one of a few literal strings (here "quarter"), and a substring test finds out whether
the text holds one a hundred times faster than the regex can. `required_literals` reads them from
the compiled pattern's syntax tree: a sequence needs what any one of its parts needs, an alternation
needs one of what each branch needs, and anything optional needs nothing. The answer is sound by
construction (None when in doubt), so skipping a rule never loses a match.
"""

from __future__ import annotations

import re

try:  # the parser `re` compiles with; public as sre_parse before Python 3.11
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

try:  # the characters `re.IGNORECASE` treats as one letter beyond their lower case ("ı" and "i", "ſ" and "s")
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover
    _EXTRA_CASES = {0x69: (0x131,), 0x73: (0x17F,), 0x131: (0x69,), 0x17F: (0x73,)}

# Lower case, each such set of letters written as one, and no combining dot above ("İ".lower() is
# "i" plus that dot, where `re` compares "İ" as "i"). Dropping a character only makes a text hold
# more strings, so the filter stays sound.
_FOLD = {0x307: None}
for _letter, _others in _EXTRA_CASES.items():
    _FOLD[_letter] = chr(min(_letter, *_others))

SUBPATTERN, BRANCH, LITERAL = sre_parse.SUBPATTERN, sre_parse.BRANCH, sre_parse.LITERAL
REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None)}
ATOMIC = getattr(sre_parse, "ATOMIC_GROUP", None)


def required_literals(pattern: re.Pattern) -> frozenset[str] | None:
    """Folded strings (see `fold`) of which every match of `pattern` contains one, or None."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:
        return None
    return _sequence(list(tree))


def fold(text: str) -> str:
    """`text` as the literals are written: two strings `re.IGNORECASE` equates fold to one."""
    return text.lower().translate(_FOLD)


def could_match(literals: frozenset[str] | None, folded_text: str) -> bool:
    """False only when `folded_text` (the text's `fold`) holds none of `literals`."""
    return literals is None or any(literal in folded_text for literal in literals)


def _sequence(items) -> frozenset[str] | None:
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is LITERAL:
            run.append(chr(arg))
            continue
        if run:
            options.append(frozenset({fold("".join(run))}))
            run = []
        needed = _item(op, arg)
        if needed:
            options.append(needed)
    if run:
        options.append(frozenset({fold("".join(run))}))
    # Any one option is sound; the one with the longest shortest string rules out the most texts.
    return max(options, key=lambda option: (min(map(len, option)), -len(option)), default=None)


def _item(op, arg) -> frozenset[str] | None:
    if op is SUBPATTERN:
        return _sequence(arg[-1])
    if op is ATOMIC:
        return _sequence(arg)
    if op in REPEATS:
        low, _, body = arg
        return _sequence(body) if low >= 1 else None
    if op is BRANCH:
        needed = set()
        for branch in arg[1]:
            branch_needs = _sequence(branch)
            if not branch_needs:
                return None  # a branch that needs nothing makes the whole alternation need nothing
            needed |= branch_needs
        return frozenset(needed)
    return None  # classes, anchors, lookarounds, back references: nothing certain to read
