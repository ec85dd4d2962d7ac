"""The national outlines' chapters: every measure serves one, and kg coverage says what a unit never mentions."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.graph.merged import KnowledgeGraph
from kg.knowledge.vocab import measure_graph, measures
from kg.link.divisions import gazetteer
from kg.link.units import division_unit
from kg.model import Report
from kg.outputs.coverage import UnitNotFound, chapters, outline_for, outlines, resolve
from kg.rdf.query import fill, run, saved_queries

ADDED = ("emergency-response", "administrative-mediation", "administrative-adjudication", "administrative-dispute-resolution")
ADDED += ("digital-government", "vice-principals", "reconsideration", "litigation-response", "eighth-five-year-publicity")


def test_every_measure_serves_one_chapter_of_each_outline_and_every_2021_chapter_has_measures():
    (first_2015, _, chapters_2015), (first_2021, _, chapters_2021) = outlines()
    assert (first_2015, first_2021) == (2015, 2021) and len(chapters_2021) == 10 and len(chapters_2015) == 8
    served = {}
    for concept, chapter in measure_graph().subject_objects(predicate=__import__("rdflib").SKOS.broadMatch):
        served.setdefault(str(concept).rsplit("/", 1)[1], []).append(str(chapter))
    for concept in measures().concepts.values():
        if concept.theme:
            continue
        targets = served.get(concept.id, [])
        assert sum(t in chapters_2021 for t in targets) == 1, concept.id
        assert sum(t in chapters_2015 for t in targets) <= 1, concept.id
    every = chapters()
    assert all(every[c].measures for c in chapters_2021)
    assert "emergency-response" in every[chapters_2021[5]].measures and "digital-government" in every[chapters_2021[8]].measures
    assert outline_for(2020)[0].endswith("(2015—2020年)") and outline_for(2024)[0].endswith("(2021—2025年)")


def test_the_new_concepts_are_in_the_scheme_and_the_narrower_ones_keep_their_parents(seed_corpus):
    scheme = measures()
    for concept in ADDED:
        assert concept in scheme and scheme[concept].created == "2026-12-02"
    assert scheme["reconsideration"].broader == ("administrative-reconsideration",)
    assert scheme["eighth-five-year-publicity"].broader == ("legal-publicity",)
    for report in seed_corpus.reports:  # where a narrower concept is stated, its parent still is (old ids keep their meaning)
        stated = {(m.concept, m.status) for m in report.measures}
        for child, parent in (("reconsideration", "administrative-reconsideration"), ("eighth-five-year-publicity", "legal-publicity")):
            for concept, status in stated:
                if concept == child:
                    assert (parent, status) in stated


def _coverage_rows(seed_outputs, unit: str) -> list[dict]:
    done = CliRunner().invoke(main, ["coverage", str(seed_outputs["rdf"]), unit, "--format", "csv"])
    assert done.exit_code == 0, done.output
    return list(csv.DictReader(io.StringIO(done.output)))


def test_coverage_marks_what_the_report_states_and_nothing_else(seed_outputs, seed_corpus):
    scheme = measures()
    for report in seed_corpus.reports:
        rows = _coverage_rows(seed_outputs, report.unit.code)
        stated = {scheme[m.concept].label for m in report.measures if m.concept}
        assert rows and {r["year"] for r in rows} == {str(report.year)}
        assert all(r["outline"] == outline_for(report.year)[0] for r in rows)
        assert {r["measure"] for r in rows if r["mentioned"] == "yes"} == stated & {r["measure"] for r in rows}
    qili = {r["measure"]: r for r in _coverage_rows(seed_outputs, "七里街道")}
    assert qili["枫桥经验"]["mentioned"] == "yes" and qili["枫桥经验"]["chapter"].startswith("七 ")
    assert qili["数字法治政府"]["mentioned"] == "no"  # 七里街道's 2021 report says nothing of it


def test_the_saved_query_lists_what_kg_coverage_says_is_never_mentioned(seed_outputs):
    rows = _coverage_rows(seed_outputs, "610702008")
    never = {(r["year"], r["measure"]) for r in rows if r["mentioned"] == "no"}
    result = run(seed_outputs["rdf"], fill(saved_queries()["coverage"], {"unit": "七里街道"})).plain()
    assert {(year, measure) for _unit, year, _chapter, _mentioned, measure in result} == never


def test_a_unit_is_named_whole_and_a_shared_name_lists_its_units():
    table = gazetteer()
    towns = sorted((d for d in table.by_code.values() if d.name == "城关镇"), key=lambda d: d.code)[:2]
    graph = KnowledgeGraph()
    for number, town in enumerate(towns):
        graph.add(Report(id=f"r{number}", file=f"r{number}.txt", year=2023, unit=division_unit(town, town.name, table)))
    with pytest.raises(
        UnitNotFound, match=r"'城关镇' names 2 reporting units: 城关镇 \(\d{9}, .+\); 城关镇 \(\d{9}, .+\) — give the division code"
    ):
        resolve(graph, "城关镇")
    assert graph.graph.nodes[resolve(graph, towns[1].code)]["code"] == towns[1].code
    with pytest.raises(UnitNotFound, match="a name must be whole"):
        resolve(graph, "城关")


def test_the_command_says_which_unit_it_cannot_find(seed_outputs):
    done = CliRunner().invoke(main, ["coverage", str(seed_outputs["rdf"]), "七里"])
    assert done.exit_code == 1 and "no reporting unit with the division code or name '七里'" in done.output
    table = CliRunner().invoke(main, ["coverage", str(seed_outputs["rdf"]), "610702008"])
    assert "七里街道 610702008 — 2021: 法治政府建设实施纲要(2021—2025年)" in table.output
    assert "never: " in table.output
