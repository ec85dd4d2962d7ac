"""Analyses of the graph with networkx: adoption, similar units, clusters, distinctive practices, problems.

Units are compared by their rarity-weighted measures (:mod:`kg.outputs.similarity`); a cluster is labelled by
the measures whose presence says most about membership:

>>> round(_mutual_information(both=4, in_cluster=5, with_measure=6, total=100), 3)
0.105
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
import sys
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import networkx as nx

from kg.files.atomic import atomic_path, write_text
from kg.graph.merged import ADDRESSED_BY, CATEGORY, IMPLEMENTS, PLANS, STATES, ReportInfo
from kg.graph.reading import GraphReader
from kg.outputs import site as site_pages
from kg.outputs.recurring import Item, recurring
from kg.outputs.similarity import Profiles

SIMILAR_PER_UNIT = 5
CLUSTER_NEIGHBOURS = 5  # each unit links to its most similar units in the clustering graph
CLUSTER_SEED = 42
CLUSTER_LABELS = 3  # measures named per cluster
RARE_SHARE = 0.05  # a measure at most this share of units states (or one unit alone) is distinctive of each of them
DISTINCTIVE_PER_UNIT = 10
PROVINCE_UNITS = 3  # provinces with fewer reporting units are not compared
PROVINCE_LIFT = 2.0  # a measure distinguishes a province when its share there is at least this times its share overall


UNIT_ATTRIBUTES = ("label", "code", "level", "province", "city")  # what the tables and the views show of a unit


def unit_measures(graph: GraphReader, units) -> dict[str, set[str]]:
    """The measures (concepts and local practices) each unit implements."""
    return {u: {t for t, keyed in successors.items() if IMPLEMENTS in keyed} for u, successors in graph.targets_of(units, (IMPLEMENTS,))}


def unit_nodes(graph: GraphReader, units) -> dict[str, dict]:
    """The attributes of :data:`UNIT_ATTRIBUTES` each unit has: read once for a pass that names many units."""
    return {u: {a: attrs[a] for a in UNIT_ATTRIBUTES if a in attrs} for u, attrs in graph.attributes_of(units)}


class Rows(Sequence[dict]):
    """The rows of a table, read as dicts but kept as tuples under one header: the tables of a national graph
    have a row per problem or per unit, millions of them, and a dict costs four times its values.

    >>> rows = Rows()
    >>> rows.append({"unit": "七里街道", "rank": 1})
    >>> rows[0], len(rows), rows == [{"unit": "七里街道", "rank": 1}]
    ({'unit': '七里街道', 'rank': 1}, 1, True)
    """

    def __init__(self, rows: Iterable[dict] = ()) -> None:
        self.header: tuple[str, ...] = ()
        self._values: list[tuple] = []
        for row in rows:
            self.append(row)

    def append(self, row: dict) -> None:
        if not self._values:
            self.header = tuple(row)
        self._values.append(tuple(row.values()))  # every row of a table is made by one dict literal: same keys, same order

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [dict(zip(self.header, values)) for values in self._values[index]]
        return dict(zip(self.header, self._values[index]))

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[dict]:
        return (dict(zip(self.header, values)) for values in self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"Rows({list(self)!r})"


@dataclass
class Analysis:
    """Tables of the analysis; each is a sequence of rows (dicts of one header)."""

    adoption: Rows = field(default_factory=Rows)
    similar: Rows = field(default_factory=Rows)
    clusters: Rows = field(default_factory=Rows)
    distinctive: Rows = field(default_factory=Rows)
    distinctive_by_province: Rows = field(default_factory=Rows)
    prevalence: Rows = field(default_factory=Rows)
    prevalence_by_level: Rows = field(default_factory=Rows)
    prevalence_by_province: Rows = field(default_factory=Rows)
    remedies: Rows = field(default_factory=Rows)
    recurring: Rows = field(default_factory=Rows)
    units: int = 0
    reports: int = 0


def analyze(graph: GraphReader) -> Analysis:
    """Run every analysis on a graph."""

    units = list(graph.reporting_units())
    result = Analysis(units=len(units), reports=len(graph.reports))
    named = unit_nodes(graph, units)
    _measure_tables(graph, units, named, result)
    _problem_tables(graph, named, result)
    return result


def _measure_tables(graph: GraphReader, units: list[str], named: dict[str, dict], result: Analysis) -> None:
    """Adoption, distinctive practices, similar units and clusters: from what each unit implements and plans (its
    profile), which is let go when they are done — the problems' tables need none of it."""
    # one pass: what each unit implements (its profile) and plans; per measure only counts (a unit's edges have
    # each target once), not the units — those are the profiles, read again where needed
    # as tuples: a national corpus's profiles take a third of the memory sets would (targets_of holds each key once)
    measures: dict[str, tuple[str, ...]] = {}
    plans: dict[str, tuple[str, ...]] = {}
    implemented: Counter[str] = Counter()
    planned: Counter[str] = Counter()
    stating: Counter[str] = Counter()
    for u, successors in graph.targets_of(units, (IMPLEMENTS, PLANS)):
        measures[u] = tuple(sorted(t for t, keyed in successors.items() if IMPLEMENTS in keyed))
        plans[u] = tuple(sorted(t for t, keyed in successors.items() if PLANS in keyed))
        implemented.update(measures[u])
        planned.update(plans[u])
        stating.update({*measures[u], *plans[u]})
    profiles = Profiles(measures)
    measure_names = _Names(graph)
    for measure, node in graph.attributes_of(sorted(stating, key=lambda m: (-implemented[m], m))):
        measure_names.keep(measure, node)
        result.adoption.append(
            {
                "measure": node["label"],
                "id": measure.split(":", 1)[1] if node["kind"] == "measure" else "",
                "kind": node["kind"],
                "theme": node.get("theme") or "",
                "units_implementing": implemented[measure],
                "units_planning": planned[measure],
                "share_implementing": round(profiles.share(measure), 4),
                "weight": round(profiles.weight(measure), 4),
                "boilerplate": "yes" if profiles.boilerplate(measure) else "",
            }
        )
    result.distinctive = _distinctive(measure_names, named, profiles, plans, stating)
    result.distinctive_by_province = _distinctive_by_province(measure_names, named, profiles)

    neighbours = profiles.neighbours(max(SIMILAR_PER_UNIT, CLUSTER_NEIGHBOURS))
    for u in sorted(units, key=lambda k: (named[k]["label"], k)):
        for rank, (score, other) in enumerate(neighbours.get(u, [])[:SIMILAR_PER_UNIT], 1):
            result.similar.append(
                {
                    "unit": named[u]["label"],
                    "code": named[u].get("code") or "",
                    "rank": rank,
                    "similar_unit": named[other]["label"],
                    "similar_code": named[other].get("code") or "",
                    "similarity": score,
                    "shared_measures": len(profiles.shared(u, other)),
                    "shared_distinctive": "; ".join(measure_names.label(m) for m in profiles.shared_distinctive(u, other)),
                }
            )
    result.clusters = _clusters(measure_names, named, profiles, neighbours)


