"""What each interactive view shows: shared practices, problems, one unit, instruments, the overview.

A view picks nodes and edges from a merged graph (:class:`~kg.graph.reading.GraphReader`); the
page is drawn by :mod:`kg.outputs.pages`. Views stay readable and fast on large corpora:
beyond :data:`MAX_UNIT_NODES` reporting units, units are drawn as groups (by
city, or by province when there are too many cities) whose edges count their
members, and only the most adopted measures and most cited instruments are
kept; the page says what was grouped and capped.
"""

from __future__ import annotations

import bisect
import heapq
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter

from kg.graph.merged import ADDRESSED_BY, CATEGORY, CITES, IMPLEMENTS, PART_OF, PLANS, STATES
from kg.graph.reading import GraphReader
from kg.outputs.analysis import UNIT_ATTRIBUTES, unit_measures, unit_nodes
from kg.outputs.pages import View, count_size, evidence_items, facet_menus
from kg.outputs.similarity import Profiles

MAX_UNIT_NODES = 150
MAX_MEASURES = 60
MAX_INSTRUMENTS = 60
MAX_EDGES_PER_GROUP = 20
SIMILAR_UNITS = 5

VIEWS = ("overview", "shared-practices", "problems", "unit", "instruments")


@dataclass
class Group:
    """A node standing for one or more reporting units."""

    key: str
    label: str
    members: list[str]
    facets: dict
    facts: list[str] = field(default_factory=list)
    search: str = ""  # the members' names and codes, for the page's search


def unit_groups(units: dict[str, set[int]], nodes: Mapping[str, dict]) -> tuple[list[Group], str]:
    """Units (with their years, sorted by key) as themselves, or grouped by city or province when there are too
    many; ``nodes`` holds each unit's attributes (:func:`~kg.outputs.analysis.unit_nodes`)."""
    if len(units) <= MAX_UNIT_NODES:
        groups = []
        for key, years in units.items():
            node = nodes[key]
            facts = [f"区划代码 code: {node['code']}" if node.get("code") else "未链接 unlinked", f"层级 level: {node.get('level') or '?'}"]
            groups.append(Group(key, node["label"], [key], _facets(node, years), facts, _search(nodes, [key])))
        return groups, ""
    for attribute, word in (("city", "city"), ("province", "province")):
        buckets: dict[str, list[str]] = defaultdict(list)
        for key in units:  # sorted: so are a group's members
            buckets[nodes[key].get(attribute) or nodes[key].get("province") or "未链接 unlinked"].append(key)
        if len(buckets) <= MAX_UNIT_NODES or attribute == "province":
            groups = []
            for name, members in sorted(buckets.items()):
                years = set().union(*(units[m] for m in members))
                province = nodes[members[0]].get("province") or ""
                facets = {"province": province, "city": name if attribute == "city" else "", "level": "", "year": sorted(years)}
                groups.append(
                    Group(
                        f"group:{attribute}:{name}",
                        f"{name} · {len(members)}",
                        members,
                        facets,
                        [f"{len(members)} 个报告单位 reporting units", f"按{'地市' if word == 'city' else '省份'}分组 grouped by {word}"],
                        _search(nodes, members),
                    )
                )
            return (
                groups,
                f"{len(units)} 个单位按{'地市' if word == 'city' else '省份'}分为 {len(groups)} 组 — {len(units)} units grouped by {word} into {len(groups)}",
            )
    raise AssertionError("unreachable")


def _facets(node: dict, years: set[int]) -> dict:
    return {"province": node.get("province") or "", "city": node.get("city") or "", "level": node.get("level") or "", "year": sorted(years)}


def _search(nodes: Mapping[str, dict], members: list[str]) -> str:
    return " ".join(nodes[m]["label"] + " " + (nodes[m].get("code") or "") for m in members)


def _add_groups(view: View, groups: list[Group]) -> None:
    for group in groups:
        size = count_size(len(group.members)) if len(group.members) > 1 else count_size(1) + 8
        view.add_node(group.key, "unit", group.label, size=size, facts=group.facts, facets=group.facets, search=group.search)


EVIDENCE_SHOWN = 3  # sentences shown on a drawn edge


@dataclass
class Aggregate:
    """Edges merged into one drawn edge: how many units are behind it, the years of their reports, and the first
    evidence sentences of their edges in a fixed order — as many as are shown, so that a view holds no more of a
    large graph's edges than it draws.

    The edges are those of the members in order, a unit's edges together (of its
    reports, one after the other), so the units are counted, not kept, and the
    evidence shown does not depend on the order in which reports were merged.
    """

    units: int = 0
    years: set[int] = field(default_factory=set)
    shown: list[tuple] = field(default_factory=list)  # (file, offset, report, sentence): at most EVIDENCE_SHOWN
    last: str = ""  # the unit last added

    def add(self, unit: str, data: dict, years: set[int]) -> None:
        if unit != self.last:
            self.units, self.last = self.units + 1, unit
        self.years |= years
        self._keep(data.get("evidence", ()))

    def _keep(self, evidence: Sequence[tuple]) -> None:
        if len(self.shown) < EVIDENCE_SHOWN:
            self.shown += evidence[: EVIDENCE_SHOWN - len(self.shown)]

    def evidence(self, graph: GraphReader) -> list[dict]:
        return evidence_items(graph, {"evidence": self.shown})


def _member_edges(graph: GraphReader, group: Group, relations: tuple[str, ...]) -> dict[tuple[str, str], Aggregate]:
    """Edges from a group's members, merged by (target, relation)."""
    merged: dict[tuple[str, str], Aggregate] = {}
    for member in group.members:
        _merge(graph, merged, member, graph.successors(member), relations)
    return merged


