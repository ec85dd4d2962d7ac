"""What a SPARQL query reaches for, read token by token: the graphs it names (FROM), SERVICE calls, nesting depth.

The lexical grammar of SPARQL is regular, so a scanner finds these without a
parser: strings, IRIs and comments are tokens of their own, and a keyword is
a bare word (``ex:service`` and ``?service`` are not). An IRI written
``<…>`` holds no spaces, which tells it from ``?a < 5 && ?b > 3``.

>>> scan('PREFIX ex: <http://example.org/> SELECT * FROM ex:g WHERE { SERVICE <http://x/sparql> { ?s ?p ?o } }')
Reach(graphs=['http://example.org/g'], services=['http://x/sparql'], depth=2)
>>> scan('SELECT ?service WHERE { ?s <http://x/from> "SERVICE" }').services
[]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<variable>[?$][^\W][\w]*)
  | (?P<name>(?:[^\W\d][\w\-]*(?:\.[\w\-]+)*)?:(?:[\w\-%:]+(?:\.[\w\-%:]+)*)?|[^\W\d][\w\-]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
""",
    re.X | re.S,
)


@dataclass
class Reach:
    """The graphs a query names in FROM / FROM NAMED, the endpoints it calls with SERVICE, its deepest nesting."""

    graphs: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    depth: int = 0


def tokens(text: str) -> list[tuple[str | None, str]]:
    """(kind, text) of every token but spaces and comments (the kind, a group name, is never None in fact)."""
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]


def scan(text: str) -> Reach:
    """What ``text`` names and how deep it nests (prefixed names expanded by its PREFIX lines)."""
    reach, depth = Reach(), 0
    prefixes: dict[str, str] = {}
    items = tokens(text)

    def target(i: int) -> str | None:
        """The IRI, prefixed name or variable at position i, expanded."""
        if i >= len(items):
            return None
        kind, value = items[i]
        if kind == "iri":
            return value[1:-1]
        if kind == "name" and ":" in value:
            prefix, _, local = value.partition(":")
            return prefixes.get(prefix, prefix + ":") + local
        return value if kind == "variable" else None

    for i, (kind, value) in enumerate(items):
        if kind == "open":
            depth += 1
            reach.depth = max(reach.depth, depth)
        elif kind == "close":
            depth -= 1
        elif kind == "name":
            word = value.upper()
            if word == "PREFIX" and i + 2 < len(items) and items[i + 2][0] == "iri":
                prefixes[items[i + 1][1].rstrip(":")] = items[i + 2][1][1:-1]
            elif word == "SERVICE":
                silent = i + 1 < len(items) and items[i + 1][1].upper() == "SILENT"
                reach.services.append(target(i + 2 if silent else i + 1) or "?")
            elif word == "FROM":
                named = i + 1 < len(items) and items[i + 1][1].upper() == "NAMED"
                reach.graphs.append(target(i + 2 if named else i + 1) or "?")
    return reach
