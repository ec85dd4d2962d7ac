"""Structure of the seeds: unit, code, year and section types as the issue lists them."""

from __future__ import annotations

import pytest

EXPECTED = {
    "000": ("七里街道", "610702008", 2021, ["汉台区", "汉中市", "陕西省"]),
    "001": ("西营门街道", "120111001", 2022, ["西青区", "天津市"]),
    "002": ("大河镇", "522732101", 2020, ["三都水族自治县", "黔南布依族苗族自治州", "贵州省"]),
    "003": ("陆渡街道", "320585002", 2023, ["太仓市", "苏州市", "江苏省"]),
    "004": ("桂溪街道", "500231001", 2021, ["垫江县", "重庆市"]),
}


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_unit_code_parents_and_year(seed_reports, seed):
    name, code, year, parents = EXPECTED[seed]
    report = seed_reports[seed]
    assert report.unit.name == name
    assert report.unit.code == code and report.unit.linked and report.unit.level == "township"
    assert [p for p, _ in report.unit.parents] == parents
    assert report.year == year


@pytest.mark.parametrize("seed", ["000", "001", "002", "004"])
def test_problems_and_plans_sections(seed_reports, seed):
    types = {s.type.value for s in seed_reports[seed].sections if s.level == 1}
    assert {"work", "problems", "plans"} <= types


def test_no_problems_or_plans_in_003(seed_reports):
    types = {s.type.value for s in seed_reports["003"].sections}
    assert types == {"work"}
    assert len([s for s in seed_reports["003"].sections if s.level == 1]) == 4


def test_outline_levels_nest(seed_reports):
    sections = {s.id: s for s in seed_reports["001"].sections}
    assert sections["1.5.4"].level == 3 and sections["1.5.4"].parent == "1.5"
    assert sections["2"].type.value == "leadership"
    assert sections["4"].heading.startswith("2023年度推进法治政府建设工作安排")


def test_signature_of_002(seed_reports):
    assert seed_reports["002"].signature == {"date": "2021-03-01", "unit": "三都水族自治县大河镇人民政府"}


def test_year_is_the_covered_year_not_the_publication_year(seed_reports):
    # 002 was written in March 2021 and published in May 2022; it covers 2020
    assert seed_reports["002"].year == 2020
