"""Reading a written graph file back into a :class:`~kg.graph.merged.KnowledgeGraph` (SPARQL over pyoxigraph)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from kg.graph.merged import (
    ADDRESSED_BY,
    BASED_ON,
    CATEGORY,
    CITES,
    IMPLEMENTS,
    MENTIONS,
    PART_OF,
    PLANS,
    PRACTICE_OF,
    PUBLISHED_BY,
    STATES,
    KnowledgeGraph,
    ReportInfo,
)
from kg.knowledge.namespaces import MEASURE_IRI, PROBLEM_IRI, sparql_prefixes
from kg.link.divisions import gazetteer
from kg.link.instruments import fold
from kg.rdf.store import load_oxigraph
from kg.rdf.write import UNIT_CLASSES, fz

PREFIXES = sparql_prefixes("fz", "fzm", "rdfs", "skos", "org", "dcterms")
MEASURE = MEASURE_IRI
PROBLEM = PROBLEM_IRI
_KINDS = {fz(cls): kind for kind, cls in UNIT_CLASSES.items()}  # the class of a unit → the kind of its node


def _rows(store, query: str):
    for solution in store.query(PREFIXES + query, use_default_graph_as_union=True):
        yield [None if v is None else v.value for v in solution]


def load_graph(path: str | Path) -> KnowledgeGraph:
    """The graph a written graph file (any of the four formats) holds.

    The nodes and edges are the ones :meth:`KnowledgeGraph.add` makes, so views
    and analyses of a graph file equal those of the build that wrote it.
    """
    graph = KnowledgeGraph()
    load(graph, path)
    return graph


def load(graph: KnowledgeGraph, path: str | Path) -> None:
    """Fill ``graph`` from the graph file at ``path``."""
    store = load_oxigraph(path)
    gaz = gazetteer()

    units: dict[str, str] = {}  # unit IRI → node key
    for iri, kind, label, code, level, linked, organ, category in _rows(
        store,
        """
        SELECT ?u ?class ?label ?code ?level ?linked ?organ ?category WHERE {
          VALUES ?class { fz:AdministrativeUnit fz:Department fz:Organ }
          ?u a ?class ; rdfs:label ?label .
          OPTIONAL { ?u fz:divisionCode ?code } OPTIONAL { ?u fz:level ?level } OPTIONAL { ?u fz:linked ?linked }
          OPTIONAL { ?u fz:organType ?organ } OPTIONAL { ?u fz:organCategory ?category } }""",
    ):
        unit_kind = _KINDS[kind]
        is_linked = linked == "true"
        if unit_kind == "division":
            key = f"unit:division:{code}" if is_linked and code else f"unit:division?{label}"
        else:
            owner = code if is_linked and code else ("central" if level and level.endswith("#Central") else "?")
            key = f"unit:{unit_kind}:{owner}:{organ or label}"
        units[iri] = key
        province = city = None
        if is_linked and code:
            chain = gaz.chain(code)
            province = chain[-1].name if chain else None
            city = next((d.name for d in chain if d.level == 2), None)
        graph._node(
            key,
            kind="unit",
            label=label,
            unit_kind=unit_kind,
            code=code,
            level=level.rsplit("#", 1)[-1].lower() if level else None,
            linked=is_linked,
            province=province,
            city=city,
            organ=organ,
            category=category,
        )
    for child, parent in _rows(store, "SELECT ?c ?p WHERE { ?c org:subOrganizationOf ?p }"):
        if child in units and parent in units:
            graph.graph.add_edge(units[child], units[parent], key=PART_OF, relation=PART_OF)

    reports: dict[str, ReportInfo] = {}
    for iri, identifier, file, title, year, publisher in _rows(
        store,
        """
        SELECT ?r ?id ?file ?title ?year ?unit WHERE { ?r a fz:Report ; dcterms:identifier ?id ; fz:sourceFile ?file .
          OPTIONAL { ?r dcterms:title ?title } OPTIONAL { ?r fz:coversYear ?year } OPTIONAL { ?r dcterms:publisher ?unit } }
        ORDER BY ?file""",
    ):
        info = ReportInfo(identifier, file, title, int(year) if year else None, units.get(publisher))
        reports[iri] = info
        graph.reports[identifier] = info
        graph._node(f"report:{identifier}", kind="report", label=title or file, year=info.year, file=file)
        if info.unit:
            graph._edge(f"report:{identifier}", info.unit, PUBLISHED_BY, identifier, None)

    # an evidence sentence is fz:inSentence/fz:text; graphs written before sentence nodes have it as fz:sentence
    for report, organ, sentence, start in _rows(
        store,
        """
        SELECT ?r ?o ?sentence ?start WHERE { ?m a fz:Mention ; fz:report ?r ; fz:unit ?o ; fz:evidence ?e .
          ?e (fz:inSentence/fz:text)|fz:sentence ?sentence ; fz:startOffset ?start . ?r fz:sourceFile ?file } ORDER BY ?file ?start ?m""",
    ):
        info = reports[report]
        graph._edge(f"report:{info.id}", units[organ], MENTIONS, info.id, (info.file, int(start), info.id, sentence))

    instruments: dict[str, str] = {}
    for iri, label, kind in _rows(
        store,
        """
        SELECT ?i ?label ?type WHERE { ?i a fz:LegalInstrument ; rdfs:label ?label ; a ?class .
          ?class rdfs:subClassOf fz:LegalInstrument ; rdfs:label ?type . FILTER (lang(?type) = "zh") }""",
    ):
        instruments[iri] = f"instrument:{fold(label)}"
        graph._node(instruments[iri], kind="instrument", label=label, type=kind)
    for iri, written in _rows(store, "SELECT ?i ?w WHERE { ?i a fz:LegalInstrument ; fz:writtenAs ?w }"):
        graph.graph.nodes[instruments[iri]].setdefault("written", set()).add(written)
    for iri, number in _rows(store, "SELECT ?i ?n WHERE { ?i fz:documentNumber/rdfs:label ?n }"):
        graph.graph.nodes[instruments[iri]].setdefault("numbers", set()).add(number)
    for report, instrument, sentence, start in _rows(
        store,
        """
        SELECT ?r ?i ?sentence ?start WHERE { ?c a fz:Citation ; fz:report ?r ; fz:instrument ?i ; fz:evidence ?e .
          ?e (fz:inSentence/fz:text)|fz:sentence ?sentence ; fz:startOffset ?start . ?r fz:sourceFile ?file } ORDER BY ?file ?start ?c""",
    ):
        info = reports[report]
        graph._edge(f"report:{info.id}", instruments[instrument], CITES, info.id, (info.file, int(start), info.id, sentence))

    themes = _measure_themes(store)
    practices: dict[str, str] = {}
    for iri, label, owner in _rows(
        store, "SELECT ?p ?label ?owner WHERE { ?p a fz:LocalPractice ; rdfs:label ?label . OPTIONAL { ?p fz:practiceOf ?owner } }"
    ):
        owner_key = units.get(owner) if owner else None
        practices[iri] = f"practice:{owner_key}:{label}"
        graph._node(practices[iri], kind="practice", label=label)
    statements = list(
        _rows(
            store,
            """
        SELECT ?s ?r ?m ?status ?unit ?sentence ?start ?basis WHERE { ?s a fz:MeasureStatement ; fz:report ?r ; fz:measure ?m ;
          fz:status ?status ; fz:evidence ?e . ?e (fz:inSentence/fz:text)|fz:sentence ?sentence ; fz:startOffset ?start .
          ?r fz:sourceFile ?file . OPTIONAL { ?s fz:unit ?unit } OPTIONAL { ?s fz:basedOn ?basis } } ORDER BY ?file ?start ?s ?basis""",
        )
    )
    seen_statements: set[str] = set()
    for statement, report, measure, status, unit, sentence, start, basis in statements:
        info = reports[report]
        evidence = (info.file, int(start), info.id, sentence)
        if statement in seen_statements:  # one more row for a second basis of the same statement
            if basis in instruments:
                target = f"measure:{measure[len(MEASURE) :]}" if measure.startswith(MEASURE) else practices[measure]
                graph._edge(target, instruments[basis], BASED_ON, info.id, evidence)
            continue
        seen_statements.add(statement)
        if measure.startswith(MEASURE):
            target = f"measure:{measure[len(MEASURE) :]}"
            label, label_en, theme = themes[measure]
            graph._node(target, kind="measure", label=label, label_en=label_en, theme=theme)
        else:
            target = practices[measure]
            owner = units.get(unit) or f"report:{info.id}"
            graph._edge(target, owner, PRACTICE_OF, info.id, None)
        if unit in units:
            relation = IMPLEMENTS if status.endswith("Implemented") else PLANS
            graph._edge(units[unit], target, relation, info.id, evidence)
        if basis in instruments:
            graph._edge(target, instruments[basis], BASED_ON, info.id, evidence)

    remedies: dict[str, list[str]] = defaultdict(list)
    for problem, measure in _rows(store, "SELECT ?p ?m WHERE { ?p a fz:Problem ; fz:addressedBy ?m }"):
        remedies[problem].append(measure)
    categories: dict[str, dict[str, str]] = defaultdict(dict)  # every category of each problem, the main one too
    for problem, category, category_label in _rows(
        store,
        """SELECT ?p ?c ?clabel WHERE { ?p a fz:Problem ; fz:category ?c . ?c skos:prefLabel ?clabel . FILTER (lang(?clabel) = "zh") }""",
    ):
        categories[problem][category[len(PROBLEM) :]] = category_label
    for report, iri, label, text, category, category_label, sentence, start in _rows(
        store,
        """
        SELECT ?r ?p ?label ?text ?c ?clabel ?sentence ?start WHERE { ?r fz:states ?p ; fz:sourceFile ?file . ?p rdfs:label ?label ;
          fz:text ?text ; fz:evidence ?e .
          { ?p fz:primaryCategory ?c } UNION { ?p fz:category ?c FILTER NOT EXISTS { ?p fz:primaryCategory ?main } }  # older graphs: one category
          ?e (fz:inSentence/fz:text)|fz:sentence ?sentence ; fz:startOffset ?start .
          ?c skos:prefLabel ?clabel . FILTER (lang(?clabel) = "zh") }
        ORDER BY ?file ?p""",
    ):
        info = reports[report]
        number = iri.rsplit("-", 1)[-1]
        key = f"problem:{info.id}:p{number}"
        category_id = category[len(PROBLEM) :]
        graph._node(key, kind="problem", label=label, text=text, category=category_id, report=info.id)
        graph._edge(f"report:{info.id}", key, STATES, info.id, (info.file, int(start), info.id, sentence))
        for other_id, other_label in sorted(categories.get(iri, {category_id: category_label}).items()):
            graph._node(f"category:{other_id}", kind="category", label=other_label)
            graph._edge(key, f"category:{other_id}", CATEGORY, info.id, None)
        for measure in sorted(remedies.get(iri, ())):
            graph._edge(key, f"measure:{measure[len(MEASURE) :]}", ADDRESSED_BY, info.id, None)


def _measure_themes(store) -> dict[str, tuple[str, str, str | None]]:
    """Chinese and English labels of every measure concept, and the label of its theme."""
    labels = {}
    for iri, zh, en in _rows(
        store,
        """
        SELECT ?m ?zh ?en WHERE { ?m skos:inScheme fzm:scheme ; skos:prefLabel ?zh .
          FILTER (lang(?zh) = "zh") OPTIONAL { ?m skos:prefLabel ?en . FILTER (lang(?en) = "en") } }""",
    ):
        labels[iri] = [zh, en or "", None]
    tops = {iri for (iri,) in _rows(store, "SELECT ?t WHERE { fzm:scheme skos:hasTopConcept ?t }")}
    for iri, top in _rows(store, "SELECT ?m ?t WHERE { ?m skos:broader+ ?t }"):
        if top in tops and iri in labels and (labels[iri][2] is None or labels[top][0] < labels[iri][2]):
            labels[iri][2] = labels[top][0]
    return {iri: (zh, en, theme) for iri, (zh, en, theme) in labels.items()}
