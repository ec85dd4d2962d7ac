"""All reports merged into one typed graph (networkx underneath): entities as nodes, assertions as edges.

Nodes are keyed ``kind:identity`` (``unit:division:610702008``,
``measure:legal-advisers``, ``instrument:民法典``). Edges carry their relation
as the multigraph key, and aggregate every report that asserts them: the
years, the report ids and a few evidence sentences for tooltips. The full
evidence of every assertion stays in the :class:`~kg.model.Report` records,
which the RDF writer streams.

>>> from kg.model import Report, Unit
>>> g = KnowledgeGraph()
>>> g.add(Report(id="r1", file="a.txt", year=2021, unit=Unit("七里街道", "division", code="610702008", level="township", linked=True, parents=[("汉台区", "610702")])))
>>> sorted(g.nodes_of("unit"))
['unit:division:610000', 'unit:division:610700', 'unit:division:610702', 'unit:division:610702008']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import networkx as nx

from kg.link.divisions import LEVEL_NAMES, gazetteer
from kg.model import Report, Unit
from kg.vocab import measures, problem_categories

EVIDENCE_PER_EDGE = 3  # sentences kept on an aggregated edge for tooltips

# relation names, used as edge keys
PUBLISHED_BY = "publishedBy"
PART_OF = "partOf"
CITES = "cites"
IMPLEMENTS = "implements"
PLANS = "plans"
STATES = "states"
CATEGORY = "category"
ADDRESSED_BY = "addressedBy"
MENTIONS = "mentions"
BASED_ON = "basedOn"
PRACTICE_OF = "practiceOf"


@dataclass(frozen=True)
class ReportInfo:
    """What the graph keeps of a report itself."""

    id: str
    file: str
    title: str | None
    year: int | None
    unit: str | None  # node key


def unit_key(unit: Unit) -> str:
    return f"unit:{unit.key}"


def division_key(code: str) -> str:
    return f"unit:division:{code}"


class KnowledgeGraph:
    """The merged graph of a set of reports."""

    def __init__(self) -> None:
        self.graph = nx.MultiDiGraph()
        self.reports: dict[str, ReportInfo] = {}

    @classmethod
    def from_reports(cls, reports: Iterable[Report]) -> KnowledgeGraph:
        graph = cls()
        for report in reports:
            graph.add(report)
        return graph

    @classmethod
    def from_rdf(cls, path) -> KnowledgeGraph:
        """Rebuild the graph from a written graph file (any of the four formats).

        The nodes and edges are the ones :meth:`add` makes, so views and
        analyses of a graph file equal those of the build that wrote it.
        """
        from kg.graph_rdf import load

        graph = cls()
        load(graph, path)
        return graph

    # ------------------------------------------------------------------ building

    def add(self, report: Report) -> None:
        """Merge one report's entities and assertions."""
        unit = self._add_unit(report.unit) if report.unit else None
        self.reports[report.id] = ReportInfo(report.id, report.file, report.title, report.year, unit)
        report_key = f"report:{report.id}"
        self._node(report_key, kind="report", label=report.title or report.file, year=report.year, file=report.file)
        if unit:
            self._edge(report_key, unit, PUBLISHED_BY, report.id, report.year, None)
        for mention in report.organs:
            organ = self._add_unit(mention.unit)
            self._edge(report_key, organ, MENTIONS, report.id, report.year, mention.evidence.sentence)
        for mention in report.instruments:
            key = f"instrument:{mention.key}"
            node = self._node(key, kind="instrument", label=mention.label, type=mention.type)
            node.setdefault("written", set()).add(mention.as_written)
            if mention.doc_number:
                node.setdefault("numbers", set()).add(mention.doc_number)
            self._edge(report_key, key, CITES, report.id, report.year, mention.evidence.sentence)
        scheme = measures()
        for mention in report.measures:
            if mention.concept:
                target = f"measure:{mention.concept}"
                concept = scheme[mention.concept]
                theme = next((scheme[b].label for b in _themes(scheme, mention.concept)), None)
                self._node(target, kind="measure", label=concept.label, label_en=concept.label_en, theme=theme)
            else:
                owner = unit or f"report:{report.id}"
                target = f"practice:{owner}:{mention.label}"
                self._node(target, kind="practice", label=mention.label)
                self._edge(target, owner, PRACTICE_OF, report.id, report.year, None)
            if unit:
                relation = IMPLEMENTS if mention.status.value == "implemented" else PLANS
                self._edge(unit, target, relation, report.id, report.year, mention.evidence.sentence)
            for instrument in mention.based_on:
                self._edge(target, f"instrument:{instrument}", BASED_ON, report.id, report.year, mention.evidence.sentence)
        categories = problem_categories()
        for problem in report.problems:
            key = f"problem:{report.id}:{problem.id}"
            self._node(key, kind="problem", label=problem.label, text=problem.text, category=problem.category, report=report.id)
            self._edge(report_key, key, STATES, report.id, report.year, problem.evidence.sentence)
            if problem.category:
                category = f"category:{problem.category}"
                self._node(category, kind="category", label=categories[problem.category].label)
                self._edge(key, category, CATEGORY, report.id, report.year, None)
            for concept in problem.addressed_by:
                self._edge(key, f"measure:{concept}", ADDRESSED_BY, report.id, report.year, None)

    def _add_unit(self, unit: Unit) -> str:
        key = unit_key(unit)
        gaz = gazetteer()
        province = city = None
        if unit.linked and unit.code:
            chain = gaz.chain(unit.code)
            province = chain[-1].name if chain else None
            city = next((d.name for d in chain if d.level == 2), None)
        node = self._node(
            key, kind="unit", label=unit.name, unit_kind=unit.kind, code=unit.code, level=unit.level,
            linked=unit.linked, province=province, city=city, organ=unit.organ, category=unit.category,
        )
        if not unit.linked and unit.candidates:
            node["candidates"] = list(unit.candidates)
        if unit.linked and unit.code:
            if unit.kind == "division":
                child = key
                for division in gaz.chain(unit.code)[1:]:
                    parent = division_key(division.code)
                    chain = gaz.chain(division.code)
                    self._node(parent, kind="unit", label=division.name, unit_kind="division", code=division.code,
                               level=LEVEL_NAMES[division.level], linked=True, province=chain[-1].name,
                               city=next((d.name for d in chain if d.level == 2), None))
                    if not self.graph.has_edge(child, parent, PART_OF):
                        self.graph.add_edge(child, parent, key=PART_OF, relation=PART_OF)
                    child = parent
            else:
                division = gaz.by_code[unit.code]
                government = Unit(division.name, "division", code=division.code, level=division.level_name, linked=True)
                parent = self._add_unit(government)
                if not self.graph.has_edge(key, parent, PART_OF):
                    self.graph.add_edge(key, parent, key=PART_OF, relation=PART_OF)
        return key

    def _node(self, key: str, **attrs) -> dict:
        if key not in self.graph:
            self.graph.add_node(key, **{k: v for k, v in attrs.items() if v is not None})
        return self.graph.nodes[key]

    def _edge(self, source: str, target: str, relation: str, report_id: str, year: int | None, sentence: str | None) -> None:
        """Record that a report asserts (source, relation, target), with a sentence for tooltips."""
        if self.graph.has_edge(source, target, relation):
            data = self.graph.edges[source, target, relation]
        else:
            self.graph.add_edge(source, target, key=relation, relation=relation, reports=set(), years=set(), evidence=[], count=0)
            data = self.graph.edges[source, target, relation]
        data["count"] += 1
        data["reports"].add(report_id)
        if year:
            data["years"].add(year)
        if sentence is not None and len(data["evidence"]) < EVIDENCE_PER_EDGE and all(e[1] != sentence for e in data["evidence"]):
            data["evidence"].append((report_id, sentence))

    # ------------------------------------------------------------------ reading

    def nodes_of(self, kind: str) -> Iterator[str]:
        """Keys of the nodes of one kind, in sorted order."""
        return iter(sorted(n for n, k in self.graph.nodes(data="kind") if k == kind))

    def edges_of(self, relation: str) -> Iterator[tuple[str, str, dict]]:
        """(source, target, data) of every edge of one relation, sorted."""
        return iter(sorted(((u, v, d) for u, v, k, d in self.graph.edges(keys=True, data=True) if k == relation), key=lambda e: (e[0], e[1])))

    def summary(self) -> dict[str, int]:
        """Counts by kind, for the build summary."""
        counts: dict[str, int] = {}
        for _node, kind in self.graph.nodes(data="kind"):
            counts[kind] = counts.get(kind, 0) + 1
        return dict(sorted(counts.items()))


def _themes(scheme, concept_id: str) -> list[str]:
    """The top concepts above a concept."""
    seen, todo, tops = set(), [concept_id], []
    while todo:
        current = todo.pop()
        broader = scheme[current].broader
        if not broader and current != concept_id:
            tops.append(current)
        for b in broader:
            if b not in seen and b in scheme:
                seen.add(b)
                todo.append(b)
    return sorted(tops)
