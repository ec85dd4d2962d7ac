"""The matrices analysts copy into their reports: unit × measure, province × measure, unit × problem category.

Written as CSV (UTF-8 with a byte-order mark, for spreadsheet programs) and as
one XLSX workbook with a sheet per matrix (``xlsxwriter``; the same graph gives
the same bytes: the workbook's dates are fixed).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from kg.files.atomic import atomic_path, write_text
from kg.graph.merged import CATEGORY, IMPLEMENTS, PLANS, STATES
from kg.graph.reading import GraphReader
from kg.outputs.analysis import to_csv

UNIT_COLUMNS = ["unit", "code", "level", "province", "city", "years"]
FIXED_DATE = datetime.datetime(2000, 1, 1)  # the workbook's creation date: fixed, so a table is the same file every time


@dataclass
class Matrix:
    """A table with a header row; the first ``keys`` columns say what a row is, the others are counts or marks."""

    name: str
    title: str
    rows: list[dict]
    keys: int


def _unit_key(graph: GraphReader, unit: str, years: set[int]) -> dict:
    node = graph.node(unit)
    return {
        "unit": node["label"],
        "code": node.get("code") or "",
        "level": node.get("level") or "",
        "province": node.get("province") or "",
        "city": node.get("city") or "",
        "years": " ".join(str(y) for y in sorted(years)),
    }


def _label(graph: GraphReader, node: str) -> str:
    return graph.node(node)["label"]


def _columns(counts: Counter) -> list[str]:
    """Columns by the number of units behind them, then by name."""
    return sorted(counts, key=lambda key: (-counts[key], key))


def matrices(graph: GraphReader) -> list[Matrix]:
    """unit × measure (implements / plans), province × measure (units implementing), unit × problem category (problems)."""
    units = graph.reporting_units()
    status: dict[str, dict[str, str]] = {}
    adopters: Counter = Counter()
    for unit in units:
        marks: dict[str, str] = {}
        for target, relation, _ in graph.out(unit, (IMPLEMENTS, PLANS)):
            if graph.node(target).get("kind") == "measure":  # the scheme's concepts; a unit's own practice is its own
                marks[target] = "implements" if relation == IMPLEMENTS or marks.get(target) == "implements" else "plans"
        status[unit] = marks
        adopters.update(marks.keys())
    measures = _columns(adopters)
    labels = {m: _label(graph, m) for m in measures}
    by_unit = [{**_unit_key(graph, u, years), **{labels[m]: status[u].get(m, "") for m in measures}} for u, years in units.items()]

    provinces: dict[str, Counter] = defaultdict(Counter)
    members: Counter = Counter()
    for unit in units:
        province = graph.node(unit).get("province") or "(unknown)"
        members[province] += 1
        provinces[province].update(m for m, mark in status[unit].items() if mark == "implements")
    by_province = [
        {"province": p, "reporting units": members[p], **{labels[m]: provinces[p][m] for m in measures}} for p in sorted(provinces)
    ]

    problems: dict[str, Counter] = {}
    stated: Counter = Counter()
    reports = graph.reports_by_unit()
    for unit in units:
        found: Counter = Counter()
        for report in reports.get(unit, ()):
            for problem, _, _ in graph.out(f"report:{report}", (STATES,)):
                found.update(category for category, _, _ in graph.out(problem, (CATEGORY,)))
        problems[unit] = found
        stated.update(set(found))
    categories = _columns(stated)
    names = {c: _label(graph, c) for c in categories}
    by_category = [{**_unit_key(graph, u, years), **{names[c]: problems[u][c] for c in categories}} for u, years in units.items()]
    return [
        Matrix("unit-measure", "单位 × 措施 Unit × measure", by_unit, len(UNIT_COLUMNS)),
        Matrix("province-measure", "省份 × 措施 Province × measure (units implementing)", by_province, 2),
        Matrix("unit-problem-category", "单位 × 问题类别 Unit × problem category (problems stated)", by_category, len(UNIT_COLUMNS)),
    ]


def write_csv(tables: list[Matrix], out_dir: str | Path) -> list[Path]:
    """One CSV file per matrix (UTF-8 with a byte-order mark), each written atomically."""
    written = []
    for table in tables:
        path = Path(out_dir) / f"{table.name}.csv"
        write_text(path, "\ufeff" + to_csv(table.rows))
        written.append(path)
    return written


def write_xlsx(tables: list[Matrix], path: str | Path) -> Path:
    """One workbook, a sheet per matrix: header in bold, the first columns and the header frozen, a filter on each column."""
    import xlsxwriter

    with atomic_path(path) as temporary:
        workbook = xlsxwriter.Workbook(
            str(temporary), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
        workbook.set_properties({"created": FIXED_DATE, "title": "kg tables"})
        bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        for table in tables:
            sheet = workbook.add_worksheet(table.name)
            header = list(table.rows[0]) if table.rows else []
            sheet.write_row(0, 0, header, bold)
            for number, row in enumerate(table.rows, 1):
                sheet.write_row(number, 0, list(row.values()))
            sheet.freeze_panes(1, min(table.keys, 1))
            if header:
                sheet.autofilter(0, 0, len(table.rows), len(header) - 1)
                sheet.set_column(0, table.keys - 1, 14)
                sheet.set_column(table.keys, len(header) - 1, 9)
        workbook.close()
    return Path(path)