def _report_edges(
    graph: GraphReader, group: Group, relations: tuple[str, ...], by_unit: dict[str, list[str]]
) -> dict[tuple[str, str], Aggregate]:
    """Like :func:`_member_edges` for what the members' reports assert (cites, states)."""
    merged: dict[tuple[str, str], Aggregate] = {}
    for member in group.members:
        for report_id in by_unit.get(member, ()):
            _merge(graph, merged, member, graph.successors(f"report:{report_id}"), relations)
    return merged


def _merge(
    graph: GraphReader,
    merged: dict[tuple[str, str], Aggregate],
    member: str,
    successors: Mapping[str, Mapping[str, dict]],
    relations: tuple[str, ...],
) -> None:
    for target, keyed in successors.items():
        for relation, data in keyed.items():
            if relation in relations:
                aggregate = merged.get((target, relation))
                if aggregate is None:
                    aggregate = merged[(target, relation)] = Aggregate()
                aggregate.add(member, data, graph.years(data))


class Digest:
    """What the views of one graph share, each part computed once, when first needed, in passes over the
    reporting units and their reports that read each node once (a batch at a time from a graph on disk).

    Drawing all the views of a 10,000-report graph from one digest takes half
    the time of drawing each on its own.
    """

    def __init__(self, graph: GraphReader):
        self.graph = graph
        # the rows behind the drawn nodes, on disk (a national graph's pages list millions): SQLite's private
        # temporary database, kept in its page cache while small and deleted when the digest is let go
        self._who = sqlite3.connect("")
        self._who.execute(
            "CREATE TABLE who (target TEXT, seq INTEGER, unit TEXT, relation INTEGER, year INTEGER, years TEXT,"
            " sentence TEXT, report TEXT, source TEXT, start INTEGER)"
        )
        self._who.execute("CREATE INDEX who_by_target ON who (target, seq)")
        self._who_asked: set[str] = set()
        # a large graph's passes over its units and reports find the rows behind every node a view may draw as they
        # go (the views are drawn from them): no second pass for the rows once the drawn nodes are known
        self._found_rows: _WhoRows | None = None

    @cached_property
    def units(self) -> dict[str, set[int]]:
        return self.graph.reporting_units()

    @cached_property
    def nodes(self) -> dict[str, dict]:
        """The reporting units' attributes the views show."""
        return unit_nodes(self.graph, self.units)

    @cached_property
    def grouping(self) -> tuple[list[Group], str]:
        return unit_groups(self.units, self.nodes)

    @cached_property
    def by_unit(self) -> dict[str, list[str]]:
        return self.graph.reports_by_unit()

    @cached_property
    def _rank(self) -> dict[str, int]:
        """Each unit's place in the order of :attr:`units`: the order of the rows behind a node."""
        return {unit: n for n, unit in enumerate(self.units)}

    def _place(self, unit: str, report: int = 0) -> int:
        """Where a row found through ``unit`` goes behind its node (see :data:`_UNIT_SHIFT`): report 0 is the unit's
        own edges, then its reports, 1 onwards; the edge's number is added to it."""
        return (self._rank[unit] << _UNIT_SHIFT) | (report << _REPORT_SHIFT)

    @cached_property
    def _drawable(self) -> _Drawable:
        """The nodes whose rows a large graph's passes find as they go."""
        return _Drawable(self._draws)

    @property
    def _rows_found(self) -> _WhoRows | None:
        """Where a large graph's passes put the rows behind the nodes a view may draw (None: a small graph's
        views may draw any node; :meth:`who_rows` reads them once the drawn nodes are known)."""
        if self._found_rows is None and self._pruned:
            self._found_rows = _WhoRows(self._who, self.graph)
        return self._found_rows

    @cached_property
    def _group_of(self) -> dict[str, str]:
        """The key of each unit's group (a unit is in one)."""
        return {member: group.key for group in self.grouping[0] for member in group.members}

    @property
    def _pruned(self) -> bool:
        """Whether groups keep only the edges a view may draw: when units are grouped (see :meth:`_draws`)."""
        return len(self.units) > MAX_UNIT_NODES

    @cached_property
    def _counts(self) -> tuple[Adoption, Counter[str]]:
        """How many units implement and plan each measure, and how many cite each instrument: one pass over the
        units and their reports that reads the index alone (the evidence is read by :meth:`_unit_pass`)."""
        adoption, citing, last = Adoption({}, {}, {}), Counter[str](), dict[str, str]()
        for _, successors in self.graph.targets_of(self.units, (IMPLEMENTS, PLANS)):
            for target, relations in successors.items():
                for relation, units_of in ((IMPLEMENTS, adoption.implemented), (PLANS, adoption.planned)):
                    if relation in relations:
                        units_of[target] = units_of.get(target, 0) + 1  # a unit's edges have each target once
        keys = (f"report:{report_id}" for unit in self.units for report_id in self.by_unit.get(unit, ()))
        owners = (unit for unit in self.units for _ in self.by_unit.get(unit, ()))
        for unit, (_, successors) in zip(owners, self.graph.targets_of(keys, (CITES,))):
            for target, relations in successors.items():
                if CITES in relations and last.get(target) != unit:  # a unit's reports are read together
                    citing[target] += 1
                    last[target] = unit
        return adoption, citing

    @cached_property
    def shared_measures(self) -> tuple[list[str], int, bool]:
        """The measures the shared-practices view draws, most adopted first: those at least ``threshold`` units
        implement (two, or one in a graph of one unit), at most :data:`MAX_MEASURES`; and whether that capped them."""
        implemented = self._counts[0].implemented
        threshold = 2 if len(self.units) >= 2 else 1
        ranked = sorted(
            (m for m, n in implemented.items() if n >= threshold and m.startswith("measure:")), key=lambda m: (-implemented[m], m)
        )
        return ranked[:MAX_MEASURES], threshold, len(ranked) > MAX_MEASURES

    @cached_property
    def overview_measures(self) -> list[str]:
        """The measures and practices the overview draws, most implemented or planned first: at most
        :data:`MAX_MEASURES` when units are grouped or many, else all."""
        implemented, planned = self._counts[0].implemented, self._counts[0].planned
        measures = sorted(implemented.keys() | planned.keys(), key=lambda m: (-(implemented.get(m, 0) + planned.get(m, 0)), m))
        return measures[:MAX_MEASURES] if len(self.grouping[0]) > 1 or len(self.units) > MAX_UNIT_NODES else measures

    @cached_property
    def top_instruments(self) -> tuple[list[str], Counter[str]]:
        """The instruments the views draw, most cited first (at most :data:`MAX_INSTRUMENTS`), and the number of
        units citing each instrument."""
        citing = self._counts[1]
        return sorted(citing, key=lambda i: (-citing[i], i))[:MAX_INSTRUMENTS], citing

    @cached_property
    def _draws(self) -> set[str]:
        """Every measure and instrument a view of grouped units may draw: what a group keeps beside its strongest edges."""
        return set(self.shared_measures[0]) | set(self.overview_measures) | set(self.top_instruments[0])

    def _kept(self, merged: dict[tuple[str, str], Aggregate], group: Group) -> dict[tuple[str, str], Aggregate]:
        """A group's merged edges as the views need them: of a large graph's groups of several units, the
        :data:`MAX_EDGES_PER_GROUP` strongest (:func:`_strongest`) and those to what a view may draw; the
        others, most of them one unit's own practices, are let go as soon as the group is read."""
        if not self._pruned or len(group.members) == 1:
            return merged
        keep = {key for key, _ in _strongest(merged, group)} | {key for key in merged if key[0] in self._draws}
        return {key: aggregate for key, aggregate in merged.items() if key in keep}

    @cached_property
    def _unit_pass(self) -> tuple[Adoption, dict[str, dict[tuple[str, str], Aggregate]]]:
        """What each unit implements and plans: the first evidence of each measure drawn, and the edges merged per
        group — read a group at a time (its members in order: the evidence kept does not depend on merge order)."""
        groups, _ = self.grouping
        merged: dict[str, dict[tuple[str, str], Aggregate]] = {}
        adoption = self._counts[0]
        first: dict[str, list[tuple[str, int, tuple]]] = {}  # measure → (unit, relation, sentence) of the first units
        wanted = None if not self._pruned else self._draws
        read = self.graph.successors_of([member for group in groups for member in group.members], (IMPLEMENTS, PLANS))
        rows = self._rows_found
        for group in groups:
            found: dict[tuple[str, str], Aggregate] = {}
            for _ in group.members:
                unit, successors = next(read)
                if rows is not None:
                    self._unit_rows(rows, unit, successors, self._drawable)
                for target, keyed in successors.items():
                    if wanted is not None and target not in wanted:
                        continue
                    for number, relation in enumerate((IMPLEMENTS, PLANS)):
                        data = keyed.get(relation)
                        if data is not None and data.get("evidence"):
                            kept = first.setdefault(target, [])
                            if len(kept) < EVIDENCE_SHOWN or (unit, number) < kept[-1][:2]:
                                bisect.insort(kept, (unit, number, data["evidence"][0]), key=itemgetter(0, 1))
                                del kept[EVIDENCE_SHOWN:]
                _merge(self.graph, found, unit, successors, (IMPLEMENTS, PLANS))
            merged[group.key] = self._kept(found, group)
        adoption.evidence.update((target, [sentence for _, _, sentence in kept]) for target, kept in first.items())
        return adoption, merged

    @property
    def adoption(self) -> Adoption:
        """How many units implement and plan each measure, and the evidence of those a view may draw."""
        return self._unit_pass[0]

    def member_edges(self, group: Group) -> dict[tuple[str, str], Aggregate]:
        """What the group's units implement and plan (of a large graph, what the views need: :meth:`_kept`)."""
        return self._unit_pass[1][group.key]

    @cached_property
    def _report_pass(self) -> _ReportPass:
        """What the units' reports cite, merged per group; the problems they state rolled up per group and
        category; and, for a graph of few units (whose overview draws problems), each problem merged per group
        with the measures that answer it. Read a group at a time, as :meth:`_unit_pass`."""
        groups, _ = self.grouping
        found = _ReportPass({}, {group.key: {} for group in groups})
        problems_drawn = len(self.units) <= MAX_UNIT_NODES
        read = self._reports_read([member for group in groups for member in group.members])
        rows, last, number = self._rows_found, None, 0
        for group in groups:
            merged: dict[tuple[str, str], Aggregate] = {}
            for _ in range(sum(len(self.by_unit.get(member, ())) for member in group.members)):
                unit, successors, stated = next(read)
                if rows is not None:
                    number = number + 1 if unit == last else 1  # the report's place among its unit's
                    last = unit
                    self._report_rows(rows, self._place(unit, number), unit, successors, stated, self._drawable)
                _merge(self.graph, merged, unit, successors, (CITES, STATES) if problems_drawn else (CITES,))
                for problem, data, categories, remedies in stated:
                    years = self.graph.years(data)
                    for category in categories:
                        found.categories[group.key].setdefault(category, _Rollup()).add(problem, unit, data, years)
                        found.problems[category] += 1
                        for measure in remedies:
                            found.remedies[(category, measure)] += 1
                    if problems_drawn:
                        found.answers[problem] = remedies
            found.reports[group.key] = self._kept(merged, group)
        return found

    def _reports_read(
        self, units: Iterable[str] | None = None
    ) -> Iterator[tuple[str, Mapping[str, Mapping[str, dict]], list[tuple[str, dict, list[str], list[str]]]]]:
        """(unit, its report's edges, [(problem, the statement's edge data, categories, answering measures)]) of
        every report of ``units`` (all, by default), in their order: reports and problems read a batch at a time."""
        units = list(self.units if units is None else units)
        keys = (f"report:{report_id}" for unit in units for report_id in self.by_unit.get(unit, ()))
        owners = (unit for unit in units for _ in self.by_unit.get(unit, ()))
        waiting: list[tuple[str, Mapping[str, Mapping[str, dict]], list[tuple[str, dict]]]] = []
        stated = 0

        def ready() -> Iterator:
            problems = self.graph.targets_of(
                (problem for _, _, statements in waiting for problem, _ in statements), (CATEGORY, ADDRESSED_BY)
            )
            for unit, successors, statements in waiting:
                yield (
                    unit,
                    successors,
                    [
                        (problem, data, _targets(edges, CATEGORY), _targets(edges, ADDRESSED_BY))
                        for (problem, data), (_, edges) in zip(statements, problems)
                    ],
                )

        for unit, (_, successors) in zip(owners, self.graph.successors_of(keys, (CITES, STATES))):  # not their mentions
            statements = [(problem, keyed[STATES]) for problem, keyed in successors.items() if STATES in keyed]
            waiting.append((unit, successors, statements))
            stated += len(statements)
            if stated >= BATCH_PROBLEMS:
                yield from ready()
                waiting, stated = [], 0
        yield from ready()

    def report_edges(self, group: Group, relations: tuple[str, ...] = (CITES, STATES)) -> dict[tuple[str, str], Aggregate]:
        """What the reports of the group's units cite and state (or one of the two); what they state only in a
        graph of at most :data:`MAX_UNIT_NODES` units (else see :meth:`category_edges`)."""
        return {key: aggregate for key, aggregate in self._report_pass.reports[group.key].items() if key[1] in relations}

    def category_edges(self, group: Group) -> list[tuple[str, Aggregate]]:
        """The categories of the problems the group's units state, each with its problems merged (their evidence
        that of the first problems by key), in the order of their first problem."""
        rollups = self._report_pass.categories[group.key]
        return [(category, rollups[category].aggregate()) for category in sorted(rollups, key=lambda c: rollups[c].first)]

    def problem_counts(self) -> tuple[Counter[str], Counter[tuple[str, str]]]:
        """Problems stated per category, and per (category, measure answering them)."""
        return self._report_pass.problems, self._report_pass.remedies

    def remedies(self, problem: str) -> list[str]:
        """The measures that answer a problem (of a graph of few units), sorted."""
        return self._report_pass.answers[problem]

    def _unit_rows(self, rows: _WhoRows, unit: str, successors: Mapping[str, Mapping[str, dict]], wanted: Container[str]) -> None:
        """The rows a unit's edges put behind the measures it implements and plans, those ``wanted``: before its
        reports' (their place is the unit's, report 0)."""
        place = self._place(unit)
        for n, (target, relation, data) in enumerate(_out(successors, (IMPLEMENTS, PLANS))):
            if target in wanted:
                rows.add(target, place | n, unit, relation, data)

    def _report_rows(
        self,
        rows: _WhoRows,
        place: int,
        unit: str,
        successors: Mapping[str, Mapping[str, dict]],
        stated: list[tuple[str, dict, list[str], list[str]]],
        wanted: Container[str],
    ) -> None:
        """The rows a report's edges put behind the instruments it cites and the categories of the problems it
        states, those ``wanted``."""
        categories = {problem: shown for problem, _, shown, _ in stated}
        for n, (target, relation, data) in enumerate(_out(successors, (CITES, STATES))):
            for node in [target] if relation == CITES else categories[target]:
                if node in wanted:
                    rows.add(node, place | n, unit, relation, data)

    def who_rows(self, targets: set[str]) -> None:
        """Find the rows behind each of ``targets`` (see :func:`who`): every unit and report is read once for all
        the targets asked together, and a target's rows are kept (on disk) for the views that draw it. A large
        graph's rows behind what its views may draw were found by the passes that drew them."""
        missing = targets - self._who_asked
        if not missing:
            return
        found = self._rows_found
        if found is not None:
            self._unit_pass, self._report_pass  # noqa: B018  # the passes, if no view asked for them yet
            if not found.done:
                found.finish()
            covered = {node for node in missing if node in self._drawable}
            self._who_asked |= covered
            missing -= covered
        if missing:  # a small graph's drawn nodes, or a large one's group's strongest edges to what no view draws else
            self._rows_to(missing)

    def _rows_to(self, targets: set[str]) -> None:
        """Read the rows behind ``targets``: the units' and their reports' edges to them alone, in the units'
        order; the reports' statements with their problems' categories only if a category is asked for."""
        rows = _WhoRows(self._who, self.graph)
        reports: Iterator[tuple[Mapping[str, Mapping[str, dict]], list]]
        if any(node.split(":", 1)[0] not in _ROW_KINDS for node in targets):
            reports = ((asserted, stated) for _, asserted, stated in self._reports_read())
        else:
            keys = (f"report:{report_id}" for unit in self.units for report_id in self.by_unit.get(unit, ()))
            reports = ((asserted, []) for _, asserted in self.graph.successors_of(keys, (CITES,), targets))
        for key, successors in self.graph.successors_of(self.units, (IMPLEMENTS, PLANS), targets):
            self._unit_rows(rows, key, successors, targets)
            for number, _ in enumerate(self.by_unit.get(key, ()), 1):
                asserted, stated = next(reports)
                self._report_rows(rows, self._place(key, number), key, asserted, stated, targets)
        rows.finish()
        self._who_asked |= targets

    def rows_behind(self, target: str) -> sqlite3.Cursor:
        """The rows found behind ``target`` by :meth:`who_rows`, in order (none for a node no unit is behind): (unit,
        relation index in :data:`WHO_RELATIONS`, the page's cell of years as JSON — a year or a list of them —, and
        the evidence sentence, report, source and offset, or four None). A national graph's pages list millions:
        they are kept on disk, and written as they are read."""
        return self._who.execute(
            "SELECT unit, relation, coalesce(years, year), sentence, report, source, start FROM who WHERE target = ? ORDER BY seq",
            (target,),
        )

    def units_behind(self, targets: Iterable[str]) -> set[str]:
        """The units of the rows behind any of ``targets``."""
        asked = tuple(targets)
        query = "SELECT DISTINCT unit FROM who WHERE target IN ({})".format(",".join("?" * len(asked)))
        return {unit for (unit,) in self._who.execute(query, asked)} if asked else set()


