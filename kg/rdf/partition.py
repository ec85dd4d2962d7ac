"""The graph as partitioned, compressed N-Quads for the bulk loaders of big stores.

A report's statements go to the partition its id hashes to, in a named graph that is the report's IRI;
what no one report owns (units, instruments, the schemes and the ontology) goes to ``shared.nq.gz`` in the
default graph. The graph file is read as a stream (pyoxigraph's parser) and each partition written as it
comes, so memory does not grow with the graph; the same graph gives the same files byte for byte (gzip
without a time stamp). Load them all at once, in parallel: ``oxigraph load --location STORE --file
DIR/*.nq.gz``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path

import pyoxigraph as ox

from kg.rdf.store import graph_format
from kg.rdf.write import REPORT_PARTS

SHARED = "shared.nq.gz"
BATCH = 20_000  # quads held per partition before they are written
# the IRIs of one report's nodes: …/report/<id>, …/<kind>/<id>-<position> (a sentence is shared: not one report's)
_REPORT_NODE = re.compile(rf"/(report|{'|'.join(REPORT_PARTS)})/([0-9a-f]{{16}})(?:-[^/]*)?$")


def part_name(number: int) -> str:
    return f"part-{number:05d}.nq.gz"


def report_of(iri: str) -> str | None:
    """The report id an instance IRI belongs to, if it names a node of one report.

    >>> report_of("https://w3id.org/fzkg/data/evidence/0019640ee9f68fa3-29-201")
    '0019640ee9f68fa3'
    >>> report_of("https://w3id.org/fzkg/data/unit/622925") is None
    True
    >>> report_of("https://w3id.org/fzkg/data/sentence/0019640ee9f68fa3a1b2") is None
    True
    """
    m = _REPORT_NODE.search(iri)
    return m.group(2) if m else None


def partition_of(report: str, parts: int) -> int:
    """The partition of a report: a stable hash of its id (the same on every machine and run)."""
    return int.from_bytes(hashlib.sha256(report.encode("ascii")).digest()[:8], "big") % parts


def partition(graph_file: str | Path, out_dir: str | Path, parts: int = 16) -> list[Path]:
    """Write ``graph_file`` as ``parts`` report partitions and the shared part into ``out_dir``; the files written."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    graph_file, out_dir = Path(graph_file), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _, fmt = graph_format(graph_file)
    names = [SHARED] + [part_name(n) for n in range(parts)]
    temporary = {name: out_dir / f".{name}.tmp" for name in names}
    raw: dict = {}
    handles: dict[str, gzip.GzipFile] = {}
    pending: dict[str, list[ox.Quad]] = {name: [] for name in names}
    default = ox.DefaultGraph()
    named: ox.NamedNode | ox.DefaultGraph
    try:
        for name in names:
            raw[name] = open(temporary[name], "wb")  # noqa: SIM115 - closed below, whatever happens
            handles[name] = gzip.GzipFile(filename="", mode="wb", fileobj=raw[name], mtime=0)
        with graph_file.open("rb") as source:
            for item in ox.parse(source, format=fmt):
                graph = item.graph_name if isinstance(item, ox.Quad) else default
                if isinstance(graph, ox.NamedNode) and report_of(graph.value):  # TriG: the report's graph already
                    name, named = part_name(partition_of(report_of(graph.value) or "", parts)), graph
                else:
                    report = _report_iri(item.subject.value) if isinstance(item.subject, ox.NamedNode) else None
                    name = part_name(partition_of(report_of(report) or "", parts)) if report else SHARED
                    named = ox.NamedNode(report) if report else default
                quad = ox.Quad(item.subject, item.predicate, item.object, named)
                pending[name].append(quad)
                if len(pending[name]) >= BATCH:
                    _flush(handles[name], pending[name])
        for name in names:
            _flush(handles[name], pending[name])
    except BaseException:  # nothing half-written is left: the partitions of an earlier run stay as they were
        for name in names:
            if name in handles:
                handles[name].close()
            if name in raw:
                raw[name].close()
            temporary[name].unlink(missing_ok=True)
        raise
    for name in names:
        handles[name].close()
        raw[name].close()  # a GzipFile leaves the file it was given open
        os.replace(temporary[name], out_dir / name)
    for stale in sorted(out_dir.glob("part-*.nq.gz")):  # of an earlier export in more partitions: loading them would load old quads
        if stale.name not in names:
            stale.unlink()
    return [out_dir / name for name in names]


def _report_iri(iri: str) -> str | None:
    """The IRI of the report a node of one report belongs to (its named graph), beside the node's own."""
    m = _REPORT_NODE.search(iri)
    return f"{iri[: m.start()]}/report/{m.group(2)}" if m else None


def _flush(handle: gzip.GzipFile, quads: list) -> None:
    if quads:
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        assert data is not None  # bytes, when no output is given
        handle.write(data)
        quads.clear()
