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


def _innermost_by_scan(sections, offset):
    """The definition section_at answers: the latest section in list order that contains the offset."""
    return next((s for s in reversed(sections) if s.start <= offset < s.end), None)


def test_section_lookup_agrees_with_its_definition_everywhere():
    import random

    from kg.model import Section, SectionType
    from kg.text.sections import Structure

    rng = random.Random(3)
    for _ in range(200):
        sections, cursor = [], 0
        for n in range(rng.randint(0, 30)):
            cursor += rng.randint(0, 5)
            end = cursor + rng.randint(1, 40)
            sections.append(
                Section(
                    id=str(n),
                    marker="一、",
                    level=1,
                    heading="h",
                    type=SectionType.WORK,
                    start=cursor,
                    end=end,
                    body_start=cursor,
                    parent=None,
                )
            )
        structure = Structure(sections=sections)
        assert all(structure.section_at(x) is _innermost_by_scan(sections, x) for x in range(-1, cursor + 45))
    from conftest import SEED
    from kg.text.sections import parse

    for report_structure in (parse(SEED[s].read_text(encoding="utf-8")) for s in SEED):
        assert all(
            report_structure.section_at(x) is _innermost_by_scan(report_structure.sections, x)
            for x in range(0, report_structure.body_end + 2, 7)
        )


def test_a_report_of_many_sections_numbers_them_in_order():
    from kg.text.sections import parse

    text = "某县2023年法治政府建设工作报告\n" + "".join(
        f"{n}.第{n}项工作。\n" + "".join(f"({k})开展普法\n加强宣传。\n" for k in range(1, 31)) for n in range(1, 100)
    )
    ids = [s.id for s in parse(text).sections]
    assert ids == [x for n in range(1, 100) for x in [str(n)] + [f"{n}.{k}" for k in range(1, 31)]]