def _problem_tables(graph: GraphReader, named: dict[str, dict], result: Analysis) -> None:
    """Prevalence of problem categories (overall, by level, by province), problems and remedies, recurring problems."""

    category_units: dict[str, set[str]] = defaultdict(set)
    category_problems: Counter[str] = Counter()
    stated: Counter[str] = Counter()  # problems of each category, and those their own report plans a measure against
    addressed: Counter[str] = Counter()
    items = []  # the problems stated, for the recurring problems
    # strings many rows repeat, held once: each unit's name, and each list of categories or of measures joined
    names: dict[str, str] = {}
    joined: dict[tuple[str, ...], str] = {}
    for info, problem, node, successors in _stated(graph):
        # multi-label: a problem counts in each of its categories, the main one listed first
        ids = _categories(node, successors)
        categories = [graph.node(f"category:{c}")["label"] for c in ids]
        remedies = tuple(sorted(graph.node(m)["label"] for m, keyed in successors.items() if ADDRESSED_BY in keyed))
        unit_node = named[info.unit] if info.unit else {}
        name = names.get(info.unit or info.file)
        if name is None:
            name = names[info.unit or info.file] = unit_node.get("label", info.file) + (
                f" ({unit_node['code']})" if unit_node.get("code") else ""
            )
        # a build's problems carry their words: the text is then not needed, and the words are held once each
        words = (_interned(node["words"]), _interned(node["text_words"])) if "words" in node else None
        items.append(Item(problem, name, info.year, node["label"], node.get("text", "") if words is None else "", ids, words))
        result.remedies.append(
            {
                "unit": unit_node.get("label", ""),
                "year": info.year or "",
                "problem": node["label"],
                "category": categories[0] if categories else "",
                "categories": joined.setdefault(tuple(categories), "; ".join(categories)),
                "addressed": bool(remedies),
                "planned_measures": joined.setdefault(remedies, "; ".join(remedies)),
            }
        )
        for label in set(categories):
            stated[label] += 1
            addressed[label] += bool(remedies)
        if info.unit:
            for label in categories:
                category_units[label].add(info.unit)
                category_problems[label] += 1
    units_with_problems = len(set().union(*category_units.values())) if category_units else 0
    for category in sorted(category_units, key=lambda c: (-len(category_units[c]), c)):
        result.prevalence.append(
            {
                "category": category,
                "units": len(category_units[category]),
                "problems": category_problems[category],
                "share_of_units_stating_problems": round(len(category_units[category]) / units_with_problems, 4)
                if units_with_problems
                else 0.0,
                "share_addressed": round(addressed[category] / stated[category], 4) if stated[category] else 0.0,
            }
        )
    # units per (level, category) and (province, category): each unit of a category counted where it is
    by_level: Counter[tuple[str, str]] = Counter()
    by_province: Counter[tuple[str, str]] = Counter()
    for label, stating_units in category_units.items():
        for u in stating_units:
            by_level[(named[u].get("level") or "unknown", label)] += 1
            by_province[(named[u].get("province") or "unknown", label)] += 1
    result.prevalence_by_level = Rows(
        {"level": level, "category": c, "units": n} for (level, c), n in sorted(by_level.items(), key=lambda x: (x[0][0], -x[1], x[0][1]))
    )
    result.recurring = _recurring(graph, items)
    result.prevalence_by_province = Rows(
        {"province": p, "category": c, "units": n} for (p, c), n in sorted(by_province.items(), key=lambda x: (x[0][0], -x[1], x[0][1]))
    )


