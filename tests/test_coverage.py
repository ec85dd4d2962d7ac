"""The national outlines' chapters: every measure serves one, and kg coverage says what a unit never mentions."""

from __future__ import annotations

import csv
import io
import json

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


def _documents(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    """The dev reports of the units that reported on two years (黑龙江省 2021 and 2024, 司法部 2021 and 2023), built."""
    import shutil

    from conftest import CORPUS, CORPUS2, require_corpus
    from kg.builder.engine import build

    require_corpus()
    folder = tmp_path_factory.mktemp("two-years") / "reports"
    folder.mkdir()
    for name in ("d016", "d017", "d036", "e015"):
        source = CORPUS / f"{name}.txt" if name.startswith("d") else CORPUS2 / f"{name}.txt"
        shutil.copy(source, folder / source.name)
    out = folder.parent / "out"
    build([folder], out, jobs=1)
    return out


def test_diff_names_what_the_later_report_started_dropped_and_kept(two_years):
    by_unit: dict[str, dict[int, set[str]]] = {}
    for record in _documents(two_years / "documents.jsonl"):
        by_unit.setdefault(record["unit"]["name"], {})[record["year"]] = {m["label"] for m in record["measures"]}
    for unit, years in by_unit.items():
        assert len(years) == 2, unit
        (before, then), (after, now) = sorted(years.items())
        done = CliRunner().invoke(main, ["diff", str(two_years / "graph.ttl"), unit])
        assert done.exit_code == 0, done.output
        lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in done.output.splitlines() if ":" in line}
        assert f"{unit} {before} → {after}" in done.output
        for word, expected in (("started", now - then), ("dropped", then - now), ("kept", then & now)):
            shown = lines[f"{word} ({len(expected)})"]
            assert set(filter(None, shown.split("、"))) == expected, (unit, word)
        changes = run(two_years / "graph.ttl", fill(saved_queries()["unit-changes"], {"unit": unit})).plain()
        assert changes == run(two_years / "graph.ttl", fill(saved_queries()["unit-changes"], {"unit": unit}), "rdflib").plain()
        assert {(c, m) for _u, _b, _a, c, m in changes} == {("started", m) for m in now - then} | {("dropped", m) for m in then - now} | {
            ("kept", m) for m in then & now
        }


def test_diffusion_counts_the_units_of_each_year_and_their_first_time(seed_outputs, seed_corpus):
    done = CliRunner().invoke(main, ["diff", str(seed_outputs["rdf"]), "--measure", "法律顾问制度"])
    assert done.exit_code == 0, done.output
    years: dict[int, set[str]] = {}
    for report in seed_corpus.reports:
        if any(m.concept == "legal-advisers" for m in report.measures):
            years.setdefault(report.year, set()).add(report.unit.name)
    for year, units in years.items():
        assert f"  {year}  units {len(units)}, first time {len(units)}: {'、'.join(sorted(units))}" in done.output
    spread = run(seed_outputs["rdf"], fill(saved_queries()["measure-diffusion"], {"measure": "legal-advisers"})).plain()
    assert [(int(y), int(u)) for y, u, _first, _provinces in spread] == sorted((y, len(u)) for y, u in years.items())
