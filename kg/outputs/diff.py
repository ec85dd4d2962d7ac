"""Year over year: what a unit started, dropped and kept, what it did about last year's problems, how a measure spread.

>>> from kg.graph.merged import KnowledgeGraph
>>> unit_diff(KnowledgeGraph(), "unit:none")
[]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kg.graph.merged import CATEGORY, IMPLEMENTS, PLANS, STATES
from kg.graph.reading import GraphReader
from kg.knowledge.vocab import problem_categories


@dataclass
class Answer:
    """A problem a report of one year states, and the measures of the next year's reports that address its category."""

    problem: str
    category: str
    measures: list[str]


@dataclass
class Step:
    """From one year of a unit's reports to the next one it reported on."""

    before: int
    after: int
    started: list[str] = field(default_factory=list)  # measure labels stated in ``after``, not in ``before``
    dropped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


def _by_year(graph: GraphReader, unit: str) -> dict[int, set[str]]:
    """The measures (concepts and the unit's own practices) each year's reports state, implemented or planned."""
    stated: dict[int, set[str]] = defaultdict(set)
    for target, _relation, data in graph.out(unit, (IMPLEMENTS, PLANS)):
        for year in graph.years(data):
            stated[year].add(target)
    return stated


def unit_diff(graph: GraphReader, unit: str) -> list[Step]:
    """Each pair of consecutive years of ``unit``'s reports: measures started, dropped and kept, and answers to problems."""
    years = sorted(graph.reporting_units().get(unit, set()))
    if len(years) < 2:
        return []
    stated = _by_year(graph, unit)
    label = lambda node: graph.node(node)["label"]  # noqa: E731 - a short local lookup
    categories = problem_categories()
    reports = graph.reports_by_unit().get(unit, [])
    steps = []
    for before, after in zip(years, years[1:]):
        then, now = stated.get(before, set()), stated.get(after, set())
        step = Step(before, after, sorted(map(label, now - then)), sorted(map(label, then - now)), sorted(map(label, then & now)))
        for report in sorted(reports):
            if graph.reports[report].year != before:
                continue
            for problem, _, _ in graph.out(f"report:{report}", (STATES,)):
                for category, _, _ in graph.out(problem, (CATEGORY,)):
                    concept = category.split(":", 1)[1]
                    remedies = {f"measure:{m}" for m in categories[concept].addressed_by} if concept in categories else set()
                    step.answers.append(Answer(label(problem), label(category), sorted(map(label, remedies & now))))
        steps.append(step)
    return steps


@dataclass
class Spread:
    """A measure's spread in one year: the units that state it, those that state it for the first time, their provinces."""

    year: int
    units: int
    new: list[str]
    provinces: dict[str, int]


def diffusion(graph: GraphReader, measure: str) -> list[Spread]:
    """Year by year, how many reporting units state ``measure`` (a node key such as ``measure:legal-advisers``), which do so
    first that year (the first adopters in the earliest year), and in which provinces."""
    first: dict[str, int] = {}
    by_year: dict[int, set[str]] = defaultdict(set)
    for unit in graph.reporting_units():
        years = _by_year(graph, unit)
        for year, measures in years.items():
            if measure in measures:
                by_year[year].add(unit)
                first[unit] = min(first.get(unit, year), year)
    spread = []
    for year in sorted(by_year):
        provinces: dict[str, int] = defaultdict(int)
        for unit in by_year[year]:
            provinces[graph.node(unit).get("province") or "(unknown)"] += 1
        new = sorted(graph.node(u)["label"] for u in by_year[year] if first[u] == year)
        spread.append(Spread(year, len(by_year[year]), new, dict(sorted(provinces.items()))))
    return spread
