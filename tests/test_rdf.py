"""RDF outputs: four formats with the same triples, stable IRIs, byte-identical builds (other parsers: test_interop.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from conftest import ROOT, SEEDS
from kg.rdf import write as rdf


@pytest.fixture(scope="module")
def formats(tmp_path_factory, seed_corpus):
    out = tmp_path_factory.mktemp("formats")
    paths = {}
    for name, suffix in rdf.FORMATS.items():
        paths[name] = out / f"graph{suffix}"
        rdf.write(seed_corpus.graph, seed_corpus.reports, paths[name], name)
    return paths


def _triples_oxigraph(path: Path) -> set[str]:
    return {str(ox.Triple(q.subject, q.predicate, q.object)) for q in ox.parse(path=str(path))}


def test_turtle_ntriples_trig_and_jsonld_hold_the_same_triples(formats):
    turtle = _triples_oxigraph(formats["turtle"])
    assert len(turtle) > 5000
    assert _triples_oxigraph(formats["ntriples"]) == turtle
    assert _triples_oxigraph(formats["trig"]) == turtle
    jsonld = rdflib.Graph().parse(formats["jsonld"], format="json-ld")
    as_nt = {line for line in jsonld.serialize(format="nt").splitlines() if line}
    reference = {line for line in rdflib.Graph().parse(formats["turtle"]).serialize(format="nt").splitlines() if line}
    assert as_nt == reference


def test_jsonld_carries_its_context_inline(formats):
    """A JSON-LD file that every processor reads alone and offline: no context file to fetch, no JSON-LD 1.1 switch."""
    text = formats["jsonld"].read_text(encoding="utf-8")
    assert text.startswith('{"@context": {"@base":"https://w3id.org/fzkg/data/","fz":"https://w3id.org/fzkg/ontology#"')
    assert not (formats["jsonld"].parent / "context.jsonld").exists() and "@version" not in text[:5000]
    assert '"publisher":"unit/610702008"' in text  # terms and relative IRIs, not expanded JSON-LD
    context = json.loads(text.split("\n", 1)[0].rstrip(",") + "}")["@context"]
    assert {k: v for k, v in context.items() if k != "@base"} == rdf.jsonld_context()


def test_trig_puts_each_report_in_its_own_named_graph(formats, seed_corpus):
    graphs = {q.graph_name.value for q in ox.parse(path=str(formats["trig"])) if isinstance(q.graph_name, ox.NamedNode)}
    assert graphs == {f"{rdf.DEFAULT_BASE}report/{r.id}" for r in seed_corpus.reports}


def test_identifiers_are_stable_and_follow_the_base(tmp_path, seed_corpus):
    rdf.write(seed_corpus.graph, seed_corpus.reports, tmp_path / "a.nt", "ntriples", base="https://example.org/kg/")
    text = (tmp_path / "a.nt").read_text(encoding="utf-8")
    assert "<https://example.org/kg/unit/610702008>" in text
    assert "<https://w3id.org/fzkg/measure/legal-advisers>" in text  # concepts keep their scheme IRIs
    report = seed_corpus.reports[0]
    assert f"<https://example.org/kg/report/{report.id}>" in text
    assert "w3id.org/fzkg/data/" not in text


@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "trig"])
def test_builds_are_byte_identical_across_hash_seeds(tmp_path, fmt):
    outputs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"seed{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run(
            [sys.executable, "-m", "kg.cli", "build", str(SEEDS), "-o", str(out), "--format", fmt, "--no-cache", "-q"],
            check=True,
            env=env,
            cwd=ROOT,
        )
        outputs.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0].keys() == outputs[1].keys()
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name


def test_rdflib_api_over_the_oxigraph_store(seed_outputs):
    from kg.rdf.store import load_rdflib

    graph = load_rdflib(seed_outputs["rdf"])
    assert type(graph.store).__name__ == "OxigraphStore"
    assert len(graph) == len(_triples_oxigraph(seed_outputs["rdf"]))


def test_the_shipped_context_is_the_one_the_writer_uses():
    from kg.knowledge.resources import ontology_path

    shipped = json.loads(ontology_path("context.jsonld").read_text(encoding="utf-8"))
    assert shipped == {"@context": rdf.jsonld_context()}


def test_a_sentence_is_one_node_however_many_reports_have_it(tmp_path):
    """The same seed for another year shares most sentences: each sentence node is written once, outside the reports'
    blocks, and both reports' evidence points to it; the cached build and the in-memory writer give the same file."""
    from kg.builder.corpus import build as build_in_memory
    from kg.builder.corpus import write_outputs
    from kg.builder.engine import build

    folder = tmp_path / "reports"
    folder.mkdir()
    seed = sorted(SEEDS.glob("001_*.txt"))[0]
    text = seed.read_text(encoding="utf-8")
    (folder / "2022.txt").write_text(text, encoding="utf-8")
    (folder / "2023.txt").write_text(text.replace("2022年", "2023年"), encoding="utf-8")
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    turtle = (out / "graph.ttl").read_text(encoding="utf-8")

    heads = [line.split()[0] for line in turtle.splitlines() if line.endswith(" a fz:Sentence ;")]
    assert len(heads) == len(set(heads)) > 30
    store = ox.Store()
    store.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    prefixes = {"fz": "https://w3id.org/fzkg/ontology#", "prov": "http://www.w3.org/ns/prov#"}
    shared = store.query(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?a fz:inSentence ?s ; prov:wasQuotedFrom ?r1 . ?b fz:inSentence ?s ; "
        "prov:wasQuotedFrom ?r2 FILTER (?r1 != ?r2) }",
        prefixes=prefixes,
    )
    assert int(next(iter(shared))["n"].value) > 20
    assert not store.query("ASK { ?e a fz:Evidence FILTER NOT EXISTS { ?e fz:inSentence/fz:text ?t } }", prefixes=prefixes)
    assert not store.query("ASK { ?e fz:quote ?q ; fz:inSentence/fz:text ?q }", prefixes=prefixes)  # a quote only where it differs

    written = write_outputs(build_in_memory([folder]), tmp_path / "in-memory")
    assert written["rdf"].read_bytes() == (out / "graph.ttl").read_bytes()


def test_the_quote_is_the_file_and_stands_only_where_cleaning_changed_it(seed_corpus):
    """Every evidence's span of the decoded file is its quote when it has one, and its sentence's text otherwise."""
    from kg.text.read import read

    iris, quoted, plain = rdf.Iris(), 0, 0
    for report in seed_corpus.reports:
        original = read(SEEDS / Path(report.file).name).original
        texts = {iris.sentence(text): text for text in rdf.report_sentences(report)}
        nodes: dict[str, dict] = {}
        for s, p, o in rdf.report_triples(report, iris):
            nodes.setdefault(s, {})[p.rsplit("#", 1)[-1]] = o
        for e in (node for node in nodes.values() if "inSentence" in node):
            span = original[int(e["startOffset"].value) : int(e["endOffset"].value)]
            assert span == (e["quote"].value if "quote" in e else texts[e["inSentence"]])
            quoted, plain = quoted + ("quote" in e), plain + ("quote" not in e)
    assert quoted > 20 and plain > 100
