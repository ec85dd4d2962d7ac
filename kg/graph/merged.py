"""All reports merged into one typed graph (networkx underneath): entities as nodes, assertions as edges.

Nodes are keyed ``kind:identity`` (``unit:division:610702008``,
``measure:legal-advisers``, ``instrument:民法典``). Edges carry their relation
as the multigraph key, and aggregate every report that asserts them: the
report ids (their years are in :attr:`KnowledgeGraph.reports`), a count and
the earliest evidence sentences for tooltips. The full
evidence of every assertion stays in the :class:`~kg.model.Report` records,
which the RDF writer streams.

>>> from kg.model import Report, Unit
>>> g = KnowledgeGraph()
>>> g.add(Report(id="r1", file="a.txt", year=2021, unit=Unit("七里街道", "division", code="610702008", level="township", linked=True, parents=[("汉台区", "610702")])))
>>> sorted(g.nodes_of("unit"))
['unit:division:610000', 'unit:division:610700', 'unit:division:610702', 'unit:division:610702008']
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from kg.extract.topics import problem_words
from kg.knowledge.vocab import measures, problem_categories
from kg.link.divisions import LEVEL_NAMES, gazetteer
from kg.model import Report, Unit

EVIDENCE_PER_EDGE = 3  # sentences kept on an aggregated edge for tooltips
OPENING_NEEDED = 20  # a shorter opening says too little to call two files one report

# relation names, used as edge keys
PUBLISHED_BY = "publishedBy"
PART_OF = "partOf"
CITES = "cites"
IMPLEMENTS = "implements"
PLANS = "plans"
STATES = "states"
CATEGORY = "category"
# node attributes derived from others, not written to RDF: a graph read back has them not (its users compute them)
DERIVED = ("words", "text_words")
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


Evidence = tuple[str, int, str, str]
"""An evidence sentence on an edge: (report file, start offset, report id, sentence)."""


@dataclass
class GraphDelta:
    """What one report adds to the graph, computed apart from the graph (in a worker process).

    ``nodes`` are created if missing (their attributes are the same whichever
    report brings them); ``sets`` add values to set-valued attributes;
    ``edges`` are (source, target, relation, evidence or None); ``links`` are
    structural edges without evidence (part-of).
    """

    report: ReportInfo
    nodes: list[tuple[str, dict]] = field(default_factory=list)
    sets: list[tuple[str, str, str]] = field(default_factory=list)
    edges: list[tuple[str, str, str, Evidence | None]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    same_report: tuple | None = None  # (unit, year, opening): two files that share it hold one report
    length: int = 0  # characters of the file: of two files of one report, the longer is kept

    def entity_keys(self) -> set[str]:
        """The nodes whose entity triples this report may change: its nodes, their sets, parents and owners."""
        keys = {key for key, _ in self.nodes} | {key for key, _, _ in self.sets} | {child for child, _ in self.links}
        return keys | {source for source, _, relation, _ in self.edges if relation == PRACTICE_OF}


def delta(report: Report) -> GraphDelta:
    """The nodes and edges a report contributes (pure: no graph needed)."""
    builder = _DeltaBuilder(report)
    return builder.build()


class _DeltaBuilder:
    """Collects a report's nodes and edges; units (with their parent chains) are queued, then flushed."""

    def __init__(self, report: Report):
        self.report = report
        self.out: GraphDelta | None = None
        self.seen_units: set[str] = set()
        self.pending_nodes: list[tuple[str, dict]] = []
        self.pending_links: list[tuple[str, str]] = []
        self.sentences: dict[str, str] = {}

    def evidence(self, evidence) -> Evidence:
        # one string per distinct sentence: edges from the same sentence share it, in memory and in pickles
        sentence = self.sentences.setdefault(evidence.sentence, evidence.sentence)
        return (self.report.file, evidence.start, self.report.id, sentence)

    def build(self) -> GraphDelta:
        report = self.report
        unit = self.unit(report.unit) if report.unit else None
        info = ReportInfo(report.id, report.file, report.title, report.year, unit)
        out = self.out = GraphDelta(
            info,
            warnings=list(report.warnings),
            length=report.length,
            same_report=(unit, report.year, report.opening) if len(report.opening) >= OPENING_NEEDED else None,
        )
        self.flush_units()
        report_key = f"report:{report.id}"
        out.nodes.append((report_key, {"kind": "report", "label": report.title or report.file, "year": report.year, "file": report.file}))
        if unit:
            out.edges.append((report_key, unit, PUBLISHED_BY, None))
        for mention in report.organs:
            out.edges.append((report_key, self.unit(mention.unit), MENTIONS, self.evidence(mention.evidence)))
        self.flush_units()
        for cited in report.instruments:
            key = f"instrument:{cited.key}"
            out.nodes.append((key, {"kind": "instrument", "label": cited.label, "type": cited.type}))
            out.sets.append((key, "written", cited.as_written))
            if cited.doc_number:
                out.sets.append((key, "numbers", cited.doc_number))
            out.edges.append((report_key, key, CITES, self.evidence(cited.evidence)))
        scheme = measures()
        for measure in report.measures:
            if measure.concept:
                target = f"measure:{measure.concept}"
                concept = scheme[measure.concept]
                theme = next((scheme[b].label for b in _themes(scheme, measure.concept)), None)
                out.nodes.append(
                    (target, _plain({"kind": "measure", "label": concept.label, "label_en": concept.label_en, "theme": theme}))
                )
            else:
                owner = unit or report_key
                target = f"practice:{owner}:{measure.label}"
                out.nodes.append((target, {"kind": "practice", "label": measure.label}))
                out.edges.append((target, owner, PRACTICE_OF, None))
            if unit:
                relation = IMPLEMENTS if measure.status.value == "implemented" else PLANS
                out.edges.append((unit, target, relation, self.evidence(measure.evidence)))
            for instrument in measure.based_on:
                out.edges.append((target, f"instrument:{instrument}", BASED_ON, self.evidence(measure.evidence)))
        categories = problem_categories()
        for problem in report.problems:
            key = f"problem:{report.id}:{problem.id}"
            headline_words, text_words = problem_words(problem.label, problem.text)  # here, in the worker that has jieba
            attrs = {"kind": "problem", "label": problem.label, "text": problem.text, "category": problem.category, "report": report.id}
            out.nodes.append((key, _plain({**attrs, "words": " ".join(headline_words), "text_words": " ".join(text_words)})))
            out.edges.append((report_key, key, STATES, self.evidence(problem.evidence)))
            for category_id in problem.categories:
                category = f"category:{category_id}"
                out.nodes.append((category, {"kind": "category", "label": categories[category_id].label}))
                out.edges.append((key, category, CATEGORY, None))
            for concept_id in problem.addressed_by:
                out.edges.append((key, f"measure:{concept_id}", ADDRESSED_BY, None))
        return out

    def unit(self, unit: Unit) -> str:
        """The node key of a unit; its node and its parents' are queued."""
        key = unit_key(unit)
        if key in self.seen_units:
            return key
        self.seen_units.add(key)
        gaz = gazetteer()
        province, city = province_city(unit.code if unit.linked else None)
        attrs = _plain(
            {
                "kind": "unit",
                "label": unit.name,
                "unit_kind": unit.kind,
                "code": unit.code,
                "level": unit.level,
                "linked": unit.linked,
                "province": province,
                "city": city,
                "organ": unit.organ,
                "category": unit.category,
            }
        )
        if not unit.linked and unit.candidates:
            attrs["candidates"] = list(unit.candidates)
        self.pending_nodes.append((key, attrs))
        if unit.linked and unit.code:
            if unit.kind == "division":
                child = key
                for division in gaz.chain(unit.code)[1:]:
                    parent = division_key(division.code)
                    province, city = province_city(division.code)
                    self.pending_nodes.append(
                        (
                            parent,
                            _plain(
                                {
                                    "kind": "unit",
                                    "label": division.name,
                                    "unit_kind": "division",
                                    "code": division.code,
                                    "level": LEVEL_NAMES[division.level],
                                    "linked": True,
                                    "province": province,
                                    "city": city,
                                }
                            ),
                        )
                    )
                    self.pending_links.append((child, parent))
                    child = parent
            else:
                division = gaz.by_code[unit.code]
                parent = self.unit(Unit(division.name, "division", code=division.code, level=division.level_name, linked=True))
                self.pending_links.append((key, parent))
        return key

    def flush_units(self) -> None:
        assert self.out is not None  # build sets it before it flushes
        self.out.nodes.extend(self.pending_nodes)
        self.out.links.extend(self.pending_links)
        self.pending_nodes, self.pending_links = [], []