_WHO_INSERT = "INSERT INTO who VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_ROW_KINDS = ("measure", "practice", "instrument")  # the nodes units implement, plan or cite: rows behind them
_WHO_EVIDENCE = "UPDATE who SET sentence = ?, report = ?, source = ?, start = ? WHERE target = ? AND seq = ?"
# a row's place behind its node (seq): its unit's place, then its report's among the unit's (0: the unit's own
# edges), then the edge's in the report's sorted edges — the order of a pass over the units in order, whatever
# order the rows are found in
_REPORT_SHIFT = 24
_UNIT_SHIFT = 40


class _Drawable(Container[str]):
    """What a view of a large graph may draw (``draws``: measures and instruments) and every node no unit implements,
    plans or cites — the categories; none is behind a unit, a group or a problem: the nodes whose rows its passes find."""

    def __init__(self, draws: set[str]) -> None:
        self.draws = draws

    def __contains__(self, node: object) -> bool:
        return node in self.draws or (isinstance(node, str) and node.split(":", 1)[0] not in _ROW_KINDS)


class _WhoRows:
    """Rows behind nodes, written to the digest's table as they are found (any order: ``seq`` places them); the
    evidence of each node's first :data:`WHO_EVIDENCE` rows is set once every row is in."""

    def __init__(self, table: sqlite3.Connection, graph: GraphReader) -> None:
        self.table, self.graph = table, graph
        self.waiting: list[tuple] = []
        self.first: dict[str, list[tuple[int, dict]]] = {}  # node → heap of (-seq, edge data) of its first rows
        self.done = False

    def add(self, node: str, seq: int, unit: str, relation: str, data: dict) -> None:
        """A row as the page writes it: no edge data kept but the first rows'."""
        first = self.first.setdefault(node, [])
        if len(first) < WHO_EVIDENCE:
            heapq.heappush(first, (-seq, data))  # a node's seqs differ: the data are never compared
        elif seq < -first[0][0]:
            heapq.heapreplace(first, (-seq, data))
        years = _years_cell(sorted(self.graph.years(data)))
        year, listed = (years, None) if isinstance(years, int) else (None, _sorted_json(years))
        self.waiting.append((node, seq, unit, WHO_RELATIONS.index(relation), year, listed, None, None, None, None))
        if len(self.waiting) >= BATCH_PROBLEMS:
            self.table.executemany(_WHO_INSERT, self.waiting)
            self.waiting = []

    def finish(self) -> None:
        """Write the rows still waiting, and the evidence of each node's first rows."""
        self.table.executemany(_WHO_INSERT, self.waiting)
        self.waiting = []
        for node, first in self.first.items():
            evidence = ((_who_evidence(self.graph, data), -seq) for seq, data in first)
            self.table.executemany(_WHO_EVIDENCE, ((*found, node, seq) for found, seq in evidence if found is not None))
        self.first = {}
        self.done = True


