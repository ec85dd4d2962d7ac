"""Saved SPARQL queries: each runs in rdflib and in pyoxigraph with the same results; the CLI around them."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from conftest import interruptible
from kg.cli import main
from kg.rdf.query import QueryError, fill, resolve, run, saved_queries

EXPECTED_QUERIES = {
    "shared-measures",
    "units-running",
    "problem-categories",
    "top-instruments",
    "unit-profile",
    "problems-remedies",
    "units-under",
    "instruments-by-unit",
    "reporting-units",
    "indicators-by-metric",
    "coverage",
    "unit-changes",
    "measure-diffusion",
}


def test_the_saved_queries_are_there_and_describe_themselves():
    queries = saved_queries()
    assert set(queries) >= EXPECTED_QUERIES
    for query in queries.values():
        assert query.title and query.description
    assert queries["units-running"].params["measure"][0] == "legal-advisers"


def _rows(result):
    return sorted(tuple(row) for row in result.plain())


MULTI_YEAR = {"unit-changes"}  # the seeds have one report year per unit: tests/test_coverage.py runs it on two (both engines)


@pytest.mark.parametrize("name", sorted(saved_queries()))
def test_every_saved_query_gives_the_same_rows_in_both_engines(seed_outputs, name):
    text = fill(saved_queries()[name], {})
    oxigraph = run(seed_outputs["rdf"], text, "oxigraph")
    rdflib_result = run(seed_outputs["rdf"], text, "rdflib")
    assert oxigraph.columns == rdflib_result.columns
    assert oxigraph.rows or name in MULTI_YEAR, f"{name} found nothing on the seeds"
    assert _rows(oxigraph) == _rows(rdflib_result)
    assert oxigraph.plain() == rdflib_result.plain()  # ORDER BY makes the order the same too


def test_queries_answer_what_they_promise(seed_outputs):
    shared = run(seed_outputs["rdf"], fill(saved_queries()["shared-measures"], {}))
    assert all(int(units) >= 2 for _, units, _ in shared.plain())
    under = run(seed_outputs["rdf"], fill(saved_queries()["units-under"], {"area": "320500"}))
    assert ("陆渡街道", "township", "320585002", "苏州市") in {tuple(r) for r in under.plain()}
    running = run(seed_outputs["rdf"], fill(saved_queries()["units-running"], {"measure": "枫桥"}))
    assert {row[0] for row in running.plain()} == {"七里街道", "桂溪街道"}  # “小事不出村社区” and 枫桥经验 by name


def _clean_text(path) -> str:
    from kg.extract.pipeline import process_text
    from kg.text.read import read

    return process_text(read(path))[1].text


def test_unit_profile_finds_a_unit_by_code_or_exact_name_with_what_its_report_says(seed_outputs):
    from conftest import SEED

    query = saved_queries()["unit-profile"]
    by_code = run(seed_outputs["rdf"], fill(query, {"unit": "610702008"})).plain()
    assert by_code == run(seed_outputs["rdf"], fill(query, {"unit": "七里街道"})).plain()  # not its organs, which carry the code
    organ = run(seed_outputs["rdf"], fill(query, {"unit": "七里街道党工委"})).plain()
    assert {row[0] for row in organ} == {"七里街道党工委 610702008"}
    assert run(seed_outputs["rdf"], fill(query, {"unit": "七里"})).plain() == []  # a part of a name is not the name
    aspects: dict[str, set] = {}
    for unit, aspect, value, _year, _evidence in by_code:
        assert unit == "七里街道 610702008"
        aspects.setdefault(aspect, set()).add(value)
    assert aspects["unit"] == {"七里街道 610702008"} and aspects["level"] == {"township"}
    assert aspects["part of"] == {"汉台区 610702", "汉中市 610700", "陕西省 610000"}
    assert aspects["report"] == {"汉中市汉台区七里街道办事处2021年度法治政府建设工作报告"}
    assert {"implements", "plans", "cites", "problem", "indicator"} <= set(aspects)
    text = _clean_text(SEED["000"])
    evidence = {row[4] for row in by_code if row[4]}
    assert evidence and all(sentence in text for sentence in evidence)  # each answer stands in the report
    assert any("4场" in value for value in aspects["indicator"]) and "法治学习、专题学法培训" in text


def test_unit_profile_lists_every_unit_a_name_names(tmp_path):
    data = tmp_path / "two.ttl"
    data.write_text(
        """@base <https://example.org/> . @prefix fz: <https://w3id.org/fzkg/ontology#> . @prefix org: <http://www.w3.org/ns/org#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <u/1> a org:Organization ; rdfs:label "东城街道"@zh ; fz:divisionCode "110101001" ; org:subOrganizationOf <u/2> .
        <u/2> a org:Organization ; rdfs:label "东城区"@zh ; fz:divisionCode "110101" .
        <u/3> a org:Organization ; rdfs:label "东城街道"@zh ; fz:divisionCode "441900003" ; org:subOrganizationOf <u/4> .
        <u/4> a org:Organization ; rdfs:label "东莞市"@zh ; fz:divisionCode "441900" .
        """,
        encoding="utf-8",
    )
    text = fill(saved_queries()["unit-profile"], {"unit": "东城街道"})
    for engine in ("oxigraph", "rdflib"):
        rows = run(data, text, engine).plain()
        assert {(unit, value) for unit, aspect, value, *_ in rows if aspect == "part of"} == {
            ("东城街道 110101001", "东城区 110101"),
            ("东城街道 441900003", "东莞市 441900"),
        }
        assert {unit for unit, *_ in rows} == {"东城街道 110101001", "东城街道 441900003"}  # not 东城区


def test_the_saved_queries_on_instruments_units_and_indicators_answer_from_the_text(seed_outputs):
    from conftest import SEED

    studied = run(seed_outputs["rdf"], fill(saved_queries()["instruments-by-unit"], {"relation": "studied"})).plain()
    assert studied and {row[2] for row in studied} == {"studied"}
    assert ("七里街道", "中华人民共和国民法典", "studied", "1") in {tuple(r) for r in studied}
    units = run(seed_outputs["rdf"], fill(saved_queries()["reporting-units"], {})).plain()
    assert sum(int(row[3]) for row in units) == 5  # the five seed reports
    assert ("陕西省", "township", "1", "1", "2021", "2021") in {tuple(r) for r in units}
    sessions = run(seed_outputs["rdf"], fill(saved_queries()["indicators-by-metric"], {"metric": "study-sessions"})).plain()
    qili = [row for row in sessions if row[1] == "七里街道"]
    assert qili and all(row[0] == "领导干部学法次数" for row in sessions)
    text = _clean_text(SEED["000"])
    assert all(row[5] in text for row in qili)


def test_parameters_are_filled_as_literals():
    text = fill(saved_queries()["units-running"], {"measure": 'a"b'})
    assert 'VALUES ?measureParam { "a\\"b" }' in text
    with pytest.raises(QueryError, match="no parameter"):
        fill(saved_queries()["units-running"], {"nope": "x"})


def test_queries_from_files_and_text(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1", encoding="utf-8")
    assert resolve(str(path)).text.startswith("SELECT")
    assert resolve("ASK { ?s ?p ?o }").name == "query"
    with pytest.raises(QueryError, match="not a saved query"):
        resolve("no-such-query")


def test_query_command_outputs(seed_outputs):
    runner = CliRunner()
    table = runner.invoke(main, ["query", str(seed_outputs["rdf"]), "top-instruments"])
    assert table.exit_code == 0 and "中华人民共和国民法典" in table.output and "rows)" in table.output
    csv_out = runner.invoke(main, ["query", str(seed_outputs["rdf"]), "problem-categories", "--format", "csv"])
    assert csv_out.output.splitlines()[0] == "category,units,problems"
    data = json.loads(
        runner.invoke(
            main,
            ["query", str(seed_outputs["rdf"]), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "json", "--engine", "rdflib"],
        ).output
    )
    assert int(data["results"]["bindings"][0]["n"]["value"]) > 5000
    listing = runner.invoke(main, ["query", str(seed_outputs["rdf"]), "--list"])
    assert "units-running" in listing.output and "-p measure=" in listing.output


def test_query_errors_are_clear(seed_outputs, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["query", str(seed_outputs["rdf"]), "SELECT WHERE {"])
    assert bad.exit_code == 1
    assert "not valid SPARQL" in bad.output or "the query failed" in bad.output
    missing = runner.invoke(main, ["query", str(tmp_path / "none.ttl"), "top-instruments"])
    assert missing.exit_code == 1 and "no such file" in missing.output


@pytest.mark.parametrize("fmt", ["ntriples", "jsonld", "trig"])
def test_validate_reads_every_format_kg_writes(tmp_path, seed_corpus, fmt):
    from kg.rdf import write as rdf

    path = tmp_path / f"graph{rdf.FORMATS[fmt]}"
    rdf.write(seed_corpus.graph, seed_corpus.reports, path, fmt)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0 and "conforms" in result.output, result.output


def test_validate_command(seed_outputs, tmp_path):
    runner = CliRunner()
    good = runner.invoke(main, ["validate", str(seed_outputs["rdf"])])
    assert good.exit_code == 0 and "conforms" in good.output
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix fz: <https://w3id.org/fzkg/ontology#> .\n<https://x/r> a fz:Report .\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(broken)])
    assert result.exit_code == 1
    assert "a report has exactly one identifier" in result.output and "https://x/r" in result.output


# ------------------------------------------------------------------------------ standard result formats

MIXED = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX fz: <https://w3id.org/fzkg/ontology#>
SELECT ?s ?label ?start ?missing ?odd WHERE {
  { SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER (lang(?label) = "zh") } ORDER BY ?s ?label LIMIT 20 }
  UNION { SELECT ?s ?label ?start WHERE { ?s fz:inSentence/fz:text ?label ; fz:startOffset ?start } ORDER BY ?s LIMIT 20 }
  OPTIONAL { ?s fz:nothing ?missing }
  BIND (IF(BOUND(?start), "a,\\"b\\"\\nc\\td", "plain") AS ?odd)
} ORDER BY ?s ?label"""
VARIABLES = ("s", "label", "start", "missing", "odd")


