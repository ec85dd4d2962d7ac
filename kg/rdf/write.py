"""The graph as RDF against the ontology in ontology/: Turtle, N-Triples, JSON-LD, TriG.

A graph file is assembled from blocks: the ontology and the concept schemes,
the entities (units, instruments, document numbers, local practices) sorted by
IRI, and one block per report, in report-id order. A report's block depends on
nothing but the report, so the worker that reads a report can write its block
(:func:`report_block`); the output is byte-identical however many workers ran
and in whatever order. In TriG each report's block is a named graph (the
report's IRI), so a user can replace or drop one report.

>>> iri = Iris("https://example.org/kg/")
>>> iri.division("610702008")
'https://example.org/kg/unit/610702008'
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from kg.files.assemble import Piece, assemble
from kg.graph.merged import IMPLEMENTS, PART_OF, PLANS
from kg.graph.reading import GraphReader
from kg.knowledge.namespaces import (
    DATA,
    DCTERMS,
    FZ,
    FZ_IRI,
    MEASURE,
    METRIC,
    ORG,
    OWL,
    PREFIXES,
    PROBLEM,
    PROV,
    RDF,
    RDFS,
    SKOS,
    XSD,
    shorten,
)
from kg.knowledge.resources import ontology_graph, ontology_path
from kg.knowledge.user import active as user_vocabulary
from kg.knowledge.user import knowledge_version
from kg.knowledge.vocab import measure_graph, ontology_names
from kg.model import Evidence, Report, Status, Unit
from kg.rdf.syntax import RDF_TYPE, XSD_INTEGER, JsonLd, Lit, Turtle, check_iri, ntriples

DEFAULT_BASE = DATA

FORMATS = {"turtle": ".ttl", "ntriples": ".nt", "jsonld": ".jsonld", "trig": ".trig"}

# the ontology names the classes of instrument in Chinese, the levels and citation kinds in English
INSTRUMENT_CLASSES = ontology_names("instrument", "zh")
LEVELS = ontology_names("Level", "en")
UNIT_CLASSES = {"division": "AdministrativeUnit", "department": "Department", "organ": "Organ"}
REPORT_PARTS = ("evidence", "statement", "citation", "mention", "problem", "indicator")
SENTENCE_DIGEST = 20  # hex digits of a sentence's IRI: no two of 10⁸ sentences share one (p ≈ 4·10⁻⁹)
CITATION_KINDS = ontology_names("CitationKind", "en")

A = RDF_TYPE
LABEL = RDFS + "label"
DERIVED_FROM = PROV + "wasDerivedFrom"
MATCH_PATTERN = str(FZ.matchPattern)
LOCAL_PRACTICES = str(FZ.localPractices)


def fz(name: str) -> str:
    """The IRI of a term the ontology declares (a typo is an error, not a new term)."""
    return str(FZ[name])


class _Terms:
    """The ontology's terms as attributes, ``F.Report`` for ``fz("Report")``: made once, then plain lookups."""

    def __getattr__(self, name: str) -> str:
        iri = fz(name)
        setattr(self, name, iri)
        return iri


F = _Terms()