def _out(successors: Mapping[str, Mapping[str, dict]], relations: tuple[str, ...]) -> list[tuple[str, str, dict]]:
    """(target, relation, data) of the edges of ``relations``, sorted (as :meth:`GraphReader.out`)."""
    return sorted(
        ((target, relation, data) for target, keyed in successors.items() for relation, data in keyed.items() if relation in relations),
        key=lambda edge: edge[:2],
    )


def _targets(successors: Mapping[str, Container[str]], relation: str) -> list[str]:
    return sorted(target for target, keyed in successors.items() if relation in keyed)


BATCH_PROBLEMS = 2_000  # problems stated whose edges a pass over the reports reads together


@dataclass
class _Rollup:
    """The problems of one category a group's units state, merged as :class:`Aggregate` would merge them in the
    order of their keys, but fed in any order: only the first problems that the evidence shown needs are kept."""

    units: int = 0  # counted as :class:`Aggregate` counts them
    last: str = ""
    years: set[int] = field(default_factory=set)
    first: str = ""  # the first problem's key
    kept: list[tuple[str, list[tuple]]] = field(default_factory=list)  # (problem, its evidence), by problem

    def add(self, problem: str, unit: str, data: dict, years: set[int]) -> None:
        if unit != self.last:
            self.units, self.last = self.units + 1, unit
        self.years |= years
        self.first = min(self.first, problem) if self.first else problem
        bisect.insort(self.kept, (problem, data.get("evidence", [])), key=lambda item: item[0])
        shown = 0
        for number, (_, evidence) in enumerate(self.kept):
            if shown >= EVIDENCE_SHOWN:  # the problems after these show no evidence
                del self.kept[number:]
                break
            shown += len(evidence)

    def aggregate(self) -> Aggregate:
        merged = Aggregate(self.units, set(self.years))
        for _, evidence in self.kept:
            merged._keep(evidence)
        return merged


