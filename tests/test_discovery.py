"""kg discover and the user's vocabulary: the ranked candidates the docs judge, and the curation loop end to end."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CORPUS, CORPUS2, ROOT, SEEDS, require_corpus
from kg.builder.engine import BuildError, build
from kg.cli import main
from kg.extract.pipeline import process_text
from kg.knowledge import user
from kg.knowledge.resources import read_tsv
from kg.outputs.discovery import discover
from kg.text.read import read

DOCS = ROOT / "docs" / "discovery.md"
VOCABULARY = """action\tterm\tconcept\tlabel_en\tbroader
concept\t一规划两纲要\tone-plan-two-outlines\tOne plan and two outlines\ttheme-leadership
concept\t好差评\tservice-rating\tRating of government services by the public\ttheme-functions
alias\t不见面\tapproval-reform
ignore\t挂案
"""
ADDED = {"一规划两纲要": "one-plan-two-outlines", "好差评": "service-rating", "不见面": "approval-reform"}


def _reports() -> list[Path]:
    require_corpus()
    return sorted(SEEDS.glob("*.txt")) + sorted(CORPUS.glob("*.txt")) + sorted(CORPUS2.glob("*.txt"))


@pytest.fixture(scope="module")
def found():
    return discover(_reports())


def _verdicts() -> list[tuple[str, str]]:
    text = DOCS.read_text(encoding="utf-8").split("<!-- verdicts -->", 1)[1]
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^\| \d+ \| (.+?) \| \d+ \| (.+?) \|$", text, re.M)]


def test_the_top_fifty_are_the_ones_the_docs_judge_and_most_are_practices(found):
    verdicts = _verdicts()
    assert len(verdicts) == 50
    assert [c.term for c in found.candidates[:50]] == [term for term, _ in verdicts]
    assert sum(verdict == "yes" for _, verdict in verdicts) / len(verdicts) >= 0.7


def test_candidates_carry_units_years_and_evidence_and_the_covered_name_their_concept(found):
    first = found.candidates[0]
    assert first.term == "一规划两纲要" and len(first.units) == 6 and first.years
    assert all(first.term in sentence for sentence, _ in first.evidence)
    covered = {c.term: c.covered_by for c in found.covered}
    assert covered["放管服"].startswith("approval-reform ")
    proposed = {c.term for c in found.candidates}
    assert not proposed & {"十四五", "两个维护", "七个强省", "优秀"}  # formulas, goals and quoted ordinary words
    assert found.reports == len(_reports())


def test_distinctive_terms_per_unit_and_province_leave_out_boilerplate_and_places(found):
    units = {}
    for row in found.unit_terms:
        units.setdefault(row["unit"], []).append(row["term"])
    assert units["七里街道(610702008)"][:2] == [
        "定期学法",
        "普法依法治理工作领导小组",
    ]  # 七里街道: 党政领导班子联席会定期学法+部门不定期学法
    provinces = {}
    for row in found.province_terms:
        provinces.setdefault(row["province"], []).append(row)
    assert "一业一证" in [r["term"] for r in provinces["北京市"]]
    for scope, rows in (("unit", found.unit_terms), ("province", found.province_terms)):
        for row in rows:  # boilerplate (习近平: 104 of 114 units), everyday words, own names never
            assert row["count"] >= 2 and row["term"] not in row[scope] and 1 <= row["rank"] <= 10
            assert row["term"] not in {"习近平", "进一步", "委员会", "依法行政"}


def test_the_command_writes_the_tables_and_an_escaped_page(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "某县2023年法治政府建设工作报告\n一、主要工作\n推行“<b>好差评</b>”制度,开展“法治护航”行动。\n", encoding="utf-8"
    )
    done = CliRunner().invoke(main, ["discover", str(folder), "-o", str(tmp_path / "out"), "--no-keywords"])
    assert done.exit_code == 0, done.output
    page = (tmp_path / "out" / "discovery.html").read_text(encoding="utf-8")
    assert "<b>好差评" not in page and "&lt;b&gt;好差评&lt;/b&gt;" in page
    header, *rows = (tmp_path / "out" / "candidates.tsv").read_text(encoding="utf-8").splitlines()
    assert header.split("\t")[:3] == ["rank", "term", "units"]
    assert "法治护航" in {row.split("\t")[1] for row in rows}


def _framing() -> re.Pattern:
    return re.compile("|".join(row["pattern"] for row in read_tsv("lexicon", "statement_contexts.tsv") if row["kind"] == "framing"))


def test_a_vocabulary_makes_the_next_build_find_its_measures_in_every_report_that_states_them(tmp_path):
    stating: dict[str, set[str]] = {term: set() for term in ADDED}
    folder = tmp_path / "reports"
    folder.mkdir()
    framing = _framing()
    for path in _reports():
        text = process_text(read(path))[1].text
        terms = [t for t in ADDED if t in text]
        if not terms:
            continue
        shutil.copy(path, folder / path.name)
        for term in terms:  # a sentence that names it outside the opening formula states it
            if any(term in s and not framing.search(s) for s in re.split(r"[。\n]", text)):
                stating[term].add(path.name)
    assert all(stating.values()) and len(stating["不见面"]) == 4 and len(stating["好差评"]) == 2
    out = tmp_path / "out"
    before = build([folder], out, jobs=1)
    (out / "vocabulary.tsv").write_text(VOCABULARY, encoding="utf-8")  # read from the output folder
    after = build([folder], out, jobs=1)
    assert after.processed == len(before.entries)  # another vocabulary: nothing comes from the cache
    records = {Path(r["file"]).name: r for r in map(json.loads, (out / "documents.jsonl").read_text(encoding="utf-8").splitlines())}
    for term, concept in ADDED.items():
        found = {name for name, r in records.items() if concept in {m["id"] for m in r["measures"]}}
        assert stating[term] <= found, term
    graph = (out / "graph.ttl").read_text(encoding="utf-8")
    assert "fzm:service-rating" in graph and '"好差评"@zh' in graph
    again = build([folder], out, jobs=1)
    assert again.processed == 0  # the same vocabulary: everything from the cache
    vocabulary = user.load(out / "vocabulary.tsv")
    user.use(vocabulary)
    try:
        later = discover(sorted(folder.iterdir()), vocabulary)
    finally:
        user.use(None)
    assert not {c.term for c in later.candidates + later.covered} & {"一规划两纲要", "好差评", "不见面", "挂案"}


def test_a_vocabulary_that_names_no_concept_stops_the_build_with_its_file_and_line(tmp_path):
    bad = tmp_path / "vocabulary.tsv"
    bad.write_text("action\tterm\tconcept\nalias\t不见面\tapproval-reforms\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"vocabulary.tsv:2: no concept 'approval-reforms'"):
        build([SEEDS], tmp_path / "out", jobs=1, vocabulary=bad)
    done = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(tmp_path / "cli"), "--vocabulary", str(bad), "-q"])
    assert done.exit_code == 4 and "vocabulary.tsv:2" in done.output
    assert not (tmp_path / "cli" / "graph.ttl").exists()
    bad.write_text("term\tconcept\n", encoding="utf-8")
    with pytest.raises(BuildError, match="vocabulary.tsv:1: the first line must name the columns"):
        build([SEEDS], tmp_path / "out", jobs=1, vocabulary=bad)