def _digest(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


_make = tuple.__new__  # a Lit without the Python-level constructor of named tuples: millions are made


def _zh(text: str) -> Lit:
    return _make(Lit, (text, "zh", None))


def _string(text: str) -> Lit:
    return _make(Lit, (text, None, None))


def _typed(value: str, datatype: str) -> Lit:
    return Lit(value, None, XSD + datatype)


XSD_DECIMAL = XSD + "decimal"
XSD_STRING = XSD + "string"


def _decimal(number: float) -> str:
    """A float as an xsd:decimal lexical form: 13000.0 → "13000", 98.6 → "98.6"."""
    text = repr(float(number))
    if "e" in text or "E" in text:
        text = format(number, "f")
    return text[:-2] if text.endswith(".0") else text


_TRUE, _FALSE = _typed("true", "boolean"), _typed("false", "boolean")


def _integer(value: int) -> Lit:
    return _make(Lit, (str(value), None, XSD_INTEGER))


@lru_cache(maxsize=256)
def _year(value: int) -> Lit:
    return _integer(value)  # xsd:integer, not xsd:gYear: OWL 2 DL has no gYear, and integers compare in every engine


def _boolean(value: bool) -> Lit:
    return _TRUE if value else _FALSE


_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")


def base_iri(value: str) -> str:
    """A base for instance IRIs: absolute (a scheme, then the rest), ending in / or # (a / is added).

    >>> base_iri("https://example.org/kg")
    'https://example.org/kg/'
    >>> base_iri("relative/")
    Traceback (most recent call last):
    ...
    ValueError: not an absolute IRI (it needs a scheme such as https:): 'relative/'
    """
    if not isinstance(value, str) or not _ABSOLUTE.match(value):
        raise ValueError(f"not an absolute IRI (it needs a scheme such as https:): {value!r}")
    check_iri(value)
    return value if value.endswith(("/", "#")) else value + "/"


class Iris:
    """Stable identifiers for instance data under a base IRI.

    Units by division code, instruments by canonical title, reports by content,
    problems and evidence by report and position.
    """

    def __init__(self, base: str = DEFAULT_BASE):
        self.base = base_iri(base)

    def division(self, code: str) -> str:
        return f"{self.base}unit/{code}"

    def unit(self, kind: str, code: str | None, linked: bool, level: str | None, name: str) -> str:
        """A unit by its kind and code; a department or organ also by its generic name."""
        if kind == "division":
            return self.division(code) if linked and code else f"{self.base}unit/x-{_digest('division:' + name)}"
        owner = code if linked and code else ("central" if level == "central" else "x")
        return f"{self.base}unit/{owner}/{_digest(kind + ':' + name, 8)}"

    def of_unit(self, unit: Unit) -> str:
        return self.unit(unit.kind, unit.code, unit.linked, unit.level, unit.organ or unit.name)

    def of_node(self, node: dict) -> str:
        return self.unit(
            node["unit_kind"], node.get("code"), bool(node.get("linked")), node.get("level"), node.get("organ") or node["label"]
        )

    def instrument(self, key: str) -> str:
        return f"{self.base}instrument/{_digest(key)}"

    def document_number(self, number: str) -> str:
        return f"{self.base}docno/{_digest(number)}"

    def practice(self, node_key: str) -> str:
        return f"{self.base}practice/{_digest(node_key)}"

    def report(self, report_id: str) -> str:
        return f"{self.base}report/{report_id}"

    def within(self, report_id: str, kind: str, local: str) -> str:
        """A node of one report (evidence, statement, problem …): by report and position."""
        return f"{self.base}{kind}/{report_id}-{local}"

    def sentence(self, text: str) -> str:
        """A sentence by its text: every report that has the same sentence shares the node (80 bits of SHA-256)."""
        return f"{self.base}sentence/{_digest(text, SENTENCE_DIGEST)}"

    def prefixes(self) -> dict[str, str]:
        return {
            **PREFIXES,
            "unit": self.base + "unit/",
            "instrument": self.base + "instrument/",
            "report": self.base + "report/",
            "practice": self.base + "practice/",
            "docno": self.base + "docno/",
            "sentence": self.base + "sentence/",
            **{kind: f"{self.base}{kind}/" for kind in REPORT_PARTS},
        }


# ---------------------------------------------------------------------------- triples


def vocabulary_triples() -> tuple[tuple, ...]:
    """The ontology and the concept schemes, so the graph explains itself (sorted; without fz:matchPattern).

    The measure scheme is the one the extractors used: with the user's vocabulary, if one is in use."""
    return _vocabulary_triples(knowledge_version())


@lru_cache(maxsize=4)
def _vocabulary_triples(version: str) -> tuple[tuple, ...]:
    import pyoxigraph as ox
    from rdflib import Literal as RdfLiteral

    triples = set()
    if user_vocabulary() is not None:
        for s, p, o in measure_graph():
            if str(p) != MATCH_PATTERN:
                lang = getattr(o, "language", None)
                datatype = None if lang or not isinstance(o, RdfLiteral) else str(o.datatype or XSD_STRING)
                triples.add((str(s), str(p), Lit(str(o), lang, datatype) if isinstance(o, RdfLiteral) else str(o)))
    files: tuple[str, ...] = ("kg.ttl", "problems.ttl", "metrics.ttl", "outline.ttl")
    if user_vocabulary() is None:
        files += ("measures.ttl",)
    for name in files:
        with open(ontology_path(name), "rb") as handle:
            for t in ox.parse(handle, format=ox.RdfFormat.TURTLE):
                if t.predicate.value == MATCH_PATTERN:  # the extractor's regular expressions stay in the vocabulary files
                    continue
                o = t.object
                obj = o.value if isinstance(o, ox.NamedNode) else Lit(o.value, o.language, None if o.language else o.datatype.value)
                triples.add((t.subject.value, t.predicate.value, obj))
    return tuple(sorted(triples, key=_sort_key))


def _sort_key(triple: tuple) -> tuple:
    s, p, o = triple
    return (s, p, (0, o, "", "") if type(o) is str else (1, o.value, o.lang or "", o.datatype or ""))


ENTITY_KINDS = ("unit", "instrument", "practice")


def entity_subjects(graph: GraphReader, iris: Iris, keys: Iterable[str] | None = None) -> dict[str, dict[str, list[tuple]]]:
    """The triples of units, instruments (with their document numbers) and local practices, by node and subject
    (see :func:`iter_entity_subjects`)."""
    return dict(iter_entity_subjects(graph, iris, keys))


def iter_entity_subjects(graph: GraphReader, iris: Iris, keys: Iterable[str] | None = None) -> Iterator[tuple[str, dict[str, list[tuple]]]]:
    """The triples of units, instruments (with their document numbers) and local practices, node by node, by subject.

    ``keys`` limits them to some nodes (the ones a build touched); by default
    every entity node. A subject's triples depend only on its node, the
    node's own sets and its outgoing part-of and practice-of edges, and come
    in a fixed order.
    """
    node_of = graph.node
    unit_iris: dict[str, str] = {}

    def unit_iri(key: str) -> str:  # a unit is the parent of many: its IRI (a digest for organs) once
        iri = unit_iris.get(key)
        if iri is None:
            iri = unit_iris[key] = iris.of_node(node_of(key))
        return iri

    edges: dict[str, Mapping[str, Container[str]]] = {}  # of the units and practices of the nodes at hand: targets, relations

    def targets(key: str, relation: str) -> list[str]:
        return sorted(target for target, keyed in edges[key].items() if relation in keyed)

    def measure_iri(key: str) -> str:  # a concept of the scheme, or a unit's own practice
        kind, _, name = key.partition(":")
        return str(MEASURE) + name if kind == "measure" else iris.practice(key)

    nodes = graph.nodes() if keys is None else graph.attributes_of(keys)
    for key, node in _read_ahead(nodes, lambda key, node: node.get("kind") in ("unit", "practice"), graph, edges):
        kind = node.get("kind")  # a node no report brings (only others' edges reach it) has no attributes
        mine: dict[str, list[tuple]] = {}
        if kind == "unit":
            s = unit_iris.setdefault(key, iris.of_node(node))  # its node is at hand: not read again
            t = [
                (s, A, fz(UNIT_CLASSES[node["unit_kind"]])),
                (s, A, ORG + "Organization"),
                (s, LABEL, _zh(node["label"])),
                (s, F.linked, _boolean(bool(node.get("linked")))),
            ]
            if node.get("code"):
                t.append((s, F.divisionCode, _string(node["code"])))
            if node.get("level") in LEVELS:
                t.append((s, F.level, fz(LEVELS[node["level"]])))
            if node.get("organ"):
                t.append((s, F.organType, _zh(node["organ"])))
            if node.get("category"):
                t.append((s, F.organCategory, _string(node["category"])))
            t += [(s, F.candidateCode, _string(code)) for code in node.get("candidates", [])]
            t += [(s, ORG + "subOrganizationOf", unit_iri(parent)) for parent in targets(key, PART_OF)]
            # what a unit implements or plans is the unit's, however many of its reports say so: asserted once,
            # here (each statement with its evidence stays in the report's block)
            for relation in (IMPLEMENTS, PLANS):
                t += sorted((s, fz(relation), measure_iri(target)) for target in targets(key, relation))
            mine[s] = t
        elif kind == "instrument":
            s = iris.instrument(key.split(":", 1)[1])
            label = _zh(node["label"])
            t = [
                (s, A, F.LegalInstrument),
                (s, A, fz(INSTRUMENT_CLASSES.get(node.get("type") or "", "OtherDocument"))),
                (s, LABEL, label),
                (s, DCTERMS + "title", label),
            ]
            t += [(s, F.writtenAs, _zh(w)) for w in sorted(node.get("written", ()))]
            for number in sorted(node.get("numbers", ())):
                n = iris.document_number(number)
                t.append((s, F.documentNumber, n))
                mine[n] = [(n, A, F.DocumentNumber), (n, LABEL, _zh(number))]
            mine[s] = t
        elif kind == "practice":
            s = iris.practice(key)
            label = _zh(node["label"])
            t = [
                (s, A, F.LocalPractice),
                (s, A, SKOS + "Concept"),
                (s, LABEL, label),
                (s, SKOS + "prefLabel", label),
                (s, SKOS + "inScheme", LOCAL_PRACTICES),
            ]
            t += [
                (s, F.practiceOf, unit_iri(owner) if node_of(owner).get("kind") == "unit" else iris.report(owner.split(":", 1)[1]))
                for owner in targets(key, "practiceOf")
            ]
            mine[s] = t
        if mine:
            yield key, mine


def _read_ahead(
    nodes: Iterator[tuple[str, dict]], wanted: Callable[[str, dict], bool], graph: GraphReader, edges: dict, ahead: int = 1_000
) -> Iterator[tuple[str, dict]]:
    """``nodes`` as they come, with ``edges`` holding the targets and relations of the ``wanted`` ones among the
    next ``ahead``: read together (a batch at a time, from the index alone, of a graph on disk), not node by node."""
    while chunk := list(itertools.islice(nodes, ahead)):
        edges.clear()
        edges.update(graph.targets_of(key for key, node in chunk if wanted(key, node)))
        yield from chunk


EntityBlocks = tuple[tuple[str, str, int], ...]
"""A node's blocks: (subject, text, number of triples) — an instrument's own and its document numbers'."""


def entity_texts(graph: GraphReader, writer: Writer, keys: Iterable[str] | None = None) -> dict[str, EntityBlocks]:
    """The entities' blocks in the writer's format, by node (see :func:`entity_subjects`)."""
    return dict(iter_entity_texts(graph, writer, keys))


def iter_entity_texts(graph: GraphReader, writer: Writer, keys: Iterable[str] | None = None) -> Iterator[tuple[str, EntityBlocks]]:
    """The entities' blocks in the writer's format, node by node: a whole graph's need not be held at once."""
    for key, subjects in iter_entity_subjects(graph, writer.iris, keys):
        yield key, tuple((subject, writer.block(triples), len(triples)) for subject, triples in subjects.items())


def _iso_date(text: str) -> str | None:
    match = re.match(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})", text or "")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}" if match else None


