"""What the outputs read of a merged graph: the one interface both the in-memory graph and the on-disk facts give.

The views, the analysis, the tables and the RDF writer read a merged graph
through these methods only, so that the graph may live in memory
(:class:`~kg.graph.merged.KnowledgeGraph`) or in a database on disk
(:class:`~kg.graph.facts.Facts`) without them telling the difference.

>>> from kg.graph.merged import KnowledgeGraph
>>> isinstance(KnowledgeGraph(), GraphReader)
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from kg.graph.merged import GraphDelta, ReportInfo


@runtime_checkable
class GraphReader(Protocol):
    """A merged graph, read: nodes keyed ``kind:identity`` with their attributes, edges keyed by relation with
    their data (``reports``: the ids of the reports asserting it, ``count``, ``evidence``: the earliest
    sentences), and the reports merged."""

    @property
    def reports(self) -> Mapping[str, ReportInfo]:
        """The merged reports by id."""

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is a node."""

    def node(self, key: str) -> dict[str, Any]:
        """A node's attributes (KeyError if there is no such node)."""

    def successors(self, key: str) -> Mapping[str, Mapping[str, dict]]:
        """A node's outgoing edges: target → relation → edge data."""

    def successors_of(
        self, keys: Iterable[str], relations: tuple[str, ...] | None = None, targets: Iterable[str] | None = None
    ) -> Iterator[tuple[str, Mapping[str, Mapping[str, dict]]]]:
        """(key, successors) of each of ``keys``, in their order: what a pass over many nodes asks for, read in
        batches where the graph is on disk; only the edges of ``relations`` and to ``targets`` if given."""

    def targets_of(self, keys: Iterable[str], relations: tuple[str, ...] | None = None) -> Iterator[tuple[str, dict[str, set[str]]]]:
        """(key, target → relations) of each of ``keys``, in their order: :meth:`successors_of` without the
        edges' data (cheaper where only who is linked to what matters); only the edges of ``relations`` if given."""

    def attributes_of(self, keys: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, attributes) of each of ``keys``, in their order."""

    def nodes(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, attributes) of every node, sorted by key."""

    def edges(self) -> Iterator[tuple[str, str, str, dict]]:
        """(source, target, relation, data) of every edge, sorted."""

    def out(self, node: str, relations: tuple[str, ...] | None = None) -> list[tuple[str, str, dict]]:
        """(target, relation, data) of a node's outgoing edges, sorted."""

    def reporting_units(self) -> dict[str, set[int]]:
        """Units that published a report, with the years they reported on, sorted by key."""

    def reports_by_unit(self) -> dict[str, list[str]]:
        """Report ids by the node of the unit that published them, sorted."""

    def years(self, data: dict) -> set[int]:
        """The years of the reports that assert an edge (from its data)."""

    def summary(self) -> dict[str, int]:
        """Counts of nodes by kind."""


class MergeTarget(GraphReader, Protocol):
    """A merged graph a build merges reports into and takes them out of."""

    def apply(self, change: GraphDelta) -> None:
        """Merge what one report contributes."""

    def retract(self, change: GraphDelta, delta_of: Callable[[str], GraphDelta]) -> None:
        """Take back what one report contributed (``delta_of`` gives any other merged report's delta, by id)."""
