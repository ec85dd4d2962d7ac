"""The graph as RDF against the ontology in ontology/: Turtle, N-Triples, JSON-LD, TriG.

Triples are produced in a fixed order — the ontology and the concept schemes,
then every entity sorted by IRI, then each report sorted by id — and written by
pyoxigraph's streaming serialisers, so output is byte-identical run to run and
fast. In TriG every report's statements sit in a named graph of their own (the
report's IRI), so a user can replace or drop one report.

>>> iri = Iris("https://example.org/kg/")
>>> iri.unit_division("610702008").value
'https://example.org/kg/unit/610702008'
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from kg.graph import PART_OF, KnowledgeGraph
from kg.model import Evidence, Report, Status
from kg.resources import ontology_path
from kg.vocab import MEASURE, PROBLEM

DEFAULT_BASE = "https://w3id.org/fzkg/data/"
FZ = "https://w3id.org/fzkg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"

FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, ".ttl"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, ".nt"),
    "jsonld": (ox.RdfFormat.JSON_LD, ".jsonld"),
    "trig": (ox.RdfFormat.TRIG, ".trig"),
}

INSTRUMENT_CLASSES = {
    "宪法": "Constitution", "法律": "Law", "行政法规": "AdministrativeRegulation", "监察法规": "SupervisoryRegulation",
    "地方性法规": "LocalRegulation", "自治条例和单行条例": "AutonomousRegulation", "规章": "Rule", "党内法规": "PartyRegulation",
    "规划纲要方案": "Plan", "规范性文件": "NormativeDocument", "内部文件": "InternalDocument", "其他": "OtherDocument",
}
LEVELS = {"central": "Central", "province": "Province", "prefecture": "Prefecture", "county": "County", "township": "Township"}
REPORT_PARTS = ("evidence", "statement", "citation", "mention", "problem", "indicator")
UNIT_CLASSES = {"division": "AdministrativeUnit", "department": "Department", "organ": "Organ"}


@lru_cache(maxsize=4096)
def _nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def fz(name: str) -> ox.NamedNode:
    return _nn(FZ + name)


A = _nn(RDF + "type")
LABEL = _nn(RDFS + "label")


def _digest(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _zh(text: str) -> ox.Literal:
    return ox.Literal(text, language="zh")


def _string(text: str) -> ox.Literal:
    return ox.Literal(text)


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_nn(XSD + "integer"))


def _year(value: int) -> ox.Literal:
    return ox.Literal(f"{value:04d}", datatype=_nn(XSD + "gYear"))


def _boolean(value: bool) -> ox.Literal:
    return ox.Literal("true" if value else "false", datatype=_nn(XSD + "boolean"))


def _decimal(value: str) -> ox.Literal:
    return ox.Literal(value if "." in value else value, datatype=_nn(XSD + "decimal"))


class Iris:
    """Stable identifiers for instance data under a base IRI.

    Units by division code, instruments by canonical title, reports by content,
    problems and evidence by report and position.
    """

    def __init__(self, base: str = DEFAULT_BASE):
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base

    def unit_division(self, code: str) -> ox.NamedNode:
        return _nn(f"{self.base}unit/{code}")

    def unit(self, node: dict) -> ox.NamedNode:
        """The IRI of a unit node of the :class:`KnowledgeGraph`."""
        kind, code, name = node.get("unit_kind"), node.get("code"), node.get("organ") or node.get("label")
        if kind == "division":
            if node.get("linked") and code:
                return self.unit_division(code)
            return _nn(f"{self.base}unit/x-{_digest('division:' + node['label'])}")
        owner = code if node.get("linked") and code else ("central" if node.get("level") == "central" else "x")
        return _nn(f"{self.base}unit/{owner}/{_digest(kind + ':' + name, 8)}")

    def instrument(self, key: str) -> ox.NamedNode:
        return _nn(f"{self.base}instrument/{_digest(key)}")

    def document_number(self, number: str) -> ox.NamedNode:
        return _nn(f"{self.base}docno/{_digest(number)}")

    def practice(self, node_key: str) -> ox.NamedNode:
        return _nn(f"{self.base}practice/{_digest(node_key)}")

    def report(self, report_id: str) -> ox.NamedNode:
        return _nn(f"{self.base}report/{report_id}")

    def within(self, report_id: str, kind: str, local: str) -> ox.NamedNode:
        """A node of one report (evidence, statement, problem …): by report and position."""
        return _nn(f"{self.base}{kind}/{report_id}-{local}")

    def prefixes(self) -> dict[str, str]:
        return {
            "fz": FZ, "fzm": str(MEASURE), "fzp": str(PROBLEM), "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "skos": SKOS,
            "org": ORG, "prov": PROV, "dcterms": DCTERMS, "owl": "http://www.w3.org/2002/07/owl#",
            "unit": self.base + "unit/", "instrument": self.base + "instrument/", "report": self.base + "report/",
            "practice": self.base + "practice/", "docno": self.base + "docno/",
            **{kind: f"{self.base}{kind}/" for kind in REPORT_PARTS},
        }


class RdfBuilder:
    """Turns a :class:`KnowledgeGraph` and its reports into triples (and quads for TriG)."""

    def __init__(self, graph: KnowledgeGraph, base: str = DEFAULT_BASE):
        self.graph = graph
        self.iris = Iris(base)
        self._node_iri: dict[str, ox.NamedNode] = {}

    def node_iri(self, key: str) -> ox.NamedNode:
        """The IRI of any node of the knowledge graph."""
        if key not in self._node_iri:
            node = self.graph.graph.nodes[key]
            kind = node["kind"]
            if kind == "unit":
                iri = self.iris.unit(node)
            elif kind == "instrument":
                iri = self.iris.instrument(key.split(":", 1)[1])
            elif kind == "measure":
                iri = _nn(str(MEASURE) + key.split(":", 1)[1])
            elif kind == "practice":
                iri = self.iris.practice(key)
            elif kind == "category":
                iri = _nn(str(PROBLEM) + key.split(":", 1)[1])
            elif kind == "report":
                iri = self.iris.report(key.split(":", 1)[1])
            else:
                raise KeyError(f"no IRI for node {key}")
            self._node_iri[key] = iri
        return self._node_iri[key]

    # -------------------------------------------------------------- static part

    def vocabulary(self) -> list[ox.Triple]:
        """The ontology and both concept schemes, so the graph explains itself."""
        triples: set[ox.Triple] = set()
        for name in ("kg.ttl", "measures.ttl", "problems.ttl"):
            with open(ontology_path(name), "rb") as handle:
                for triple in ox.parse(handle, format=ox.RdfFormat.TURTLE):
                    triples.add(triple)
        return sorted(triples, key=_triple_sort_key)

    def entities(self) -> Iterator[ox.Triple]:
        """Units, instruments, document numbers and local practices, sorted by IRI."""
        graph = self.graph.graph
        blocks: list[tuple[str, list[ox.Triple]]] = []
        for key, node in graph.nodes(data=True):
            kind = node["kind"]
            if kind == "unit":
                blocks.append(self._unit(key, node))
            elif kind == "instrument":
                blocks.extend(self._instrument(key, node))
            elif kind == "practice":
                blocks.append(self._practice(key, node))
        blocks.sort(key=lambda b: b[0])
        seen: set[str] = set()
        for subject, triples in blocks:
            if subject in seen:
                continue
            seen.add(subject)
            yield from triples

    def _unit(self, key: str, node: dict) -> tuple[str, list[ox.Triple]]:
        s = self.node_iri(key)
        t = [ox.Triple(s, A, fz(UNIT_CLASSES[node["unit_kind"]])), ox.Triple(s, A, _nn(ORG + "Organization")),
             ox.Triple(s, LABEL, _zh(node["label"])), ox.Triple(s, fz("linked"), _boolean(bool(node.get("linked"))))]
        if node.get("code"):
            t.append(ox.Triple(s, fz("divisionCode"), _string(node["code"])))
        if node.get("level") in LEVELS:
            t.append(ox.Triple(s, fz("level"), fz(LEVELS[node["level"]])))
        if node.get("organ"):
            t.append(ox.Triple(s, fz("organType"), _zh(node["organ"])))
        if node.get("category"):
            t.append(ox.Triple(s, fz("organCategory"), _string(node["category"])))
        for code in node.get("candidates", []):
            t.append(ox.Triple(s, fz("candidateCode"), _string(code)))
        for _, parent, relation in self.graph.graph.out_edges(key, keys=True):
            if relation == PART_OF:
                t.append(ox.Triple(s, _nn(ORG + "subOrganizationOf"), self.node_iri(parent)))
        return s.value, sorted(t, key=_triple_sort_key)

    def _instrument(self, key: str, node: dict) -> list[tuple[str, list[ox.Triple]]]:
        s = self.node_iri(key)
        t = [ox.Triple(s, A, fz("LegalInstrument")), ox.Triple(s, A, fz(INSTRUMENT_CLASSES.get(node.get("type"), "OtherDocument"))),
             ox.Triple(s, LABEL, _zh(node["label"])), ox.Triple(s, _nn(DCTERMS + "title"), _zh(node["label"]))]
        for written in sorted(node.get("written", ())):
            t.append(ox.Triple(s, fz("writtenAs"), _zh(written)))
        blocks = []
        for number in sorted(node.get("numbers", ())):
            n = self.iris.document_number(number)
            t.append(ox.Triple(s, fz("documentNumber"), n))
            blocks.append((n.value, [ox.Triple(n, A, fz("DocumentNumber")), ox.Triple(n, LABEL, _zh(number))]))
        blocks.append((s.value, sorted(t, key=_triple_sort_key)))
        return blocks

    def _practice(self, key: str, node: dict) -> tuple[str, list[ox.Triple]]:
        s = self.node_iri(key)
        t = [ox.Triple(s, A, fz("LocalPractice")), ox.Triple(s, A, _nn(SKOS + "Concept")), ox.Triple(s, LABEL, _zh(node["label"])),
             ox.Triple(s, _nn(SKOS + "prefLabel"), _zh(node["label"]))]
        for _, owner, relation in self.graph.graph.out_edges(key, keys=True):
            if relation == "practiceOf":
                t.append(ox.Triple(s, fz("practiceOf"), self.node_iri(owner)))
        return s.value, sorted(t, key=_triple_sort_key)

    # -------------------------------------------------------------- per report

    def report(self, report: Report) -> list[ox.Triple]:
        """Every statement of one report, with its evidence, in a fixed order."""
        iris = self.iris
        r = iris.report(report.id)
        t: list[ox.Triple] = [ox.Triple(r, A, fz("Report")), ox.Triple(r, _nn(DCTERMS + "identifier"), _string(report.id)),
                              ox.Triple(r, fz("sourceFile"), _string(report.file))]
        if report.title:
            t.append(ox.Triple(r, _nn(DCTERMS + "title"), _zh(report.title)))
            t.append(ox.Triple(r, LABEL, _zh(report.title)))
        if report.year:
            t.append(ox.Triple(r, fz("coversYear"), _year(report.year)))
        if report.encoding:
            t.append(ox.Triple(r, fz("encoding"), _string(report.encoding)))
        issued = _iso_date(report.metadata.get("成文日期") or report.metadata.get("发布日期") or report.signature.get("date", ""))
        if issued:
            t.append(ox.Triple(r, _nn(DCTERMS + "issued"), ox.Literal(issued, datatype=_nn(XSD + "date"))))
        for key in sorted(report.metadata):
            t.append(ox.Triple(r, fz("metadata"), _zh(f"{key}: {report.metadata[key]}")))
        unit = self._report_unit(report)
        if unit is not None:
            t.append(ox.Triple(r, _nn(DCTERMS + "publisher"), unit))
        evidence_done: set[tuple[int, int]] = set()

        def evidence(e: Evidence) -> ox.NamedNode:
            node = iris.within(report.id, "evidence", f"{e.start}-{e.end}")
            if (e.start, e.end) not in evidence_done:
                evidence_done.add((e.start, e.end))
                t.extend([
                    ox.Triple(node, A, fz("Evidence")), ox.Triple(node, _nn(PROV + "wasQuotedFrom"), r),
                    ox.Triple(node, fz("quote"), _zh(e.quote)), ox.Triple(node, fz("sentence"), _zh(e.sentence)),
                    ox.Triple(node, fz("startOffset"), _integer(e.start)), ox.Triple(node, fz("endOffset"), _integer(e.end)),
                ])
                if e.section:
                    t.append(ox.Triple(node, fz("section"), _string(e.section)))
            return node

        direct: set[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode]] = set()
        for n, mention in enumerate(report.organs, 1):
            target = self.node_iri(f"unit:{mention.unit.key}")
            direct.add((r, fz("mentions"), target))
            m = iris.within(report.id, "mention", str(n))
            t.extend([ox.Triple(m, A, fz("Mention")), ox.Triple(m, fz("report"), r), ox.Triple(m, fz("unit"), target),
                      ox.Triple(m, fz("writtenAs"), _zh(mention.unit.as_written)), ox.Triple(m, fz("evidence"), evidence(mention.evidence))])
        for n, mention in enumerate(report.instruments, 1):
            target = self.node_iri(f"instrument:{mention.key}")
            direct.add((r, fz("cites"), target))
            c = iris.within(report.id, "citation", str(n))
            t.extend([ox.Triple(c, A, fz("Citation")), ox.Triple(c, fz("report"), r), ox.Triple(c, fz("instrument"), target),
                      ox.Triple(c, fz("writtenAs"), _zh(mention.as_written)), ox.Triple(c, fz("evidence"), evidence(mention.evidence))])
        for n, mention in enumerate(report.measures, 1):
            measure = _nn(str(MEASURE) + mention.concept) if mention.concept else self.node_iri(self._practice_key(report, mention.label))
            status = "Implemented" if mention.status is Status.IMPLEMENTED else "Planned"
            s = iris.within(report.id, "statement", str(n))
            t.extend([ox.Triple(s, A, fz("MeasureStatement")), ox.Triple(s, fz("measure"), measure), ox.Triple(s, fz("status"), fz(status)),
                      ox.Triple(s, fz("report"), r), ox.Triple(s, fz("evidence"), evidence(mention.evidence))])
            if unit is not None:
                t.append(ox.Triple(s, fz("unit"), unit))
                direct.add((unit, fz("implements" if status == "Implemented" else "plans"), measure))
            if report.year:
                t.append(ox.Triple(s, fz("year"), _year(report.year)))
            if mention.implied_by:
                t.append(ox.Triple(s, fz("impliedBy"), _nn(str(MEASURE) + mention.implied_by)))
            for key in mention.based_on:
                t.append(ox.Triple(s, fz("basedOn"), self.node_iri(f"instrument:{key}")))
        for problem in report.problems:
            p = iris.within(report.id, "problem", problem.id[1:])
            direct.add((r, fz("states"), p))
            t.extend([ox.Triple(p, A, fz("Problem")), ox.Triple(p, LABEL, _zh(problem.label)), ox.Triple(p, fz("text"), _zh(problem.text)),
                      ox.Triple(p, fz("report"), r), ox.Triple(p, fz("evidence"), evidence(problem.evidence))])
            if problem.category:
                t.append(ox.Triple(p, fz("category"), _nn(str(PROBLEM) + problem.category)))
            for concept in problem.addressed_by:
                t.append(ox.Triple(p, fz("addressedBy"), _nn(str(MEASURE) + concept)))
        for n, indicator in enumerate(report.indicators, 1):
            i = iris.within(report.id, "indicator", str(n))
            direct.add((r, fz("reports"), i))
            t.extend([ox.Triple(i, A, fz("Indicator")), ox.Triple(i, fz("metric"), _zh(indicator.metric)),
                      ox.Triple(i, fz("value"), _decimal(indicator.value)), ox.Triple(i, fz("unitOfMeasure"), _zh(indicator.unit)),
                      ox.Triple(i, fz("approximate"), _boolean(indicator.approximate)), ox.Triple(i, fz("report"), r),
                      ox.Triple(i, fz("evidence"), evidence(indicator.evidence))])
            if indicator.year:
                t.append(ox.Triple(i, fz("year"), _year(indicator.year)))
        t.extend(ox.Triple(*triple) for triple in sorted(direct, key=lambda x: (x[0].value, x[1].value, x[2].value)))
        return t

    def _report_unit(self, report: Report) -> ox.NamedNode | None:
        info = self.graph.reports.get(report.id)
        return self.node_iri(info.unit) if info and info.unit else None

    def _practice_key(self, report: Report, label: str) -> str:
        info = self.graph.reports[report.id]
        return f"practice:{info.unit or 'report:' + report.id}:{label}"


def _iso_date(text: str) -> str | None:
    match = re.match(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})", text or "")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}" if match else None


def _term_key(term) -> tuple:
    if isinstance(term, ox.Literal):
        return (2, term.value, term.language or "", term.datatype.value if term.datatype else "")
    if isinstance(term, ox.BlankNode):
        return (1, term.value)
    return (0, term.value)


def _triple_sort_key(triple: ox.Triple) -> tuple:
    return (_term_key(triple.subject), _term_key(triple.predicate), _term_key(triple.object))


def triples(graph: KnowledgeGraph, reports: Iterable[Report], base: str = DEFAULT_BASE) -> Iterator[ox.Triple]:
    """Every triple of the graph, in the fixed output order."""
    builder = RdfBuilder(graph, base)
    yield from builder.vocabulary()
    yield from builder.entities()
    for report in sorted(reports, key=lambda r: r.id):
        yield from builder.report(report)


def quads(graph: KnowledgeGraph, reports: Iterable[Report], base: str = DEFAULT_BASE) -> Iterator[ox.Quad]:
    """Quads for TriG: vocabulary and entities in the default graph, each report in its own."""
    builder = RdfBuilder(graph, base)
    default = ox.DefaultGraph()
    for triple in builder.vocabulary():
        yield ox.Quad(triple.subject, triple.predicate, triple.object, default)
    for triple in builder.entities():
        yield ox.Quad(triple.subject, triple.predicate, triple.object, default)
    for report in sorted(reports, key=lambda r: r.id):
        name = builder.iris.report(report.id)
        for triple in builder.report(report):
            yield ox.Quad(triple.subject, triple.predicate, triple.object, name)


def write(graph: KnowledgeGraph, reports: Iterable[Report], path: str | Path, format: str = "turtle", base: str = DEFAULT_BASE) -> int:
    """Serialise to ``path`` atomically; returns the number of statements written.

    JSON-LD is written compacted against ``context.jsonld``, which is written
    beside it (its instance IRIs are relative to ``@base``).
    """
    from kg.output import atomic_path, write_text

    if format == "jsonld":
        path = Path(path)
        write_text(path.parent / "context.jsonld", json.dumps({"@context": jsonld_context(base)}, ensure_ascii=False, indent=1) + "\n")
        return write_jsonld(graph, reports, path, base)
    rdf_format, _suffix = FORMATS[format]
    counter = _Counter()
    statements = quads(graph, reports, base) if format == "trig" else triples(graph, reports, base)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            ox.serialize(counter.count(statements), handle, rdf_format, prefixes=None if format == "ntriples" else Iris(base).prefixes())
    return counter.n


# ---------------------------------------------------------------------------- JSON-LD

_LANGUAGE_MAPS = {RDFS + "label": "label", RDFS + "comment": "comment", SKOS + "prefLabel": "prefLabel", SKOS + "altLabel": "altLabel",
                  SKOS + "hiddenLabel": "hiddenLabel", SKOS + "definition": "definition", DCTERMS + "description": "description"}
_REFERENCES = {DCTERMS + "publisher": "publisher", ORG + "subOrganizationOf": "subOrganizationOf", PROV + "wasQuotedFrom": "wasQuotedFrom",
               SKOS + "broader": "broader", SKOS + "narrower": "narrower", SKOS + "inScheme": "inScheme", SKOS + "hasTopConcept": "hasTopConcept",
               SKOS + "topConceptOf": "topConceptOf", RDFS + "domain": "domain", RDFS + "range": "range", RDFS + "subClassOf": "subClassOf",
               RDFS + "subPropertyOf": "subPropertyOf", "http://www.w3.org/2002/07/owl#imports": "imports"}
_FZ_REFERENCES = ("addressedBy", "basedOn", "category", "cites", "documentNumber", "evidence", "implements", "impliedBy", "implies",
                  "instrument", "level", "measure", "mentions", "plans", "practiceOf", "report", "reports", "states", "status", "unit")
_FZ_TYPED = {"approximate": "xsd:boolean", "linked": "xsd:boolean", "coversYear": "xsd:gYear", "year": "xsd:gYear",
             "startOffset": "xsd:integer", "endOffset": "xsd:integer", "value": "xsd:decimal"}
_FZ_CHINESE = ("metadata", "metric", "organType", "quote", "sentence", "text", "unitOfMeasure", "writtenAs")
_FZ_STRINGS = ("divisionCode", "encoding", "matchPattern", "organCategory", "section", "sourceFile", "candidateCode")


def jsonld_context(base: str = DEFAULT_BASE) -> dict:
    """The JSON-LD context of the graph: prefixes and one term per property.

    Instance IRIs are written relative to the base IRI, which graph.jsonld
    declares itself (``@base`` in a context file is ignored by processors).
    """
    context: dict = {"@version": 1.1}
    for prefix, iri in Iris(base).prefixes().items():
        if iri.startswith(Iris(base).base):
            continue  # instance data is written relative to @base instead
        context[prefix] = iri
    for iri, term in _LANGUAGE_MAPS.items():
        context[term] = {"@id": _compact(iri), "@container": "@language"}
    for iri, term in _REFERENCES.items():
        context[term] = {"@id": _compact(iri), "@type": "@id"}
    context["title"] = {"@id": "dcterms:title", "@language": "zh"}
    context["identifier"] = {"@id": "dcterms:identifier"}
    context["issued"] = {"@id": "dcterms:issued", "@type": "xsd:date"}
    context["versionInfo"] = {"@id": "owl:versionInfo"}
    for name in _FZ_REFERENCES:
        context[name] = {"@id": f"fz:{name}", "@type": "@id"}
    for name, datatype in _FZ_TYPED.items():
        context[name] = {"@id": f"fz:{name}", "@type": datatype}
    for name in _FZ_CHINESE:
        context[name] = {"@id": f"fz:{name}", "@language": "zh"}
    for name in _FZ_STRINGS:
        context[name] = {"@id": f"fz:{name}"}
    return context


_PREFIXES = {"fz": FZ, "fzm": str(MEASURE), "fzp": str(PROBLEM), "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "skos": SKOS, "org": ORG,
             "prov": PROV, "dcterms": DCTERMS, "owl": "http://www.w3.org/2002/07/owl#"}


def _compact(iri: str, base: str | None = None) -> str:
    if base and iri.startswith(base):
        return iri[len(base):]
    for prefix, namespace in _PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace and ":" not in iri[len(namespace):] and "/" not in iri[len(namespace):]:
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


class _JsonLdTerms:
    """How each predicate and object is written under :func:`jsonld_context`."""

    def __init__(self, base: str):
        self.base = Iris(base).base
        context = jsonld_context(base)
        self.by_predicate: dict[str, tuple[str, dict]] = {}
        for term, definition in context.items():
            if isinstance(definition, dict) and "@id" in definition:
                iri = definition["@id"]
                prefix, _, local = iri.partition(":")
                self.by_predicate[_PREFIXES.get(prefix, "") + local] = (term, definition)

    def node_id(self, term) -> str:
        return _compact(term.value, self.base) if isinstance(term, ox.NamedNode) else f"_:{term.value}"

    def entry(self, predicate: str, obj) -> tuple[str, object, bool]:
        """(key, value, is_language_map) for one triple."""
        term, definition = self.by_predicate.get(predicate, (None, {}))
        if isinstance(obj, (ox.NamedNode, ox.BlankNode)):
            if term and definition.get("@type") == "@id":
                return term, self.node_id(obj), False
            return _compact(predicate), {"@id": self.node_id(obj)}, False
        language, datatype = obj.language, obj.datatype.value if obj.datatype else None
        if term and language and definition.get("@container") == "@language":
            return term, (language, obj.value), True
        if term and language and definition.get("@language") == language:
            return term, obj.value, False
        wanted = definition.get("@type")
        if term and not language and wanted and wanted != "@id" and _expand(wanted) == datatype:
            return term, obj.value, False
        if term and not language and not wanted and "@language" not in definition and "@container" not in definition and datatype == XSD + "string":
            return term, obj.value, False
        value = {"@value": obj.value}
        if language:
            value["@language"] = language
        elif datatype and datatype != XSD + "string":
            value["@type"] = _compact(datatype)
        return _compact(predicate), value, False


def _expand(compact: str) -> str:
    prefix, _, local = compact.partition(":")
    return _PREFIXES.get(prefix, "") + local


def _node_objects(statements: Iterable[ox.Triple], terms: _JsonLdTerms) -> list[dict]:
    nodes: dict[str, dict] = {}
    for t in statements:
        subject = terms.node_id(t.subject)
        node = nodes.setdefault(subject, {"@id": subject})
        if t.predicate.value == RDF + "type":
            node.setdefault("@type", []).append(_compact(t.object.value, terms.base))
            continue
        key, value, language_map = terms.entry(t.predicate.value, t.object)
        if language_map:
            language, text = value
            node.setdefault(key, {}).setdefault(language, []).append(text)
        else:
            node.setdefault(key, []).append(value)
    out = []
    for node in nodes.values():
        for key, value in node.items():
            if isinstance(value, list) and len(value) == 1 and key != "@type":
                node[key] = value[0]
            elif isinstance(value, dict) and key != "@id" and all(isinstance(v, list) for v in value.values()):
                node[key] = {lang: texts[0] if len(texts) == 1 else texts for lang, texts in value.items()}
        if len(node.get("@type", [])) == 1:
            node["@type"] = node["@type"][0]
        out.append(node)
    return out


def write_jsonld(graph: KnowledgeGraph, reports: Iterable[Report], path: str | Path, base: str = DEFAULT_BASE) -> int:
    """Compact JSON-LD, streamed block by block (vocabulary, entities, one report at a time)."""
    from kg.output import atomic_path

    builder = RdfBuilder(graph, base)
    terms = _JsonLdTerms(base)
    count = 0
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            # @base in a context file is ignored by JSON-LD processors: it belongs to the document
            handle.write('{"@context": ["context.jsonld", ' + json.dumps({"@base": Iris(base).base}) + '],\n "@graph": [')
            first = True
            blocks = [builder.vocabulary(), list(builder.entities())]
            blocks += (builder.report(r) for r in sorted(reports, key=lambda r: r.id))
            for block in blocks:
                count += len(block)
                for node in _node_objects(block, terms):
                    handle.write(("\n  " if first else ",\n  ") + json.dumps(node, ensure_ascii=False, separators=(",", ":")))
                    first = False
            handle.write("\n]}\n")
    return count


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def count(self, items):
        for item in items:
            self.n += 1
            yield item