def _evidence_triples(node: str, e: Evidence, report: str, iris: Iris) -> list[tuple]:
    """A span of a report's file: the report, the sentence it is, the file's characters where cleaning changed them."""
    t: list[tuple] = [(node, A, F.Evidence), (node, PROV + "wasQuotedFrom", report)]
    if e.sentence:  # the words are the sentence node's, written once for all the reports that have it
        t.append((node, F.inSentence, iris.sentence(e.sentence)))
    if e.quote != e.sentence:  # glosses, traditional forms, spacing or entities the cleaning changed
        t.append((node, F.quote, _zh(e.quote)))
    t += [(node, F.startOffset, _integer(e.start)), (node, F.endOffset, _integer(e.end))]
    if e.section:
        t.append((node, F.section, _string(e.section)))
    return t


def report_triples(report: Report, iris: Iris) -> list[tuple]:
    """Every statement of one report, with its evidence, in a fixed order (needs only the report)."""
    r = iris.report(report.id)
    t: list[tuple] = [(r, A, F.Report), (r, DCTERMS + "identifier", _string(report.id)), (r, F.sourceFile, _string(report.file))]
    if report.title:
        t += [(r, DCTERMS + "title", _zh(report.title)), (r, LABEL, _zh(report.title))]
    if report.year:
        t.append((r, F.coversYear, _year(report.year)))
    if report.encoding:
        t.append((r, F.encoding, _string(report.encoding)))
    if report.url:
        t.append((r, F.pageAddress, Lit(report.url, None, XSD + "anyURI")))
    issued = _iso_date(report.metadata.get("成文日期") or report.metadata.get("发布日期") or report.signature.get("date", ""))
    if issued:
        t.append((r, DCTERMS + "issued", _typed(issued, "date")))
    t += [(r, F.metadata, _zh(f"{key}: {report.metadata[key]}")) for key in sorted(report.metadata)]
    unit = iris.of_unit(report.unit) if report.unit else None
    if unit is not None:
        t.append((r, DCTERMS + "publisher", unit))
    evidence_done: set[tuple[int, int]] = set()

    def evidence(e: Evidence) -> str:
        node = iris.within(report.id, "evidence", f"{e.start}-{e.end}")
        if (e.start, e.end) not in evidence_done:
            evidence_done.add((e.start, e.end))
            t.extend(_evidence_triples(node, e, r, iris))
        return node

    def derived(node: str, e: Evidence) -> tuple[tuple, tuple]:
        """fz:evidence and, beside it, prov:wasDerivedFrom: PROV-aware tools need no reasoner to see the derivation."""
        source = evidence(e)
        return (node, F.evidence, source), (node, DERIVED_FROM, source)

    direct: set[tuple[str, str, str]] = set()
    for n, mention in enumerate(report.organs, 1):
        target = iris.of_unit(mention.unit)
        direct.add((r, F.mentions, target))
        m = iris.within(report.id, "mention", str(n))
        t += [
            (m, A, F.Mention),
            (m, F.report, r),
            (m, F.unit, target),
            (m, F.writtenAs, _zh(mention.unit.as_written)),
            *derived(m, mention.evidence),
        ]
    for n, cited in enumerate(report.instruments, 1):
        target = iris.instrument(cited.key)
        direct.add((r, F.cites, target))
        c = iris.within(report.id, "citation", str(n))
        t += [
            (c, A, F.Citation),
            (c, F.report, r),
            (c, F.instrument, target),
            (c, F.writtenAs, _zh(cited.as_written)),
            (c, F.citationKind, fz(CITATION_KINDS[cited.relation])),
            *derived(c, cited.evidence),
        ]
    owner = f"unit:{report.unit.key}" if report.unit else f"report:{report.id}"
    for n, stated in enumerate(report.measures, 1):
        measure = str(MEASURE) + stated.concept if stated.concept else iris.practice(f"practice:{owner}:{stated.label}")
        status = "Implemented" if stated.status is Status.IMPLEMENTED else "Planned"
        s = iris.within(report.id, "statement", str(n))
        t += [
            (s, A, F.MeasureStatement),
            (s, F.measure, measure),
            (s, F.status, fz(status)),
            (s, F.report, r),
            *derived(s, stated.evidence),
        ]
        if unit is not None:
            t.append((s, F.unit, unit))
        if report.year:
            t.append((s, F.year, _year(report.year)))
        if stated.implied_by:
            t.append((s, F.impliedBy, str(MEASURE) + stated.implied_by))
        t += [(s, F.basedOn, iris.instrument(key)) for key in stated.based_on]
    for problem in report.problems:
        p = iris.within(report.id, "problem", problem.id[1:])
        direct.add((r, F.states, p))
        t += [
            (p, A, F.Problem),
            (p, LABEL, _zh(problem.label)),
            (p, F.text, _zh(problem.text)),
            (p, F.report, r),
            *derived(p, problem.evidence),
        ]
        t += [(p, F.category, str(PROBLEM) + category) for category in problem.categories]
        if problem.category:
            t.append((p, F.primaryCategory, str(PROBLEM) + problem.category))
        t += [(p, F.addressedBy, str(MEASURE) + concept) for concept in problem.addressed_by]
    for n, indicator in enumerate(report.indicators, 1):
        i = iris.within(report.id, "indicator", str(n))
        direct.add((r, F.reports, i))
        t += [
            (i, A, F.Indicator),
            (i, F.metric, _zh(indicator.metric)),
            (i, F.value, Lit(indicator.value, None, XSD_DECIMAL)),
            (i, F.unitOfMeasure, _zh(indicator.unit)),
            (i, F.approximate, _boolean(indicator.approximate)),
            (i, F.report, r),
            *derived(i, indicator.evidence),
        ]
        if indicator.year:
            t.append((i, F.year, _year(indicator.year)))
        if indicator.number is not None:
            t.append((i, F.numericValue, Lit(_decimal(indicator.number), None, XSD_DECIMAL)))
        if indicator.kind:
            t.append((i, F.metricKind, str(METRIC) + indicator.kind))
        if indicator.measure:
            t.append((i, F.countsMeasure, str(MEASURE) + indicator.measure))
    t.extend(sorted(direct))
    return t


