"""Analyses of the graph with networkx: adoption, similar units, clusters, distinctive practices, problems.

>>> jaccard({"a", "b"}, {"b", "c"})
0.3333333333333333
"""

from __future__ import annotations

import csv
import html
import io
import os
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from kg.files.atomic import write_text
from kg.graph.merged import ADDRESSED_BY, CATEGORY, IMPLEMENTS, PLANS, STATES, KnowledgeGraph
from kg.outputs import site as site_pages

SIMILAR_PER_UNIT = 5
CLUSTER_NEIGHBOURS = 5  # each unit links to its most similar units in the clustering graph
CLUSTER_SEED = 42


def jaccard(a: set, b: set) -> float:
    """Shared measures over all measures of two units."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def unit_measures(graph: KnowledgeGraph, units) -> dict[str, set[str]]:
    """The measures (concepts and local practices) each unit implements."""
    return {u: {t for _, t, rel in graph.graph.out_edges(u, keys=True) if rel == IMPLEMENTS} for u in units}


@dataclass
class Analysis:
    """Tables of the analysis; each is a list of rows with a header."""

    adoption: list[dict] = field(default_factory=list)
    similar: list[dict] = field(default_factory=list)
    clusters: list[dict] = field(default_factory=list)
    distinctive: list[dict] = field(default_factory=list)
    prevalence: list[dict] = field(default_factory=list)
    prevalence_by_level: list[dict] = field(default_factory=list)
    prevalence_by_province: list[dict] = field(default_factory=list)
    remedies: list[dict] = field(default_factory=list)
    units: int = 0
    reports: int = 0


def analyze(graph: KnowledgeGraph) -> Analysis:
    """Run every analysis on a graph."""

    g = graph.graph
    units = list(graph.reporting_units())
    result = Analysis(units=len(units), reports=len(graph.reports))
    profiles = unit_measures(graph, units)

    implemented: dict[str, set[str]] = defaultdict(set)
    planned: dict[str, set[str]] = defaultdict(set)
    for u in units:
        for _, target, relation in g.out_edges(u, keys=True):
            if relation == IMPLEMENTS:
                implemented[target].add(u)
            elif relation == PLANS:
                planned[target].add(u)
    for measure in sorted(implemented.keys() | planned.keys(), key=lambda m: (-len(implemented.get(m, ())), m)):
        node = g.nodes[measure]
        result.adoption.append(
            {
                "measure": node["label"],
                "id": measure.split(":", 1)[1] if node["kind"] == "measure" else "",
                "kind": node["kind"],
                "theme": node.get("theme") or "",
                "units_implementing": len(implemented.get(measure, ())),
                "units_planning": len(planned.get(measure, ())),
                "share_implementing": round(len(implemented.get(measure, ())) / len(units), 4) if units else 0.0,
            }
        )
        if len(implemented.get(measure, set()) | planned.get(measure, set())) == 1:
            (owner,) = implemented.get(measure, set()) | planned.get(measure, set())
            result.distinctive.append(
                {
                    "practice": node["label"],
                    "kind": node["kind"],
                    "unit": g.nodes[owner]["label"],
                    "code": g.nodes[owner].get("code") or "",
                    "status": "implemented" if measure in implemented else "planned",
                }
            )

    neighbours = _similar_units(profiles)
    for u in sorted(units, key=lambda k: (g.nodes[k]["label"], k)):
        for rank, (score, other) in enumerate(neighbours.get(u, [])[:SIMILAR_PER_UNIT], 1):
            result.similar.append(
                {
                    "unit": g.nodes[u]["label"],
                    "code": g.nodes[u].get("code") or "",
                    "rank": rank,
                    "similar_unit": g.nodes[other]["label"],
                    "similar_code": g.nodes[other].get("code") or "",
                    "jaccard": round(score, 4),
                    "shared_measures": len(profiles[u] & profiles[other]),
                }
            )
    result.clusters = _clusters(graph, units, profiles, neighbours)

    category_units: dict[str, set[str]] = defaultdict(set)
    category_problems: Counter[str] = Counter()
    by_level: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_province: dict[tuple[str, str], set[str]] = defaultdict(set)
    for info in sorted(graph.reports.values(), key=lambda i: i.file):
        for _, problem, relation in g.out_edges(f"report:{info.id}", keys=True):
            if relation != STATES:
                continue
            categories = [c for _, c, rel in g.out_edges(problem, keys=True) if rel == CATEGORY]
            remedies = sorted(g.nodes[m]["label"] for _, m, rel in g.out_edges(problem, keys=True) if rel == ADDRESSED_BY)
            category = g.nodes[categories[0]]["label"] if categories else ""
            unit_node = g.nodes[info.unit] if info.unit else {}
            result.remedies.append(
                {
                    "unit": unit_node.get("label", ""),
                    "year": info.year or "",
                    "problem": g.nodes[problem]["label"],
                    "category": category,
                    "addressed": bool(remedies),
                    "planned_measures": "; ".join(remedies),
                }
            )
            if categories and info.unit:
                category_units[category].add(info.unit)
                category_problems[category] += 1
                by_level[(unit_node.get("level") or "unknown", category)].add(info.unit)
                by_province[(unit_node.get("province") or "unknown", category)].add(info.unit)
    units_with_problems = len(set().union(*category_units.values())) if category_units else 0
    for category in sorted(category_units, key=lambda c: (-len(category_units[c]), c)):
        addressed = [r for r in result.remedies if r["category"] == category]
        result.prevalence.append(
            {
                "category": category,
                "units": len(category_units[category]),
                "problems": category_problems[category],
                "share_of_units_stating_problems": round(len(category_units[category]) / units_with_problems, 4)
                if units_with_problems
                else 0.0,
                "share_addressed": round(sum(r["addressed"] for r in addressed) / len(addressed), 4) if addressed else 0.0,
            }
        )
    result.prevalence_by_level = [
        {"level": level, "category": c, "units": len(us)}
        for (level, c), us in sorted(by_level.items(), key=lambda x: (x[0][0], -len(x[1]), x[0][1]))
    ]
    result.prevalence_by_province = [
        {"province": p, "category": c, "units": len(us)}
        for (p, c), us in sorted(by_province.items(), key=lambda x: (x[0][0], -len(x[1]), x[0][1]))
    ]
    return result


def _similar_units(profiles: dict[str, set[str]], block: int = 1024) -> dict[str, list[tuple[float, str]]]:
    """Each unit's most similar units by Jaccard over measures.

    Measure sets form a 0/1 matrix; shared measures of all pairs are its
    product with itself, taken a block of rows at a time so memory stays
    bounded (five thousand units: a fraction of a second).
    """
    import numpy as np

    keys = sorted(profiles)
    measures = sorted(set().union(*profiles.values())) if profiles else []
    if not keys or not measures:
        return {k: [] for k in keys}
    column = {m: i for i, m in enumerate(measures)}
    matrix = np.zeros((len(keys), len(measures)), dtype=np.float32)
    for row, key in enumerate(keys):
        matrix[row, [column[m] for m in profiles[key]]] = 1.0
    sizes = matrix.sum(axis=1)
    wanted = min(max(SIMILAR_PER_UNIT, CLUSTER_NEIGHBOURS), len(keys) - 1)
    if wanted < 1:  # one unit: nothing to compare it with
        return {k: [] for k in keys}
    best: dict[str, list[tuple[float, str]]] = {}
    for start in range(0, len(keys), block):
        shared = (matrix[start : start + block] @ matrix.T).astype(np.float64)  # small integers: exact
        union = sizes[start : start + block, None] + sizes[None, :] - shared
        scores = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        for offset in range(scores.shape[0]):
            row = start + offset
            line = scores[offset]
            line[row] = -1.0  # not similar to itself
            # the best few: a partition, then an exact order (score down, then key) among them and their ties
            kth = np.partition(line, len(line) - wanted)[len(line) - wanted]
            candidates = np.nonzero(line >= kth)[0]
            order = candidates[np.lexsort((candidates, -line[candidates]))][:wanted]
            best[keys[row]] = [(float(line[j]), keys[j]) for j in order if line[j] > 0]
    return best


def _clusters(graph: KnowledgeGraph, units: list[str], profiles: dict[str, set[str]], neighbours) -> list[dict]:
    """Louvain communities of the graph linking each unit to its most similar units."""
    g = graph.graph
    similarity = nx.Graph()
    similarity.add_nodes_from(sorted(units))
    for u in sorted(units):
        for score, other in neighbours.get(u, [])[:CLUSTER_NEIGHBOURS]:
            if score > 0:
                similarity.add_edge(u, other, weight=score)
    if similarity.number_of_edges() == 0:
        return []
    communities = nx.community.louvain_communities(similarity, weight="weight", seed=CLUSTER_SEED)
    communities = sorted((sorted(c) for c in communities), key=lambda c: (-len(c), c))
    total = Counter(m for u in units for m in profiles[u])
    rows = []
    for number, members in enumerate(communities, 1):
        inside = Counter(m for u in members for m in profiles[u])
        # what sets the cluster apart: measures much more common inside than overall
        lift = sorted(((inside[m] / len(members)) / (total[m] / len(units)), m) for m in inside if inside[m] >= max(2, len(members) // 2))
        marks = [g.nodes[m]["label"] for score, m in sorted(lift, key=lambda x: (-x[0], x[1]))[:3] if score > 1.2]
        for u in members:
            rows.append(
                {
                    "cluster": number,
                    "size": len(members),
                    "unit": g.nodes[u]["label"],
                    "code": g.nodes[u].get("code") or "",
                    "characteristic_measures": "; ".join(marks),
                }
            )
    return rows


# ---------------------------------------------------------------------------- writing

TABLES = ("adoption", "similar", "clusters", "distinctive", "prevalence", "prevalence_by_level", "prevalence_by_province", "remedies")


def to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def write(analysis: Analysis, out_dir: str | Path, site: str | Path | None = None) -> list[Path]:
    """analysis.html, analysis.md and one CSV per table, each written atomically.

    ``site`` is the folder ``kg build`` wrote (graph.html, views/): the page then links to its views, and
    its rows to the view filtered to that row.
    """
    out_dir = Path(out_dir)
    written = []
    for name in TABLES:
        path = out_dir / f"{name}.csv"
        write_text(path, to_csv(getattr(analysis, name)))
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


def _table(rows: list[dict], limit: int | None = None, links: dict[str, Link] | None = None) -> str:
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
            "How many reporting units implement and plan each measure.",
            adoption_chart + _table(a.adoption, 40, links),
        ),
        (
            "问题类别 Problem categories",
            "How many units state problems of each category, and how many of those problems their own report plans a measure against.",
            prevalence_chart + _table(a.prevalence),
        ),
        ("按层级 By level", "Problem categories by the level of the reporting unit.", _table(a.prevalence_by_level, 60)),
        ("按省份 By province", "Problem categories by province.", _table(a.prevalence_by_province, 60, links)),
        (
            "相似单位 Similar units",
            f"Each unit's {SIMILAR_PER_UNIT} most similar units (Jaccard over the measures they implement).",
            _table(a.similar, 60, links),
        ),
        (
            "单位聚类 Clusters",
            "Communities (Louvain) of the graph linking each unit to its most similar units, with the measures that set each cluster apart.",
            _table(a.clusters, 80),
        ),
        ("特色做法 Distinctive practices", "Measures and local practices only one unit reports.", _table(a.distinctive, 80, links)),
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


def _markdown_table(rows: list[dict], limit: int) -> str:
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
        ("By level", "prevalence_by_level"),
        ("Similar units", "similar"),
        ("Clusters", "clusters"),
        ("Distinctive practices", "distinctive"),
        ("Problems and remedies", "remedies"),
    ):
        parts.append(f"## {title}\n\n" + _markdown_table(getattr(a, name), limit))
    return "\n".join(parts)
