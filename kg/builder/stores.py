"""The Oxigraph stores of a build folder (``--store``, kg serve's) kept in step with its graph file, in O(change)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kg.builder.cache import Cache
from kg.builder.entities import EntityTable
from kg.files.assemble import Range
from kg.files.atomic import atomic_path
from kg.rdf import serve
from kg.rdf import write as rdf

if TYPE_CHECKING:
    from kg.rdf.store import Change


class Merged(Protocol):
    """A merged input, as the engine records it (:class:`kg.builder.engine.Merged`)."""

    @property
    def path(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def report_id(self) -> str: ...


class Built(Protocol):
    """What the stores need of a build (:class:`kg.builder.engine.BuildResult`)."""

    entries: list
    applied: list[str]
    retracted: list[str]
    previous: str | None
    replaced: dict[str, rdf.EntityBlocks | None]
    written: dict[str, Path]


STORE_UPDATE_SHARE = 0.10  # reports added, edited or removed, as a share of all, beyond which a store is loaded whole
PUBLISHED_GRAPH = "published-graph"  # in the cache: the identity of the graph file last published, and its stamp


def graph_identity(total: int, pipeline: str) -> str:
    """A name for the graph file a build of merged inputs writes, from the :func:`identity_sum` of its inputs and the
    pipeline: made from them alone — their keys, which hold their names in the outputs, not the paths they were given by.

    >>> from kg.builder.engine import Merged
    >>> a, b = Merged("x/a.txt", "k1", "r1", 0), Merged("b.txt", "k2", "r2", 0)
    >>> graph_identity(identity_sum([a, b]), "p") == graph_identity(identity_sum([b, a._replace(path="a.txt")]), "p")
    True
    """
    return hashlib.sha256(f"{pipeline}\n{total % IDENTITY_MODULUS:064x}".encode()).hexdigest()


IDENTITY_MODULUS = 2**256


def identity_term(m: Merged) -> int:
    """One merged input's share of :func:`identity_sum`."""
    return int.from_bytes(hashlib.sha256(f"{m.report_id} {m.key}".encode()).digest(), "big")


def identity_sum(entries: Iterable[Merged]) -> int:
    """The inputs of a graph as one number, whatever their order — the sum of a digest of each, modulo 2²⁵⁶ (a
    multiset hash): a build adds the terms of the reports it merges and takes out those of the reports it removes, and
    knows the identity of its graph without going over every input again."""
    return sum(map(identity_term, entries)) % IDENTITY_MODULUS


def store_change(result: Built, cache: Cache, entities: EntityTable, fmt: str, base: str) -> Change | None:
    """What this build changed in the graph file, as blocks, for a store holding the last build's graph; None when
    the build did not start from that graph or changed more than a store takes in place (it is then loaded whole)."""
    from kg.rdf import store

    changed = len(result.applied) + len(result.retracted)
    if result.previous is None or changed > STORE_UPDATE_SHARE * len(result.entries):
        return None
    writer = rdf.Writer(fmt, base)
    old = {subject: text for blocks in result.replaced.values() if blocks for subject, text, _count in blocks}
    # a subject's block may be shared by an untouched node (two instruments, one document number): put back whole
    now = entities.texts(sorted(entities.subjects_of(result.replaced) | set(old)))
    removed = [*(cache.block(key) for key in result.retracted), *(t.encode() for t in old.values())]
    # the sentences of the reports taken out that no report holds now (each sentence's block is the same in every record)
    held = cache.first_sentences(m.key for m in result.entries)
    gone = {digest: where for digest, where in cache.first_sentences(result.retracted).items() if digest not in held}
    removed += [_read(gone[digest]) for digest in sorted(gone)]
    added = [*(cache.block(key) for key in result.applied), *(t.encode() for t in now.values())]
    added += [_read(where) for key in result.applied for _digest, where in cache.sentences(key)]
    _parser, rdf_format = store.graph_format(Path("graph" + rdf.FORMATS[fmt]))
    return store.Change(rdf_format, (writer.header().encode(), writer.footer().encode()), removed, added)


def write_store(result: Built, identity: str, change: Change | None, store_dir: Path) -> Path:
    """The ``--store`` of the graph just written (named ``identity``): changed in place when it holds the last
    build's graph and little changed; else loaded whole from the graph file."""
    from kg.rdf import store

    if change is not None and result.previous is not None:
        if store.update_store(store_dir, store_dir / store.STAMP, result.previous, identity, change):
            return store_dir
    return store.replace_store(result.written["rdf"], store_dir, identity)


def update_served_store(result: Built, identity: str, change: Change | None, cache: Cache, out_dir: Path, before: str | None) -> bool:
    """Bring the store kg serve loaded for this folder up to the graph just published, in place, when it holds the
    last build's graph file (``before``: that file's stamp) and no server has it open; returns whether it did.

    Otherwise the store is left as it is, its stamp naming a graph file no longer there: kg serve loads it again.
    The cache keeps which graph the published file holds, so that a file another build wrote is never taken for it.
    """
    from kg.rdf import store

    record = cache.root / PUBLISHED_GRAPH
    published = store.read_stamp(record)
    now = serve.source_stamp(result.written["rdf"])
    record.unlink(missing_ok=True)
    updated = False
    store_dir, stamp = serve.served_store(out_dir)
    if change is not None and before is not None and published == f"{result.previous} {before}" and store_dir.is_dir():
        with serve.store_lock(out_dir, exclusive=True) as alone:
            updated = alone and store.update_store(store_dir, stamp, before, now, change)
    with atomic_path(record) as temporary:
        Path(temporary).write_text(f"{identity} {now}\n", encoding="utf-8")
    return updated


def served_store_exists(out_dir: Path) -> bool:
    return serve.served_store(out_dir)[0].is_dir()


def stamp_of(path: Path) -> str | None:
    """The stamp of a graph file (:func:`kg.rdf.serve.source_stamp`); None when there is none."""
    try:
        return serve.source_stamp(path)
    except OSError:
        return None


def _read(where: Range) -> bytes:
    with open(where.path, "rb") as handle:
        handle.seek(where.offset)
        return handle.read(where.size)