class _Names:
    """The label and kind of each measure the units state, kept from the one pass that reads them all: the tables
    name them again for every unit and pair of units (a query each, past the read cache, at national scale)."""

    def __init__(self, graph: GraphReader) -> None:
        self.graph = graph
        self.known: dict[str, tuple[str, str]] = {}

    def keep(self, key: str, node: Mapping) -> None:
        self.known[key] = (node["label"], node["kind"])

    def label(self, key: str) -> str:
        known = self.known.get(key)
        return known[0] if known else self.graph.node(key)["label"]

    def kind(self, key: str) -> str:
        known = self.known.get(key)
        return known[1] if known else self.graph.node(key)["kind"]


def _stated(graph: GraphReader) -> Iterator[tuple[ReportInfo, str, dict, dict[str, set[str]]]]:
    """(report, problem, its attributes, its edges) of every problem a report states, the reports by file: one
    pass that reads each report and each problem once."""
    reports = sorted(graph.reports.values(), key=lambda i: i.file)
    found = []
    for info, (_, successors) in zip(reports, graph.targets_of((f"report:{i.id}" for i in reports), (STATES,)), strict=True):
        found += [(info, problem) for problem, keyed in successors.items() if STATES in keyed]
    problems = [problem for _, problem in found]
    for (info, problem), (_, node), (_, successors) in zip(
        found, graph.attributes_of(problems), graph.targets_of(problems, (CATEGORY, ADDRESSED_BY)), strict=True
    ):
        yield info, problem, node, successors


