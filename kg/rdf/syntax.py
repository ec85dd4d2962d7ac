r"""Writing triples as Turtle, N-Triples, TriG and compact JSON-LD, block by block.

Terms are plain Python values: an IRI is a ``str``, a literal a :class:`Lit`.
Writing text directly is four times faster than building pyoxigraph terms for
its serialisers, and every block stands alone, so a report's block can be
written by the worker that read the report and concatenated later. The tests
check the files with three independent parsers (pyoxigraph, rdflib, Raptor).

>>> w = Turtle({"fz": "https://w3id.org/fzkg/ontology#"})
>>> print(w.block([("https://x/a", RDF_TYPE, "https://w3id.org/fzkg/ontology#Report"),
...                ("https://x/a", "https://w3id.org/fzkg/ontology#text", Lit('说"明"', lang="zh"))]), end="")  # doctest: +NORMALIZE_WHITESPACE
<https://x/a> a fz:Report ;
        fz:text "说\"明\""@zh .
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from kg.knowledge.namespaces import RDF, XSD

RDF_TYPE = RDF + "type"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_BOOLEAN = XSD + "boolean"


class Lit(NamedTuple):
    """A literal: its lexical form, and a language tag or a datatype IRI."""

    value: str
    lang: str | None = None
    datatype: str | None = None


Term = "str | Lit"
Triple = tuple


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')
_SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_CACHE_SIZE = 50_000  # prefixed names of IRIs: predicates, classes and concepts recur in every block


def _escape_char(match: re.Match) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04X}"


def quote(value: str) -> str:
    """A string literal in double quotes, escaped for Turtle and N-Triples."""
    if _NEEDS_ESCAPE.search(value):
        value = _NEEDS_ESCAPE.sub(_escape_char, value)
    return f'"{value}"'


def check_iri(iri: str) -> str:
    """Refuse an IRI that cannot be written between angle brackets."""
    if re.search(r'[\x00-\x20<>"{}|^`\\]', iri):
        raise ValueError(f"not a usable IRI: {iri!r}")
    return iri


class Turtle:
    """Turtle blocks with prefixed names; consecutive triples of a subject share it."""

    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = dict(sorted(prefixes.items()))
        self._namespace = {namespace: prefix for prefix, namespace in self.prefixes.items()}
        self._cache: dict[str, str] = {}
        self._predicates: dict[str, str] = {RDF_TYPE: "a"}  # never cleared: a vocabulary's worth

    def header(self) -> str:
        return "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in self.prefixes.items())

    def iri(self, iri: str) -> str:
        cached = self._cache.get(iri)
        if cached is not None:
            return cached
        cut = max(iri.rfind("/"), iri.rfind("#")) + 1
        prefix = self._namespace.get(iri[:cut])
        local = iri[cut:]
        text = f"{prefix}:{local}" if prefix is not None and _SAFE_LOCAL.match(local) else f"<{iri}>"
        if len(self._cache) >= _CACHE_SIZE:  # mostly one report's own nodes by now: start again
            self._cache.clear()
        self._cache[iri] = text
        return text

    def literal(self, term) -> str:
        value, lang, datatype = term
        text = quote(value)
        if lang:
            return f"{text}@{lang}"
        if datatype == XSD_INTEGER and _INTEGER.match(value):
            return value
        if datatype == XSD_BOOLEAN and value in ("true", "false"):
            return value
        if datatype and datatype != XSD_STRING:
            return f"{text}^^{self.iri(datatype)}"
        return text

    def predicate(self, iri: str) -> str:
        text = self._predicates.get(iri)
        if text is None:
            text = self._predicates[iri] = self.iri(iri)
        return text

    def block(self, triples) -> str:
        parts: list[str] = []
        append, cache, iri, literal, predicate = parts.append, self._cache, self.iri, self.literal, self.predicate
        predicates = self._predicates
        subject = last = None
        for s, p, o in triples:  # the term methods inlined where they are cheap: this loop writes every triple
            obj = (cache.get(o) or iri(o)) if type(o) is str else literal(o)
            if s != subject:
                if subject is not None:
                    append(" .\n")
                append(f"{cache.get(s) or iri(s)} {predicates.get(p) or predicate(p)} {obj}")
                subject, last = s, p
            elif p == last:
                append(f" , {obj}")
            else:
                append(f" ;\n\t{predicates.get(p) or predicate(p)} {obj}")
                last = p
        if subject is not None:
            append(" .\n")
        return "".join(parts)

    def named_graph(self, name: str, triples) -> str:
        """A TriG graph block."""
        body = self.block(triples)
        return f"{self.iri(name)} {{\n{body}}}\n"


def ntriples(triples) -> str:
    """N-Triples lines (no prefixes, one statement per line)."""
    lines = []
    for s, p, o in triples:
        if type(o) is str:
            obj = f"<{o}>"
        else:
            value, lang, datatype = o
            obj = quote(value) + (f"@{lang}" if lang else f"^^<{datatype}>" if datatype and datatype != XSD_STRING else "")
        lines.append(f"<{s}> <{p}> {obj} .\n")
    return "".join(lines)


# ------------------------------------------------------------------------------ JSON-LD


class JsonLd:
    """Node objects compacted against a context (a dict of terms as in ``context.jsonld``).

    A triple whose predicate has a term of the right kind is written with the
    term; any other falls back to the compact IRI and a full value object, so
    nothing is ever lost.
    """

    def __init__(self, context: dict, prefixes: dict[str, str], base: str):
        self.base = base
        self.prefixes = prefixes
        self.by_predicate: dict[str, tuple[str, dict]] = {}
        for term, definition in context.items():
            if isinstance(definition, dict) and "@id" in definition:
                self.by_predicate[self.expand(definition["@id"])] = (term, definition)

    def expand(self, compact: str) -> str:
        prefix, _, local = compact.partition(":")
        return self.prefixes.get(prefix, "") + local if prefix in self.prefixes else compact

    def compact(self, iri: str) -> str:
        if iri.startswith(self.base):
            return iri[len(self.base) :]
        for prefix, namespace in self.prefixes.items():
            if iri.startswith(namespace) and _SAFE_LOCAL.match(iri[len(namespace) :]):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def entry(self, predicate: str, obj) -> tuple[str, object, bool]:
        """(key, value, is-a-language-map entry) for one triple."""
        term, definition = self.by_predicate.get(predicate, (None, {}))
        if type(obj) is str:
            if term and definition.get("@type") == "@id":
                return term, self.compact(obj), False
            return self.compact(predicate), {"@id": self.compact(obj)}, False
        value, lang, datatype = obj
        if term and lang and definition.get("@container") == "@language":
            return term, (lang, value), True
        if term and lang and definition.get("@language") == lang:
            return term, value, False
        wanted = definition.get("@type")
        if term and not lang and wanted and wanted != "@id" and self.expand(wanted) == datatype:
            return term, value, False
        if (
            term
            and not lang
            and not wanted
            and "@language" not in definition
            and "@container" not in definition
            and datatype in (None, XSD_STRING)
        ):
            return term, value, False
        literal = {"@value": value}
        if lang:
            literal["@language"] = lang
        elif datatype and datatype != XSD_STRING:
            literal["@type"] = self.compact(datatype)
        return self.compact(predicate), literal, False

    def nodes(self, triples) -> list[str]:
        """The node objects of a block, as JSON texts, subjects in order of first appearance."""
        nodes: dict[str, dict] = {}
        for s, p, o in triples:
            subject = self.compact(s)
            node = nodes.setdefault(subject, {"@id": subject})
            if p == RDF_TYPE:
                node.setdefault("@type", []).append(self.compact(o))
                continue
            key, value, language_map = self.entry(p, o)
            if language_map:
                assert isinstance(value, tuple)  # (language, text)
                language, text = value
                node.setdefault(key, {}).setdefault(language, []).append(text)
            else:
                node.setdefault(key, []).append(value)
        out = []
        for node in nodes.values():
            for key, value in node.items():
                if isinstance(value, list) and len(value) == 1 and key != "@type":
                    node[key] = value[0]
                elif isinstance(value, dict) and key != "@id" and all(isinstance(v, list) for v in value.values()):
                    node[key] = {lang: texts[0] if len(texts) == 1 else texts for lang, texts in value.items()}
            if len(node.get("@type", [])) == 1:
                node["@type"] = node["@type"][0]
            out.append(json.dumps(node, ensure_ascii=False, separators=(",", ":")))
        return out
