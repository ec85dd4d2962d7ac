"""The merged graph on disk (kg.graph.facts) reads back as the merged graph in memory, and draws the same outputs."""

from __future__ import annotations

import filecmp
import sqlite3

import pytest

from kg.builder.analysis_job import write_analysis
from kg.builder.engine import write_views
from kg.graph import facts as facts_module
from kg.graph.facts import Facts
from kg.graph.merged import IMPLEMENTS, PART_OF, KnowledgeGraph, delta
from kg.rdf import write as rdf


def same_graph(memory: KnowledgeGraph, disk: Facts) -> None:
    assert list(disk.nodes()) == list(memory.nodes())
    assert list(disk.edges()) == list(memory.edges())
    assert dict(disk.reports) == memory.reports and len(disk.reports) == len(memory.reports)
    assert disk.reporting_units() == memory.reporting_units()
    assert list(disk.reports_by_unit().items()) == list(memory.reports_by_unit().items())
    assert disk.summary() == memory.summary()
    for key, _ in memory.nodes():
        assert key in disk and disk.out(key) == memory.out(key)
    keys = [key for key, _ in memory.nodes()]
    asked = keys[::-1] + keys[:3]  # any order, a key twice, in batches of a few keys (BATCH is made small below)
    assert [(k, dict(s)) for k, s in disk.successors_of(asked)] == [(k, dict(s)) for k, s in memory.successors_of(asked)]
    assert list(disk.attributes_of(asked)) == list(memory.attributes_of(asked))
    assert list(disk.targets_of(asked)) == list(memory.targets_of(asked))
    only = (IMPLEMENTS, PART_OF)  # the edges of some relations only: nodes with none of them have no targets
    assert list(disk.targets_of(asked, only)) == list(memory.targets_of(asked, only))
    assert {r for _, found in disk.targets_of(asked, only) for keyed in found.values() for r in keyed} == set(only)
    some = sorted({target for _, found in memory.targets_of(keys, only) for target in found})[::2]  # half of them
    for relations, targets in ((only, None), (None, some), (only, some)):
        on_disk = [(k, dict(s)) for k, s in disk.successors_of(asked, relations, targets)]
        assert on_disk == [(k, dict(s)) for k, s in memory.successors_of(asked, relations, targets)]
        assert {t for _, found in on_disk for t in found} <= set(some if targets else keys)
        assert relations is None or {r for _, found in on_disk for keyed in found.values() for r in keyed} <= set(relations)
    assert any(found for _, found in disk.successors_of(asked, only, some))
    assert "unit:division:000000" not in disk
    with pytest.raises(KeyError):
        disk.node("unit:division:000000")


def same_outputs(memory: KnowledgeGraph, disk: Facts, tmp_path, name: str) -> None:
    folders = []
    for graph, side in ((memory, "memory"), (disk, "disk")):
        out = tmp_path / f"{name}-{side}"
        written = {**write_views(graph, out), **write_analysis(graph, out)}
        folders.append((out, sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())))
        writer = rdf.Writer("turtle", rdf.DEFAULT_BASE)
        (out / "entities.ttl").write_text("".join(text for blocks in rdf.entity_texts(graph, writer).values() for _, text, _ in blocks))
        assert written
    (first, files), (second, others) = folders
    assert files == others and len(files) > 5
    _match, mismatch, errors = filecmp.cmpfiles(first, second, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors


def test_the_facts_on_disk_are_the_graph_in_memory_before_and_after_reports_are_taken_out(dev_corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(facts_module, "BATCH", 7)
    deltas = {report.id: delta(report) for report in dev_corpus.reports}
    memory, disk = KnowledgeGraph(), Facts(tmp_path / "facts.sqlite")
    with disk.batch():
        for change in deltas.values():
            memory.apply(change)
            disk.apply(change)
    same_graph(memory, disk)
    same_outputs(memory, disk, tmp_path, "all")
    # the earliest files first: their evidence is what edges keep, and must be found again from the others
    gone = sorted(deltas, key=lambda r: deltas[r].report.file)[: len(deltas) // 3]
    for report_id in gone:
        memory.retract(deltas[report_id], deltas.__getitem__)
        disk.retract(deltas[report_id])
    same_graph(memory, disk)
    same_outputs(memory, disk, tmp_path, "fewer")
    for report_id in gone[::2]:  # merged again, in another order
        memory.apply(deltas[report_id])
        disk.apply(deltas[report_id])
    same_graph(memory, disk)
    disk.close()
    again = Facts(tmp_path / "facts.sqlite")  # what was committed is there for the next process
    same_graph(memory, again)
    again.clear()  # merged again from empty: appended without indexes, then indexed and counted once
    for change in deltas.values():
        if change.report.id in memory.reports:
            again.apply(change)
    again.index()
    same_graph(memory, again)


def test_a_graph_opened_read_only_reads_what_was_committed_and_cannot_change_it(dev_corpus, tmp_path):
    """The analysis's helper process opens the build's graph read-only beside it: it sees the build's committed
    graph, not the changes after, and can write nothing."""
    deltas = [delta(report) for report in dev_corpus.reports]
    memory, disk = KnowledgeGraph(), Facts(tmp_path / "facts.sqlite")
    disk.begin()
    for change in deltas[:-1]:
        memory.apply(change)
        disk.apply(change)
    disk.commit("first")
    disk.begin()
    disk.apply(deltas[-1])  # not committed: a reader opened now does not see it
    reader = Facts(tmp_path / "facts.sqlite", read_only=True)
    same_graph(memory, reader)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.apply(deltas[-1])
    reader.close()
    disk.close()
    (tmp_path / "other.sqlite").write_bytes(b"")
    with pytest.raises(sqlite3.DatabaseError, match="not a merged graph"):
        Facts(tmp_path / "other.sqlite", read_only=True)