def _interned(words: str) -> tuple[str, ...]:
    """Space-separated words as a tuple of strings held once however many problems say them."""
    return tuple(sys.intern(w) for w in words.split())


def _categories(node: dict, successors: Mapping[str, Container[str]]) -> tuple[str, ...]:
    """The ids of a problem's categories (from its attributes and edges): the main one, then the others by id."""
    main = node.get("category")
    others = sorted(c.split(":", 1)[1] for c, keyed in successors.items() if CATEGORY in keyed)
    return tuple(([main] if main in others else []) + [c for c in others if c != main])


def _recurring(graph: GraphReader, items: list[Item]) -> Rows:
    """The problems several reports state (:mod:`kg.outputs.recurring`), one row per report's item."""
    rows = Rows()
    for number, group in enumerate(recurring(items), 1):
        units, named = len(group.units), " ".join(group.words)  # once per group: a group may hold thousands of items
        labels = "; ".join(graph.node(f"category:{c}")["label"] for c in group.categories)
        for item in group.items:
            rows.append(
                {
                    "recurring": number,
                    "units": units,
                    "reports": len(group.items),
                    "problem": group.headline,
                    "words": named,
                    "categories": labels,
                    "unit": item.unit,
                    "year": item.year or "",
                    "as_stated": item.headline,
                }
            )
    return rows


def _distinctive(
    names: _Names, named: dict[str, dict], profiles: Profiles, plans: Mapping[str, Collection[str]], stating: Counter[str]
) -> Rows:
    """Each unit's rare measures (one unit alone, or at most :data:`RARE_SHARE` of units), rarest first.

    ``named`` holds the units' attributes (:func:`unit_nodes`), ``plans`` what each plans, ``stating`` the number
    of units implementing or planning each measure. A concept of the scheme (a national programme) and a local
    practice kg found are told apart by ``kind``; local practices come first among equals.
    """
    rare = max(1, int(RARE_SHARE * len(named)))
    mine: dict[str, list[str]] = {}
    for u in named:
        owned = [m for m in set(profiles.profiles[u]).union(plans[u]) if stating[m] <= rare and not profiles.boilerplate(m)]
        if owned:
            mine[u] = owned
    rows = Rows()
    for u in sorted(mine, key=lambda k: (named[k]["label"], k)):
        implemented = set(profiles.profiles[u])
        ranked = sorted(mine[u], key=lambda m: (stating[m], names.kind(m) != "practice", names.label(m), m))
        for m in ranked[:DISTINCTIVE_PER_UNIT]:
            rows.append(
                {
                    "practice": names.label(m),
                    "kind": names.kind(m),
                    "unit": named[u]["label"],
                    "code": named[u].get("code") or "",
                    "units_stating": stating[m],
                    "status": "implemented" if m in implemented else "planned",
                }
            )
    return rows


def _distinctive_by_province(names: _Names, named: dict[str, dict], profiles: Profiles) -> Rows:
    """Measures a province's units state at least :data:`PROVINCE_LIFT` times as often as all units (two units or more)."""
    members: dict[str, list[str]] = defaultdict(list)
    for u in named:
        if named[u].get("province"):
            members[named[u]["province"]].append(u)
    rows = Rows()
    for province in sorted(members):
        inside = Counter(m for u in members[province] for m in profiles.profiles[u])
        n = len(members[province])
        if n < PROVINCE_UNITS or n == len(named):
            continue
        lifted = [(inside[m] / n / profiles.share(m), m) for m in inside if inside[m] >= 2 and not profiles.boilerplate(m)]
        for lift, m in sorted((x for x in lifted if x[0] >= PROVINCE_LIFT), key=lambda x: (-inside[x[1]], -x[0], x[1])):
            rows.append(
                {
                    "province": province,
                    "units": n,
                    "measure": names.label(m),
                    "id": m.split(":", 1)[1] if names.kind(m) == "measure" else "",
                    "units_in_province": inside[m],
                    "share_in_province": round(inside[m] / n, 4),
                    "share_overall": round(profiles.share(m), 4),
                    "lift": round(lift, 2),
                }
            )
    return rows


