"""Interactive HTML graphs: each view a pyvis network, rendered offline in the project's template.

pyvis builds the network — nodes and edges with their shapes, colours, sizes and
dashes, and the layout options (:func:`network_of`). Its own templates load
Bootstrap and vis-network from CDNs (DESIGN.md §4), so the page is the project's
``templates/network.html``, which inlines the vis-network that pyvis bundles, as
pyvis' ``cdn_resources="in_line"`` does. The data travels as JSON in a
``<script type="application/json">`` block and tooltips are built from text nodes,
so no report text can become markup and the page makes no request outside itself
(a Content-Security-Policy says so to the browser too).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from pyvis.network import Network

from kg.files.atomic import atomic_path
from kg.graph.merged import ADDRESSED_BY, CITES, IMPLEMENTS, PART_OF, PLANS, STATES
from kg.graph.reading import GraphReader
from kg.knowledge.namespaces import ORG
from kg.knowledge.vocab import term_label

KINDS = [
    {"id": "unit", "label": "单位 unit", "color": "#4e79a7", "border": "#2f4b68", "shape": "dot", "font": 16},
    {"id": "measure", "label": "措施 measure", "color": "#59a14f", "border": "#356130", "shape": "dot", "font": 14},
    {"id": "practice", "label": "特色做法 local practice", "color": "#b6d7a8", "border": "#6d8f5f", "shape": "diamond", "font": 13},
    {"id": "instrument", "label": "法律文件 instrument", "color": "#f28e2b", "border": "#9c5a1a", "shape": "square", "font": 13},
    {"id": "problem", "label": "问题 problem", "color": "#e15759", "border": "#8f3436", "shape": "triangle", "font": 13},
    {"id": "category", "label": "问题类别 problem category", "color": "#b07aa1", "border": "#6e4c65", "shape": "triangleDown", "font": 14},
]
# Relations of the graph are labelled as the ontology labels their property; "similar" exists only in the views.
RELATIONS = [
    {"id": IMPLEMENTS, "label": term_label("fz:implements"), "color": "#59a14f", "dashed": False},
    {"id": PLANS, "label": term_label("fz:plans"), "color": "#76b7b2", "dashed": True},
    {"id": CITES, "label": term_label("fz:cites"), "color": "#f28e2b", "dashed": False},
    {"id": STATES, "label": term_label("fz:states"), "color": "#e15759", "dashed": False},
    {"id": ADDRESSED_BY, "label": term_label("fz:addressedBy"), "color": "#b07aa1", "dashed": True},
    {"id": "similar", "label": "相似 similar", "color": "#bab0ac", "dashed": True},
    {"id": PART_OF, "label": term_label(ORG + "subOrganizationOf"), "color": "#4e79a7", "dashed": False},
]
_RELATION_LABELS = {r["id"]: r["label"] for r in RELATIONS}
_KIND_IDS = {k["id"] for k in KINDS}

# A node's size for the units behind it: SIZE_BASE + SIZE_PER_DOUBLING × log2(1 + units), in Python for the
# page as written and in the page's script when a filter recounts (it reads these from the page's data).
SIZE_BASE, SIZE_PER_DOUBLING = 6, 8


def count_size(count: int) -> float:
    """A node's size for the number of units (or members) behind it: a log scale without a cap, so 10,000
    units draw larger than 1,000 and a single unit stays visible (the page maps the range to 6–40 px).

    >>> [count_size(n) for n in (1, 10, 1000, 10000)]
    [14.0, 33.68, 85.74, 112.3]
    """
    return round(SIZE_BASE + SIZE_PER_DOUBLING * math.log2(1 + count), 2)


@dataclass
class View:
    """A picture of part of the graph: nodes, edges and what the page says about them."""

    name: str
    title: str
    description: str
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    facets: list[dict] = field(default_factory=list)
    who: dict = field(default_factory=dict)  # the units behind each node (see kg.outputs.views.who)

    def add_node(self, node_id: str, kind: str, label: str, **attrs) -> None:
        assert kind in _KIND_IDS, kind
        self.nodes.append({"id": node_id, "kind": kind, "label": _short(label), "fullLabel": label, **attrs})

    def add_edge(self, source: str, target: str, relation: str, **attrs) -> None:
        self.edges.append({"from": source, "to": target, "relation": relation, "relationLabel": _RELATION_LABELS[relation], **attrs})


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def evidence_items(graph: GraphReader, data: dict) -> list[dict]:
    """Evidence sentences of an aggregated edge, with the report they come from and where in its file they start
    (the reading page's anchor)."""
    items = []
    for _file, start, report_id, sentence in data.get("evidence", []):
        info = graph.reports.get(report_id)
        source = f"{info.title or info.file} ({info.year})" if info else report_id
        items.append({"sentence": sentence, "source": source, "report": report_id, "start": start})
    return items


def facet_menus(view: View) -> list[dict]:
    """The filter menus of a view, from the facets its units carry."""
    menus = []
    for facet, label in (("province", "省份 province"), ("city", "地市 city"), ("level", "层级 level"), ("year", "年度 year")):
        values: set = set()
        for node in view.nodes:
            value = node.get("facets", {}).get(facet)
            if isinstance(value, list):
                values.update(value)
            elif value:
                values.add(value)
        menus.append({"id": facet, "label": label, "values": sorted(values)})
    return menus


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Jinja with the project's templates and pyvis' package folder, whose bundled vis-network the page inlines
    the way pyvis' own ``cdn_resources="in_line"`` template does (``{% include "lib/vis-9.1.2/…" %}``)."""
    import pyvis

    templates = resources.files("kg").joinpath("templates")
    return Environment(loader=FileSystemLoader([str(templates), str(Path(pyvis.__file__).parent)]), autoescape=True)


def _options(view: View) -> dict:
    many = len(view.nodes) > 400
    return {
        "autoResize": True,
        "layout": {"randomSeed": 7, "improvedLayout": not many},
        # labels grow with the node and are drawn only at 9 px on screen or more (vis-network draws at drawThreshold - 1):
        # the largest nodes are labelled first, and the page leaves out labels that would overlap larger ones
        "nodes": {
            "scaling": {"min": 6, "max": 40, "label": {"enabled": True, "min": 12, "max": 44, "drawThreshold": 10, "maxVisible": 26}},
            "font": {"face": "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"},
        },
        "edges": {"smooth": False, "arrows": {"to": {"enabled": False}}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": many, "navigationButtons": False},
        "physics": {
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -120,
                "centralGravity": 0.008,
                "springLength": 150,
                "springConstant": 0.05,
                "damping": 0.5,
                "avoidOverlap": 0.7,
            },
            "stabilization": {"enabled": True, "iterations": 400 if not many else 200, "fit": True},
        },
    }


def _script_json(data: object) -> str:
    """JSON that is safe inside a <script> element (no way to close it or open a comment)."""
    return _script_safe(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def _script_safe(text: str) -> str:
    """JSON text made safe inside a <script> element; each character on its own, so pieces can be made safe apart."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def network_of(view: View) -> Network:
    """The view as a pyvis network: nodes and edges drawn as the kinds and relations say, and the layout options.

    Each item also carries what the page shows about it (``raw``): labels, facts, facets and evidence.
    """
    kinds = {kind["id"]: kind for kind in KINDS}
    relation_colours = {relation["id"]: relation["color"] for relation in RELATIONS}  # drawn as the legend shows them
    network = Network(directed=True, cdn_resources="in_line")
    for node in view.nodes:
        kind = kinds[node["kind"]]
        network.add_node(
            node["id"],
            label=node["label"],
            shape=kind["shape"],
            value=node.get("size", 8),
            font={"size": kind["font"]},
            color={"background": kind["color"], "border": kind["border"], "highlight": {"background": kind["color"], "border": "#111"}},
            raw=node,
        )
    for number, edge in enumerate(view.edges):
        network.add_edge(
            edge["from"],
            edge["to"],
            id=f"e{number}",
            dashes=bool(edge.get("planned")),
            width=edge.get("width") or 1,
            color={"color": edge.get("color") or relation_colours[edge["relation"]], "opacity": 0.7},
            arrows={"to": {"enabled": False}},
            raw=edge,
        )
    network.options = _options(view)
    return network


def render(view: View, links: list[dict] | None = None, reports: str | None = None) -> str:
    """The complete HTML page of a view: pyvis' network in the project template, vis-network inlined, offline.

    ``reports`` is the address of the build's reading pages from this page (``../reports/``): evidence then
    links to its sentence in the report."""
    return "".join(page_pieces(view, links, reports))


def page_pieces(view: View, links: list[dict] | None = None, reports: str | None = None, who: Iterable[str] | None = None) -> Iterator[str]:
    """The page of :func:`render` in pieces; ``who`` is the JSON text of the rows behind the nodes, a piece at a
    time (:func:`kg.outputs.views.who_json`), written as it comes instead of ``view.who``."""
    nodes, edges, _heading, _height, _width, options = network_of(view).get_network_data()
    data = {
        "view": view.name,
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options),
        "kinds": KINDS,
        "relations": RELATIONS,
        "facets": view.facets,
        "size": {"base": SIZE_BASE, "perDoubling": SIZE_PER_DOUBLING},
        "reports": reports,
    }
    text = _script_json(data)
    assert text.endswith("}") and max(data) < "who"  # the rows are the data's last key: written last
    page = (
        _environment()
        .get_template("network.html")
        .render(title=view.title, description=view.description, data_json=_Raw(_DATA), links=links or [])
    )
    head, tail = page.split(_DATA)
    yield head
    yield text[:-1] + ',"who":'
    yield from (_script_safe(piece) for piece in who) if who is not None else [_script_json(view.who)]
    yield "}"
    yield tail


_DATA = "<kg-data>"  # where the page's data goes: text the template escapes (a title, a label) cannot hold a "<"


class _Raw(str):
    """Content already made safe for its place in the page."""

    def __html__(self) -> str:
        return str(self)


def write(
    view: View, path: str | Path, links: list[dict] | None = None, reports: str | None = None, who: Iterable[str] | None = None
) -> None:
    """Write a view's page to ``path`` atomically, as it is made (:func:`page_pieces`); ``links`` ({label, href,
    current}) make the header's site menu, ``reports`` is where the reading pages are (see :func:`render`)."""
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(page_pieces(view, links, reports, who))
