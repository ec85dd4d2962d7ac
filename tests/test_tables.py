"""kg table: the matrices analysts copy, checked cell by cell against what the seed reports say."""

from __future__ import annotations

import csv
import zipfile
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.knowledge.vocab import measures, problem_categories
from kg.model import Status
from kg.outputs.tables import UNIT_COLUMNS


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _tables(seed_outputs, tmp_path) -> Path:
    out = tmp_path / "tables"
    done = CliRunner().invoke(main, ["table", str(seed_outputs["rdf"]), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == ["province-measure.csv", "tables.xlsx", "unit-measure.csv", "unit-problem-category.csv"]
    return out


def test_unit_by_measure_marks_what_each_report_states(seed_outputs, seed_corpus, tmp_path):
    out = _tables(seed_outputs, tmp_path)
    rows = {row["code"]: row for row in _read(out / "unit-measure.csv")}
    scheme = measures()
    for report in seed_corpus.reports:
        expected: dict[str, str] = {}
        for stated in report.measures:
            if stated.concept:
                label = scheme[stated.concept].label
                if stated.status is Status.IMPLEMENTED or expected.get(label) == "implements":
                    expected[label] = "implements"
                else:
                    expected[label] = "plans"
        row = rows[report.unit.code]
        marked = {column: value for column, value in row.items() if value in ("implements", "plans")}
        assert marked == expected, report.unit.name
    qili = rows["610702008"]
    assert qili["unit"] == "七里街道" and qili["level"] == "township" and qili["province"] == "陕西省" and qili["years"] == "2021"
    assert qili["法律顾问制度"] == "implements"  # 七里街道: “…聘请法律顾问…” (seeds/000)


def test_province_by_measure_counts_the_units_that_implement_it(seed_outputs, tmp_path):
    out = _tables(seed_outputs, tmp_path)
    units = _read(out / "unit-measure.csv")
    for row in _read(out / "province-measure.csv"):
        members = [u for u in units if (u["province"] or "(unknown)") == row["province"]]
        assert int(row["reporting units"]) == len(members)
        for column, value in row.items():
            if column not in ("province", "reporting units"):
                assert int(value) == sum(u[column] == "implements" for u in members), (row["province"], column)


def test_unit_by_problem_category_counts_the_problems_stated(seed_outputs, seed_corpus, tmp_path):
    out = _tables(seed_outputs, tmp_path)
    rows = {row["code"]: row for row in _read(out / "unit-problem-category.csv")}
    scheme = problem_categories()
    for report in seed_corpus.reports:
        expected = Counter(scheme[c].label for p in report.problems for c in p.categories)  # each of a problem's categories
        counted = {column: int(value) for column, value in rows[report.unit.code].items() if column not in UNIT_COLUMNS and int(value)}
        assert counted == dict(expected), report.unit.name


def test_the_workbook_has_a_sheet_per_table_and_is_the_same_file_every_time(seed_outputs, tmp_path):
    first = _tables(seed_outputs, tmp_path / "a") / "tables.xlsx"
    second = _tables(seed_outputs, tmp_path / "b") / "tables.xlsx"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as book:
        workbook = book.read("xl/workbook.xml").decode("utf-8")
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    for name in ("unit-measure", "province-measure", "unit-problem-category"):
        assert f'name="{name}"' in workbook
    assert "七里街道" in strings and "法律顾问制度" in strings