def report_sentences(report: Report) -> list[str]:
    """The distinct sentences a report's evidence rests on, in order of first use (see :func:`sentence_triples`)."""
    parts = (report.organs, report.instruments, report.measures, report.problems, report.indicators)
    return list(dict.fromkeys(item.evidence.sentence for part in parts for item in part if item.evidence.sentence))


def sentence_triples(text: str, iris: Iris) -> list[tuple]:
    """A sentence node: shared by every report with that sentence, so written once per graph, outside the reports."""
    s = iris.sentence(text)
    return [(s, A, F.Sentence), (s, F.text, _zh(text))]


# ---------------------------------------------------------------------------- files


class Writer:
    """One output format: a header, blocks, the joints between them, and a footer."""

    def __init__(self, fmt: str, base: str = DEFAULT_BASE):
        if fmt not in FORMATS:
            raise ValueError(f"unknown RDF format {fmt!r}; formats: {', '.join(FORMATS)}")
        self.fmt = fmt
        self.iris = Iris(base)
        self.turtle = Turtle(self.iris.prefixes())
        if fmt == "jsonld":
            prefixes = {p: ns for p, ns in self.iris.prefixes().items() if not ns.startswith(self.iris.base)}
            self.jsonld = JsonLd(jsonld_context(base), prefixes, self.iris.base)

    def header(self) -> str:
        if self.fmt == "jsonld":
            # inline, so every processor reads the file alone, offline (a relative context IRI is refused by some)
            context = {"@base": self.iris.base, **jsonld_context(self.iris.base)}
            return '{"@context": ' + json.dumps(context, ensure_ascii=False, separators=(",", ":")) + ',\n "@graph": ['
        return "" if self.fmt == "ntriples" else self.turtle.header()

    def block(self, triples, graph_name: str | None = None) -> str:
        """Triples as text; in TriG inside ``graph_name`` when given; in JSON-LD as node objects."""
        if self.fmt == "ntriples":
            return ntriples(triples)
        if self.fmt == "jsonld":
            return ",\n  ".join(self.jsonld.nodes(triples))
        if self.fmt == "trig" and graph_name:
            return self.turtle.named_graph(graph_name, triples)
        return self.turtle.block(triples)

    @property
    def separator(self) -> str:
        """What goes between two blocks of one section (JSON-LD node objects need commas between them)."""
        return ",\n  " if self.fmt == "jsonld" else ""

    def join(self, blocks: Iterable[str]) -> str:
        """Blocks of one section as one block."""
        return self.separator.join(blocks)

    def joint(self, first: bool) -> str:
        if self.fmt == "jsonld":
            return "\n  " if first else ",\n  "
        return ""

    def footer(self) -> str:
        return "\n]}\n" if self.fmt == "jsonld" else ""