@dataclass
class _ReportPass:
    """What :meth:`Digest._report_pass` finds."""

    reports: dict[str, dict[tuple[str, str], Aggregate]]  # by group: (target, relation) → merged
    categories: dict[str, dict[str, _Rollup]]  # by group: category → its problems
    problems: Counter[str] = field(default_factory=Counter)  # problems stated, per category
    remedies: Counter[tuple[str, str]] = field(default_factory=Counter)  # per (category, measure answering them)
    answers: dict[str, list[str]] = field(default_factory=dict)  # problem → measures answering it (few units only)


def _strongest(edges: dict[tuple[str, str], Aggregate], group: Group) -> list[tuple[tuple[str, str], Aggregate]]:
    items = sorted(edges.items(), key=lambda e: (-e[1].units, e[0]))
    return items if len(group.members) == 1 else items[:MAX_EDGES_PER_GROUP]


def _edge_attrs(graph: GraphReader, group: Group, aggregate: Aggregate) -> dict:
    shared = aggregate.units
    years = sorted(aggregate.years)
    attrs = {"years": years, "evidence": aggregate.evidence(graph), "width": 1 + min(shared, 10) * 0.6}
    if len(group.members) > 1:
        attrs["facts"] = [f"{shared}/{len(group.members)} 个单位 units"]
    return attrs


