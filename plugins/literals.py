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

SUBPATTERN, BRANCH, LITERAL = sre_parse.SUBPATTERN, sre_parse.BRANCH, sre_parse.LITERAL
REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None)}
ATOMIC = getattr(sre_parse, "ATOMIC_GROUP", None)


def required_literals(pattern: re.Pattern) -> frozenset[str] | None:
    """Case-folded strings of which every match of `pattern` contains at least one, or None."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:
        return None
    return _sequence(list(tree))


def could_match(literals: frozenset[str] | None, folded_text: str) -> bool:
    """False only when `folded_text` (the text's `str.casefold()`) holds none of `literals`."""
    return literals is None or any(literal in folded_text for literal in literals)


def _sequence(items) -> frozenset[str] | None:
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is LITERAL:
            run.append(chr(arg))
            continue
        if run:
            options.append(frozenset({"".join(run).casefold()}))
            run = []
        needed = _item(op, arg)
        if needed:
            options.append(needed)
    if run:
        options.append(frozenset({"".join(run).casefold()}))
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
