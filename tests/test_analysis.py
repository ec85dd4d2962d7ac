"""Analyses, exports and the graph read back from RDF."""

from __future__ import annotations

import csv

import networkx as nx
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.graph.merged import DERIVED, IMPLEMENTS, PLANS
from kg.outputs.analysis import DISTINCTIVE_PER_UNIT, analyze, write
from kg.outputs.export import export
from kg.outputs.similarity import BOILERPLATE_SHARE, Profiles
from kg.rdf.read import load_graph


@pytest.fixture(scope="module")
def analysis(seed_corpus):
    return analyze(seed_corpus.graph)


@pytest.fixture(scope="module")
def dev_analysis(dev_corpus):
    return analyze(dev_corpus.graph), dev_corpus.graph


def _norm(data):
    return {k: (sorted(v) if isinstance(v, set) else v) for k, v in data.items() if k not in DERIVED}


def test_the_graph_read_back_from_rdf_is_the_graph_that_wrote_it(seed_corpus, seed_outputs):
    built, loaded = seed_corpus.graph.graph, load_graph(seed_outputs["rdf"]).graph
    assert set(built.nodes) == set(loaded.nodes)
    assert all(_norm(built.nodes[n]) == _norm(loaded.nodes[n]) for n in built.nodes)
    edges = {(u, v, k): _norm(d) for u, v, k, d in built.edges(keys=True, data=True)}
    assert edges == {(u, v, k): _norm(d) for u, v, k, d in loaded.edges(keys=True, data=True)}


