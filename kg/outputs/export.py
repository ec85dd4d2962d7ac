"""The graph for other graph tools: GraphML, GEXF (Gephi), and CSV files for Neo4j's importer."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import networkx as nx

from kg.files import stdio
from kg.files.atomic import write_text
from kg.graph.reading import GraphReader

FORMATS = ("graphml", "gexf", "neo4j")
_LABELS = {
    "unit": "Unit",
    "measure": "Measure",
    "practice": "LocalPractice",
    "instrument": "Instrument",
    "problem": "Problem",
    "category": "ProblemCategory",
    "report": "Report",
}
NODE_FIELDS = ("kind", "label", "unit_kind", "code", "level", "province", "city", "organ", "type", "theme", "category", "year", "file")


def simple_graph(graph: GraphReader) -> nx.MultiDiGraph:
    """A copy with only plain attribute values (strings, numbers, booleans), as file formats need."""
    out = nx.MultiDiGraph()
    for node, data in graph.nodes():
        attrs = {k: data[k] for k in NODE_FIELDS if data.get(k) not in (None, "")}
        if "linked" in data:
            attrs["linked"] = bool(data["linked"])
        out.add_node(node, **attrs)
    for source, target, relation, data in graph.edges():
        attrs = {
            "relation": relation,
            "count": int(data.get("count", 1)),
            "reports": len(data.get("reports", ())),
            "years": ";".join(str(y) for y in sorted(graph.years(data))),
        }
        out.add_edge(source, target, key=relation, **attrs)
    return out


_XML_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
_GEXF_DATE = re.compile(r'(<meta[^>]*?) lastmodifieddate="[^"]*"')


def graphml_text(graph: GraphReader) -> str:
    """The graph as GraphML (yEd, Cytoscape, igraph)."""
    return _XML_DECLARATION + "\n".join(nx.generate_graphml(simple_graph(graph))) + "\n"


def gexf_text(graph: GraphReader) -> str:
    """The graph as GEXF 1.2 (Gephi), without the day it was written (the attribute is optional) so it is reproducible."""
    lines = "\n".join(nx.generate_gexf(simple_graph(graph)))
    return _XML_DECLARATION + _GEXF_DATE.sub(r"\1", lines, count=1) + "\n"


def write_neo4j(graph: GraphReader, out_dir: str | Path) -> list[Path]:
    """nodes.csv and relationships.csv in the header format of ``neo4j-admin database import``.

    Example: ``neo4j-admin database import full --nodes=nodes.csv --relationships=relationships.csv``.
    """
    g = simple_graph(graph)
    out_dir = Path(out_dir)
    nodes = io.StringIO()
    writer = csv.writer(nodes, lineterminator="\n")
    writer.writerow(["id:ID", *NODE_FIELDS[1:], "linked:boolean", ":LABEL"])
    for node, data in g.nodes(data=True):
        linked = "" if "linked" not in data else str(data["linked"]).lower()
        writer.writerow([node, *(data.get(k, "") for k in NODE_FIELDS[1:]), linked, _LABELS.get(data.get("kind"), "Node")])
    relationships = io.StringIO()
    writer = csv.writer(relationships, lineterminator="\n")
    writer.writerow([":START_ID", ":END_ID", ":TYPE", "count:int", "reports:int", "years"])
    for source, target, relation, data in g.edges(keys=True, data=True):
        writer.writerow([source, target, _snake(relation).upper(), data["count"], data["reports"], data["years"]])
    paths = [out_dir / "nodes.csv", out_dir / "relationships.csv"]
    write_text(paths[0], nodes.getvalue())
    write_text(paths[1], relationships.getvalue())
    return paths


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def export(graph: GraphReader, fmt: str, path: str | Path) -> list[Path]:
    """Write ``graph`` in ``fmt`` to ``path`` (a file, ``-`` for standard output; for neo4j a folder)."""
    if fmt in ("graphml", "gexf"):
        stdio.write(Path(path), graphml_text(graph) if fmt == "graphml" else gexf_text(graph))
        return [] if stdio.is_stdio(path) else [Path(path)]
    if stdio.is_stdio(path):
        raise ValueError("neo4j writes two files (nodes.csv, relationships.csv): give a folder, not -")
    if fmt == "neo4j":
        return write_neo4j(graph, path)
    raise ValueError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
