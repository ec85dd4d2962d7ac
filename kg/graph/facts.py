"""The merged graph on disk: every report's nodes, values, links and edges as rows of a SQLite database, keyed by report.

:class:`Facts` merges the same :class:`~kg.graph.merged.GraphDelta` records as
:class:`~kg.graph.merged.KnowledgeGraph` and reads back the same graph through
:class:`~kg.graph.reading.GraphReader`, but holds none of it in memory: what a
report brought is found again by its delta, so taking a report out is a ``DELETE``; what
many reports bring together is computed when read — an edge's reports and count
are its rows, its evidence the earliest sentences of its rows by (file,
offset), a node's attributes those of the first report (by id) that brings it.
Memory is a page cache, bounded caches of recently read nodes and the year of
each report (about 60 bytes a report). A pass over many nodes reads them a batch
at a time (:meth:`Facts.successors_of`, :meth:`Facts.targets_of`, :meth:`Facts.attributes_of`), one
query per batch and past the caches.

>>> from kg.model import Report, Unit
>>> from kg.graph.merged import delta
>>> facts = Facts()
>>> change = delta(Report(id="r1", file="a.txt", year=2021, unit=Unit("七里街道", "division", code="610702008", level="township", linked=True, parents=[("汉台区", "610702")])))
>>> facts.apply(change)
>>> facts.node("unit:division:610702008")["label"], sorted(facts.successors("unit:division:610702008"))
('七里街道', ['unit:division:610702'])
>>> facts.retract(change)
>>> "unit:division:610702008" in facts, len(facts.reports)
(False, 0)
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from kg.graph.merged import EVIDENCE_PER_EDGE, PART_OF, GraphDelta, ReportInfo

NODE_CACHE = 65_536  # nodes whose attributes are kept after a read: labels are asked for again and again
EDGE_CACHE = (
    16_384  # nodes whose outgoing edges are kept after a read (about 6 KB each): the views and the analysis pass over them several times
)
PAGE_CACHE_KB = 32 * 1024  # SQLite's page cache, whatever the size of the database
SORT_THREADS = 4  # at most: the threads SQLite may start to sort (making an index, a query's ORDER BY)

SCHEMA_VERSION = 2  # PRAGMA user_version: a database of another layout is emptied and made again

_SCHEMA = """
CREATE TABLE IF NOT EXISTS report (id TEXT PRIMARY KEY, file BLOB NOT NULL, title TEXT, year INTEGER, unit TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS report_by_unit ON report (unit, id);
CREATE TABLE IF NOT EXISTS node (key TEXT NOT NULL, report TEXT NOT NULL, kind TEXT, attrs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS value (key TEXT NOT NULL, attribute TEXT NOT NULL, value TEXT NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edge (source TEXT NOT NULL, target TEXT NOT NULL, relation TEXT NOT NULL, file BLOB NOT NULL,
    start INTEGER NOT NULL, report TEXT NOT NULL, seq INTEGER NOT NULL, sentence TEXT);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
_TABLES = ("report", "node", "value", "edge")
# The rows are appended; these indexes find them. An emptied graph drops them and makes them again after its reports
# are merged (:meth:`Facts.index`): one sort instead of millions of inserts at random places of large trees.
_INDEXES = {
    "node_by_key": "node (key, report)",
    "value_by_key": "value (key, attribute, value, report)",
    # an edge's rows in the order of its evidence, (file, offset, report): reading a node's edges is one range
    "edge_by_source": "edge (source, target, relation, file, start, report, seq)",
    "edge_by_target": "edge (target)",
}
# A part-of link is a row of relation partOf without a sentence (offset and seq -1). Rows are found again by the
# report's delta, not by an index of reports. A report brings a node, a value or a link once (deduplicated on merge).

_SUCCESSORS = (
    "SELECT source, target, relation, report, file, start, sentence FROM edge INDEXED BY edge_by_source WHERE source = ?"
    " ORDER BY target, relation, file, start, report, seq"
)
_SUCCESSORS_OF = (
    "SELECT source, target, relation, report, file, start, sentence FROM edge INDEXED BY edge_by_source WHERE source IN ({}){only}"
    " ORDER BY source, target, relation, file, start, report, seq"
)
_TARGETS_OF = (
    "SELECT DISTINCT source, target, relation FROM edge INDEXED BY edge_by_source WHERE source IN ({}){only}"
    " ORDER BY source, target, relation"
)
# a node's attributes are its first report's: one row per key, however many reports bring it (a measure: most of them)
_NODES_OF = (
    "WITH wanted (key) AS (VALUES {}) SELECT key, (SELECT attrs FROM node WHERE node.key = wanted.key ORDER BY report LIMIT 1) FROM wanted"
)
_VALUES_OF = "SELECT DISTINCT key, attribute, value FROM value WHERE key IN ({})"
BATCH = 500  # keys read by one query of a pass over many nodes
_NO_OFFSET = -1
# JSON, not pickle or marshal: a database in a shared folder is read as data only. One encoder for every node.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _path_text(file: bytes) -> str:
    return file.decode("utf-8", "surrogatepass")


def _path_bytes(file: str) -> bytes:
    # a file name undecodable in UTF-8 carries lone surrogates (surrogateescape); these bytes sort as its code points do
    return file.encode("utf-8", "surrogatepass")


def connect_read_only(path: str | Path) -> sqlite3.Connection:
    """A connection to the graph database at ``path`` that can change nothing (another process's committed graph)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=0)


class Facts:
    """The merged graph of a set of reports, in a SQLite database (``path``, or in memory)."""

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        """Open (or make) the graph at ``path``; ``read_only`` opens a committed one beside the build that holds it
        (as the analysis's helper process does), never changing it."""
        self.path = path
        if read_only:
            self.db = connect_read_only(path)
            if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"{path} is not a merged graph of this version of kg")
        else:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=0)  # a database another build holds: told at once
            self.db.execute("PRAGMA journal_mode = WAL" if path != ":memory:" else "PRAGMA journal_mode = MEMORY")
            self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")  # random inserts into B-trees: the default 2 MB thrashes
        # sorting helpers: making a national graph's indexes takes a third less time on two cores (25 → 16 s for the edges')
        self.db.execute(f"PRAGMA threads = {min(SORT_THREADS, os.cpu_count() or 1)}")
        if not read_only:
            if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self.db.executescript("".join(f"DROP TABLE IF EXISTS {table};" for table in (*_TABLES, "meta")))
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.db.executescript(_SCHEMA)
            self.index()
        self.reports = _Reports(self.db)
        self._attributes = lru_cache(maxsize=NODE_CACHE)(self._read_node)
        self._successors = lru_cache(maxsize=EDGE_CACHE)(self._read_successors)
        self._report_years: dict[str, int] | None = None  # read whole when first asked: every edge asks for a few

    def close(self) -> None:
        """Close the database; changes not committed are rolled back."""
        self.db.close()

    # ------------------------------------------------------------------ building

    def apply(self, change: GraphDelta) -> None:
        """Merge what one report contributes (a report not merged yet)."""
        info = change.report
        file = _path_bytes(info.file)
        with self._transaction():
            db = self.db
            db.execute("INSERT INTO report VALUES (?, ?, ?, ?, ?)", (info.id, file, info.title, info.year, info.unit))
            nodes = {key: attrs for key, attrs in reversed(change.nodes)}  # a node's first attributes, as a graph keeps them
            self._count_kinds(nodes, +1)  # before the rows are in: which of its nodes are new
            db.executemany(
                "INSERT INTO node VALUES (?, ?, ?, ?)", ((key, info.id, attrs.get("kind"), _encode(attrs)) for key, attrs in nodes.items())
            )
            db.executemany("INSERT INTO value VALUES (?, ?, ?, ?)", ((*item, info.id) for item in dict.fromkeys(change.sets)))
            db.executemany(
                "INSERT INTO edge VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                ((child, parent, PART_OF, file, _NO_OFFSET, info.id, _NO_OFFSET) for child, parent in dict.fromkeys(change.links)),
            )
            db.executemany(
                "INSERT INTO edge VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        source,
                        target,
                        relation,
                        file,
                        *((evidence[1], info.id, seq, evidence[3]) if evidence else (_NO_OFFSET, info.id, seq, None)),
                    )
                    for seq, (source, target, relation, evidence) in enumerate(change.edges)
                ),
            )
            self._changed()

    def retract(self, change: GraphDelta, delta_of: Callable[[str], GraphDelta] | None = None) -> None:
        """Take back what one report contributed (``change``, as it was applied): the graph is then the one the other
        reports make. (The evidence an edge keeps is read when asked for: ``delta_of`` is not needed.)"""
        report = change.report.id
        with self._transaction():
            db = self.db
            db.execute("DELETE FROM report WHERE id = ?", (report,))
            db.executemany("DELETE FROM node WHERE key = ? AND report = ?", ((key, report) for key in {key for key, _ in change.nodes}))
            db.executemany(
                "DELETE FROM value WHERE key = ? AND attribute = ? AND value = ? AND report = ?",
                ((*item, report) for item in set(change.sets)),
            )
            edges = {(source, target, relation) for source, target, relation, _ in change.edges} | {
                (c, p, PART_OF) for c, p in change.links
            }
            db.executemany(
                "DELETE FROM edge WHERE source = ? AND target = ? AND relation = ? AND report = ?",
                ((*edge, report) for edge in sorted(edges)),
            )
            self._count_kinds({key: attrs for key, attrs in change.nodes}, -1)  # after the rows are out: which nodes went
            self._changed()

    def _count_kinds(self, nodes: Mapping[str, dict], sign: int) -> None:
        """Keep the counts of nodes by kind (:meth:`summary`) as a report's nodes come (``sign`` +1, before its rows are
        in) or go (-1, after they are out): a node counts while a node row holds it. Without the indexes (a graph
        being merged again from empty) there are no counts to keep: :meth:`index` counts them once."""
        counts = self._kinds()
        if counts is None:
            return
        changed = False
        for key, attrs in nodes.items():
            kind = attrs.get("kind")
            if kind is not None and not self.db.execute("SELECT EXISTS (SELECT 1 FROM node WHERE key = ?)", (key,)).fetchone()[0]:
                counts[kind] = counts.get(kind, 0) + sign
                changed = True
        if changed:  # written only when a node came or went
            self._save_kinds({kind: n for kind, n in counts.items() if n})

    def _kinds(self) -> dict[str, int] | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = 'kinds'").fetchone()
        return json.loads(row[0]) if row else None

    def _save_kinds(self, counts: dict[str, int]) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('kinds', ?)", (_encode(dict(sorted(counts.items()))),))

    def _changed(self) -> None:
        self._attributes.cache_clear()
        self._successors.cache_clear()
        self._report_years = None

    def clear(self) -> Facts:
        """Take every report out at once; returns the now empty graph. Its indexes are dropped until :meth:`index`:
        reports merged into an emptied graph are appended, and indexed once, together."""
        with self._transaction():
            for name in _INDEXES:
                self.db.execute(f"DROP INDEX IF EXISTS {name}")
            for table in _TABLES:
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE name = 'kinds'")
            self._changed()
        return self

    def index(self) -> None:
        """Make the indexes :meth:`clear` dropped (none is missing otherwise): before the graph is read."""
        with self._transaction():
            for name, on in _INDEXES.items():
                self.db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")
            if self._kinds() is None:  # kept up to date from here on, report by report
                self._save_kinds(dict(self.db.execute("SELECT kind, count(DISTINCT key) FROM node WHERE kind IS NOT NULL GROUP BY kind")))

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def batch(self) -> _Transaction:
        """A transaction around many :meth:`apply` and :meth:`retract` calls (one commit instead of one each)."""
        return self._transaction()

    def begin(self) -> None:
        """Start the changes of a build: nothing of them is kept unless :meth:`commit` is called (closing rolls back).
        Raises :class:`sqlite3.OperationalError` at once when another connection is changing the database."""
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self, generation: str | None = None) -> None:
        """Keep the changes since :meth:`begin`, with the name of the saved state they belong to."""
        if generation is not None:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def generation(self) -> str | None:
        """The name :meth:`commit` was last given (the saved state this graph is the graph of)."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'generation'").fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------ reading (kg.graph.reading.GraphReader)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._exists(key)

    def _exists(self, key: str) -> bool:
        return self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM node WHERE key = ?1) OR EXISTS (SELECT 1 FROM edge WHERE source = ?1)"
            " OR EXISTS (SELECT 1 FROM edge WHERE target = ?1)",
            (key,),
        ).fetchone()[0]

    def node(self, key: str) -> dict[str, Any]:
        """A node's attributes (KeyError if there is no such node). Not to be changed: it may be read again from a cache."""
        attrs = self._attributes(key)
        if attrs is None:
            raise KeyError(key)
        return attrs

    def _read_node(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT attrs FROM node WHERE key = ? ORDER BY report LIMIT 1", (key,)).fetchone()
        if row is None:  # only other nodes' edges reach it, as in a graph built without the reports that bring it
            return {} if self._exists(key) else None
        attrs = json.loads(row[0])
        for attribute, value in self.db.execute("SELECT DISTINCT attribute, value FROM value WHERE key = ?", (key,)):
            attrs.setdefault(attribute, set()).add(value)
        return attrs

    def successors(self, key: str) -> dict[str, dict[str, dict]]:
        """A node's outgoing edges: target → relation → edge data, sorted by target and relation. Not to be changed:
        it may be read again from a cache."""
        return self._successors(key)

    def _read_successors(self, key: str) -> dict[str, dict[str, dict]]:
        return _successors_from(self.db.execute(_SUCCESSORS, (key,)).fetchall())

    def successors_of(
        self, keys: Iterable[str], relations: tuple[str, ...] | None = None, targets: Iterable[str] | None = None
    ) -> Iterator[tuple[str, dict[str, dict[str, dict]]]]:
        """(key, successors) of each of ``keys``, in their order: a pass over many nodes, read a batch at a time
        (one query per :data:`BATCH` keys) and not kept in the read cache, which it would only flush; only edges
        of ``relations`` and to ``targets`` if given (the others not even sent back: a report's mentions are most
        of its rows)."""
        wanted = () if targets is None else tuple(sorted(set(targets)))
        only = _only(relations) + ("" if targets is None else " AND target IN ({})".format(",".join("?" * len(wanted))))
        for batch in _batches(keys):
            rows = self._each_of(_SUCCESSORS_OF, batch, then=(*(relations or ()), *wanted), only=only)
            found = {source: _successors_from(edges) for source, edges in groupby(rows, key=itemgetter(0))}
            yield from ((key, found.get(key) or {}) for key in batch)

    def targets_of(self, keys: Iterable[str], relations: tuple[str, ...] | None = None) -> Iterator[tuple[str, dict[str, set[str]]]]:
        """(key, target → relations) of each of ``keys``, in their order: :meth:`successors_of` without the edges'
        data, read from the index alone; only edges of ``relations`` if given (the others not even sent back)."""
        only = _only(relations)
        for batch in _batches(keys):
            found: dict[str, dict[str, set[str]]] = {}
            for source, target, relation in self._each_of(_TARGETS_OF, batch, then=relations or (), only=only):
                # a target's key held once, however many nodes reach it (a pass keeps millions: who implements what)
                found.setdefault(source, {}).setdefault(sys.intern(target), set()).add(sys.intern(relation))
            yield from ((key, found.get(key) or {}) for key in batch)

    def attributes_of(self, keys: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, attributes) of each of ``keys``, in their order, a batch at a time (KeyError at a key that is no node)."""
        for batch in _batches(keys):
            found: dict[str, dict[str, Any]] = {}
            for key, attrs in self._each_of(_NODES_OF, batch, "(?)"):
                if attrs is not None:  # the first report's (by id), as :meth:`node`
                    found[key] = json.loads(attrs)
            for key, attribute, value in self._each_of(_VALUES_OF, batch):
                if key in found:  # a node only edges reach has no attributes, as in :meth:`node`
                    found[key].setdefault(attribute, set()).add(value)
            yield from ((key, found[key] if key in found else self.node(key)) for key in batch)

    def _each_of(self, query: str, batch: list[str], mark: str = "?", then: tuple = (), **fields: str) -> sqlite3.Cursor:
        """The rows of ``query`` whose ``IN ({})`` (or ``VALUES {}``, each key a ``mark`` of ``(?)``) is each distinct
        key of ``batch``, its other ``fields`` filled in and ``then`` the values of their parameters."""
        distinct = tuple(dict.fromkeys(batch))
        return self.db.execute(query.format(",".join([mark] * len(distinct)), **fields), distinct + then)

    def nodes(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, attributes) of every node, sorted by key."""
        keys = self.db.execute("SELECT key FROM node UNION SELECT source FROM edge UNION SELECT target FROM edge ORDER BY 1")
        return self.attributes_of(key for (key,) in keys)  # streamed: the keys of a national graph are gigabytes

    def edges(self) -> Iterator[tuple[str, str, str, dict]]:
        """(source, target, relation, data) of every edge, sorted."""
        sources = self.db.execute("SELECT DISTINCT source FROM edge ORDER BY 1").fetchall()
        for (source,) in sources:
            for target, keyed in self.successors(source).items():
                for relation, data in sorted(keyed.items()):
                    yield source, target, relation, data

    def out(self, node: str, relations: tuple[str, ...] | None = None) -> list[tuple[str, str, dict]]:
        """(target, relation, data) of a node's outgoing edges, sorted."""
        return sorted(
            (target, relation, data)
            for target, keyed in self.successors(node).items()
            for relation, data in keyed.items()
            if relations is None or relation in relations
        )

    def reporting_units(self) -> dict[str, set[int]]:
        """Units that published a report, with the years they reported on, sorted by key."""
        units: dict[str, set[int]] = {}
        for unit, year in self.db.execute("SELECT unit, year FROM report WHERE unit IS NOT NULL ORDER BY unit"):
            units.setdefault(unit, set()).update({year} if year else set())
        return units

    def reports_by_unit(self) -> dict[str, list[str]]:
        """Report ids by the node of the unit that published them, sorted."""
        by_unit: dict[str, list[str]] = {}
        for unit, report_id in self.db.execute("SELECT unit, id FROM report WHERE unit IS NOT NULL ORDER BY unit, id"):
            by_unit.setdefault(unit, []).append(report_id)
        return dict(sorted(by_unit.items(), key=lambda item: item[1][0]))

    def years(self, data: dict) -> set[int]:
        """The years of the reports that assert an edge (from its data)."""
        if self._report_years is None:  # about 60 bytes a report; one query instead of one per report asked
            self._report_years = dict(self.db.execute("SELECT id, year FROM report WHERE year IS NOT NULL"))
        return {year for r in data.get("reports", ()) if (year := self._report_years.get(r))}

    def summary(self) -> dict[str, int]:
        """Counts of nodes by kind (a node's kind is its key's: the same in every report that brings it), kept as
        reports come and go rather than counted over the whole graph."""
        counts = self._kinds()
        if counts is None:
            self.index()
            counts = self._kinds()
        return counts or {}


def _successors_from(rows: Iterable[tuple]) -> dict[str, dict[str, dict]]:
    """A node's outgoing edges from its rows (source, target, relation, report, file, offset, sentence) in index
    order: an edge's evidence is the first row of each sentence, the first few."""
    found: dict[str, dict[str, dict]] = {}
    last_target = last_relation = None
    reports: set[str] = set()
    kept: list[tuple] = []
    data: dict = {}
    paths: dict[bytes, str] = {}  # a node's evidence comes from a few files: each name decoded once
    for _, target, relation, report, file, start, sentence in rows:
        if relation == PART_OF:
            found.setdefault(target, {})[PART_OF] = {"relation": PART_OF}
            continue
        if relation != last_relation or target != last_target:
            last_target, last_relation = target, relation
            reports, kept = set(), []
            data = found.setdefault(target, {})[relation] = {"relation": relation, "reports": reports, "evidence": kept, "count": 0}
        data["count"] += 1
        reports.add(report)
        if sentence is not None and len(kept) < EVIDENCE_PER_EDGE:
            for earlier in kept:
                if earlier[3] == sentence:
                    break
            else:
                path = paths.get(file)
                if path is None:
                    path = paths[file] = _path_text(file)
                kept.append((path, start, report, sentence))
    return found


def _only(relations: tuple[str, ...] | None) -> str:
    """The condition a pass adds to keep the edges of ``relations`` (none: every edge)."""
    return "" if relations is None else " AND relation IN ({})".format(",".join("?" * len(relations)))


def _batches(keys: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Reports(Mapping[str, ReportInfo]):
    """The merged reports by id, read from the database when asked."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __getitem__(self, report_id: str) -> ReportInfo:
        row = self.db.execute("SELECT id, file, title, year, unit FROM report WHERE id = ?", (report_id,)).fetchone()
        if row is None:
            raise KeyError(report_id)
        return ReportInfo(row[0], _path_text(row[1]), *row[2:])

    def __iter__(self) -> Iterator[str]:
        return (report_id for (report_id,) in self.db.execute("SELECT id FROM report ORDER BY id").fetchall())

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM report").fetchone()[0]

    def values(self) -> Iterator[ReportInfo]:  # type: ignore[override]  # one query, not one per report
        rows = self.db.execute("SELECT id, file, title, year, unit FROM report ORDER BY id").fetchall()
        return (ReportInfo(row[0], _path_text(row[1]), *row[2:]) for row in rows)


class _Transaction:
    """BEGIN … COMMIT (ROLLBACK on an error); nested ones join the outer one."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.outer = False

    def __enter__(self) -> _Transaction:
        self.outer = not self.db.in_transaction
        if self.outer:
            self.db.execute("BEGIN")
        return self

    def __exit__(self, kind, _value, _traceback) -> None:
        if self.outer:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
