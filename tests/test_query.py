"""Saved SPARQL queries: each runs in rdflib and in pyoxigraph with the same results; the CLI around them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.query import QueryError, fill, resolve, run, saved_queries

EXPECTED_QUERIES = {"shared-measures", "units-running", "problem-categories", "top-instruments", "unit-profile",
                    "problems-remedies", "units-under"}


def test_the_saved_queries_are_there_and_describe_themselves():
    queries = saved_queries()
    assert set(queries) >= EXPECTED_QUERIES
    for query in queries.values():
        assert query.title and query.description
    assert queries["units-running"].params["measure"][0] == "legal-advisers"


def _rows(result):
    return sorted(tuple(row) for row in result.plain())


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_every_saved_query_gives_the_same_rows_in_both_engines(seed_outputs, name):
    text = fill(saved_queries()[name], {})
    oxigraph = run(seed_outputs["rdf"], text, "oxigraph")
    rdflib_result = run(seed_outputs["rdf"], text, "rdflib")
    assert oxigraph.columns == rdflib_result.columns
    assert oxigraph.rows, f"{name} found nothing on the seeds"
    assert _rows(oxigraph) == _rows(rdflib_result)
    assert oxigraph.plain() == rdflib_result.plain()  # ORDER BY makes the order the same too


def test_queries_answer_what_they_promise(seed_outputs):
    shared = run(seed_outputs["rdf"], fill(saved_queries()["shared-measures"], {}))
    assert all(int(units) >= 2 for _, units, _ in shared.plain())
    under = run(seed_outputs["rdf"], fill(saved_queries()["units-under"], {"area": "320500"}))
    assert ("陆渡街道", "township", "320585002", "苏州市") in {tuple(r) for r in under.plain()}
    running = run(seed_outputs["rdf"], fill(saved_queries()["units-running"], {"measure": "枫桥"}))
    assert {row[0] for row in running.plain()} == {"七里街道", "桂溪街道"}  # “小事不出村社区” and 枫桥经验 by name


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
    data = json.loads(runner.invoke(main, ["query", str(seed_outputs["rdf"]), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                           "--format", "json", "--engine", "rdflib"]).output)
    assert int(data[0]["n"]) > 5000
    listing = runner.invoke(main, ["query", str(seed_outputs["rdf"]), "--list"])
    assert "units-running" in listing.output and "-p measure=" in listing.output


def test_query_errors_are_clear(seed_outputs, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["query", str(seed_outputs["rdf"]), "SELECT WHERE {"])
    assert bad.exit_code == 1
    assert "not valid SPARQL" in bad.output or "the query failed" in bad.output
    missing = runner.invoke(main, ["query", str(tmp_path / "none.ttl"), "top-instruments"])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_validate_command(seed_outputs, tmp_path):
    runner = CliRunner()
    good = runner.invoke(main, ["validate", str(seed_outputs["rdf"])])
    assert good.exit_code == 0 and "conforms" in good.output
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix fz: <https://w3id.org/fzkg/ontology#> .\n<https://x/r> a fz:Report .\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(broken)])
    assert result.exit_code == 1
    assert "a report has exactly one identifier" in result.output and "https://x/r" in result.output
