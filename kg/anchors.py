"""Literals a regular expression requires, so that a pattern only runs on text where it can match.

A pattern such as ``(法治|依法行政)[^。;]{0,20}督查`` cannot match a sentence
that lacks 督查, nor one that lacks both 法治 and 依法行政.
:func:`requirements` reads the parsed pattern and returns such sets: every
match holds at least one string of each set. Adjacent fixed parts are joined
into longer, rarer strings: ``(法律|法治)进(社区|学校)`` requires one of 法律进社区,
法律进学校, 法治进社区, 法治进学校. A matcher looks for every literal of every
pattern in one Aho-Corasick pass and runs a pattern only where all its sets are
present (see :class:`kg.vocab.Scheme`); Python's regex engine has no such
prefilter, and trying 130 patterns on every sentence costs more than the rest
of the extraction.

>>> requirements("(法治|依法行政)[^。;]{0,20}督查") == [{"督查"}, {"法治", "依法行政"}]
True
>>> sorted(requirements("(法律|法治)进(社区|学校)")[0])
['法律进学校', '法律进社区', '法治进学校', '法治进社区']
>>> requirements("[0-9]+")
[]
"""

from __future__ import annotations

import itertools
import re

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants
    import sre_parse

LITERAL = sre_constants.LITERAL
IN = sre_constants.IN
SUBPATTERN = sre_constants.SUBPATTERN
BRANCH = sre_constants.BRANCH
MAX_REPEAT = sre_constants.MAX_REPEAT
MIN_REPEAT = sre_constants.MIN_REPEAT
ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}
MAX_STRINGS = 64  # a joined set larger than this is not worth its automaton entries
MAX_SETS = 3  # the rarest sets are enough to skip nearly every sentence


def requirements(pattern: str | re.Pattern, flags: int = 0) -> list[set[str]]:
    """Sets of strings such that every match contains one string of each set, rarest first ([] if none is known)."""
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    parsed = sre_parse.parse(source, flags | (pattern.flags if isinstance(pattern, re.Pattern) else 0))
    if parsed.state.flags & re.I:
        return []  # literals would have to be matched without case
    found = _sequence(parsed)
    strong = [s for s in found if min(map(len, s)) >= 2]  # single characters occur in nearly every sentence
    ranked = sorted(strong or found, key=_rarity, reverse=True)
    return ranked[:MAX_SETS]


def fixed_strings(pattern: str) -> set[str] | None:
    """The strings a pattern matches when it is a fixed alternation of literals (建设|建成), else None.

    >>> sorted(fixed_strings("建设|建成|首创"))
    ['建成', '建设', '首创']
    >>> fixed_strings("建设.*") is None
    True
    """
    strings = _fixed_sequence(sre_parse.parse(pattern))
    return strings if strings and "" not in strings else None


def _rarity(strings: set[str]) -> tuple[int, int]:
    """Longer shortest strings are rarer; so are fewer alternatives."""
    return min(map(len, strings)), -len(strings)


def _sequence(items) -> list[set[str]]:
    """The requirements of a sequence: its runs of fixed parts joined, and the best of each variable part."""
    found: list[set[str]] = []
    run: set[str] = {""}
    for op, arg in items:
        if op in ZERO_WIDTH:
            continue  # lookarounds consume nothing: the fixed run goes on
        fixed = _fixed(op, arg)
        if fixed is not None and len(run) * len(fixed) <= MAX_STRINGS:
            run = {a + b for a, b in itertools.product(run, fixed)}
            continue
        if run != {""}:
            found.append(run)
        run = fixed if fixed is not None else {""}
        if fixed is None:
            inner = _variable(op, arg)
            if inner:
                found.append(inner)
    if run != {""}:
        found.append(run)
    return [s for s in found if "" not in s]


def _fixed(op, arg) -> set[str] | None:
    """The strings an item matches, when they are few and fixed (a literal, a group or alternation of them)."""
    if op == LITERAL:
        return {chr(arg)}
    if op == IN and all(kind == LITERAL for kind, _ in arg):  # the parser turns 法律|法治 into 法[律治]
        return {chr(char) for _, char in arg}
    if op == SUBPATTERN:
        return _fixed_sequence(arg[-1])
    if op == BRANCH:
        strings: set[str] = set()
        for branch in arg[1]:
            fixed = _fixed_sequence(branch)
            if fixed is None:
                return None
            strings |= fixed
        return strings if len(strings) <= MAX_STRINGS else None
    return None


def _fixed_sequence(items) -> set[str] | None:
    strings = {""}
    for op, arg in items:
        if op in ZERO_WIDTH:
            continue
        fixed = _fixed(op, arg)
        if fixed is None or len(strings) * len(fixed) > MAX_STRINGS:
            return None
        strings = {a + b for a, b in itertools.product(strings, fixed)}
    return strings


def _variable(op, arg) -> set[str] | None:
    """The best requirement inside a group, an alternation or a repetition that must occur."""
    if op == SUBPATTERN:
        return _best(_sequence(arg[-1]))
    if op == BRANCH:
        alternatives = [_best(_sequence(branch)) for branch in arg[1]]
        return set().union(*alternatives) if all(alternatives) else None
    if op in (MAX_REPEAT, MIN_REPEAT) and arg[0] >= 1:
        return _best(_sequence(arg[2]))
    return None


def _best(found: list[set[str]]) -> set[str] | None:
    return max(found, key=_rarity) if found else None
