"""kg serve (the Oxigraph SPARQL server, started for real on loopback) and kg query URL over the SPARQL protocol."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner

from conftest import interruptible
from kg.cli import main
from kg.rdf.query import saved_queries


@pytest.fixture(scope="module")
def served(tmp_path_factory, seed_outputs):
    """`kg serve` on a copy of the seeds' build folder, as a user starts it; stopped with Ctrl-C (SIGINT) at the end."""
    folder = tmp_path_factory.mktemp("served")
    shutil.copy(seed_outputs["rdf"], folder / "graph.ttl")
    shutil.copy(seed_outputs["html"], folder / "graph.html")
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(folder), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    lines = []
    for line in process.stdout:  # the addresses, once the server answers
        lines.append(line)
        if line.startswith("SPARQL endpoint:"):
            break
    else:
        pytest.fail("kg serve stopped: " + "".join(lines) + process.stderr.read())
    endpoint = lines[-1].split()[2]
    oxigraph = lines[-1].split("read-only: ")[1].rstrip(")\n")
    yield {"folder": folder, "endpoint": endpoint, "oxigraph": oxigraph, "site": endpoint.rsplit("/", 1)[0] + "/", "process": process}
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    with pytest.raises(urllib.error.URLError):  # the Oxigraph server went with it
        urllib.request.urlopen(oxigraph + "?query=ASK%7B%7D", timeout=5)


def _rows(args: list[str]) -> list[str]:
    done = CliRunner().invoke(main, ["query", *args, "--format", "csv"])
    assert done.exit_code == 0, done.output
    header, *rows = done.output.replace("\r\n", "\n").rstrip("\n").split("\n")
    return [header, *sorted(rows)]


@pytest.mark.parametrize("name", sorted(saved_queries()))
def test_every_saved_query_over_http_gives_the_rows_of_the_file(served, seed_outputs, name):
    assert _rows([served["endpoint"], name]) == _rows([str(seed_outputs["rdf"]), name])