def _measure_node(view: View, graph: GraphReader, key: str, adoption: Adoption) -> None:
    node = graph.node(key)
    units, planned = adoption.implemented.get(key, 0), adoption.planned.get(key, 0)
    facts = [f"实施单位 units implementing: {units}"] + ([f"计划单位 units planning: {planned}"] if planned else [])
    if node.get("theme"):
        facts.append(f"主题 theme: {node['theme']}")
    # a few sentences, each from a different unit, say what the measure looks like in practice
    evidence = evidence_items(graph, {"evidence": adoption.evidence.get(key, [])})
    view.add_node(key, node["kind"], node["label"], size=count_size(units), facts=facts, evidence=evidence, search=node.get("label_en", ""))


def shared_practices(graph: GraphReader, digest: Digest | None = None) -> View:
    """Units and the measures two or more of them implement; size = number of units; planned edges dashed."""
    digest = digest or Digest(graph)
    units, adoption = digest.units, digest.adoption
    ranked, threshold, capped = digest.shared_measures
    shared = set(ranked)
    groups, grouping = digest.grouping
    notes = [grouping] if grouping else []
    if capped:
        notes.append(f"前 {MAX_MEASURES} 项措施 top {MAX_MEASURES} measures")
    view = View(
        "shared-practices",
        "共享措施 Shared practices",
        f"{len(units)} 个单位实施的、至少 {threshold} 个单位共有的措施 — measures {threshold}+ units share. " + "; ".join(notes),
    )
    _add_groups(view, groups)
    for measure in ranked:
        _measure_node(view, graph, measure, adoption)
    for group in groups:
        for (target, relation), entry in _strongest(digest.member_edges(group), group):
            if target in shared:
                view.add_edge(group.key, target, relation, planned=relation == PLANS, **_edge_attrs(graph, group, entry))
    view.facets = facet_menus(view)
    return view


@dataclass
class Adoption:
    """How many units implement and plan each measure, and the first evidence (by unit, then relation)."""

    implemented: dict[str, int]
    planned: dict[str, int]
    evidence: dict[str, list[tuple]]  # the first sentence of the first few edges with any: (file, offset, report, sentence)


def problems(graph: GraphReader, digest: Digest | None = None) -> View:
    """Units, the categories of the problems they state, and the planned measures that answer them."""
    digest = digest or Digest(graph)
    groups, grouping = digest.grouping
    view = View(
        "problems",
        "存在问题 Problems",
        "单位、问题类别与对应的计划措施 — units, problem categories and the planned measures that answer them"
        + (f". {grouping}" if grouping else ""),
    )
    category_units: Counter[str] = Counter()  # the groups' units are distinct: their counts add up
    category_problems, remedies = digest.problem_counts()
    edges: list[tuple[Group, str, Aggregate]] = []
    for group in groups:
        for category, entry in digest.category_edges(group):
            category_units[category] += entry.units
            edges.append((group, category, entry))
    _add_groups(view, [group for group in groups if any(e[0] is group for e in edges)])
    for category in sorted(category_units, key=lambda c: (-category_units[c], c)):
        view.add_node(
            category,
            "category",
            graph.node(category)["label"],
            size=count_size(category_units[category]),
            facts=[f"单位数 units: {category_units[category]}", f"问题数 problems: {category_problems[category]}"],
        )
    for group, category, entry in edges:
        view.add_edge(group.key, category, STATES, **_edge_attrs(graph, group, entry))
    for (category, measure), count in sorted(remedies.items()):
        if measure not in {n["id"] for n in view.nodes}:
            node = graph.node(measure)
            view.add_node(measure, node["kind"], node["label"], size=8, facts=[f"主题 theme: {node.get('theme') or '-'}"])
        view.add_edge(category, measure, ADDRESSED_BY, planned=True, facts=[f"{count} 个问题 problems"], width=1 + min(count, 10) * 0.5)
    view.facets = facet_menus(view)
    return view


def instruments(graph: GraphReader, digest: Digest | None = None) -> View:
    """Which units cite which instruments (the most cited ones)."""
    digest = digest or Digest(graph)
    groups, grouping = digest.grouping
    ranked, citing = digest.top_instruments
    kept = set(ranked)
    notes = ([grouping] if grouping else []) + (
        [f"前 {MAX_INSTRUMENTS} 部 top {MAX_INSTRUMENTS} instruments"] if len(citing) > MAX_INSTRUMENTS else []
    )
    view = View(
        "instruments",
        "法律文件 Instruments cited",
        "单位引用的法律文件 — which units cite which instruments" + (". " + "; ".join(notes) if notes else ""),
    )
    _add_groups(view, groups)
    for instrument in ranked:
        _instrument_node(view, graph, instrument, citing[instrument])
    for group in groups:
        for (instrument, relation), entry in _strongest(digest.report_edges(group, (CITES,)), group):
            if instrument in kept:
                view.add_edge(group.key, instrument, relation, **_edge_attrs(graph, group, entry))
    view.facets = facet_menus(view)
    return view


def _instrument_node(view: View, graph: GraphReader, key: str, citing: int) -> None:
    """An instrument sized by the units citing it, found by the forms its title is written in."""
    node = graph.node(key)
    view.add_node(
        key,
        "instrument",
        node["label"],
        size=count_size(citing),
        facts=[f"类型 type: {node.get('type')}", f"引用单位 units citing: {citing}"],
        search=" ".join(sorted(node.get("written", ()))),
    )