def report_block(report: Report, fmt: str = "turtle", base: str = DEFAULT_BASE, writer: Writer | None = None) -> tuple[str, int]:
    """A report's block in ``fmt`` and its number of triples (written by the worker that read the report)."""
    writer = writer or Writer(fmt, base)
    triples = report_triples(report, writer.iris)
    return writer.block(triples, writer.iris.report(report.id)), len(triples)


def sentence_blocks(report: Report, writer: Writer) -> list[tuple[str, str]]:
    """The blocks of a report's sentences, by the sentence IRI's digest (each in the default graph: no report owns it)."""
    blocks = []
    for text in report_sentences(report):
        triples = sentence_triples(text, writer.iris)
        blocks.append((triples[0][0].rsplit("/", 1)[1], writer.block(triples)))
    return blocks


SENTENCE_TRIPLES = len(sentence_triples("", Iris()))  # a sentence node's triples: the same number for every sentence


def graph_pieces(
    writer: Writer,
    graph: GraphReader | None,
    report_blocks: Iterable[Piece],
    entities: dict[str, EntityBlocks] | None = None,
    sentences: Sequence[Piece] = (),
    entity_piece: tuple[Piece, int] | None = None,
) -> tuple[list[Piece], int]:
    """A graph file as pieces (see :mod:`kg.files.assemble`): header, vocabulary, entities, sentences, then the reports.

    A report block is its UTF-8 bytes or where they lie in another file.
    ``entities`` are the entity blocks by node when the caller keeps them
    (see :func:`entity_texts`), ``entity_piece`` all of them written already
    (a piece and its number of triples; ``graph`` is then not read); ``sentences`` the blocks of the distinct
    sentences in IRI order. Also returns the number of triples of the
    vocabulary, entity and sentence blocks (the report blocks count their own).
    """
    vocabulary = vocabulary_triples()
    if entity_piece is None:
        if entities is None:
            assert graph is not None, "the entities are drawn from the graph when no piece holds them"
            entities = entity_texts(graph, writer)
        # by subject: two instruments with one document number give its block twice (the same text)
        subjects = {subject: (text, count) for blocks in entities.values() for subject, text, count in blocks}
        entity_piece = (writer.join(subjects[s][0] for s in sorted(subjects)).encode(), sum(count for _, count in subjects.values()))
    entity_block, entity_triples = entity_piece
    first_joint, joint = writer.joint(True).encode(), writer.joint(False).encode()
    pieces: list[Piece] = [writer.header().encode()]
    for block in itertools.chain((writer.block(vocabulary).encode(), entity_block), sentences, report_blocks):
        if block:  # a Range is never empty: a report has triples
            pieces += [first_joint if len(pieces) == 1 else joint, block]
    pieces.append(writer.footer().encode())
    count = len(vocabulary) + entity_triples + SENTENCE_TRIPLES * len(sentences)
    return pieces, count