def _clusters(names: _Names, named: dict[str, dict], profiles: Profiles, neighbours) -> Rows:
    """Louvain communities of the graph linking each unit to its most similar units, each labelled by the measures
    that tell its members from the rest (mutual information of membership and measure, Manning et al. 2008 §17.7),
    boilerplate left out."""
    similarity = nx.Graph()
    similarity.add_nodes_from(sorted(named))
    for u in sorted(named):
        for score, other in neighbours.get(u, [])[:CLUSTER_NEIGHBOURS]:
            if score > 0:
                similarity.add_edge(u, other, weight=score)
    if similarity.number_of_edges() == 0:
        return Rows()
    communities = nx.community.louvain_communities(similarity, weight="weight", seed=CLUSTER_SEED)
    communities = sorted((sorted(c) for c in communities), key=lambda c: (-len(c), c))
    rows = Rows()
    for number, members in enumerate(communities, 1):
        inside = Counter(m for u in members for m in profiles.profiles[u])
        scored = [
            (_mutual_information(inside[m], len(members), profiles.frequency[m], len(named)), m)
            for m in inside
            if inside[m] >= 2 and not profiles.boilerplate(m) and inside[m] / len(members) > profiles.share(m)
        ]
        marks = [names.label(m) for _, m in sorted(scored, key=lambda x: (-x[0], x[1]))[:CLUSTER_LABELS]]
        for u in members:
            rows.append(
                {
                    "cluster": number,
                    "size": len(members),
                    "unit": named[u]["label"],
                    "code": named[u].get("code") or "",
                    "characteristic_measures": "; ".join(marks),
                }
            )
    return rows


def _mutual_information(both: int, in_cluster: int, with_measure: int, total: int) -> float:
    """I(C; M) of cluster membership and stating a measure, from the four counts of their 2×2 table."""
    cells = (
        (both, in_cluster, with_measure),
        (in_cluster - both, in_cluster, total - with_measure),
        (with_measure - both, total - in_cluster, with_measure),
        (total - in_cluster - with_measure + both, total - in_cluster, total - with_measure),
    )
    return sum(n / total * math.log(n * total / (row * column)) for n, row, column in cells if n > 0)


# ---------------------------------------------------------------------------- writing

TABLES = (
    "adoption",
    "similar",
    "clusters",
    "distinctive",
    "distinctive_by_province",
    "prevalence",
    "prevalence_by_level",
    "prevalence_by_province",
    "remedies",
    "recurring",
)


def to_csv(rows: Sequence[dict]) -> str:
    buffer = io.StringIO()
    write_csv(buffer, rows)
    return buffer.getvalue()


def write_csv(handle: TextIO, rows: Sequence[dict]) -> None:
    """The rows as CSV with their header (nothing for no rows), written as they are read."""
    if rows:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write(analysis: Analysis, out_dir: str | Path, site: str | Path | None = None) -> list[Path]:
    """analysis.html, analysis.md and one CSV per table, each written atomically.

    ``site`` is the folder ``kg build`` wrote (graph.html, views/): the page then links to its views, and
    its rows to the view filtered to that row.
    """
    out_dir = Path(out_dir)
    written = []
    for name in TABLES:
        path = out_dir / f"{name}.csv"
        with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="") as handle:
            write_csv(handle, getattr(analysis, name))
        written.append(path)
    to_site = os.path.relpath(Path(site).resolve(), out_dir.resolve()).replace(os.sep, "/") if site is not None else None
    write_text(out_dir / "analysis.html", render_html(analysis, to_site))
    write_text(out_dir / "analysis.md", render_markdown(analysis))
    return written + [out_dir / "analysis.html", out_dir / "analysis.md"]


