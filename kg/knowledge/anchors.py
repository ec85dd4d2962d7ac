"""Literals a regular expression requires, so that a pattern only runs on text where it can match.

A pattern such as ``(法治|依法行政)[^。;]{0,20}督查`` cannot match a sentence
that lacks 督查, nor one that lacks both 法治 and 依法行政.
:func:`requirements` reads the pattern (with a reader of its own: the re
module keeps its parser private) and returns such sets: every
match holds at least one string of each set. Adjacent fixed parts are joined
into longer, rarer strings: ``(法律|法治)进(社区|学校)`` requires one of 法律进社区,
法律进学校, 法治进社区, 法治进学校. A matcher looks for every literal of every
pattern in one Aho-Corasick pass and runs a pattern only where all its sets are
present (see :class:`kg.knowledge.vocab.Scheme`); Python's regex engine has no such
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
from typing import NamedTuple

MAX_STRINGS = 64  # a joined set larger than this is not worth its automaton entries
MAX_SETS = 3  # the rarest sets are enough to skip nearly every sentence


# ------------------------------------------------------------------------------ reading a pattern
#
# A small reader of Python's pattern syntax, for this purpose only (the re module keeps its own parser
# private). It must be sound, not complete: whatever it does not know stands for "any text, maybe none",
# which can only make a requirement weaker, never wrong.


class Node(NamedTuple):
    """One element of a pattern: a literal character, a fixed set of characters, a group of alternatives,
    a repetition, a zero-width assertion, or anything else (``any``)."""

    kind: str  # "literal", "chars", "group", "repeat", "zero", "any"
    # the character; the frozenset; the alternatives (lists of nodes); (min, max, node)
    value: str | frozenset[str] | list[list[Node]] | tuple[int, int | None, Node] | None = None

    @property
    def literal(self) -> str:
        """The character of a ``literal`` node."""
        assert isinstance(self.value, str), self
        return self.value

    @property
    def chars(self) -> frozenset[str]:
        """The characters of a ``chars`` node."""
        assert isinstance(self.value, frozenset), self
        return self.value

    @property
    def branches(self) -> list[list[Node]]:
        """The alternatives of a ``group`` node."""
        assert isinstance(self.value, list), self
        return self.value

    @property
    def repeat(self) -> tuple[int, int | None, Node]:
        """(min, max, node) of a ``repeat`` node."""
        assert isinstance(self.value, tuple), self
        return self.value


ZERO = Node("zero")
ANY = Node("any")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "0": "\0"}
_CLASS_ESCAPES = set("dDwWsS")
_ZERO_ESCAPES = set("bBAZ")
_CODES = {"x": 2, "u": 4, "U": 8}  # hexadecimal digits after \x, \u, \U
_QUANTIFIER = re.compile(r"\*|\+|\?|\{(\d*)(?:(,)(\d*))?\}")


class _Reader:
    def __init__(self, source: str):
        self.source, self.at = source, 0
        self.ignore_case = False

    def peek(self, n: int = 1) -> str:
        return self.source[self.at : self.at + n]

    def take(self, n: int = 1) -> str:
        text = self.source[self.at : self.at + n]
        self.at += n
        return text

    def alternatives(self) -> list[list[Node]]:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return branches

    def sequence(self) -> list[Node]:
        items: list[Node] = []
        while self.at < len(self.source) and self.peek() not in "|)":
            atom = self.atom()
            quantified = self.quantifier(atom)
            items.append(quantified)
        return items

    def quantifier(self, atom: Node) -> Node:
        match = _QUANTIFIER.match(self.source, self.at)
        if not match or (match.group().startswith("{") and not match.group(1) and not match.group(2)):
            return atom  # a lone { is a literal
        self.at = match.end()
        if self.peek() in ("?", "+"):
            self.take()  # lazy or possessive: the same requirements
        text = match.group()
        if text == "*":
            low, high = 0, None
        elif text == "+":
            low, high = 1, None
        elif text == "?":
            low, high = 0, 1
        else:
            low = int(match.group(1) or 0)
            high = (int(match.group(3)) if match.group(3) else None) if match.group(2) else low
        return Node("repeat", (low, high, atom))

    def atom(self) -> Node:
        char = self.take()
        if char == "(":
            return self.group()
        if char == "[":
            return self.char_class()
        if char == ".":
            return ANY
        if char in "^$":
            return ZERO
        if char == "\\":
            return self.escape()
        return Node("literal", char)

    def escape(self) -> Node:
        char = self.take()
        if char in _ZERO_ESCAPES:
            return ZERO
        if char in _CLASS_ESCAPES or (char.isdigit() and char != "0"):
            return ANY  # a class of characters, or a back-reference
        if char in _CODES:
            return Node("literal", self.code(char))
        if char == "N":
            return ANY
        return Node("literal", _ESCAPES.get(char, char))

    def code(self, kind: str) -> str:
        """The character of \\xHH, \\uHHHH or \\UHHHHHHHH."""
        return chr(int(self.take(_CODES[kind]), 16))

    def char_class(self) -> Node:
        negated = self.peek() == "^"
        if negated:
            self.take()
        chars: set[str] = set()
        plain = not negated
        first = True
        while self.at < len(self.source) and (self.peek() != "]" or first):
            first = False
            char = self.take()
            if char == "\\":
                char = self.take()
                if char in _CLASS_ESCAPES or char == "N":
                    plain = False
                    continue
                char = self.code(char) if char in _CODES else _ESCAPES.get(char, char)
            if self.peek() == "-" and self.peek(2) != "-]" and self.peek(2)[1:] not in ("]", ""):
                self.take()
                self.take()
                plain = False  # a range: many characters
                continue
            chars.add(char)
        self.take()  # ]
        return Node("chars", frozenset(chars)) if plain and chars else ANY

    def group(self) -> Node:
        if self.peek() != "?":
            return self.closed(Node("group", self.alternatives()))
        self.take()
        kind = self.peek()
        if kind == ":":
            self.take()
            return self.closed(Node("group", self.alternatives()))
        if kind in "=!":
            self.take()
            self.alternatives()
            return self.closed(ZERO)
        if kind == "<" and self.peek(2)[1:] in ("=", "!"):
            self.take(2)
            self.alternatives()
            return self.closed(ZERO)
        if self.peek(2) == "P<" or kind == "<":
            self.take(self.source.index(">", self.at) + 1 - self.at)
            return self.closed(Node("group", self.alternatives()))
        if kind == "#":
            self.take(self.source.index(")", self.at) - self.at)
            return self.closed(ZERO)
        # (?P=name), (?(1)yes|no), (?flags) and (?flags:…): read past, known to require nothing
        flags = re.match(r"[aiLmsux-]*(\)?)", self.source[self.at :])
        assert flags is not None  # the pattern matches the empty string too
        if flags.group(1) and "i" in flags.group().split("-")[0]:
            self.ignore_case = True  # (?i) for the whole pattern; (?i:…) only within, read past as ANY
        self.alternatives_until_close()
        return ANY

    def alternatives_until_close(self) -> None:
        depth = 1
        while self.at < len(self.source) and depth:
            char = self.take()
            if char == "\\":
                self.take()
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1

    def closed(self, node: Node) -> Node:
        if self.take() != ")":
            raise re.error("missing )", self.source, self.at)
        return node


def parse(pattern: str | re.Pattern, flags: int = 0) -> tuple[list[list[Node]], bool]:
    """A pattern's alternatives as node sequences, and whether it ignores case (checked valid by re first)."""
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    compiled = re.compile(source, flags | (pattern.flags if isinstance(pattern, re.Pattern) else 0))
    reader = _Reader(source)
    branches = reader.alternatives()
    if reader.at != len(source):
        raise re.error("unbalanced parenthesis", source, reader.at)
    return branches, reader.ignore_case or bool(compiled.flags & re.I)


