"""The graph file, documents.jsonl and the reading pages, from the cache's records and the committed entity blocks.

They are written by a helper process beside the views, or by the build itself with one core.

Listing a national graph file's pieces is work in proportion to the corpus, whatever changed: each report's
block, each distinct sentence once (read from the head of every record's sentence part), the entity blocks of
the graph database in subject order, each reading page not published already. The build's process only names the
records (:class:`GraphFile`: where each lies in the cache's packs, by report id); with a second core a helper process
lists their parts and copies the files while the build draws its views (:meth:`GraphFile.start`), reading the
entity blocks from the database the build committed.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kg.builder.cache import SENTENCES, first_sentences, part_range
from kg.builder.entities import EntityTable
from kg.files.assemble import Piece, Range, assemble
from kg.files.helper import Helper, run
from kg.graph.facts import connect_read_only
from kg.outputs import site
from kg.rdf import write as rdf


@dataclass
class GraphFile:
    """What a build writes from its cache: the graph file (each record's report block and sentence part, in report
    order, and the entity blocks of ``database``), documents.jsonl (each record's line, in input order) and the
    reading pages not published already — the records named by where they lie in the cache's packs."""

    fmt: str
    base: str
    path: str  # the graph file
    database: str  # the committed graph database holding the entity blocks (kg.builder.entities)
    entity_part: str  # where the entity blocks are gathered in subject order, to be copied into the graph file
    documents: str  # documents.jsonl
    packs: str  # the cache's pack folder
    # each report's record, by report id: its pack, its offset there and the sizes of its parts (kg.builder.cache)
    records: list[tuple[str, int, tuple[int, ...]]] = field(default_factory=list)
    by_input: list[int] = field(default_factory=list)  # the records in the order of their inputs: documents.jsonl's
    report_ids: list[str] = field(default_factory=list)  # each record's report: its reading page's name
    new: set[int] = field(default_factory=set)  # the records this build merged: their pages are written
    published: str | None = None  # the output folder whose pages the others keep, when the files go to its staging one

    def write(self) -> int:
        """Write every file, each atomically; returns the triples of the vocabulary, entity and sentence blocks."""
        writer = rdf.Writer(self.fmt, self.base)
        packs: dict[str, str] = {}

        def part(record: tuple[str, int, tuple[int, ...]], number: int) -> Range:
            pack, offset, sizes = record
            path = packs.get(pack) or packs.setdefault(pack, os.path.join(self.packs, pack))  # one string per pack
            return part_range(path, offset, sizes, number)

        others: dict[str, list[Piece]] = {self.documents: [part(self.records[n], 1) for n in self.by_input]}
        out_dir = os.path.dirname(self.path)
        for n, record in enumerate(self.records):  # two files of one text are one report, one page
            page = part(record, 3)
            name = site.report_path(self.report_ids[n])
            if n not in self.new and self.published is not None and _same_size(os.path.join(self.published, name), page.size):
                continue  # written by the build that merged it, from this very record
            others.setdefault(os.path.join(out_dir, name), [page])
        db = connect_read_only(self.database)
        try:
            with open(self.entity_part, "wb") as handle:
                entity_triples = EntityTable(db).write(handle, writer.separator)
        finally:
            db.close()
        size = os.stat(self.entity_part).st_size
        found = first_sentences(part(r, SENTENCES) for r in self.records)  # each once, from the first report having it
        sentences = [found[digest] for digest in sorted(found)]
        del found
        pieces, triples = rdf.graph_pieces(
            writer,
            None,
            [part(r, 0) for r in self.records],
            sentences=sentences,
            entity_piece=(Range(self.entity_part, 0, size) if size else b"", entity_triples),
        )
        assemble(self.path, pieces)
        for path, file_pieces in others.items():
            assemble(path, file_pieces)
        return triples

    def start(self) -> Writing:
        """:meth:`write` in a helper process (:class:`kg.files.helper.Helper`)."""
        return Writing(self)


class Writing:
    """A :class:`GraphFile` being written by a helper process, which reads it from a pickle file."""

    def __init__(self, job: GraphFile) -> None:
        folder = Path(job.path).parent
        folder.mkdir(parents=True, exist_ok=True)
        handle, self.work = tempfile.mkstemp(prefix=".kg-graph-file-", suffix=".pkl", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(job, stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.helper = Helper("kg.builder.graphfile", self.work)

    def wait(self) -> int:
        """Wait for the files; returns what :meth:`GraphFile.write` returned (raises its failure)."""
        try:
            return int(self.helper.wait())
        finally:
            Path(self.work).unlink(missing_ok=True)

    def stop(self) -> None:
        self.helper.stop()
        Path(self.work).unlink(missing_ok=True)


def _same_size(path: str, size: int) -> bool:
    try:
        return os.stat(path).st_size == size
    except OSError:
        return False


def _write(work: str) -> None:
    with open(work, "rb") as handle:
        job = pickle.load(handle)
    print(job.write())


def main(argv: list[str]) -> int:
    """The helper process: write the :class:`GraphFile` pickled in ``argv[0]``; print its count of triples."""
    return run(lambda: _write(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