def _bar_chart(rows: list[tuple[str, float, str]], title: str) -> str:
    """A horizontal bar chart as inline SVG: (label, value, value text) per bar."""
    if not rows:
        return ""
    height, width, label_width = 22, 760, 300
    top = max(v for _, v, _ in rows) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{html.escape(title)}" width="{width}" height="{len(rows) * height + 10}" '
        f'viewBox="0 0 {width} {len(rows) * height + 10}">'
    ]
    for i, (label, value, text) in enumerate(rows):
        y = i * height + 4
        bar = (width - label_width - 70) * value / top
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{bar:.1f}" height="{height - 8}" rx="2"></rect>'
            f'<text x="{label_width + bar + 6:.1f}" y="{y + 14}">{html.escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


Link = Callable[[dict], str | None]


def _table(rows: Sequence[dict], limit: int | None = None, links: dict[str, Link] | None = None) -> str:
    """An HTML table; ``links`` maps a column to the address its cells open (the view filtered to that row)."""
    if not rows:
        return "<p>无数据 — no data.</p>"
    shown = rows[:limit] if limit else rows
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in shown[0])

    def cell(row: dict, key: str, value) -> str:
        href = (links or {}).get(key, lambda _row: None)(row)
        text = html.escape(str(value))
        return f'<td><a href="{html.escape(href)}">{text}</a></td>' if href else f"<td>{text}</td>"

    body = "".join("<tr>" + "".join(cell(row, k, v) for k, v in row.items()) + "</tr>" for row in shown)
    more = f"<p class=note>… {len(rows) - len(shown)} more rows in the CSV file.</p>" if len(rows) > len(shown) else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _site_links(site: str | None) -> dict[str, Link]:
    """Where the cells of the tables lead when the analysis sits beside a build's pages: a measure to the
    shared-practices view with its units listed, a province to the problems view filtered to it, a unit to
    the overview searched for it (the views keep their state in the address)."""
    if site is None:
        return {}

    def view(page: str, **state: str) -> str:
        return f"{site}/{page}#" + urllib.parse.urlencode(state, quote_via=urllib.parse.quote)

    return {
        "measure": lambda row: view(site_pages.PATHS["shared-practices"], node=f"measure:{row['id']}") if row.get("id") else None,
        "province": lambda row: view(site_pages.PATHS["problems"], province=row["province"]) if row.get("province") else None,
        "unit": lambda row: view(site_pages.PATHS["overview"], q=row.get("code") or row["unit"]) if row.get("unit") else None,
    }


