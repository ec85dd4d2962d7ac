"""The library API: build a knowledge graph from report files in memory, and write its outputs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.builder.analysis_job import write_analysis
from kg.builder.engine import merge, plan, write_views
from kg.builder.inputs import as_paths
from kg.graph.merged import KnowledgeGraph
from kg.model import Failure, Report
from kg.outputs import documents
from kg.rdf import write as rdf
from kg.text.sources import Sources


@dataclass
class Corpus:
    """The result of a build: the merged graph, every report record, the files that failed, and warnings."""

    graph: KnowledgeGraph
    reports: list[Report] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, warning)


def build(
    paths: Iterable[str | Path], jobs: int = 1, progress: Callable[[int, int], None] | None = None, sources: Sources | None = None
) -> Corpus:
    """Read every report under ``paths`` (files and folders) into one graph, keeping every report in memory.

    Files that cannot be read are recorded in ``Corpus.failures``; the others
    are built all the same. ``jobs`` worker processes read the reports (the
    result is the same for any number). For corpora too large to hold in
    memory, :func:`kg.builder.engine.build` writes the outputs straight from a cache.
    ``sources`` (:func:`kg.text.sources.load`) gives the page address or unit of files.

    >>> corpus = build(["seeds/002_4e55a684573cd332.txt"])
    >>> corpus.reports[0].unit.code, corpus.reports[0].year
    ('522732101', 2020)
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive whole number, not {jobs!r}")
    entries, failures, _files, names = plan(as_paths(paths), sources=sources)
    result = merge(entries, jobs=jobs, keep_reports=True, progress=progress, sources=sources, names=names)
    assert isinstance(result.graph, KnowledgeGraph)  # a build without a cache merges in memory
    return Corpus(result.graph, result.reports, failures + result.failures, result.warnings)


def write_outputs(corpus: Corpus, out_dir: str | Path, rdf_format: str = "turtle", base: str = rdf.DEFAULT_BASE) -> dict[str, Path]:
    """Write graph.<ext>, graph.html, views/*.html, analysis/ and documents.jsonl into ``out_dir`` (each atomically).

    The files are the ones ``kg build`` writes for the same reports; the reading pages (reports/) are made
    from the text as it is read, so only a build writes them.
    """
    out_dir = Path(out_dir)
    written = {"rdf": out_dir / f"graph{rdf.FORMATS[rdf_format]}"}
    rdf.write(corpus.graph, corpus.reports, written["rdf"], rdf_format, base)
    written["documents"] = out_dir / "documents.jsonl"
    documents.write(corpus.reports, written["documents"])
    written.update(write_views(corpus.graph, out_dir))
    written.update(write_analysis(corpus.graph, out_dir))
    return written