def _direct(graph, text):
    store = ox.Store()
    store.load(path=str(graph), format=ox.RdfFormat.TURTLE)
    return store.query(text)


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_results_are_the_w3c_formats_that_other_tools_read(seed_outputs, engine):
    """JSON and TSV read by Oxigraph's own result parser, CSV and JSON by rdflib's, all equal to the engine's answer."""
    runner = CliRunner()
    graph = seed_outputs["rdf"]
    expected = [[solution[v] for v in VARIABLES] for solution in _direct(graph, MIXED)]
    assert len(expected) == 40 and any(row[2] is not None for row in expected)
    out = {
        fmt: runner.invoke(main, ["query", str(graph), MIXED, "--format", fmt, "--engine", engine]).stdout_bytes.decode()
        for fmt in ("json", "tsv", "csv")
    }  # the bytes: CliRunner's .output turns CRLF into LF
    for fmt in ("json", "tsv"):
        parsed = ox.parse_query_results(out[fmt], format=getattr(ox.QueryResultsFormat, fmt.upper()))
        assert [v.value for v in parsed.variables] == list(VARIABLES)
        assert [[solution[v] for v in VARIABLES] for solution in parsed] == expected, fmt
    assert out["csv"].startswith("s,label,start,missing,odd\r\n") and out["csv"].endswith("\r\n")
    values = [["" if t is None else t.value for t in row] for row in expected]
    assert [
        ["" if t is None else str(t) for t in row] for row in rdflib.query.Result.parse(io.StringIO(out["json"]), format="json")
    ] == values
    assert [
        ["" if t is None else str(t) for t in row] for row in rdflib.query.Result.parse(io.StringIO(out["csv"]), format="csv")
    ] == values