def render_html(a: Analysis, site: str | None = None) -> str:
    """The analysis as one self-contained page: charts and tables, no request outside itself.

    With ``site`` (the build's output folder, relative to the page) it links to the views, and rows to the
    view filtered to them.
    """
    links = _site_links(site)
    nav = (
        "<nav>"
        + "".join(
            f'<a href="{html.escape(f"{site}/{path}")}">{html.escape(label)}</a>'
            for page, path, label in site_pages.PAGES
            if page != "analysis"
        )
        + "</nav>"
        if site is not None
        else ""
    )
    adoption_chart = _bar_chart(
        [(r["measure"], r["units_implementing"], str(r["units_implementing"])) for r in a.adoption[:25]],
        "measures by number of units implementing them",
    )
    prevalence_chart = _bar_chart(
        [(r["category"], r["units"], f"{r['units']} ({r['share_addressed']:.0%} addressed)") for r in a.prevalence],
        "problem categories by number of units",
    )
    sections = [
        (
            "措施采用 Adoption of measures",
            "How many reporting units implement and plan each measure; weight: its rarity (IDF, log of units over units "
            "implementing); boilerplate: stated by half the units or more, so it never sets a unit or a cluster apart.",
            adoption_chart + _table(a.adoption, 40, links),
        ),
        (
            "问题类别 Problem categories",
            "How many units state problems of each category, and how many of those problems their own report plans a measure against.",
            prevalence_chart + _table(a.prevalence),
        ),
        (
            "反复出现的问题 Recurring problems",
            "Problem items of several reports that say the same thing (content words weighted by rarity, cosine, within shared "
            "categories), each named by its most central item.",
            _table(a.recurring, 80),
        ),
        ("按层级 By level", "Problem categories by the level of the reporting unit.", _table(a.prevalence_by_level, 60)),
        ("按省份 By province", "Problem categories by province.", _table(a.prevalence_by_province, 60, links)),
        (
            "相似单位 Similar units",
            f"Each unit's {SIMILAR_PER_UNIT} most similar units: cosine of the measures they implement, each weighted by its rarity "
            f"(IDF), so boilerplate counts for nothing and a short excerpt is not punished for its length; with the rarest measures "
            f"the two share.",
            _table(a.similar, 60, links),
        ),
        (
            "单位聚类 Clusters",
            "Communities (Louvain) of the graph linking each unit to its most similar units, labelled by the measures that tell "
            "members from the rest (mutual information; boilerplate — measures half the units state — never labels a cluster).",
            _table(a.clusters, 80),
        ),
        (
            "特色做法 Distinctive practices",
            f"Each unit's rare measures — stated by one unit, or by at most {RARE_SHARE:.0%} of units — local practices first.",
            _table(a.distinctive, 80, links),
        ),
        (
            "省份特色 Distinctive by province",
            f"Measures a province's units state at least {PROVINCE_LIFT:g} times as often as all units (provinces of "
            f"{PROVINCE_UNITS} units or more).",
            _table(a.distinctive_by_province, 60, links),
        ),
        (
            "问题与对策 Problems and remedies",
            "Each problem a report states, and the measures the same report plans against it.",
            _table(a.remedies, 80),
        ),
    ]
    body = "".join(f"<section><h2>{html.escape(t)}</h2><p class=note>{html.escape(d)}</p>{content}</section>" for t, d, content in sections)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>法治政府建设报告分析 Analysis</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 24px auto; max-width: 1100px; color: #1d2530; padding: 0 16px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 32px; border-bottom: 1px solid #d9dee5; padding-bottom: 4px; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 8px 0; }} th, td {{ border: 1px solid #d9dee5; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f5f8; }} .note {{ color: #5b6573; font-size: 13px; }}
nav {{ display: flex; gap: 14px; font-size: 13px; }} a {{ color: #2f4b68; }}
svg.chart text {{ font-size: 12px; fill: #1d2530; }} svg.chart rect {{ fill: #59a14f; }}
</style></head><body>
{nav}
<h1>法治政府建设报告分析 — Analysis of {a.reports} reports from {a.units} units</h1>
{body}
</body></html>
"""


def _markdown_table(rows: Sequence[dict], limit: int) -> str:
    if not rows:
        return "_no data_\n"
    shown = rows[:limit]
    lines = ["| " + " | ".join(map(str, shown[0])) + " |", "|" + "---|" * len(shown[0])]
    lines += ["| " + " | ".join(str(v).replace("|", "/") for v in row.values()) + " |" for row in shown]
    if len(rows) > limit:
        lines.append(f"\n… {len(rows) - limit} more rows in the CSV file.")
    return "\n".join(lines) + "\n"


def render_markdown(a: Analysis, limit: int = 20) -> str:
    """The analysis as Markdown (the first rows of each table; the CSV files hold all)."""
    parts = [f"# Analysis of {a.reports} reports from {a.units} units\n"]
    for title, name in (
        ("Adoption of measures", "adoption"),
        ("Problem categories", "prevalence"),
        ("Recurring problems", "recurring"),
        ("By level", "prevalence_by_level"),
        ("Similar units", "similar"),
        ("Clusters", "clusters"),
        ("Distinctive practices", "distinctive"),
        ("Distinctive by province", "distinctive_by_province"),
        ("Problems and remedies", "remedies"),
    ):
        parts.append(f"## {title}\n\n" + _markdown_table(getattr(a, name), limit))
    return "\n".join(parts)
