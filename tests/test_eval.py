"""Extraction quality on the hand-made gold of the seeds, at the levels the project promises."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import ROOT
from kg.cli import main
from kg.extract.evaluate import Score, compare_greedy, compare_sets, evaluate

GOLD = ROOT / "tests" / "gold"


@pytest.fixture(scope="module")
def seeds():
    return evaluate(GOLD / "seeds")


def test_all_five_seeds_are_annotated(seeds):
    assert seeds.reports == 5


def test_unit_linking_and_year_are_always_right(seeds):
    assert seeds.accuracy["unit linking"].value == 1.0
    assert seeds.accuracy["year"].value == 1.0
    assert seeds.relations["partOf"].f1 == 1.0


def test_instruments_on_canonical_names(seeds):
    assert seeds.entities["instruments"].f1 >= 0.95
    assert seeds.accuracy["instrument type"].value >= 0.9


def test_measures_with_status(seeds):
    assert seeds.entities["measures"].f1 >= 0.85
    assert seeds.relations["implements"].f1 >= 0.85 and seeds.relations["plans"].f1 >= 0.85


def test_problem_items_and_categories(seeds):
    assert seeds.entities["problems"].recall >= 0.9
    assert seeds.accuracy["problem category"].value >= 0.8


def test_indicators(seeds):
    assert seeds.entities["indicators"].f1 >= 0.85


def test_scores_count_what_they_should():
    score = compare_sets({"a", "b", "c"}, {"b", "c", "d"}, "x")
    assert (score.tp, score.fp, score.fn) == (2, 1, 1)
    assert score.precision == score.recall == pytest.approx(2 / 3)
    assert score.misses == ["x: a"] and score.false_hits == ["x: d"]
    score, pairs = compare_greedy(["受理纠纷"], ["受理各类纠纷", "调解"], lambda g, f: f.startswith(g[:2]), "x", str, str)
    assert pairs == [(0, 0)] and score.fp == 1
    assert (Score().precision, Score().recall, Score().f1) == (1.0, 1.0, 1.0)  # nothing to find, nothing found


def test_eval_command_prints_scores_misses_and_false_hits():
    result = CliRunner().invoke(main, ["eval", str(GOLD / "seeds"), "--misses", "5"])
    assert result.exit_code == 0, result.output
    for heading in ("entity kind", "relation kind", "accuracy", "misses", "false hits"):
        assert heading in result.output
    for kind in ("instruments", "measures", "problems", "indicators", "implements", "plans", "addressedBy", "basedOn"):
        assert kind in result.output


def test_eval_json(tmp_path):
    import json

    result = CliRunner().invoke(main, ["eval", str(GOLD / "seeds"), "--json"])
    data = json.loads(result.output)
    assert data["reports"] == 5 and set(data["entities"]) >= {"instruments", "measures", "problems", "indicators", "units"}


def test_eval_on_an_empty_folder(tmp_path):
    result = CliRunner().invoke(main, ["eval", str(tmp_path)])
    assert result.exit_code == 3


# ---------------------------------------------------------------------------- the dev corpora (issue 10)


@pytest.fixture(scope="module")
def corpus():
    return evaluate(GOLD / "corpus")


@pytest.fixture(scope="module")
def corpus2():
    return evaluate(GOLD / "corpus2")


def test_the_reporting_unit_on_reports_the_rules_were_not_written_against(corpus, corpus2):
    """corpus2 was annotated by reading, before any rule was tuned on it (docs/quality.md)."""
    for result in (corpus, corpus2):
        assert result.accuracy["unit code"].value >= 0.95  # among the reports whose text determines the unit
        assert len(result.wrong_links) <= result.reports // 100  # at most one wrong link in a hundred
        assert result.accuracy["year"].value >= 0.98
        assert result.accuracy["department named"].value >= 0.85
    assert corpus2.accuracy["department named"].value >= 0.90


def test_measures_indicators_and_instrument_types_on_corpus2(corpus2):
    measures = corpus2.entities["measures"]
    assert measures.precision >= 0.92 and measures.f1 >= 0.90
    assert corpus2.entities["indicators"].f1 >= 0.92
    assert corpus2.accuracy["instrument type"].value >= 0.93
    assert corpus2.relations["instrumentRelation"].f1 >= 0.80


def test_no_phantom_divisions(seeds, corpus, corpus2):
    assert seeds.phantoms == corpus.phantoms == corpus2.phantoms == []


def test_page_addresses_link_what_the_text_leaves_open():
    """With the addresses of sources.jsonl, the reports whose text names no unit (or an ambiguous one) are linked too."""
    hinted = evaluate(GOLD / "corpus", with_sources=True)
    assert hinted.accuracy["unit with source"].value == 1.0 and hinted.wrong_links == []


def test_eval_several_sets_side_by_side():
    result = CliRunner().invoke(main, ["eval", str(GOLD / "seeds"), str(GOLD / "corpus2"), "--summary"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split() == ["seeds", "corpus2"]
    assert any(row.startswith("measures P / R / F1") for row in rows) and any(row.startswith("phantom divisions") for row in rows)


def test_every_gold_file_names_a_report_inside_the_repository():
    """The gold names the copies in tests/data, never a folder beside the project: a fresh clone alone evaluates."""
    import json

    from kg.extract.evaluate import gold_files

    named = [json.loads(path.read_text(encoding="utf-8"))["file"] for path in gold_files(ROOT / "tests" / "gold")]
    assert len(named) == 118
    outside = [f for f in named if ".." in f.split("/") or not (ROOT / f).is_file()]
    assert outside == []
