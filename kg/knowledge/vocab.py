"""The SKOS concept schemes of ontology/ (measures, problem categories) as lookup tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from ahocorasick_rs import AhoCorasick
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Identifier, Literal

from kg.knowledge.anchors import MAX_SETS, requirements
from kg.knowledge.namespaces import FZ, FZ_IRI, MEASURE, METRIC, PROBLEM
from kg.knowledge.resources import ontology_graph, ontology_path
from kg.knowledge.user import Vocabulary, active, knowledge_version, load


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
    unit_kind: str | None = None  # metrics: the kind of unit of measure they are counted in
    counts: str | None = None  # metrics: the measure they count
    created: str = ""  # when the concept joined the scheme (dcterms:created, ISO date): gold annotated before it never names it


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
        # rdflib types terms as Node, which has no order; the terms of a parsed graph are Identifiers, which do
        for iri in sorted({s for s in graph.subjects(SKOS.inScheme, scheme_iri) if isinstance(s, Identifier)}):
            local = str(iri)[len(str(namespace)) :]

            def texts(predicate, lang="zh", iri=iri):
                return sorted(str(o) for o in graph.objects(iri, predicate) if getattr(o, "language", None) == lang)

            def ids(predicate, iri=iri):
                return tuple(
                    sorted(
                        str(o)[len(str(namespace)) :] if str(o).startswith(str(namespace)) else str(o).rsplit("/", 1)[-1]
                        for o in graph.objects(iri, predicate)
                    )
                )

            pref = texts(SKOS.prefLabel)
            labels = {p for p in pref + texts(SKOS.altLabel) + texts(SKOS.hiddenLabel) if p}
            self.concepts[local] = Concept(
                id=local,
                iri=str(iri),
                label=pref[0] if pref else local,
                label_en=(texts(SKOS.prefLabel, "en") or [local])[0],
                definition=(texts(SKOS.definition, "en") or [""])[0],
                phrases=tuple(sorted(labels, key=lambda p: (-len(p), p))),
                patterns=tuple(
                    re.compile(str(p)) for p in sorted(o for o in graph.objects(iri, FZ.matchPattern) if isinstance(o, Identifier))
                ),
                broader=ids(SKOS.broader),
                narrower=ids(SKOS.narrower),
                implies=ids(FZ.implies),
                addressed_by=ids(FZ.addressedBy),
                theme=iri in themes,
                unit_kind=next((str(o) for o in graph.objects(iri, FZ.unitKind)), None),
                counts=next(iter(ids(FZ.countsMeasure)), None),
                created=next((str(o) for o in graph.objects(iri, DCTERMS.created)), ""),
            )
        self.order = {cid: i for i, cid in enumerate(self.concepts)}
        # One Aho-Corasick pass finds both the concepts' literal phrases and the literals their
        # patterns require. A pattern runs only on text that holds one string of each of its
        # required sets. The sets are bits of one integer, set by set (bit i of set k stands for
        # pattern i's k-th set), so the literals of a sentence fold in with one OR each and a few
        # masks tell which patterns have all their sets present.
        phrases: dict[str, tuple[str, ...]] = {}
        for concept in self.concepts.values():
            if not concept.theme:
                for phrase in concept.phrases:
                    phrases[phrase] = phrases.get(phrase, ()) + (concept.id,)
        self._patterned = [(c.id, p) for c in self.concepts.values() if not c.theme for p in c.patterns]
        count = len(self._patterned)
        self._unanchored = 0
        self._needs: list[int] = [0] * MAX_SETS  # patterns with more than k sets, by k
        bits: dict[str, int] = {}
        for index, (_concept, pattern) in enumerate(self._patterned):
            sets = requirements(pattern)
            if not sets:
                self._unanchored |= 1 << index
            for slot, literals in enumerate(sets):
                self._needs[slot] |= 1 << index
                for literal in literals:
                    bits[literal] = bits.get(literal, 0) | 1 << (slot * count + index)
        self._literals = [(literal, phrases.get(literal, ()), bits.get(literal, 0)) for literal in sorted(phrases.keys() | bits.keys())]
        self._matcher = AhoCorasick([literal for literal, _, _ in self._literals]) if self._literals else None

    def __getitem__(self, concept_id: str) -> Concept:
        return self.concepts[concept_id]

    def __contains__(self, concept_id: str) -> bool:
        return concept_id in self.concepts

    def iri(self, concept_id: str) -> URIRef:
        return self.namespace[concept_id]

    def find(self, text: str) -> list[Match]:
        """Every phrase and pattern match in ``text`` (overlaps kept), in text order."""
        if not text or self._matcher is None:
            return []
        found: set[Match] = set()
        present = 0
        literals = self._literals
        for index, start, end in self._matcher.find_matches_as_indexes(text, overlapping=True):
            literal, concept_ids, mask = literals[index]
            present |= mask
            for concept_id in concept_ids:
                found.add(Match(start, end, concept_id, literal))
        for index in self._ready(present):
            concept_id, pattern = self._patterned[index]
            for m in pattern.finditer(text):
                if m.end() > m.start() and "\n" not in m.group(0):
                    found.add(Match(m.start(), m.end(), concept_id, m.group(0)))
        return sorted(found, key=lambda m: (m.start, m.end, self.order[m.concept]))

    def _ready(self, present: int) -> list[int]:
        """The patterns whose required sets all have a string among the ``present`` bits, in order."""
        count = len(self._patterned)
        every = (1 << count) - 1
        ready = self._unanchored | (present & self._needs[0])
        for slot in range(1, MAX_SETS):
            ready &= (present >> (slot * count)) | ~self._needs[slot] & every
        out = []
        while ready:
            lowest = ready & -ready
            out.append(lowest.bit_length() - 1)
            ready ^= lowest
        return out

    def phrase_concepts(self, text: str) -> set[str]:
        """Concepts whose literal phrases occur in ``text``."""
        if not text or self._matcher is None:
            return set()
        return {
            cid for index, _start, _end in self._matcher.find_matches_as_indexes(text, overlapping=True) for cid in self._literals[index][1]
        }


def _load(filename: str, namespace: Namespace) -> Scheme:
    graph = Graph()
    graph.parse(ontology_path(filename), format="turtle")
    return Scheme(graph, namespace)


def measures() -> Scheme:
    """The measure scheme (ontology/measures.ttl, with the user's vocabulary if one is in use: kg.knowledge.user)."""
    return _measures(knowledge_version())


def measure_graph() -> Graph:
    """The measure scheme as a graph, the user's vocabulary applied."""
    return _measure_graph(knowledge_version())


@lru_cache(maxsize=4)
def _measure_graph(version: str) -> Graph:
    return _scheme_with(active())


def _scheme_with(vocabulary: Vocabulary | None) -> Graph:
    """ontology/measures.ttl as a graph, ``vocabulary`` applied (its errors raised, with file and line)."""
    graph = Graph()
    graph.parse(ontology_path("measures.ttl"), format="turtle")
    if vocabulary is not None:
        vocabulary.apply(graph, MEASURE)
    return graph


def load_vocabulary(path: str | Path) -> Vocabulary:
    """A vocabulary file, checked against the scheme: :class:`~kg.knowledge.user.VocabularyError` (file and line) if
    it cannot be read or cannot apply (a concept id the scheme does not have)."""
    vocabulary = load(path)
    _scheme_with(vocabulary)
    return vocabulary


@lru_cache(maxsize=4)
def _measures(version: str) -> Scheme:
    return Scheme(_measure_graph(version), MEASURE)


@lru_cache(maxsize=1)
def metrics() -> Scheme:
    """The scheme of typed metrics (ontology/metrics.ttl)."""
    return _load("metrics.ttl", METRIC)


@lru_cache(maxsize=1)
def problem_categories() -> Scheme:
    """The problem-category scheme (ontology/problems.ttl)."""
    return _load("problems.ttl", PROBLEM)


@cache
def term_label(term: str) -> str:
    """The label ontology/kg.ttl gives a term, Chinese then English (``实施 implements`` for ``fz:implements``)."""
    graph = ontology_graph()
    iri = URIRef(FZ_IRI + term.partition(":")[2] if term.startswith("fz:") else term)
    labels = {label.language: str(label) for label in graph.objects(iri, RDFS.label) if isinstance(label, Literal)}
    if not labels:
        raise KeyError(f"ontology/kg.ttl gives {term} no rdfs:label")
    return " ".join(labels[language] for language in ("zh", "en") if language in labels)


@cache
def ontology_names(kind: str, language: str) -> dict[str, str]:
    """The ontology's terms of one kind by their label in ``language``: the classes of legal instrument by their
    Chinese name (``{"法律": "Law", …}``), the individuals of fz:Level or fz:CitationKind by their English one.

    ``kind`` is ``"instrument"`` (subclasses of fz:LegalInstrument), ``"Level"`` or ``"CitationKind"``.
    """
    graph = ontology_graph()
    if kind == "instrument":
        terms = graph.subjects(RDFS.subClassOf, URIRef(FZ_IRI + "LegalInstrument"))
    else:
        terms = graph.subjects(RDF.type, URIRef(FZ_IRI + kind))
    names = {}
    for term in terms:
        for label in graph.objects(term, RDFS.label):
            if isinstance(label, Literal) and label.language == language:
                names[str(label)] = str(term)[len(FZ_IRI) :]
    if not names:
        raise KeyError(f"ontology/kg.ttl names no {kind} in {language}")
    return dict(sorted(names.items()))
