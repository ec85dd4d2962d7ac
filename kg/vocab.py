"""The SKOS concept schemes of ontology/ (measures, problem categories) as lookup tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SKOS

from kg.anchors import required_literals
from kg.resources import ontology_path

FZ = Namespace("https://w3id.org/fzkg/ontology#")
MEASURE = Namespace("https://w3id.org/fzkg/measure/")
PROBLEM = Namespace("https://w3id.org/fzkg/problem/")


@dataclass(frozen=True)
class Concept:
    """One concept of a scheme, with everything the matchers need."""

    id: str
    iri: str
    label: str
    label_en: str
    definition: str
    phrases: tuple[str, ...]  # Chinese pref/alt/hidden labels, matched literally
    patterns: tuple[re.Pattern, ...]
    broader: tuple[str, ...]
    narrower: tuple[str, ...]
    implies: tuple[str, ...]
    addressed_by: tuple[str, ...]
    theme: bool


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    concept: str
    phrase: str


class Scheme:
    """A concept scheme: concepts by id, and a matcher over their phrases and patterns."""

    def __init__(self, graph: Graph, namespace: Namespace):
        self.namespace = namespace
        self.concepts: dict[str, Concept] = {}
        scheme_iri = namespace["scheme"]
        # a theme groups other concepts and is never matched itself
        themes = set(graph.objects(scheme_iri, SKOS.hasTopConcept)) & set(graph.objects(None, SKOS.broader))
        for iri in sorted(set(graph.subjects(SKOS.inScheme, scheme_iri))):
            local = str(iri)[len(str(namespace)):]

            def texts(predicate, lang="zh", iri=iri):
                return sorted(str(o) for o in graph.objects(iri, predicate) if getattr(o, "language", None) == lang)

            def ids(predicate, iri=iri):
                return tuple(sorted(str(o)[len(str(namespace)):] if str(o).startswith(str(namespace)) else str(o).rsplit("/", 1)[-1]
                                    for o in graph.objects(iri, predicate)))

            pref = texts(SKOS.prefLabel)
            phrases = {p for p in pref + texts(SKOS.altLabel) + texts(SKOS.hiddenLabel) if p}
            self.concepts[local] = Concept(
                id=local,
                iri=str(iri),
                label=pref[0] if pref else local,
                label_en=(texts(SKOS.prefLabel, "en") or [local])[0],
                definition=(texts(SKOS.definition, "en") or [""])[0],
                phrases=tuple(sorted(phrases, key=lambda p: (-len(p), p))),
                patterns=tuple(re.compile(str(p)) for p in sorted(graph.objects(iri, FZ.matchPattern))),
                broader=ids(SKOS.broader),
                narrower=ids(SKOS.narrower),
                implies=ids(FZ.implies),
                addressed_by=ids(FZ.addressedBy),
                theme=iri in themes,
            )
        self.order = {cid: i for i, cid in enumerate(self.concepts)}
        self._automaton = ahocorasick.Automaton()
        for concept in self.concepts.values():
            if concept.theme:
                continue
            for phrase in concept.phrases:
                existing = self._automaton.get(phrase, None)
                self._automaton.add_word(phrase, (phrase, (existing[1] if existing else ()) + (concept.id,)))
        self._automaton.make_automaton()
        # each pattern runs only on text that holds one of its required literals
        self._patterned = [(c.id, p) for c in self.concepts.values() if not c.theme for p in c.patterns]
        self._unanchored: list[int] = []
        self._anchors = ahocorasick.Automaton()
        by_literal: dict[str, list[int]] = {}
        for index, (_concept, pattern) in enumerate(self._patterned):
            literals = required_literals(pattern)
            if literals is None:
                self._unanchored.append(index)
                continue
            for literal in literals:
                by_literal.setdefault(literal, []).append(index)
        for literal, indexes in by_literal.items():
            self._anchors.add_word(literal, tuple(indexes))
        if by_literal:
            self._anchors.make_automaton()

    def __getitem__(self, concept_id: str) -> Concept:
        return self.concepts[concept_id]

    def __contains__(self, concept_id: str) -> bool:
        return concept_id in self.concepts

    def iri(self, concept_id: str) -> URIRef:
        return self.namespace[concept_id]

    def find(self, text: str) -> list[Match]:
        """Every phrase and pattern match in ``text`` (overlaps kept), in text order."""
        found: set[Match] = set()
        if not text:
            return []
        for end, (phrase, concept_ids) in self._automaton.iter(text):
            for concept_id in concept_ids:
                found.add(Match(end - len(phrase) + 1, end + 1, concept_id, phrase))
        candidates = set(self._unanchored)
        if len(self._anchors):
            for _end, indexes in self._anchors.iter(text):
                candidates.update(indexes)
        for index in sorted(candidates):
            concept_id, pattern = self._patterned[index]
            for m in pattern.finditer(text):
                if m.end() > m.start() and "\n" not in m.group(0):
                    found.add(Match(m.start(), m.end(), concept_id, m.group(0)))
        return sorted(found, key=lambda m: (m.start, m.end, self.order[m.concept]))

    def phrase_concepts(self, text: str) -> set[str]:
        """Concepts whose literal phrases occur in ``text``."""
        return {cid for _end, (_phrase, ids) in self._automaton.iter(text) for cid in ids}


def _load(filename: str, namespace: Namespace) -> Scheme:
    graph = Graph()
    graph.parse(ontology_path(filename), format="turtle")
    return Scheme(graph, namespace)


@lru_cache(maxsize=1)
def measures() -> Scheme:
    """The measure scheme (ontology/measures.ttl)."""
    return _load("measures.ttl", MEASURE)


@lru_cache(maxsize=1)
def problem_categories() -> Scheme:
    """The problem-category scheme (ontology/problems.ttl)."""
    return _load("problems.ttl", PROBLEM)