def province_city(code: str | None) -> tuple[str | None, str | None]:
    """The province and the prefecture-level city of a division, by name."""
    if not code:
        return None, None
    chain = gazetteer().chain(code)
    return (chain[-1].name if chain else None), next((d.name for d in chain if d.level == 2), None)


def _plain(attrs: dict) -> dict:
    """Attributes without the empty ones."""
    return {k: v for k, v in attrs.items() if v is not None}


class KnowledgeGraph:
    """The merged graph of a set of reports."""

    def __init__(self) -> None:
        import networkx as nx  # here: a build merges on disk (kg.graph.facts); only a graph held in memory needs it

        self.graph = nx.MultiDiGraph()
        self.reports: dict[str, ReportInfo] = {}
        # how many merged reports bring each node, set value and part-of link: what retracting a report may remove
        self.held: dict[object, int] = {}

    @classmethod
    def from_reports(cls, reports: Iterable[Report]) -> KnowledgeGraph:
        graph = cls()
        for report in reports:
            graph.add(report)
        return graph

    def reporting_units(self) -> dict[str, set[int]]:
        """Units that published a report, with the years they reported on."""
        units: dict[str, set[int]] = {}
        for info in self.reports.values():
            if info.unit:
                units.setdefault(info.unit, set()).update({info.year} if info.year else set())
        return dict(sorted(units.items()))

    # ------------------------------------------------------------------ building

    def add(self, report: Report) -> None:
        """Merge one report's entities and assertions."""
        self.apply(delta(report))

    def apply(self, change: GraphDelta) -> None:
        """Merge what one report contributes; the result does not depend on the order of reports."""
        info = change.report
        self.reports[info.id] = info
        graph, held = self.graph, self.held
        for key, attrs in change.nodes:
            if key not in graph._node:
                graph.add_node(key, **attrs)
        for key, attribute, value in change.sets:
            graph._node[key].setdefault(attribute, set()).add(value)
        for child, parent in change.links:
            if PART_OF not in graph._succ[child].get(parent, ()):
                graph.add_edge(child, parent, key=PART_OF, relation=PART_OF)
        for source, target, relation, evidence in change.edges:
            self._edge(source, target, relation, info.id, evidence)
        for hold in _holds(change):
            held[hold] = held.get(hold, 0) + 1

    def retract(self, change: GraphDelta, delta_of: Callable[[str], GraphDelta]) -> None:
        """Take back what one report contributed (``change``, as it was applied): the graph is then the one the other
        reports make, whatever order they were merged in.

        An edge keeps the earliest evidence of its reports: when this report's is among it, the next earliest is
        read from the deltas of the edge's other reports in file order (``delta_of`` gives one by report id) — the
        first few, since every sentence of an earlier file comes first.
        """
        info = change.report
        graph, held = self.graph, self.held
        del self.reports[info.id]
        asserted: dict[tuple[str, str, str], int] = {}
        for source, target, relation, _evidence in change.edges:
            asserted[(source, target, relation)] = asserted.get((source, target, relation), 0) + 1
        loose: set[str] = set()  # nodes that may be left with nothing holding them
        for (source, target, relation), times in asserted.items():
            data = graph._succ[source][target][relation]
            data["count"] -= times
            data["reports"].discard(info.id)
            if not data["reports"]:
                graph.remove_edge(source, target, key=relation)
                loose |= {source, target}
            elif any(e[2] == info.id for e in data["evidence"]):
                data["evidence"] = self._earliest_evidence(source, target, relation, data["reports"], delta_of)
        for hold in _holds(change):
            if held[hold] > 1:
                held[hold] -= 1
                continue
            del held[hold]
            if len(hold) == 2:  # a part-of link
                graph.remove_edge(*hold, key=PART_OF)
                loose |= set(hold)
            elif len(hold) == 3:  # a value of a set-valued attribute
                key, attribute, value = hold
                values = graph._node[key][attribute]
                values.discard(value)
                if not values:
                    del graph._node[key][attribute]
            else:  # a node
                loose.add(hold[0])
        for key in loose:
            if key in graph._node and (key,) not in held:
                if graph._succ[key] or graph._pred[key]:
                    graph._node[key].clear()  # only other reports' edges reach it: as a build without this report has it
                else:
                    graph.remove_node(key)

    def _earliest_evidence(
        self, source: str, target: str, relation: str, reports: set[str], delta_of: Callable[[str], GraphDelta]
    ) -> list[Evidence]:
        """The evidence :meth:`_edge` keeps for an edge, found again from the deltas of its reports."""
        kept: list[Evidence] = []
        sentences: set[str] = set()
        order = [(self.reports[r].file, r) for r in reports]
        heapq.heapify(order)  # the first few files, not all of a popular edge's reports sorted
        while order:
            _file, report_id = heapq.heappop(order)
            if len(kept) >= EVIDENCE_PER_EDGE:
                break  # a later file's evidence all sorts after what is kept
            found = (e for s, t, r, e in delta_of(report_id).edges if e is not None and (s, t, r) == (source, target, relation))
            for evidence in sorted(found):
                if evidence[3] not in sentences:  # a sentence's earliest evidence only
                    sentences.add(evidence[3])
                    kept.append(evidence)
        return sorted(kept)[:EVIDENCE_PER_EDGE]

    def _node(self, key: str, **attrs) -> dict:
        if key not in self.graph:
            self.graph.add_node(key, **{k: v for k, v in attrs.items() if v is not None})
        return self.graph.nodes[key]

    def _edge(self, source: str, target: str, relation: str, report_id: str, evidence: Evidence | None) -> None:
        """Record that a report asserts (source, relation, target).

        The edge keeps the earliest evidence sentences by (file, position), so
        that the result is the same in whatever order reports are merged.
        """
        # networkx's own dicts (node -> attributes; source -> target -> key -> edge data) are read
        # directly: merging is the one serial step of a parallel build, and the public views cost
        # twice as much.
        data = self.graph._succ.get(source, {}).get(target, {}).get(relation)
        if data is None:
            self.graph.add_edge(source, target, key=relation, relation=relation, reports=set(), evidence=[], count=0)
            data = self.graph._succ[source][target][relation]
        data["count"] += 1
        data["reports"].add(report_id)
        if evidence is not None:
            kept = data["evidence"]
            same = next((i for i, e in enumerate(kept) if e[3] == evidence[3]), None)
            if same is not None:  # the same sentence from another report: keep the earlier one
                if evidence < kept[same]:
                    kept[same] = evidence
                    kept.sort()
            elif len(kept) < EVIDENCE_PER_EDGE or evidence < kept[-1]:
                kept.append(evidence)
                kept.sort()
                del kept[EVIDENCE_PER_EDGE:]

    # ------------------------------------------------------------------ reading (kg.graph.reading.GraphReader)

    def __contains__(self, key: object) -> bool:
        return key in self.graph._node

    def node(self, key: str) -> dict:
        """A node's attributes (KeyError if there is no such node)."""
        return self.graph._node[key]

    def successors(self, key: str) -> dict[str, dict[str, dict]]:
        """A node's outgoing edges: target → relation → edge data."""
        return self.graph._succ[key]

    def successors_of(
        self, keys: Iterable[str], relations: tuple[str, ...] | None = None, targets: Iterable[str] | None = None
    ) -> Iterator[tuple[str, dict[str, dict[str, dict]]]]:
        """(key, successors) of each of ``keys``, in their order; only edges of ``relations`` and to ``targets`` if given."""
        if relations is None and targets is None:
            yield from ((key, self.graph._succ[key]) for key in keys)
            return
        wanted = None if targets is None else set(targets)
        for key in keys:
            found = {
                target: {r: d for r, d in keyed.items() if relations is None or r in relations}
                for target, keyed in self.graph._succ[key].items()
                if wanted is None or target in wanted
            }
            yield key, {target: keyed for target, keyed in found.items() if keyed}

    def targets_of(self, keys: Iterable[str], relations: tuple[str, ...] | None = None) -> Iterator[tuple[str, dict[str, set[str]]]]:
        """(key, target → relations) of each of ``keys``, in their order; only edges of ``relations`` if given."""
        wanted = None if relations is None else set(relations)
        for key in keys:
            found = {target: set(keyed) if wanted is None else set(keyed) & wanted for target, keyed in self.graph._succ[key].items()}
            yield key, {target: keyed for target, keyed in found.items() if keyed}

    def attributes_of(self, keys: Iterable[str]) -> Iterator[tuple[str, dict]]:
        """(key, attributes) of each of ``keys``, in their order."""
        return ((key, self.graph._node[key]) for key in keys)

    def nodes(self) -> Iterator[tuple[str, dict]]:
        """(key, attributes) of every node, sorted by key."""
        return iter(sorted(self.graph._node.items()))

    def edges(self) -> Iterator[tuple[str, str, str, dict]]:
        """(source, target, relation, data) of every edge, sorted."""
        succ = self.graph._succ
        return iter((s, t, r, succ[s][t][r]) for s, t, r in sorted(self.graph.edges(keys=True)))

    def nodes_of(self, kind: str) -> Iterator[str]:
        """Keys of the nodes of one kind, in sorted order."""
        return iter(sorted(n for n, k in self.graph.nodes(data="kind") if k == kind))

    def edges_of(self, relation: str) -> Iterator[tuple[str, str, dict]]:
        """(source, target, data) of every edge of one relation, sorted."""
        return iter(
            sorted(((u, v, d) for u, v, k, d in self.graph.edges(keys=True, data=True) if k == relation), key=lambda e: (e[0], e[1]))
        )

    def out(self, node: str, relations: tuple[str, ...] | None = None) -> list[tuple[str, str, dict]]:
        """(target, relation, data) of a node's outgoing edges, sorted: the same whatever order reports were merged in."""
        return sorted(
            (target, relation, data)
            for target, keyed in self.graph._succ[node].items()
            for relation, data in keyed.items()
            if relations is None or relation in relations
        )

    def reports_by_unit(self) -> dict[str, list[str]]:
        """Report ids by the node of the unit that published them, sorted."""
        by_unit: dict[str, list[str]] = {}
        for report_id in sorted(self.reports):
            unit = self.reports[report_id].unit
            if unit:
                by_unit.setdefault(unit, []).append(report_id)
        return by_unit

    def years(self, data: dict) -> set[int]:
        """The years of the reports that assert an edge (from its data)."""
        reports = self.reports
        return {year for r in data.get("reports", ()) if (year := reports[r].year)}

    def summary(self) -> dict[str, int]:
        """Counts by kind, for the build summary."""
        counts: dict[str, int] = {}
        for _node, kind in self.graph.nodes(data="kind"):
            counts[kind] = counts.get(kind, 0) + 1
        return dict(sorted(counts.items()))


def _holds(change: GraphDelta) -> set[tuple]:
    """What a report holds in the graph, each once: its nodes ``(key,)``, set values ``(key, attribute, value)`` and
    part-of links ``(child, parent)``."""
    return {(key,) for key, _ in change.nodes} | set(change.sets) | set(change.links)


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