def requirements(pattern: str | re.Pattern, flags: int = 0) -> list[set[str]]:
    """Sets of strings such that every match contains one string of each set, rarest first ([] if none is known)."""
    branches, ignore_case = parse(pattern, flags)
    if ignore_case:
        return []  # literals would have to be matched without case
    found = _sequence([Node("group", branches)]) if len(branches) > 1 else _sequence(branches[0])
    found = [set(strings) for strings in dict.fromkeys(frozenset(strings) for strings in found)]  # each set once
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
    branches, ignore_case = parse(pattern)
    strings = None if ignore_case else _fixed(Node("group", branches))
    return strings if strings and "" not in strings else None


def _rarity(strings: set[str]) -> tuple[int, int]:
    """Longer shortest strings are rarer; so are fewer alternatives."""
    return min(map(len, strings)), -len(strings)


def _sequence(items: list[Node]) -> list[set[str]]:
    """The requirements of a sequence: its runs of fixed parts joined, and the best of each variable part."""
    found: list[set[str]] = []
    run: set[str] = {""}
    for node in items:
        if node.kind == "zero":
            continue  # anchors and lookarounds consume nothing: the fixed run goes on
        fixed = _fixed(node)
        if fixed is not None and len(run) * len(fixed) <= MAX_STRINGS:
            run = {a + b for a, b in itertools.product(run, fixed)}
            continue
        repeated = _fixed(node.repeat[2]) if node.kind == "repeat" and node.repeat[0] >= 1 else None
        if repeated is not None and len(run) * len(repeated) <= MAX_STRINGS:
            # 公开{1,3}: the run goes on with one copy, and the text after ends with the last copy
            found.append({a + b for a, b in itertools.product(run, repeated)})
            run = repeated
            continue
        if run != {""}:
            found.append(run)
        run = fixed if fixed is not None else {""}
        if fixed is None:
            inner = _variable(node)
            if inner:
                found.append(inner)
    if run != {""}:
        found.append(run)
    return [s for s in found if "" not in s]