def write_blocks(
    path: str | Path,
    writer: Writer,
    graph: GraphReader,
    report_blocks: Iterable[Piece],
    entities: dict[str, EntityBlocks] | None = None,
    sentences: Sequence[Piece] = (),
) -> int:
    """Write a graph file atomically from :func:`graph_pieces`; returns the triples of the vocabulary, entities and sentences."""
    pieces, count = graph_pieces(writer, graph, report_blocks, entities, sentences)
    assemble(path, pieces)
    return count


def write(graph: GraphReader, reports: Iterable[Report], path: str | Path, format: str = "turtle", base: str = DEFAULT_BASE) -> int:
    """Write the graph of reports held in memory; returns the number of triples."""
    writer = Writer(format, base)
    blocks: list[bytes] = []
    sentences: dict[str, bytes] = {}
    count = 0
    for report in sorted(reports, key=lambda r: r.id):
        text, triples = report_block(report, writer=writer)
        blocks.append(text.encode())
        count += triples
        for digest, block in sentence_blocks(report, writer):
            sentences.setdefault(digest, block.encode())
    return write_blocks(path, writer, graph, blocks, sentences=[sentences[d] for d in sorted(sentences)]) + count


# ---------------------------------------------------------------------------- JSON-LD context

_LANGUAGE_MAPS = {
    RDFS + "label": "label",
    RDFS + "comment": "comment",
    SKOS + "prefLabel": "prefLabel",
    SKOS + "altLabel": "altLabel",
    SKOS + "hiddenLabel": "hiddenLabel",
    SKOS + "definition": "definition",
    DCTERMS + "description": "description",
}
_REFERENCES = {
    DCTERMS + "publisher": "publisher",
    ORG + "subOrganizationOf": "subOrganizationOf",
    PROV + "wasQuotedFrom": "wasQuotedFrom",
    PROV + "wasDerivedFrom": "wasDerivedFrom",
    RDFS + "isDefinedBy": "isDefinedBy",
    OWL + "versionIRI": "versionIRI",
    DCTERMS + "license": "license",
    SKOS + "broader": "broader",
    SKOS + "narrower": "narrower",
    SKOS + "inScheme": "inScheme",
    SKOS + "hasTopConcept": "hasTopConcept",
    SKOS + "topConceptOf": "topConceptOf",
    RDFS + "domain": "domain",
    RDFS + "range": "range",
    RDFS + "subClassOf": "subClassOf",
    RDFS + "subPropertyOf": "subPropertyOf",
    OWL + "imports": "imports",
}


