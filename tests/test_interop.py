"""The graphs read by other RDF tools: Raptor, Jena riot, rdflib, pyoxigraph and pyld, in all four formats, with one count.

The seeds and both dev corpora are built together (with one report present
as two files) in Turtle, N-Triples, JSON-LD and TriG; every tool that reads a
format must find the same number of distinct triples, no file may repeat a
triple, and kg's own shapes accept the graph (``kg validate`` on each format
of the seeds: tests/test_query.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile

import pyoxigraph as ox
import pytest
import rdflib

from conftest import CORPUS, CORPUS2, JAVA_LIBS, SEEDS, java_classpath, require_tool
from kg.rdf import write as rdf

pytestmark = pytest.mark.slow

# Debian's libapache-jena-java and the libraries its riot needs (unversioned names; slf4j-nop keeps it quiet)
JENA_JARS = (
    "jena-arq",
    "jena-base",
    "jena-cmds",
    "jena-core",
    "jena-dboe-base",
    "jena-dboe-index",
    "jena-dboe-storage",
    "jena-dboe-trans-data",
    "jena-dboe-transaction",
    "jena-iri",
    "jena-tdb",
    "jena-tdb2",
    "jena-rdfconnection",
    "commons-cli",
    "commons-codec",
    "commons-compress",
    "commons-csv",
    "commons-io",
    "commons-lang3",
    "dexx.collection",
    "gson",
    "guava",
    "httpclient",
    "httpclient-cache",
    "httpcore",
    "jackson-annotations",
    "jackson-core",
    "jackson-databind",
    "jsonld-java",
    "jakarta.json-api",
    "titanium-json-ld",
    "protobuf",
    "thrift",
    "slf4j-api",
    "slf4j-nop",
)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """The seeds, corpus and corpus2 (seed 001 twice) built once per format: {format: graph file}."""
    from kg.builder.engine import build

    if not CORPUS.is_dir() or not CORPUS2.is_dir():
        pytest.skip("the corpus copies are missing")
    inputs = tmp_path_factory.mktemp("inputs")
    for folder in (SEEDS, CORPUS, CORPUS2):
        for path in sorted(folder.glob("*.txt")):
            shutil.copy(path, inputs / path.name)
    shutil.copy(next(SEEDS.glob("001_*.txt")), inputs / "copy-of-001.txt")  # one report, two files
    out = tmp_path_factory.mktemp("graphs")
    files = {}
    for fmt, suffix in rdf.FORMATS.items():
        result = build([inputs], out / fmt, fmt=fmt, jobs=2, use_cache=False)
        assert len(result.entries) > 110 and not result.failures
        files[fmt] = out / fmt / f"graph{suffix}"
    return files


@pytest.fixture(scope="module")
def expected(graphs):
    """The number of distinct triples, as pyoxigraph reads the Turtle file."""
    return len({q.triple for q in ox.parse(path=str(graphs["turtle"]))})


@pytest.mark.parametrize("fmt", list(rdf.FORMATS))
def test_pyoxigraph_reads_every_format_with_no_repeated_triple(graphs, expected, fmt):
    quads = list(ox.parse(path=str(graphs[fmt])))
    assert len(quads) == expected == len({q.triple for q in quads}) > 30000


@pytest.mark.parametrize("fmt", list(rdf.FORMATS))
def test_rdflib_reads_every_format(graphs, expected, fmt):
    syntax = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "trig": "trig"}[fmt]
    if fmt == "trig":
        data = rdflib.Dataset(default_union=True)
        data.parse(graphs[fmt], format=syntax)
        count = len(set(data.triples((None, None, None))))
    else:
        count = len(rdflib.Graph().parse(graphs[fmt], format=syntax))
    assert count == expected


def test_pyld_reads_the_jsonld(graphs, expected):
    """A JSON-LD processor of its own (pyld), with no document loader: the context is in the file."""
    from pyld import jsonld

    document = json.loads(graphs["jsonld"].read_text(encoding="utf-8"))
    quads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    assert len({line for line in quads.splitlines() if line}) == expected


def _raptor() -> str:
    path = shutil.which("rapper")
    require_tool(None if path else "rapper", "raptor2-utils")
    return path


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "trig"])  # Raptor has no JSON-LD parser
def test_raptor_reads_the_files(graphs, expected, fmt):
    done = subprocess.run([_raptor(), "-i", fmt, "-c", str(graphs[fmt])], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"returned {expected} triples" in done.stderr


@pytest.fixture(scope="module")
def riot(tmp_path_factory) -> list[str]:
    """The command line of Jena's riot from Debian's libapache-jena-java.

    Debian's jena-core moves the bundled Xerces classes to the package
    ``xerces`` but leaves their message files under ``org/apache/jena/ext/xerces``;
    without them Jena's XSD datatypes cannot start. A small jar puts a copy
    where the classes look.
    """
    classpath = java_classpath(JENA_JARS, "libapache-jena-java")
    messages = tmp_path_factory.mktemp("jena") / "xerces-messages.jar"
    prefix = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA_LIBS / "jena-core.jar") as core, zipfile.ZipFile(messages, "w") as out:
        for name in core.namelist():
            if name.startswith(prefix) and name.endswith(".properties"):
                out.writestr("xerces/" + name[len(prefix) :], core.read(name))
    return ["java", "-cp", f"{classpath}:{messages}", "riotcmd.riot"]


@pytest.mark.parametrize("fmt", list(rdf.FORMATS))
def test_jena_riot_reads_every_format(graphs, expected, riot, fmt):
    # Debian's Jena lacks a JSON-P provider for its JSON-LD 1.1 reader; its JSON-LD 1.0 reader reads kg's files
    syntax = ["--syntax=jsonld10"] if fmt == "jsonld" else []
    done = subprocess.run([*riot, *syntax, "--count", str(graphs[fmt])], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    counted = re.search(r"(?:Triples|Quads) = ([\d,]+)", done.stdout + done.stderr)
    assert counted, done.stdout + done.stderr
    assert int(counted.group(1).replace(",", "")) == expected


def test_the_shapes_accept_the_graph_and_every_format_holds_it(graphs):
    """pySHACL on the Turtle file (half a minute); the other formats hold exactly its triples."""
    from kg.rdf.validate import validate_file

    result = validate_file(graphs["turtle"])
    assert result.conforms, result.grouped()
    turtle = {q.triple for q in ox.parse(path=str(graphs["turtle"]))}
    for fmt in ("ntriples", "jsonld", "trig"):
        assert {q.triple for q in ox.parse(path=str(graphs[fmt]))} == turtle, fmt
