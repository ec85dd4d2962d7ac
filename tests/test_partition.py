"""Partitioned N-Quads (kg export --format nquads) and their bulk load into Oxigraph by its own loader."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pyoxigraph as ox
from click.testing import CliRunner

from kg.cli import main
from kg.rdf.partition import SHARED, part_name, partition_of, report_of
from kg.rdf.serve import oxigraph_binary


def _export(graph: Path, out: Path, parts: int = 4) -> list[Path]:
    done = CliRunner().invoke(main, ["export", str(graph), "--format", "nquads", "-o", str(out), "--partitions", str(parts)])
    assert done.exit_code == 0, done.output
    return [Path(line.split(" ", 1)[1]) for line in done.output.splitlines()]


def test_every_triple_in_one_partition_each_report_in_its_own_graph(seed_outputs, tmp_path):
    written = _export(seed_outputs["rdf"], tmp_path / "parts")
    assert [p.name for p in written] == [SHARED] + [part_name(n) for n in range(4)]
    quads = {p.name: list(ox.parse(gzip.decompress(p.read_bytes()), format=ox.RdfFormat.N_QUADS)) for p in written}
    original = {(t.subject, t.predicate, t.object) for t in ox.parse(path=str(seed_outputs["rdf"]), format=ox.RdfFormat.TURTLE)}
    got = [(q.subject, q.predicate, q.object) for qs in quads.values() for q in qs]
    assert len(got) == len(set(got)) and set(got) == original
    for name, qs in quads.items():
        for q in qs:
            if name == SHARED:
                assert isinstance(q.graph_name, ox.DefaultGraph) and not report_of(q.subject.value)
            else:
                report = report_of(q.graph_name.value)
                assert q.graph_name.value.endswith(f"/report/{report}") and part_name(partition_of(report, 4)) == name
                assert report_of(q.subject.value) == report
    assert sum(bool(qs) for name, qs in quads.items() if name != SHARED) >= 2  # five reports spread over the parts


def test_the_same_graph_gives_the_same_files_and_oxigraph_bulk_loads_them(seed_outputs, tmp_path):
    first = _export(seed_outputs["rdf"], tmp_path / "a")
    second = _export(seed_outputs["rdf"], tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    store = tmp_path / "store"
    loaded = subprocess.run(
        [oxigraph_binary(), "load", "--location", str(store), "--file", *map(str, first)], capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
    count = subprocess.run(
        [oxigraph_binary(), "query", "--location", str(store), "--results-format", "csv", "--query",
         "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    triples = sum(1 for _ in ox.parse(path=str(seed_outputs["rdf"]), format=ox.RdfFormat.TURTLE))
    assert int(count.stdout.split()[1]) == triples


def test_a_graph_that_cannot_be_read_leaves_the_earlier_partitions(seed_outputs, tmp_path):
    written = _export(seed_outputs["rdf"], tmp_path / "parts")
    before = [p.read_bytes() for p in written]
    broken = tmp_path / "broken.ttl"
    broken.write_text(seed_outputs["rdf"].read_text(encoding="utf-8")[:50_000] + '\n<urn:x> <urn:y> "unterminated', encoding="utf-8")
    done = CliRunner().invoke(main, ["export", str(broken), "--format", "nquads", "-o", str(tmp_path / "parts"), "--partitions", "4"])
    assert done.exit_code == 1 and str(broken) in done.output
    assert [p.read_bytes() for p in written] == before and not list((tmp_path / "parts").glob(".*.tmp"))


def test_fewer_partitions_than_last_time_leave_no_stale_part(seed_outputs, tmp_path):
    _export(seed_outputs["rdf"], tmp_path / "parts", parts=6)
    written = _export(seed_outputs["rdf"], tmp_path / "parts", parts=2)
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == sorted(p.name for p in written)