def test_ask_and_graph_queries(seed_outputs):
    runner = CliRunner()
    graph = str(seed_outputs["rdf"])
    answer = runner.invoke(main, ["query", graph, "ASK { ?s a <https://w3id.org/fzkg/ontology#Report> }", "--format", "json"])
    assert json.loads(answer.output) == {"head": {}, "boolean": True}
    assert bool(ox.parse_query_results(answer.output, format=ox.QueryResultsFormat.JSON)) is True
    unit = "<https://w3id.org/fzkg/data/unit/610702008>"
    expected = set(_direct(seed_outputs["rdf"], f"DESCRIBE {unit}"))
    assert len(expected) > 20
    for fmt, syntax in (
        ("table", ox.RdfFormat.TURTLE),
        ("turtle", ox.RdfFormat.TURTLE),
        ("ntriples", ox.RdfFormat.N_TRIPLES),
        ("json", ox.RdfFormat.JSON_LD),
    ):
        for engine in ("oxigraph", "rdflib"):
            printed = runner.invoke(main, ["query", graph, f"DESCRIBE {unit}", "--format", fmt, "--engine", engine])
            assert printed.exit_code == 0, printed.output
            read = {q.triple for q in ox.parse(printed.output, format=syntax)}
            if engine == "oxigraph":
                assert read == expected, fmt
            else:  # rdflib describes a resource by its own triples (a concise bounded description) too
                assert read >= {t for t in expected if str(t.subject) == unit}, fmt
    constructed = runner.invoke(main, ["query", graph, "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 3", "--format", "turtle"])
    assert constructed.output.startswith("@prefix ") and len(list(ox.parse(constructed.output, format=ox.RdfFormat.TURTLE))) == 3
    refused = runner.invoke(main, ["query", graph, "CONSTRUCT WHERE { ?s a ?t }", "--format", "csv"])
    assert refused.exit_code == 1 and "gives RDF" in refused.output
    refused = runner.invoke(main, ["query", graph, "SELECT * WHERE { ?s a ?t }", "--format", "ntriples"])
    assert refused.exit_code == 1 and "gives a table" in refused.output


