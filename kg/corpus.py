"""The library API: build a knowledge graph from report files and write its outputs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg import documents, rdf, views, viz
from kg.graph import KnowledgeGraph
from kg.model import Report
from kg.pipeline import Failure, collect, process_safely


@dataclass
class Corpus:
    """The result of a build: the merged graph, every report record, and the files that failed."""

    graph: KnowledgeGraph
    reports: list[Report] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def warnings(self) -> list[tuple[str, str]]:
        return [(r.file, w) for r in self.reports for w in r.warnings]


def build(paths: Iterable[str | Path], progress: Callable[[str], None] | None = None) -> Corpus:
    """Read every report under ``paths`` (files and folders) into one graph.

    Files that cannot be read are recorded in ``Corpus.failures``; the others
    are built all the same.

    >>> corpus = build(["seeds/002_4e55a684573cd332.txt"])
    >>> corpus.reports[0].unit.code, corpus.reports[0].year
    ('522732101', 2020)
    """
    inputs = collect(list(paths))
    corpus = Corpus(KnowledgeGraph(), failures=list(inputs.failures))
    for path in inputs.files:
        result = process_safely(path)
        if isinstance(result, Failure):
            corpus.failures.append(result)
        else:
            corpus.reports.append(result)
            corpus.graph.add(result)
        if progress:
            progress(path)
    return corpus


MAIN_VIEWS = ("shared-practices", "problems", "instruments")


def write_outputs(corpus: Corpus, out_dir: str | Path, rdf_format: str = "turtle", base: str = rdf.DEFAULT_BASE) -> dict[str, Path]:
    """Write graph.<ext>, graph.html, views/*.html and documents.jsonl into ``out_dir`` (each atomically)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = rdf.FORMATS[rdf_format]
    written = {
        "rdf": out_dir / f"graph{suffix}",
        "html": out_dir / "graph.html",
        "documents": out_dir / "documents.jsonl",
    }
    rdf.write(corpus.graph, corpus.reports, written["rdf"], rdf_format, base)
    viz.write(views.overview(corpus.graph), written["html"])
    for name in MAIN_VIEWS:
        written[name] = out_dir / "views" / f"{name}.html"
        viz.write(views.build_view(corpus.graph, name), written[name])
    documents.write(corpus.reports, written["documents"])
    return written
