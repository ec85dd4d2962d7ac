"""Reading pages: each report's text with every evidence sentence marked, the target of every evidence link."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
import rdflib

from conftest import CORPUS, SEEDS, require_corpus
from kg.builder.engine import build
from kg.outputs import site

HOSTILE = """汉中市汉台区七里街道办事处2022年度法治政府建设工作报告
2022年,七里街道在区委、区政府的领导下推进法治政府建设。
一、主要工作情况
成立了法治建设领导小组<script>alert(1)</script>,全面落实行政执法公示制度"><img src=x onerror=alert(1)>。
二、存在的问题
一是执法行为不规范<b onclick=alert(1)>。二是普法宣传形式单一。
三、下一步工作计划
继续推行行政执法公示制度,加强普法宣传。
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The seeds, ten corpus reports and a hostile report, built by ``kg build``'s engine."""
    require_corpus()
    folder = tmp_path_factory.mktemp("reading") / "reports"
    shutil.copytree(SEEDS, folder)
    for path in sorted(CORPUS.glob("d0*.txt"))[:10]:
        shutil.copy(path, folder / path.name)
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    out = folder.parent / "out"
    result = build([folder], out, jobs=1)
    return out, result


def view_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', text, re.S).group(1))


def test_every_report_has_a_reading_page_with_its_unit_year_and_relative_file_name(built):
    out, result = built
    pages = sorted((out / site.REPORTS).glob("*.html"))
    assert [p.stem for p in pages] == sorted({m.report_id for m in result.entries})
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    for record in documents:
        text = (out / site.report_path(record["id"])).read_text(encoding="utf-8")
        assert f"<dd>{record['file']}</dd>" in text and record["file"].startswith("reports/")
        assert str(out.parent) not in text  # never a path of the machine that built it
        if record["unit"]:
            assert record["unit"]["name"] in text
        if record["year"]:
            assert f"<dd>{record['year']}</dd>" in text


def test_every_evidence_in_the_graph_and_the_views_has_its_sentence_marked_in_the_report(built):
    out, _ = built
    graph = rdflib.Graph().parse(out / "graph.ttl")
    rows = graph.query(
        """PREFIX fz: <https://w3id.org/fzkg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?doc ?start ?sentence WHERE {
            ?e fz:startOffset ?start ; fz:inSentence/fz:text ?sentence ; prov:wasQuotedFrom ?r . ?r dcterms:identifier ?doc }"""
    )
    assert len(rows) > 200
    pages: dict[str, str] = {}
    for doc, start, sentence in rows:
        page = pages.setdefault(str(doc), (out / site.report_path(str(doc))).read_text(encoding="utf-8"))
        marked = re.search(rf'<mark id="e{start}"[^>]*>((?:<span id="e\d+"></span>)*)(.*?)</mark>', page)
        inner = re.search(rf'<span id="e{start}"></span>', page)
        assert marked or inner, (doc, start)
        if marked:  # the mark holds the sentence (or, where marks merged, the sentence is in it)
            shown = html.unescape(marked.group(2))
            assert str(sentence) in shown or shown in str(sentence), (doc, start)
    for path in [out / "graph.html", *sorted((out / "views").glob("*.html"))]:
        data = view_data(path)
        assert data["reports"] == site.relative(site.REPORTS, path.relative_to(out).as_posix()) + "/"
        who = data["who"]
        for node_rows in who["rows"].values():
            for row in node_rows:
                if len(row) > 5:
                    report = who["sources"][row[4]][1]
                    assert f'id="e{row[5]}"' in (pages.get(report) or (out / site.report_path(report)).read_text(encoding="utf-8"))


def test_report_text_is_escaped_on_its_reading_page(built):
    out, result = built
    hostile = next(m for m in result.entries if m.path.endswith("hostile.txt"))
    text = (out / site.report_path(hostile.report_id)).read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "<b onclick" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script" not in text  # the page runs no script at all
    assert "default-src 'none'" in text


def test_the_pages_of_reports_no_longer_built_go(built, tmp_path):
    out, _ = built
    folder = tmp_path / "two"
    seeds = sorted(SEEDS.glob("*.txt"))
    folder.mkdir()
    for path in seeds[:2]:
        shutil.copy(path, folder / path.name)
    target = tmp_path / "out"
    first = build([folder], target, jobs=1)
    assert len(list((target / site.REPORTS).glob("*.html"))) == 2
    (folder / seeds[0].name).unlink()
    again = build([folder], target, jobs=1)
    assert [p.stem for p in (target / site.REPORTS).glob("*.html")] == [m.report_id for m in again.entries]
    assert {m.report_id for m in first.entries} - {m.report_id for m in again.entries}


def test_the_header_of_every_page_of_a_build_links_to_the_others(built):
    out, result = built
    pages = [path for _, path, _ in site.PAGES] + [site.report_path(result.entries[0].report_id)]
    for here in pages:
        text = (out / here).read_text(encoding="utf-8")
        nav = re.search(r"<nav[^>]*>(.*?)</nav>", text, re.S).group(1)
        hrefs = set(re.findall(r'href="([^"]+)"', nav))
        targets = {(out / Path(here).parent / href).resolve() for href in hrefs}
        assert all(t.is_file() for t in targets), here
        assert {(out / path).resolve() for _, path, _ in site.PAGES} - {(out / here).resolve()} <= targets, here