# ------------------------------------------------------------------------------ local and bounded


class _Recorder(BaseHTTPRequestHandler):
    """A loopback web server that serves one small Turtle graph and counts every request."""

    requests: list[str] = []
    body = b'<https://x.example/a> <https://x.example/p> "remote" .\n'

    def do_GET(self):  # noqa: N802 - http.server's name
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture()
def web():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_queries_reach_no_server_unless_allowed(seed_outputs, web, engine, tmp_path):
    runner = CliRunner()
    graph = str(seed_outputs["rdf"])
    service = runner.invoke(main, ["query", graph, f"SELECT * WHERE {{ SERVICE <{web}/sparql> {{ ?s ?p ?o }} }}", "--engine", engine])
    assert service.exit_code == 1 and "SERVICE" in service.output and "--allow-remote" in service.output
    secret = tmp_path / "secret.ttl"
    secret.write_text('<https://x.example/s> <https://x.example/p> "local file" .\n', encoding="utf-8")
    for iri in (f"{web}/g.ttl", secret.as_uri()):
        for clause in ("FROM", "FROM NAMED"):
            refused = runner.invoke(main, ["query", graph, f"SELECT * {clause} <{iri}> WHERE {{ ?s ?p ?o }}", "--engine", engine])
            assert refused.exit_code == 1 and "holds no graph of that name" in refused.output, refused.output
    assert _Recorder.requests == []
    if engine == "rdflib":  # allowed, rdflib's FROM loads the graph from its address
        allowed = runner.invoke(
            main,
            ["query", graph, f"SELECT ?o FROM <{web}/g.ttl> WHERE {{ ?s ?p ?o }}", "--engine", engine, "--allow-remote", "--format", "csv"],
        )
        assert allowed.exit_code == 0 and "remote" in allowed.output and _Recorder.requests == ["/g.ttl"]


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_from_names_the_report_graphs_of_a_trig_file(tmp_path, seed_corpus, engine):
    from kg.rdf import write as rdf

    path = tmp_path / "graph.trig"
    rdf.write(seed_corpus.graph, seed_corpus.reports, path, "trig")
    report = rdf.Iris().report(seed_corpus.reports[0].id)
    counted = run(path, f"SELECT (COUNT(*) AS ?n) FROM <{report}> WHERE {{ ?s ?p ?o }}", engine)
    everything = run(path, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", engine)
    assert 0 < int(counted.plain()[0][0]) < int(everything.plain()[0][0])


def test_deep_nesting_is_refused_not_a_crash(seed_outputs):
    deep = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000  # Oxigraph's parser overflows its stack on this
    for engine in ("oxigraph", "rdflib"):
        with pytest.raises(QueryError, match="nests 5000 levels"):
            run(seed_outputs["rdf"], deep, engine)
    filters = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 40 + "true" + ")" * 40 + ") } LIMIT 1"
    assert run(seed_outputs["rdf"], filters, "oxigraph").rows
    with pytest.raises(QueryError, match="nests too deeply for the rdflib engine"):  # Python's recursion, caught
        run(seed_outputs["rdf"], filters, "rdflib")


def test_an_engine_that_dies_is_reported_and_the_caller_lives():
    from kg.rdf.query import _isolated

    def crash(loaded):
        loaded()
        os.kill(os.getpid(), signal.SIGSEGV)

    with pytest.raises(QueryError, match="stopped on this query \\(SIGSEGV\\)"):
        _isolated(crash, None, "oxigraph")


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 10^11 rows: runs for hours


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_timeout_stops_a_query(seed_outputs, engine):
    clock = time.monotonic()
    result = CliRunner().invoke(main, ["query", str(seed_outputs["rdf"]), SLOW, "--timeout", "1", "--engine", engine])
    assert result.exit_code == 1 and "longer than 1 s (--timeout)" in result.output
    assert time.monotonic() - clock < 30  # the graph's loading and the stop; the query alone would take hours


def test_ctrl_c_stops_a_query_and_its_engine(seed_outputs):
    """SIGINT as a terminal sends it: exit code 130, one line, and no engine process left running."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from kg.cli import entry; entry()", "query", str(seed_outputs["rdf"]), SLOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    time.sleep(4)  # loaded and querying
    children = _children(process.pid)
    assert children, "the query runs in a child process"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and err.strip() == "kg: interrupted"
    time.sleep(0.2)
    assert not [pid for pid in children if os.path.exists(f"/proc/{pid}")]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in open(f"/proc/{pid}/task/{pid}/children", encoding="ascii").read().split()]
    except OSError:
        return []


# ------------------------------------------------------------------------------ standard input and output


def test_dash_reads_standard_input_and_writes_standard_output(seed_outputs, tmp_path):
    runner = CliRunner()
    graph_text = seed_outputs["rdf"].read_text(encoding="utf-8")
    counted = runner.invoke(main, ["query", "-", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv"], input=graph_text)
    assert counted.exit_code == 0 and int(counted.output.split()[1]) > 5000
    asked = runner.invoke(main, ["query", str(seed_outputs["rdf"]), "-"], input="ASK { ?s ?p ?o }")
    assert "true" in asked.output
    both = runner.invoke(main, ["query", "-", "-"], input="")
    assert both.exit_code == 2 and "can be read once" in both.output
    assert "conforms" in runner.invoke(main, ["validate", "-"], input=graph_text).output
    broken = runner.invoke(main, ["validate", "-"], input="garbage {")
    assert broken.exit_code == 1 and "kg: error: -: cannot be parsed" in broken.output
    page = runner.invoke(main, ["viz", "-", "-o", "-"], input=graph_text)
    assert page.exit_code == 0 and page.output.startswith("<!DOCTYPE html>") and "wrote" not in page.output
    gexf = runner.invoke(main, ["export", "-", "--format", "gexf", "-o", "-"], input=graph_text)
    assert gexf.output.startswith("<?xml") and "<gexf" in gexf.output and not (tmp_path / "-").exists()
    junk = runner.invoke(main, ["build", "-", "-o", str(tmp_path / "out"), "-q"], input="hello")
    assert junk.exit_code == 3 and "kg: error: -: does not look like a report" in junk.output and "kg-stdin" not in junk.output
    neo4j = runner.invoke(main, ["export", str(seed_outputs["rdf"]), "--format", "neo4j", "-o", "-"])
    assert neo4j.exit_code == 2 and "give a folder" in neo4j.output
