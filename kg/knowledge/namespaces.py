"""Namespaces and prefixes, the one IRI shortener, and the ontology's terms as a closed namespace.

Every namespace kg writes or reads is spelled here once. ``FZ`` is generated
from the terms ontology/kg.ttl declares, so a term the ontology lacks is an
error where it is used, not a silent new IRI in the graph:

>>> FZ.MeasureStatement
rdflib.term.URIRef('https://w3id.org/fzkg/ontology#MeasureStatement')
>>> FZ.MeasureStatment
Traceback (most recent call last):
AttributeError: term 'MeasureStatment' not in namespace 'https://w3id.org/fzkg/ontology#'
>>> shorten("https://w3id.org/fzkg/ontology#implements"), shorten("http://example.org/x")
('fz:implements', 'http://example.org/x')
"""

from __future__ import annotations

from functools import lru_cache

from rdflib import Namespace
from rdflib.namespace import DefinedNamespace

from kg.knowledge.resources import ontology_graph

FZ_IRI = "https://w3id.org/fzkg/ontology#"
DATA = "https://w3id.org/fzkg/data/"  # the default base of instance IRIs
SHAPES = "https://w3id.org/fzkg/shapes#"
MEASURE_IRI = "https://w3id.org/fzkg/measure/"
PROBLEM_IRI = "https://w3id.org/fzkg/problem/"
METRIC_IRI = "https://w3id.org/fzkg/metric/"
OUTLINE_IRI = "https://w3id.org/fzkg/outline/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"

# The prefixes of the written graphs, in the order their headers list them.
PREFIXES = {
    "fz": FZ_IRI,
    "fzm": MEASURE_IRI,
    "fzp": PROBLEM_IRI,
    "fzi": METRIC_IRI,
    "fzo": OUTLINE_IRI,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "skos": SKOS,
    "org": ORG,
    "prov": PROV,
    "dcterms": DCTERMS,
    "owl": OWL,
}
# Prefixes of the shapes, for what a validation report names.
SHAPE_PREFIXES = {"fzs": SHAPES, "sh": SH}

MEASURE = Namespace(MEASURE_IRI)
PROBLEM = Namespace(PROBLEM_IRI)
METRIC = Namespace(METRIC_IRI)


@lru_cache(maxsize=1)
def declared_terms() -> tuple[str, ...]:
    """The local names of every fz: class, property and individual that ontology/kg.ttl declares (gives a type)."""
    from rdflib.namespace import RDF as RDF_TERMS

    graph = ontology_graph()
    return tuple(sorted({str(s)[len(FZ_IRI) :] for s in graph.subjects(RDF_TERMS.type, None) if str(s).startswith(FZ_IRI)}))


class FZ(DefinedNamespace):
    """The terms of the kg ontology (``fz:``); closed: an undeclared term raises :class:`AttributeError`."""

    _NS = Namespace(FZ_IRI)
    _fail = True
    _extras = list(declared_terms())


def shorten(iri: str, prefixes: dict[str, str] | None = None, base: str | None = DATA) -> str:
    """``iri`` as ``prefix:local`` for the first namespace of ``prefixes`` (default :data:`PREFIXES` and the shapes'),
    relative to ``base`` for instance data, else whole."""
    if base and iri.startswith(base):
        return iri[len(base) :]
    for prefix, namespace in (prefixes or {**PREFIXES, **SHAPE_PREFIXES}).items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def sparql_prefixes(*names: str) -> str:
    """``PREFIX`` lines for SPARQL, for ``names`` (all of :data:`PREFIXES` if none are given)."""
    known = {**PREFIXES, **SHAPE_PREFIXES}
    return "".join(f"PREFIX {name}: <{known[name]}>\n" for name in (names or PREFIXES))