def find_unit(graph: GraphReader, query: str) -> str:
    """The node key of the unit named or coded ``query`` (reporting units first)."""
    candidates = [key for key in graph.reporting_units()] + sorted(n for n, attrs in graph.nodes() if attrs.get("kind") == "unit")
    for key in candidates:
        node = graph.node(key)
        if query in (node.get("code"), node.get("label")):
            return key
    for key in candidates:
        if query in graph.node(key)["label"]:
            return key
    raise KeyError(f"no unit named or coded {query!r} in the graph")


def unit(graph: GraphReader, query: str) -> View:
    """One unit's neighbourhood: measures, problems, instruments, parents, the most similar units."""
    key = find_unit(graph, query)
    node = graph.node(key)
    units = graph.reporting_units()
    view = View(
        "unit",
        f"{node['label']}",
        f"{node['label']}: 措施、问题、法律文件、上级与相似单位 — measures, problems, instruments, parents, similar units",
    )
    group = Group(
        key,
        node["label"],
        [key],
        _facets(node, units.get(key, set())),
        [f"区划代码 code: {node.get('code') or '-'}", f"层级 level: {node.get('level') or '?'}"],
        _search({key: node}, [key]),
    )
    _add_groups(view, [group])
    for (target, relation), entry in sorted(_member_edges(graph, group, (IMPLEMENTS, PLANS)).items()):
        if target not in {n["id"] for n in view.nodes}:
            t = graph.node(target)
            view.add_node(target, t["kind"], t["label"], size=10, facts=[f"主题 theme: {t.get('theme') or '-'}"])
        view.add_edge(key, target, relation, planned=relation == PLANS, **_edge_attrs(graph, group, entry))
    for (target, relation), entry in sorted(_report_edges(graph, group, (CITES, STATES), graph.reports_by_unit()).items()):
        t = graph.node(target)
        if relation == STATES:
            category = (graph.node(f"category:{t.get('category')}") if f"category:{t.get('category')}" in graph else {}).get("label", "")
            view.add_node(target, "problem", t["label"], size=10, facts=[f"类别 category: {category}"], evidence=entry.evidence(graph))
        elif target not in {n["id"] for n in view.nodes}:
            view.add_node(target, "instrument", t["label"], size=8, facts=[f"类型 type: {t.get('type')}"])
        view.add_edge(key, target, relation, **_edge_attrs(graph, group, entry))
    child = key
    while True:
        parents = [p for p, _, _ in graph.out(child, (PART_OF,))]
        if not parents:
            break
        parent = parents[0]
        view.add_node(
            parent,
            "unit",
            graph.node(parent)["label"],
            size=18,
            facts=[f"区划代码 code: {graph.node(parent).get('code')}"],
            facets=_facets(graph.node(parent), set()),
        )
        view.add_edge(child, parent, PART_OF)
        child = parent
    profiles = Profiles(unit_measures(graph, units))
    scored = sorted(
        ((profiles.cosine(key, k), k) for k in profiles.profiles if k != key) if key in profiles.profiles else (),  # a parent: none
        key=lambda x: (-x[0], x[1]),
    )
    for score, other in [s for s in scored if s[0] > 0][:SIMILAR_UNITS]:
        o = graph.node(other)
        if other not in {n["id"] for n in view.nodes}:
            view.add_node(
                other, "unit", o["label"], size=16, facts=[f"相似度 similarity: {score:.2f}"], facets=_facets(o, units.get(other, set()))
            )
        view.add_edge(key, other, "similar", planned=True, facts=[f"相似度 similarity (IDF cosine): {score:.2f}"])
    view.facets = facet_menus(view)
    return view


def overview(graph: GraphReader, digest: Digest | None = None) -> View:
    """Reporting units with their measures, instruments and problems (graph.html)."""
    digest = digest or Digest(graph)
    units, adoption = digest.units, digest.adoption
    groups, grouping = digest.grouping
    view = View(
        "overview",
        "法治政府建设报告知识图谱",
        f"{len(graph.reports)} 份报告 reports: 单位、措施、法律文件与问题 — units, measures, instruments, problems"
        + (f". {grouping}" if grouping else ""),
    )
    _add_groups(view, groups)
    kept = set(digest.overview_measures)
    for measure in digest.overview_measures:
        _measure_node(view, graph, measure, adoption)
    cited: Counter[str] = Counter()  # units citing each instrument in the groups' strongest edges (groups are disjoint)
    for group in groups:
        for (target, relation), entry in _strongest(digest.member_edges(group), group):
            if target in kept:
                view.add_edge(group.key, target, relation, planned=relation == PLANS, **_edge_attrs(graph, group, entry))
        for (target, relation), entry in _strongest(digest.report_edges(group), group):
            if relation == CITES:
                cited[target] += entry.units
                view.add_edge(group.key, target, CITES, **_edge_attrs(graph, group, entry))
            elif len(units) <= MAX_UNIT_NODES:
                problem = graph.node(target)
                category = (
                    graph.node(f"category:{problem.get('category')}") if f"category:{problem.get('category')}" in graph else {}
                ).get("label", "")
                view.add_node(
                    target, "problem", problem["label"], size=8, facts=[f"类别 category: {category}"], evidence=entry.evidence(graph)
                )
                view.add_edge(group.key, target, STATES, **_edge_attrs(graph, group, entry))
                for measure in digest.remedies(target):
                    if measure in kept:
                        view.add_edge(target, measure, ADDRESSED_BY, planned=True)
    ranked = sorted(cited, key=lambda i: (-cited[i], i))[:MAX_INSTRUMENTS]
    for instrument in ranked:
        _instrument_node(view, graph, instrument, cited[instrument])
    shown = {n["id"] for n in view.nodes}
    view.edges = [e for e in view.edges if e["from"] in shown and e["to"] in shown]
    view.facets = facet_menus(view)
    return view


