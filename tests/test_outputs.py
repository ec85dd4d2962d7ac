"""The outputs: Turtle that parses back with everything in it, an HTML page that stays inside itself."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
import rdflib

from kg.builder.corpus import write_outputs
from kg.rdf import write as rdf


@pytest.fixture(scope="module")
def turtle(seed_outputs):
    graph = rdflib.Graph()
    graph.parse(seed_outputs["rdf"], format="turtle")
    return graph


PREFIXES = """PREFIX fz: <https://w3id.org/fzkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def select(graph, query):
    return {tuple(str(v) for v in row) for row in graph.query(PREFIXES + query)}


def test_turtle_holds_units_with_codes_and_parents(turtle):
    rows = select(
        turtle, "SELECT ?name ?code WHERE { ?r a fz:Report ; dcterms:publisher ?u . ?u rdfs:label ?name ; fz:divisionCode ?code }"
    )
    assert rows == {
        ("七里街道", "610702008"),
        ("西营门街道", "120111001"),
        ("大河镇", "522732101"),
        ("陆渡街道", "320585002"),
        ("桂溪街道", "500231001"),
    }
    chain = select(
        turtle,
        """SELECT ?name WHERE { ?u a fz:AdministrativeUnit ; fz:divisionCode "610702008" ; org:subOrganizationOf+ ?p . ?p rdfs:label ?name }""",
    )
    assert chain == {("汉台区",), ("汉中市",), ("陕西省",)}


def test_turtle_holds_instruments_measures_problems_with_evidence(turtle, seed_corpus):
    assert ("中华人民共和国民法典",) in select(turtle, "SELECT ?l WHERE { ?r fz:cites ?i . ?i rdfs:label ?l }")
    statuses = select(turtle, "SELECT DISTINCT ?s WHERE { ?x a fz:MeasureStatement ; fz:status ?s }")
    assert statuses == {("https://w3id.org/fzkg/ontology#Implemented",), ("https://w3id.org/fzkg/ontology#Planned",)}
    problems = select(turtle, "SELECT ?p ?text WHERE { ?r fz:states ?p . ?p fz:text ?text }")
    assert len(problems) == sum(len(r.problems) for r in seed_corpus.reports) >= 11
    unsupported = select(
        turtle,
        """SELECT ?s WHERE { ?s a fz:MeasureStatement . FILTER NOT EXISTS {
        ?s fz:evidence ?e . ?e fz:inSentence/fz:text ?t ; fz:startOffset ?a ; fz:endOffset ?b } }""",
    )
    assert unsupported == set()


# What may say http(s) in the page without being a request: licence notes and
# documentation links inside vis-network's source, and the SVG namespace.
ALLOWED_URLS = {
    "http://almende.com",
    "http://opensource.org/licenses/MIT",
    "http://www.apache.org/licenses/LICENSE-2.0",
    "http://www.w3.org/2000/svg",
    "https://github.com/uuidjs/uuid#getrandomvalues-not-supported",
    "https://github.com/visjs",
    "https://github.com/zloirock/core-js",
    "https://github.com/zloirock/core-js/blob/v3.21.1/LICENSE",
    "https://visjs.github.io/vis-network/",
}


class _Resources(HTMLParser):
    """Every attribute of the page's markup that could load something."""

    LOADING = {"src", "href", "action", "data", "poster", "srcset", "formaction", "background", "xlink:href", "manifest"}

    def __init__(self):
        super().__init__()
        self.found = []
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.found += [(tag, name, value) for name, value in attrs if name in self.LOADING]


def test_html_makes_no_request_outside_itself(seed_outputs):
    page = seed_outputs["html"].read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(page)
    links = [f for f in parser.found if f[0] == "a" and f[1] == "href"]  # the site menu: followed on a click only
    assert links and all(":" not in href and not href.startswith(("/", "\\")) for _, _, href in links)  # sibling pages, no address
    assert [f for f in parser.found if f not in links and not (f[2] or "").startswith(("#", "data:"))] == []
    assert not parser.tags & {"link", "iframe", "img", "embed", "object", "base", "video", "audio", "source"}
    assert not re.search(r"url\(\s*(?![\'\"]?(?:data:|#))", page)
    assert "@import" not in page
    assert set(re.findall(r"https?://[^\s\"'<>()]+", page)) <= ALLOWED_URLS
    assert "default-src 'none'" in page  # the browser is told to refuse any request