def _fixed(node: Node) -> set[str] | None:
    """The strings a node matches, when they are few and fixed (a literal, a set of characters, a group of them)."""
    if node.kind == "literal":
        return {node.literal}
    if node.kind == "chars":
        return set(node.chars) if len(node.chars) <= MAX_STRINGS else None
    if node.kind == "group":
        strings: set[str] = set()
        for branch in node.branches:
            fixed = _fixed_sequence(branch)
            if fixed is None:
                return None
            strings |= fixed
        return strings if len(strings) <= MAX_STRINGS else None
    if node.kind == "repeat":
        low, high, inner = node.repeat
        fixed = _fixed(inner) if low == high and low <= 4 else None  # 表{2} is 表表; a bounded range is not fixed
        if fixed is None:
            return None
        strings = {""}
        for _ in range(low):
            strings = {a + b for a, b in itertools.product(strings, fixed)}
            if len(strings) > MAX_STRINGS:
                return None
        return strings
    return None


def _fixed_sequence(items: list[Node]) -> set[str] | None:
    strings = {""}
    for node in items:
        if node.kind == "zero":
            continue
        fixed = _fixed(node)
        if fixed is None or len(strings) * len(fixed) > MAX_STRINGS:
            return None
        strings = {a + b for a, b in itertools.product(strings, fixed)}
    return strings


def _variable(node: Node) -> set[str] | None:
    """The best requirement inside a group, an alternation or a repetition that must occur."""
    if node.kind == "group":
        if len(node.branches) == 1:
            return _best(_sequence(node.branches[0]))
        alternatives = [_best(_sequence(branch)) for branch in node.branches]
        known = [strings for strings in alternatives if strings]
        return set().union(*known) if len(known) == len(alternatives) else None
    if node.kind == "repeat" and node.repeat[0] >= 1:
        return _best(_sequence([node.repeat[2]]))
    return None


def _best(found: list[set[str]]) -> set[str] | None:
    return max(found, key=_rarity) if found else None