def test_a_graph_written_before_sentence_nodes_reads_the_same(seed_outputs, tmp_path):
    """Older graphs carry each evidence's sentence as an fz:sentence literal; kg still reads them."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(seed_outputs["rdf"]), format=ox.RdfFormat.TURTLE)
    store.update(
        """PREFIX fz: <https://w3id.org/fzkg/ontology#>
        DELETE { ?e fz:inSentence ?s . ?s ?p ?o } INSERT { ?e fz:sentence ?text }
        WHERE { ?e fz:inSentence ?s . ?s fz:text ?text ; ?p ?o }"""
    )
    assert not store.query("ASK { ?s a <https://w3id.org/fzkg/ontology#Sentence> }")
    old = tmp_path / "old.ttl"
    store.dump(output=str(old), format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
    assert "<https://w3id.org/fzkg/ontology#sentence>" in old.read_text(encoding="utf-8")
    new, before = load_graph(seed_outputs["rdf"]).graph, load_graph(old).graph
    assert {(u, v, k): _norm(d) for u, v, k, d in new.edges(keys=True, data=True)} == {
        (u, v, k): _norm(d) for u, v, k, d in before.edges(keys=True, data=True)
    }


def test_adoption_counts_units(seed_corpus, analysis):
    by_id = {row["id"]: row for row in analysis.adoption}
    expected = {u for u in seed_corpus.graph.reporting_units() if seed_corpus.graph.graph.has_edge(u, "measure:legal-advisers", IMPLEMENTS)}
    assert by_id["legal-advisers"]["units_implementing"] == len(expected) == 5
    fengqiao = {u for u in seed_corpus.graph.reporting_units() if seed_corpus.graph.graph.has_edge(u, "measure:fengqiao", IMPLEMENTS)}
    assert by_id["fengqiao"]["units_implementing"] == len(fengqiao) == 2
    assert [r["units_implementing"] for r in analysis.adoption] == sorted(
        (r["units_implementing"] for r in analysis.adoption), reverse=True
    )


def test_similar_units_are_ranked_by_rarity_weighted_cosine(seed_corpus, analysis):
    rows = [r for r in analysis.similar if r["unit"] == "七里街道"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert [r["similarity"] for r in rows] == sorted((r["similarity"] for r in rows), reverse=True)


def test_rarity_weights_and_cosine_by_hand():
    # x: every unit (weight 0), y: three of four, z, w, v: one unit each; a is like an excerpt of b's report
    p = Profiles({"a": {"x", "y"}, "b": {"x", "y", "z", "w"}, "c": {"x", "v"}, "d": {"x", "y"}})
    assert p.weight("x") == 0.0 and p.boilerplate("x") and p.boilerplate("y") and not p.boilerplate("z")
    assert p.cosine("a", "d") == 1.0  # same measures
    import math

    y, rare = math.log(4 / 3), math.log(4)
    assert p.cosine("a", "b") == round(y / math.sqrt(y**2 + 2 * rare**2), 6) == 0.145183
    assert p.cosine("a", "c") == 0.0  # they share only what everyone states
    assert p.shared_distinctive("a", "b") == []  # y is boilerplate
    assert p.neighbours(2)["a"] == [(1.0, "d"), (p.cosine("a", "b"), "b")]


def test_boilerplate_leads_no_cluster_and_no_distinctive_list(dev_analysis):
    """The done-when of issue 14 item 4, on the seeds and both dev corpora (118 real reports)."""
    analysis, graph = dev_analysis
    share = {r["measure"]: r["share_implementing"] for r in analysis.adoption}
    boilerplate = {r["measure"] for r in analysis.adoption if r["boilerplate"]}
    assert boilerplate and all(share[m] >= BOILERPLATE_SHARE for m in boilerplate)
    labels = {r["cluster"]: r["characteristic_measures"] for r in analysis.clusters}
    assert len(labels) > 3 and sum(bool(v) for v in labels.values()) >= len(labels) - 1
    assert not any(m in boilerplate for v in labels.values() for m in v.split("; "))
    # distinctive: rare measures only (rare and boilerplate cannot meet), each unit's rarest first
    rare = max(1, int(0.05 * analysis.units))
    assert analysis.distinctive and all(r["units_stating"] <= rare for r in analysis.distinctive)
    by_unit: dict[tuple, list[int]] = {}
    for r in analysis.distinctive:
        by_unit.setdefault((r["unit"], r["code"]), []).append(r["units_stating"])
    assert all(counts == sorted(counts) for counts in by_unit.values()) and any(len(set(c)) > 1 for c in by_unit.values())
    assert not any(r["measure"] in boilerplate for r in analysis.distinctive_by_province)
    assert not any(m in boilerplate for r in analysis.similar for m in r["shared_distinctive"].split("; "))
    assert all((r["similar_unit"], r["similar_code"]) != (r["unit"], r["code"]) for r in analysis.similar)


def test_clusters_cover_every_unit_once(seed_corpus, analysis):
    units = [r["unit"] for r in analysis.clusters]
    assert sorted(units) == sorted(seed_corpus.graph.graph.nodes[u]["label"] for u in seed_corpus.graph.reporting_units())


def test_distinctive_practices_are_the_rare_ones(seed_corpus, analysis):
    names = {r["practice"]: r["unit"] for r in analysis.distinctive}
    assert names["文明加油站"] == "陆渡街道" and names["总体国家安全观主题公园"] == "陆渡街道"
    graph = seed_corpus.graph.graph
    alone: dict[str, set[str]] = {}  # five units: rare means one unit alone
    for node, data in graph.nodes(data=True):
        if data["kind"] in ("measure", "practice"):
            owners = {u for u, _, relation in graph.in_edges(node, keys=True) if relation in (IMPLEMENTS, PLANS)}
            if len(owners) == 1:
                alone.setdefault(graph.nodes[owners.pop()]["label"], set()).add(data["label"])
    listed: dict[str, set[str]] = {}
    for row in analysis.distinctive:
        listed.setdefault(row["unit"], set()).add(row["practice"])
        assert row["units_stating"] == 1
    assert {u: len(v) for u, v in listed.items()} == {u: min(len(v), DISTINCTIVE_PER_UNIT) for u, v in alone.items()}
    assert all(listed[u] <= alone[u] for u in listed)


def test_problems_prevalence_and_remedies(seed_corpus, analysis):
    # multi-label: a problem counts once in each of its categories
    assert sum(r["problems"] for r in analysis.prevalence) == sum(len(p.categories) for r in seed_corpus.reports for p in r.problems)
    two = next(r for r in analysis.remedies if r["problem"].startswith("法治队伍建设滞后于实际工作需要"))
    assert two["category"] == "信息化与公示不及时" and two["categories"].split("; ")[1] == "执法力量与持证人员不足"
    assert {r["level"] for r in analysis.prevalence_by_level} == {"township"}
    assert len(analysis.remedies) == 11
    irregular = next(r for r in analysis.remedies if r["problem"] == "行政执法行为还不够规范")
    assert irregular["addressed"] and "行政执法公示制度" in irregular["planned_measures"]
    resources = next(r for r in analysis.remedies if r["category"].startswith("保障不足"))
    assert not resources["addressed"]


def test_analysis_files(tmp_path, analysis):
    paths = write(analysis, tmp_path)
    assert {p.name for p in paths} >= {"analysis.html", "analysis.md", "adoption.csv", "clusters.csv", "prevalence.csv"}
    rows = list(csv.DictReader((tmp_path / "adoption.csv").open(encoding="utf-8")))
    assert rows[0].keys() >= {"measure", "units_implementing", "share_implementing"}
    page = (tmp_path / "analysis.html").read_text(encoding="utf-8")
    assert "<svg" in page and "http" not in page.replace("http-equiv", "")


def test_similarity_scales_to_thousands_of_units():
    from synthetic import five_thousand_units

    result = analyze(five_thousand_units())
    assert result.units == 5000
    assert len({r["cluster"] for r in result.clusters}) > 1
    assert len(result.similar) == 5 * 5000


@pytest.mark.parametrize(("fmt", "reader"), [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graphml_and_gexf_load_back(tmp_path, seed_corpus, fmt, reader):
    path = tmp_path / f"graph.{fmt}"
    export(seed_corpus.graph, fmt, path)
    loaded = reader(path)
    assert loaded.number_of_nodes() == seed_corpus.graph.graph.number_of_nodes()
    assert loaded.number_of_edges() == seed_corpus.graph.graph.number_of_edges()
    assert loaded.nodes["unit:division:610702008"]["label"] == "七里街道"


def test_neo4j_csv_headers(tmp_path, seed_corpus):
    nodes, relationships = export(seed_corpus.graph, "neo4j", tmp_path)
    node_rows = list(csv.reader(nodes.open(encoding="utf-8")))
    assert node_rows[0][0] == "id:ID" and node_rows[0][-1] == ":LABEL"
    assert len(node_rows) - 1 == seed_corpus.graph.graph.number_of_nodes()
    rel_rows = list(csv.reader(relationships.open(encoding="utf-8")))
    assert rel_rows[0][:3] == [":START_ID", ":END_ID", ":TYPE"]
    assert {r[2] for r in rel_rows[1:]} >= {"IMPLEMENTS", "PLANS", "CITES", "PART_OF", "ADDRESSED_BY"}


def test_viz_analyze_and_export_commands(tmp_path, seed_outputs):
    runner = CliRunner()
    graph = str(seed_outputs["rdf"])
    for view in ("overview", "shared-practices", "problems", "instruments"):
        result = runner.invoke(main, ["viz", graph, "--view", view, "-o", str(tmp_path / f"{view}.html")])
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["viz", graph, "--view", "unit", "--unit", "桂溪街道", "-o", str(tmp_path / "unit.html")])
    assert result.exit_code == 0 and "nodes" in result.output
    missing = runner.invoke(main, ["viz", graph, "--view", "unit", "--unit", "nowhere", "-o", str(tmp_path / "x.html")])
    assert missing.exit_code == 1 and "no unit named" in missing.output
    assert runner.invoke(main, ["analyze", graph, "-o", str(tmp_path / "analysis")]).exit_code == 0
    assert (tmp_path / "analysis" / "analysis.html").exists()
    assert runner.invoke(main, ["export", graph, "--format", "gexf", "-o", str(tmp_path / "g.gexf")]).exit_code == 0


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graphml_and_gexf_are_byte_reproducible(tmp_path, seed_outputs, fmt):
    """Same graph, same bytes: under any hash seed and on any day (GEXF's optional lastmodifieddate is left out)."""
    import datetime
    import os
    import subprocess
    import sys

    written = []
    for seed in ("1", "777"):
        out = tmp_path / f"{seed}.{fmt}"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from kg.cli import entry; entry()",
                "export",
                str(seed_outputs["rdf"]),
                "--format",
                fmt,
                "-o",
                str(out),
            ],
            check=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
            capture_output=True,
        )
        written.append(out.read_bytes())
    assert written[0] == written[1]
    text = written[0].decode("utf-8")
    assert "lastmodifieddate" not in text and datetime.date.today().isoformat() not in text
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n")


def test_the_view_of_a_unit_that_reports_nothing_itself(tmp_path, seed_outputs):
    # 汉台区 (610702) is the parent of 七里街道: it has a view, with no similar units (it states no measure)
    done = CliRunner().invoke(main, ["viz", str(seed_outputs["rdf"]), "--view", "unit", "--unit", "610702", "-o", str(tmp_path / "u.html")])
    assert done.exit_code == 0, done.output
