"""Loading a written graph back: into rdflib (oxrdflib's Oxigraph store behind the rdflib API) or pyoxigraph."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox
import rdflib

# file suffix → (rdflib parser name, pyoxigraph format)
FORMATS = {
    ".ttl": ("turtle", ox.RdfFormat.TURTLE),
    ".nt": ("nt", ox.RdfFormat.N_TRIPLES),
    ".trig": ("trig", ox.RdfFormat.TRIG),
    ".jsonld": ("json-ld", ox.RdfFormat.JSON_LD),
    ".nq": ("nquads", ox.RdfFormat.N_QUADS),
}


class GraphError(Exception):
    """A graph file that cannot be loaded; the message says why."""


def graph_format(path: Path) -> tuple[str, ox.RdfFormat]:
    """The rdflib parser name and the Oxigraph format of a graph file, by its suffix."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise GraphError(f"{path}: unknown RDF format (expected {', '.join(sorted(FORMATS))})") from None


def load_rdflib(path: str | Path, store: str = "Oxigraph") -> rdflib.Graph:
    """The graph as an rdflib Graph (a TriG or N-Quads file as the union of its graphs).

    The default store is Oxigraph (oxrdflib): rdflib's API, Oxigraph's speed.
    ``store="default"`` gives rdflib's own in-memory store.
    """
    path = Path(path)
    if not path.exists():
        raise GraphError(f"{path}: no such file")
    parser, _ = graph_format(path)
    try:
        if parser in ("trig", "nquads"):
            dataset = rdflib.Dataset(store=store, default_union=True)
            dataset.parse(path, format=parser)
            return dataset
        graph = rdflib.Graph(store=store)
        graph.parse(path, format=parser)
        return graph
    except Exception as err:  # rdflib raises many kinds for bad input
        raise GraphError(f"{path}: cannot be parsed as {parser} ({err})") from None


def load_oxigraph(path: str | Path, store_dir: str | Path | None = None) -> ox.Store:
    """The graph in a pyoxigraph Store (in memory, or on disk in ``store_dir``)."""
    path = Path(path)
    if not path.exists():
        raise GraphError(f"{path}: no such file")
    _, rdf_format = graph_format(path)
    store = ox.Store(str(store_dir)) if store_dir else ox.Store()
    try:
        store.bulk_load(path=str(path), format=rdf_format) if store_dir else store.load(path=str(path), format=rdf_format)
    except (SyntaxError, ValueError, OSError) as err:
        raise GraphError(f"{path}: cannot be parsed ({err})") from None
    return store


def open_store(store_dir: str | Path) -> ox.Store:
    """An on-disk Oxigraph store written by ``kg build --store``, opened read-only."""
    store_dir = Path(store_dir)
    if not store_dir.is_dir():
        raise GraphError(f"{store_dir}: no such store folder")
    try:
        return ox.Store.read_only(str(store_dir))
    except OSError as err:
        raise GraphError(f"{store_dir}: not an Oxigraph store ({err})") from None


def load_rdflib_store(store_dir: str | Path) -> rdflib.Graph:
    """An on-disk Oxigraph store behind rdflib's API (oxrdflib), as the union of its graphs."""
    store_dir = Path(store_dir)
    if not store_dir.is_dir():
        raise GraphError(f"{store_dir}: no such store folder")
    dataset = rdflib.Dataset(store="Oxigraph", default_union=True)
    try:
        dataset.open(str(store_dir), create=False)
    except OSError as err:
        raise GraphError(f"{store_dir}: not an Oxigraph store ({err})") from None
    return dataset


STAMP = "kg-graph"  # a file in the store's folder naming the graph it holds (see kg.builder.stores.graph_identity)


def replace_store(graph_file: str | Path, store_dir: str | Path, identity: str | None = None) -> Path:
    """Load a graph file into an on-disk Oxigraph store in ``store_dir``, replacing the old store only once complete.

    ``identity`` names the graph the file holds; it is written beside the
    store's data so that a later build can update the store in place
    (:func:`update_store`) instead of loading everything again.
    """
    store_dir = Path(store_dir).resolve()
    staging = store_dir.with_name(store_dir.name + ".new")
    old = store_dir.with_name(store_dir.name + ".old")
    shutil.rmtree(staging, ignore_errors=True)
    store = load_oxigraph(graph_file, staging)
    store.flush()
    del store  # releases the store's lock on its folder
    if identity:
        (staging / STAMP).write_text(identity + "\n", encoding="utf-8")
    shutil.rmtree(old, ignore_errors=True)
    if store_dir.exists():
        store_dir.rename(old)
    staging.rename(store_dir)
    shutil.rmtree(old, ignore_errors=True)
    return store_dir


def read_stamp(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


class Change(NamedTuple):
    """What a build changed in its graph file, as blocks of that file: the old ones out, then the new ones in."""

    format: ox.RdfFormat
    wrap: tuple[bytes, bytes]  # the file's header and footer: each block is parsed between them
    removed: list[bytes]
    added: list[bytes]


def update_store(store_dir: Path, stamp: Path, was: str, now: str, change: Change) -> bool:
    """Turn the store in ``store_dir``, whose ``stamp`` file says it holds ``was``, into the one of ``now``: the
    triples of the removed blocks out, then those of the added blocks in, in one transaction. Returns False when the
    stamp says otherwise, or the store cannot be opened (another process has it) or changed: the caller loads it whole.

    This is exact because no triple of a graph file is written in two blocks: a triple removed is in no block kept.
    A named graph (a report's, in TriG) removed is dropped, so no empty graph is left where a clean load has none.
    While the store changes its stamp is away: a run cut short leaves a store that is loaded whole next time.
    """
    if read_stamp(stamp) != was:
        return False
    try:
        store = ox.Store(str(store_dir))
    except OSError:
        return False
    header, footer = change.wrap

    def quads(blocks: Iterable[bytes]) -> list[ox.Quad]:
        return [q for block in blocks for q in ox.parse(input=header + block + footer, format=change.format)]

    try:
        out, into = quads(change.removed), quads(change.added)
    except (SyntaxError, ValueError):  # not expected of kg's own blocks; the store is then loaded whole
        return False
    dropped = {q.graph_name for q in out if isinstance(q.graph_name, ox.NamedNode)} - {q.graph_name for q in into}
    update = [f"DROP SILENT GRAPH {graph}" for graph in sorted(map(str, dropped))]
    update.append("DELETE DATA { " + _data(q for q in out if q.graph_name not in dropped) + " }")
    update.append("INSERT DATA { " + _data(into) + " }")
    stamp.unlink()
    try:
        store.update(" ;\n".join(update))  # one transaction: all of it or nothing
        store.flush()
    except OSError:
        return False
    finally:
        del store
    stamp.write_text(now + "\n", encoding="utf-8")
    return True


def _data(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of a SPARQL DELETE DATA or INSERT DATA (terms in N-Triples syntax, as SPARQL reads them)."""
    lines = []
    for q in quads:
        triple = f"{q.subject} {q.predicate} {q.object} ."
        lines.append(triple if isinstance(q.graph_name, ox.DefaultGraph) else f"GRAPH {q.graph_name} {{ {triple} }}")
    return "\n".join(lines)