def test_the_server_answers_the_sparql_protocol_and_serves_the_pages(served):
    query = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    request = urllib.request.Request(f"{served['endpoint']}?query={query}", headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert int(answer["results"]["bindings"][0]["n"]["value"]) > 8000
    with urllib.request.urlopen(served["site"] + "graph.html", timeout=30) as response:
        assert response.status == 200 and b"<html" in response.read(2000).lower()
    assert _rows([served["endpoint"], "ASK { ?s a <https://w3id.org/fzkg/ontology#Report> }"]) == ["true"]


@pytest.mark.parametrize(
    ("where", "content_type", "body"),
    [
        ("endpoint", "application/sparql-update", "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }"),
        ("endpoint", "application/x-www-form-urlencoded", "update=" + urllib.parse.quote("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")),
        ("oxigraph-update", "application/sparql-update", "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }"),
    ],
)
def test_the_server_refuses_updates(served, where, content_type, body):
    url = served["endpoint"] if where == "endpoint" else served["oxigraph"].rsplit("/", 1)[0] + "/update"
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": content_type}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert 400 <= refused.value.code < 500
    assert _rows([served["endpoint"], "ASK { <urn:x:a> ?p ?o }"])[0] == "false"


def test_kg_query_names_an_endpoint_that_does_not_answer():
    done = CliRunner().invoke(main, ["query", "http://127.0.0.1:9/sparql", "problem-categories"])
    assert done.exit_code != 0 and "no answer from the endpoint" in done.output


def test_a_second_start_serves_the_loaded_store_and_a_changed_graph_is_loaded_again(served, tmp_path):
    from kg.rdf.serve import prepare_store

    said: list[str] = []
    store = prepare_store(served["folder"], said.append)
    assert said == [] and store.is_dir()  # the graph did not change: nothing loaded
    copy = tmp_path / "site"
    shutil.copytree(served["folder"], copy, ignore=shutil.ignore_patterns(".kg-sparql"))
    prepare_store(copy, said.append)
    with (copy / "graph.ttl").open("a", encoding="utf-8") as graph:
        graph.write("\n<urn:x:a> <urn:x:b> <urn:x:c> .\n")
    prepare_store(copy, said.append)
    assert len(said) == 2 and all(s.startswith("loading ") for s in said)


def test_a_trig_build_is_served_as_one_graph(seed_corpus, tmp_path):
    """A TriG build holds a graph per report; the server answers over their union, as kg query on the file does."""
    from kg.builder.corpus import write_outputs
    from kg.rdf.serve import Server

    written = write_outputs(seed_corpus, tmp_path, rdf_format="trig")
    server = Server(tmp_path, port=0)
    server.start(log=lambda _: None)
    try:
        assert _rows([server.endpoint, "problem-categories"]) == _rows([str(written["rdf"]), "problem-categories"])
    finally:
        server.stop()


@pytest.mark.parametrize(
    "path",
    [
        "/.kg-sparql/source",
        "/%2Ekg-sparql/source",
        "/./.kg-sparql/source",
        "/views/../.kg-sparql/source",
        "/.kg-build.lock",
        "/../../etc/passwd",
        "/",
        "/views/",
    ],
)
def test_nothing_hidden_is_served_and_no_folder_listed(served, path):
    (served["folder"] / "views").mkdir(exist_ok=True)
    (served["folder"] / ".kg-build.lock").touch()
    for method in ("GET", "HEAD"):
        request = urllib.request.Request(served["site"].rstrip("/") + path, method=method)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 404, (method, path)


def test_the_oxigraph_server_listens_on_loopback_only(served):
    assert served["oxigraph"].startswith("http://127.0.0.1:")


def test_a_folder_without_a_graph_and_a_bad_host_are_clear_errors(tmp_path):
    done = CliRunner().invoke(main, ["serve", str(tmp_path), "--port", "0"])
    assert done.exit_code != 0 and "no graph file" in done.output
    from kg.rdf.serve import ServeError, family

    with pytest.raises(ServeError, match="cannot listen"):
        family("no such host.invalid")


def test_a_build_changes_the_served_store_in_place_unless_it_is_being_served(tmp_path):
    """After kg serve loaded a folder, an edit built into it changes the store by what changed (no reload at the next
    start, the same triples as the new graph file); while a server has the store open the build leaves it, and the
    next start loads it again."""
    import pyoxigraph as ox

    from conftest import CORPUS, require_corpus
    from kg.builder.engine import build
    from kg.rdf.serve import Server, prepare_store, served_store, source_stamp
    from kg.rdf.store import load_oxigraph

    require_corpus()
    folder, out = tmp_path / "reports", tmp_path / "out"
    folder.mkdir()
    for path in sorted(CORPUS.glob("d*.txt"))[:24]:  # an edit (one report out, one in) is within a tenth
        shutil.copy(path, folder / path.name)
    build([folder], out, jobs=1)
    said: list[str] = []
    store, stamp = served_store(out)
    prepare_store(out, said.append)
    inode = store.stat().st_ino

    def edit(path, sentence):
        path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")

    edit(folder / "d003.txt", "组织学习《中华人民共和国气象法》，全年共组织法治专题讲座3场。")
    build([folder], out, jobs=1)
    assert stamp.read_text(encoding="utf-8").strip() == source_stamp(out / "graph.ttl") and store.stat().st_ino == inode
    prepare_store(out, said.append)
    assert len(said) == 1  # loaded the first time only
    held = ox.Store.read_only(str(store))
    assert set(held) == set(load_oxigraph(out / "graph.ttl"))
    del held

    server = Server(out, port=0)
    server.start(log=said.append)
    try:
        (folder / "d004.txt").unlink()
        build([folder], out, jobs=1)  # the store is being served: left as it is
        assert stamp.read_text(encoding="utf-8").strip() != source_stamp(out / "graph.ttl")
    finally:
        server.stop()
    prepare_store(out, said.append)
    assert len(said) == 2 and said[-1].startswith("loading ")