def test_report_text_cannot_break_out_of_the_data_block(seed_corpus, tmp_path):
    from kg.outputs.pages import View, render

    view = View("t", "t", "t")
    view.add_node("a", "unit", "</script><script>alert(1)</script>", evidence=[{"sentence": '"><img src=x onerror=alert(1)>'}])
    page = render(view)
    data_block = page.split('id="kg-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block and ">" not in data_block
    assert "alert(1)" in data_block  # still there, as inert JSON text


def test_a_failed_write_keeps_the_previous_file(seed_corpus, tmp_path, monkeypatch):
    written = write_outputs(seed_corpus, tmp_path)
    before = written["rdf"].read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")  # half-way: the header and the entities are written

    monkeypatch.setattr(rdf, "report_block", explode)
    with pytest.raises(RuntimeError):
        write_outputs(seed_corpus, tmp_path)
    assert written["rdf"].read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_pages_are_pyvis_networks_with_vis_network_inlined(seed_corpus):
    import json
    from pathlib import Path

    import pyvis

    from kg.outputs import views
    from kg.outputs.pages import KINDS, RELATIONS, network_of, render

    view = views.build_view(seed_corpus.graph, "shared-practices")
    network = network_of(view)
    assert [n["id"] for n in network.nodes] == [n["id"] for n in view.nodes] and len(network.edges) == len(view.edges)
    colours = {r["id"]: r["color"] for r in RELATIONS}
    shapes = {k["id"]: k["shape"] for k in KINDS}
    assert all(e["color"]["color"] == colours[e["raw"]["relation"]] for e in network.edges)  # drawn as the legend shows
    assert all(n["shape"] == shapes[n["raw"]["kind"]] for n in network.nodes)
    page = render(view)
    bundled = (Path(pyvis.__file__).parent / "lib" / "vis-9.1.2" / "vis-network.min.js").read_text(encoding="utf-8")
    assert bundled in page and "</script" not in bundled  # inlined whole, and it cannot end its script element early
    data = json.loads(re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S).group(1))
    assert data["nodes"] == network.nodes and data["options"] == network.options


@pytest.mark.parametrize("name", ["overview", "shared-practices", "problems", "instruments"])
def test_who_names_every_unit_behind_each_node(seed_corpus, name):
    from kg.graph.merged import CATEGORY, CITES, IMPLEMENTS, PLANS, STATES
    from kg.outputs import views

    graph = seed_corpus.graph
    view = views.build_view(graph, name)
    unit_of = {f"report:{r}": info.unit for r, info in graph.reports.items()}
    truth: dict[str, set[tuple[str, str]]] = {}
    for source, target, relation in graph.graph.edges(keys=True):
        if relation in (IMPLEMENTS, PLANS) and source in graph.reporting_units():
            truth.setdefault(target, set()).add((source, relation))
        elif relation == CITES and unit_of.get(source):
            truth.setdefault(target, set()).add((unit_of[source], relation))
        elif relation == STATES and unit_of.get(source):
            for _, category, kind in graph.graph.out_edges(target, keys=True):
                if kind == CATEGORY:
                    truth.setdefault(category, set()).add((unit_of[source], relation))
    keys = [u[0] for u in view.who["units"]]
    drawn = [n["id"] for n in view.nodes if n["kind"] in ("measure", "practice", "instrument", "category")]
    assert drawn
    for node in drawn:
        shown = {(keys[r[0]], view.who["relations"][r[1]]) for r in view.who["rows"].get(node, [])}
        assert shown == truth.get(node, set()), node


@pytest.mark.parametrize("name", ["overview", "shared-practices", "instruments"])
def test_no_node_with_adopters_floats_free_at_scale(name):
    """The per-group edge cap keeps large views readable; it never leaves a drawn measure or instrument unconnected."""
    from synthetic import five_thousand_units

    from kg.outputs import views

    graph = five_thousand_units()
    view = views.build_view(graph, name)
    linked = {e["to"] for e in view.edges} | {e["from"] for e in view.edges}
    floating = [n["id"] for n in view.nodes if n["kind"] in ("measure", "instrument") and n["id"] not in linked]
    assert len(view.nodes) > 20 and floating == []
    for node in view.nodes:  # and who lists the whole group behind every edge drawn for it
        if node["kind"] == "unit" and node["id"].startswith("group:"):
            assert len(view.who["rows"][node["id"]]) == int(node["label"].rsplit("·", 1)[1])


def test_groups_of_a_large_graph_keep_only_what_the_views_draw(monkeypatch):
    """A group lets go of the edges no view draws (beyond its strongest, those to measures and instruments no
    view draws) as soon as it is read: the pages are the same as when every edge is kept, and fewer are held."""
    from synthetic import cited_and_practised

    from kg.outputs import pages, views

    graph = cited_and_practised()

    def drawn(digest):
        return [
            pages.render(views.build_view(graph, name, digest=digest))
            for name in ("overview", "shared-practices", "instruments", "problems")
        ]

    def held(digest):  # the edges the groups keep, of the units and of their reports
        groups = digest.grouping[0]
        return sum(len(digest.member_edges(g)) for g in groups), sum(len(digest.report_edges(g)) for g in groups)

    read: Counter[str] = Counter()  # nodes whose edges (to any target) are read with their data, and how often
    successors_of = graph.successors_of

    def counted(keys, relations=None, targets=None):
        for key, successors in successors_of(keys, relations, targets):
            read[key] += targets is None
            yield key, successors

    monkeypatch.setattr(graph, "successors_of", counted)
    pruned = views.Digest(graph)
    pages_pruned = drawn(pruned)
    # the rows behind the drawn nodes were found by the passes that drew them (but those behind a group's strongest
    # edges to what no other view draws, read alone): each unit and report read once
    assert read and set(read.values()) == {1}
    monkeypatch.setattr(views.Digest, "_pruned", property(lambda self: False))
    whole = views.Digest(graph)
    assert drawn(whole) == pages_pruned
    assert len(pruned.grouping[0]) > 1 and len(pruned.top_instruments[1]) > views.MAX_INSTRUMENTS
    (units_kept, reports_kept), (units_all, reports_all) = held(pruned), held(whole)
    assert units_kept < units_all / 2 and reports_kept < reports_all / 2, (held(pruned), held(whole))