def build_view(graph: GraphReader, name: str, unit_query: str | None = None, digest: Digest | None = None, with_who: bool = True) -> View:
    """The view called ``name`` (one of :data:`VIEWS`); views drawn from one ``digest`` share their work.

    Without ``with_who`` the view's :func:`who` is left to the caller, who may ask the digest for the rows
    of several views' nodes at once (:meth:`Digest.who_rows`)."""
    digest = digest or Digest(graph)
    if name == "unit":
        if not unit_query:
            raise ValueError("the unit view needs a unit (name or division code)")
        view = unit(graph, unit_query)
    else:
        builders = {"overview": overview, "shared-practices": shared_practices, "problems": problems, "instruments": instruments}
        if name not in builders:
            raise ValueError(f"unknown view {name!r}; views: {', '.join(VIEWS)}")
        view = builders[name](graph, digest)
        _connect_every_node(graph, view, digest)
    if with_who:
        view.who = who(graph, view, digest)
    return view


def _connect_every_node(graph: GraphReader, view: View, digest: Digest) -> None:
    """Give each drawn measure, practice or instrument that units adopt but the edge cap left unconnected
    its strongest edge: from the group with the most units behind it (a node never floats free)."""
    groups = [group for group in digest.grouping[0] if group.key in {n["id"] for n in view.nodes}]
    linked = {e["to"] for e in view.edges} | {e["from"] for e in view.edges}
    orphans = {n["id"] for n in view.nodes if n["kind"] in ("measure", "practice", "instrument") and n["id"] not in linked}
    if not orphans or not groups:
        return
    best: dict[str, tuple[int, str, Group, str, Aggregate]] = {}
    for group in groups:
        candidates = list(digest.member_edges(group).items()) + list(digest.report_edges(group, (CITES,)).items())
        for (target, relation), entry in candidates:
            if target in orphans:
                rank = (entry.units, group.key)
                if target not in best or rank > best[target][:2]:
                    best[target] = (entry.units, group.key, group, relation, entry)
    for target in sorted(best):
        _, _, group, relation, entry = best[target]
        view.add_edge(group.key, target, relation, planned=relation == PLANS, **_edge_attrs(graph, group, entry))


WHO_EVIDENCE = 50  # rows of a node that carry their evidence sentence; the others name the unit, relation and years
_WHO_SENTENCE = 160  # characters of an evidence sentence kept in the page
WHO_RELATIONS = (IMPLEMENTS, PLANS, CITES, STATES, "member")


def _who_evidence(graph: GraphReader, data: dict) -> tuple[str, str, str, int] | None:
    items = evidence_items(graph, data)[:1]
    if not items:
        return None
    sentence = items[0]["sentence"]
    short = sentence if len(sentence) <= _WHO_SENTENCE else sentence[: _WHO_SENTENCE - 1] + "…"
    return short, items[0]["report"], items[0]["source"], items[0]["start"]


def who(graph: GraphReader, view: View, digest: Digest) -> dict:
    """Who is behind every drawn node: each reporting unit that implements or plans a measure, cites an
    instrument or states a problem of a category, with its years and evidence; and the members of groups.

    Compact, for pages of 10,000 reports: ``units`` lists each unit once — [node key, label, division code,
    level, province, city] —, ``sources`` each report once — [title (year), report
    id] —, and ``rows`` maps a node to its rows, complete (never capped): [unit index, relation index in
    ``relations``, year or years], and for the first :data:`WHO_EVIDENCE` rows of a node also [evidence
    sentence, source index, offset of the sentence in its file (the reading page's anchor)].
    The parsed form of :func:`who_json`, which a page of a national graph writes as it goes.
    """
    return json.loads("".join(who_json(view, digest)))


def who_json(view: View, digest: Digest) -> Iterator[str]:
    """The JSON text of :func:`who`, a node's rows at a time (keys sorted, as ``json.dumps(sort_keys=True)``
    writes them): the rows of a national graph's pages are never all in memory."""
    drawn = {node["id"] for node in view.nodes}
    digest.who_rows(drawn)
    groups = [group for group in digest.grouping[0] if group.key in drawn and len(group.members) > 1]
    index: dict[str, int] = {}
    for key in sorted(digest.units_behind(drawn)):  # in the order of the units, then the members of groups not yet listed
        index[key] = len(index)
    for group in groups:
        for member in group.members:
            index.setdefault(member, len(index))
    sources: list[list[str]] = []
    source_index: dict[str, int] = {}
    members = {group.key: group for group in groups}
    yield f'{{"relations":{_sorted_json(list(WHO_RELATIONS))},"rows":{{'
    first = True
    for key in sorted(drawn):
        if key in members:
            cells: list[list] = [
                [index[m], WHO_RELATIONS.index("member"), _years_cell(sorted(digest.units[m]))] for m in members[key].members
            ]
            text = _sorted_json(cells)
        else:  # each row's cell written as JSON text as it is read: millions of rows in a national graph's pages
            written = []
            for unit, relation, years, sentence, report, source, start in digest.rows_behind(key):
                if report is None:
                    written.append(f"[{index[unit]},{relation},{years}]")
                    continue
                if report not in source_index:
                    source_index[report] = len(sources)
                    sources.append([source, report])
                written.append(f"[{index[unit]},{relation},{years},{_sorted_json(sentence)},{source_index[report]},{start}]")
            if not written:
                continue
            text = "[" + ",".join(written) + "]"
        yield ("" if first else ",") + _sorted_json(key) + ":" + text
        first = False
    units = [[key, *(digest.nodes[key].get(a) or "" for a in UNIT_ATTRIBUTES)] for key in index]
    yield f'}},"sources":{_sorted_json(sources)},"units":{_sorted_json(units)}}}'


_sorted_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _years_cell(years: list[int]) -> int | list[int]:
    return years[0] if len(years) == 1 else years
