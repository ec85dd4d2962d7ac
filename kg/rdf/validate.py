"""Checking a graph against the SHACL shapes of ontology/shapes.ttl (pySHACL)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib.namespace import SH

from kg.knowledge.namespaces import shorten
from kg.knowledge.resources import ontology_path
from kg.rdf.store import load_rdflib


@dataclass
class Violation:
    """One result of the validation report."""

    focus: str
    path: str
    message: str
    value: str
    severity: str
    shape: str


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    def grouped(self) -> dict[tuple[str, str], list[Violation]]:
        """Violations by (shape, message), for a readable report."""
        groups: dict[tuple[str, str], list[Violation]] = defaultdict(list)
        for violation in self.violations:
            groups[(violation.shape, violation.message)].append(violation)
        return dict(sorted(groups.items()))


def validate_graph(data: rdflib.Graph) -> ValidationResult:
    """Run the shapes on a graph (a dataset, as TriG or N-Quads load, as the union of its graphs)."""
    from pyshacl import validate

    shapes = rdflib.Graph()
    shapes.parse(ontology_path("shapes.ttl"), format="turtle")
    # pySHACL works on rdflib's own store; a dataset yields quads when iterated, triples() the union's triples
    plain = rdflib.Graph()
    for triple in data.triples((None, None, None)):
        plain.add(triple)
    conforms, report, _text = validate(plain, shacl_graph=shapes, inference="none", allow_warnings=True)
    violations = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):

        def one(predicate, result=result):
            value = report.value(result, predicate)
            return "" if value is None else _short(value)

        violations.append(
            Violation(
                focus=one(SH.focusNode),
                path=one(SH.resultPath),
                message=one(SH.resultMessage),
                value=one(SH.value),
                severity=one(SH.resultSeverity).replace("sh:", ""),
                shape=one(SH.sourceShape),
            )
        )
    violations.sort(key=lambda v: (v.shape, v.message, v.focus, v.path, v.value))
    return ValidationResult(bool(conforms), violations)


def validate_file(path: str | Path) -> ValidationResult:
    return validate_graph(load_rdflib(path, store="default"))


def _short(term) -> str:
    return "[]" if isinstance(term, rdflib.BNode) else shorten(str(term))
