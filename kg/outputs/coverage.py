"""What a unit's reports never mention: the chapters of the national outline and the measures that serve them, by year.

Each measure of the scheme names the chapter it serves (``skos:broadMatch`` into
``ontology/outline.ttl``); a report of a year is read against the outline that
applies from that year (``fz:appliesFrom``): the 2021–2025 outline from 2021,
the 2015–2020 one before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from kg.graph.merged import IMPLEMENTS, PLANS
from kg.graph.reading import GraphReader
from kg.knowledge.namespaces import FZ, MEASURE_IRI
from kg.knowledge.resources import ontology_path
from kg.knowledge.vocab import measure_graph


@dataclass(frozen=True)
class Chapter:
    iri: str
    outline: str  # the outline's Chinese title
    notation: str  # 一 … 十, (一) … (八)
    label: str
    measures: tuple[str, ...]  # measure concept ids that serve it


@dataclass
class ChapterCoverage:
    chapter: Chapter
    mentioned: list[str] = field(default_factory=list)  # measure ids the unit's reports of the year state
    missing: list[str] = field(default_factory=list)  # the others


@dataclass
class YearCoverage:
    year: int
    outline: str
    chapters: list[ChapterCoverage]


@lru_cache(maxsize=1)
def _outline_graph() -> Graph:
    return Graph().parse(ontology_path("outline.ttl"), format="turtle")


def outlines() -> list[tuple[int, str, list[str]]]:
    """(first year, title, chapter IRIs in order) of each outline, earliest first."""
    graph = _outline_graph()
    found = []
    for scheme, first in graph.subject_objects(URIRef(str(FZ.appliesFrom))):
        title = next(str(o) for o in graph.objects(scheme, SKOS.prefLabel) if isinstance(o, Literal) and o.language == "zh")
        chapters = sorted(str(c) for c in graph.subjects(SKOS.inScheme, scheme))
        found.append((int(str(first)), title, chapters))
    return sorted(found)


def chapters() -> dict[str, Chapter]:
    """Every chapter of every outline, with the measures (of the scheme in use) that serve it."""
    graph, measures = _outline_graph(), measure_graph()
    serving: dict[str, list[str]] = {}
    for concept, chapter in measures.subject_objects(SKOS.broadMatch):
        serving.setdefault(str(chapter), []).append(str(concept)[len(MEASURE_IRI) :])
    found = {}
    for _first, title, iris in outlines():
        for iri in iris:
            label = next(str(o) for o in graph.objects(URIRef(iri), SKOS.prefLabel) if isinstance(o, Literal) and o.language == "zh")
            notation = str(next(graph.objects(URIRef(iri), SKOS.notation), ""))
            found[iri] = Chapter(iri, title, notation, label, tuple(sorted(serving.get(iri, ()))))
    return found


def outline_for(year: int) -> tuple[str, list[str]]:
    """The outline a report of ``year`` answers to: (title, chapter IRIs)."""
    applying = [(title, iris) for first, title, iris in outlines() if first <= year]
    return applying[-1] if applying else (outlines()[0][1], outlines()[0][2])


def coverage(graph: GraphReader, unit: str) -> list[YearCoverage]:
    """Year by year, each chapter of the applicable outline with the measures the unit's reports state and those they never do."""
    years = graph.reporting_units().get(unit, set())
    stated: dict[int, set[str]] = {year: set() for year in years}
    for target, _relation, data in graph.out(unit, (IMPLEMENTS, PLANS)):
        if target.startswith("measure:"):
            for year in graph.years(data):
                stated.setdefault(year, set()).add(target.split(":", 1)[1])
    every = chapters()
    result = []
    for year in sorted(stated):
        title, iris = outline_for(year)
        rows = []
        for iri in iris:
            chapter = every[iri]
            rows.append(
                ChapterCoverage(
                    chapter, [m for m in chapter.measures if m in stated[year]], [m for m in chapter.measures if m not in stated[year]]
                )
            )
        result.append(YearCoverage(year, title, rows))
    return result


class UnitNotFound(ValueError):
    """A unit that is not in the graph, or a name several units share: the message lists what there is."""


def resolve(graph: GraphReader, given: str) -> str:
    """The reporting unit a division code (of a division) or an exact name names; never a part of a name.

    A name several reporting units share is an error that lists them with their codes and parents.
    """
    units = graph.reporting_units()
    by_code = [u for u in units if graph.node(u).get("code") == given and graph.node(u).get("unit_kind") == "division"]
    found = by_code or [u for u in units if graph.node(u).get("label") == given]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UnitNotFound(f"no reporting unit with the division code or name {given!r} (a name must be whole: 七里街道, not 七里)")
    listed = "; ".join(
        f"{graph.node(u)['label']} ({graph.node(u).get('code') or 'unlinked'}, {' '.join(filter(None, (graph.node(u).get('province'), graph.node(u).get('city'))))})"
        for u in sorted(found)
    )
    raise UnitNotFound(f"{given!r} names {len(found)} reporting units: {listed} — give the division code")