def _compact(iri: str) -> str:
    return shorten(iri, PREFIXES, base=None)


@lru_cache(maxsize=1)
def _fz_context_terms() -> dict[str, dict[str, str]]:
    """The context's fz: terms, as ontology/kg.ttl declares each property: object properties take IRIs,
    datatype properties their range (a language string in Chinese, a plain string, or a typed literal)."""
    from rdflib import URIRef

    graph = ontology_graph()
    terms: dict[str, dict[str, str]] = {}
    for kind in (OWL + "ObjectProperty", OWL + "DatatypeProperty"):
        for prop in graph.subjects(URIRef(RDF + "type"), URIRef(kind)):
            if not str(prop).startswith(FZ_IRI):
                continue
            name = str(prop)[len(FZ_IRI) :]
            range_ = next((str(r) for r in graph.objects(prop, URIRef(RDFS + "range"))), None)
            if kind == OWL + "ObjectProperty":
                terms[name] = {"@id": f"fz:{name}", "@type": "@id"}
            elif range_ == RDF + "langString":
                terms[name] = {"@id": f"fz:{name}", "@language": "zh"}
            elif range_ in (None, XSD + "string"):
                terms[name] = {"@id": f"fz:{name}"}
            else:
                terms[name] = {"@id": f"fz:{name}", "@type": _compact(range_)}
    return dict(sorted(terms.items()))


def jsonld_context(base: str = DEFAULT_BASE) -> dict:
    """The JSON-LD context of the graph: prefixes and one term per property.

    Instance IRIs are written relative to the base IRI, which graph.jsonld
    adds to the context it carries inline (``@base`` in a context file is
    ignored by processors; ontology/context.jsonld is this context, for reuse).
    """
    iris = Iris(base)
    context: dict = {}  # no "@version": 1.1, so JSON-LD 1.0 processors (Jena's jsonld10, older pyld) read it too
    context.update({prefix: iri for prefix, iri in iris.prefixes().items() if not iri.startswith(iris.base)})
    for iri, term in _LANGUAGE_MAPS.items():
        context[term] = {"@id": _compact(iri), "@container": "@language"}
    for iri, term in _REFERENCES.items():
        context[term] = {"@id": _compact(iri), "@type": "@id"}
    context["title"] = {"@id": "dcterms:title", "@language": "zh"}
    context["identifier"] = {"@id": "dcterms:identifier"}
    context["issued"] = {"@id": "dcterms:issued", "@type": "xsd:date"}
    context["versionInfo"] = {"@id": "owl:versionInfo"}
    context["creator"] = {"@id": "dcterms:creator"}
    context.update(_fz_context_terms())
    return context
