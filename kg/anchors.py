"""Required literals of a regular expression, so a pattern only runs where it can match.

A pattern such as ``(法治|依法行政)[^。;]{0,20}督查`` cannot match a sentence
that lacks 督查. :func:`required_literals` reads the parsed pattern and returns
a set of strings at least one of which occurs in every match (or None when no
such set is known); a matcher looks for all of them with one Aho-Corasick pass
and runs each pattern only on the sentences that contain one of its literals.

>>> sorted(required_literals("(法治|依法行政)[^。;]{0,20}督查"))
['督查']
>>> required_literals("(法治|依法行政)[^。;]{0,20}(督查|考评)") in ({"督查", "考评"}, {"法治", "依法行政"})
True
>>> required_literals("[0-9]+") is None
True
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants
    import sre_parse

LITERAL = sre_constants.LITERAL
SUBPATTERN = sre_constants.SUBPATTERN
BRANCH = sre_constants.BRANCH
MAX_REPEAT = sre_constants.MAX_REPEAT
MIN_REPEAT = sre_constants.MIN_REPEAT
ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}


def required_literals(pattern: str | re.Pattern, flags: int = 0) -> set[str] | None:
    """Strings one of which every match contains; None if the pattern gives none."""
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    if flags & re.I or (isinstance(pattern, re.Pattern) and pattern.flags & re.I):
        return None
    best = _best(sre_parse.parse(source, flags))
    return best if best and all(len(s) >= 1 for s in best) else None


def _best(items) -> set[str] | None:
    """The strongest requirement of a sequence: its longest literal run or one required alternative set."""
    candidates: list[set[str]] = []
    run = ""
    for op, arg in items:
        if op == LITERAL:
            run += chr(arg)
            continue
        if op in ZERO_WIDTH:
            continue  # lookarounds consume nothing: the run goes on
        if run:
            candidates.append({run})
            run = ""
        if op == SUBPATTERN:
            inner = _best(arg[-1])
            if inner:
                candidates.append(inner)
        elif op == BRANCH:
            alternatives = [_best(branch) for branch in arg[1]]
            if all(alternatives):
                candidates.append(set().union(*alternatives))
        elif op in (MAX_REPEAT, MIN_REPEAT) and arg[0] >= 1:
            inner = _best(arg[2])
            if inner:
                candidates.append(inner)
    if run:
        candidates.append({run})
    if not candidates:
        return None
    # prefer requirements whose shortest string is longest (rarer), then fewer alternatives
    return max(candidates, key=lambda c: (min(len(s) for s in c), -len(c)))
