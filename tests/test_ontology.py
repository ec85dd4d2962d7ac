"""The ontology says what every term means; the shapes accept good graphs and reject broken ones."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from conftest import ROOT, java_classpath
from kg.knowledge.resources import ontology_path
from kg.rdf.validate import validate_file, validate_graph

FZ = "https://w3id.org/fzkg/ontology#"


@pytest.fixture(scope="module")
def ontology():
    return rdflib.Graph().parse(ontology_path("kg.ttl"))


def test_every_term_the_graph_uses_is_declared_with_labels_and_a_definition(ontology, seed_outputs):
    used = set()
    for t in ox.parse(path=str(seed_outputs["rdf"])):
        for term in (t.predicate, t.object if t.predicate.value == str(RDF.type) else None):
            if isinstance(term, ox.NamedNode) and term.value.startswith(FZ):
                used.add(term.value)
    assert len(used) > 40
    for iri in sorted(used):
        node = rdflib.URIRef(iri)
        assert (node, RDF.type, None) in ontology, f"{iri} is not declared"
        languages = {label.language for label in ontology.objects(node, RDFS.label)}
        assert {"zh", "en"} <= languages, f"{iri} lacks a Chinese or English label"
        kinds = set(ontology.objects(node, RDF.type))
        if kinds & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}:
            assert any(ontology.objects(node, RDFS.comment)), f"{iri} has no definition"


def test_the_ontology_reuses_standard_vocabularies(ontology):
    assert (rdflib.URIRef(FZ + "AdministrativeUnit"), RDFS.subClassOf, rdflib.URIRef("http://www.w3.org/ns/org#Organization")) in ontology
    assert (rdflib.URIRef(FZ + "Evidence"), RDFS.subClassOf, rdflib.URIRef("http://www.w3.org/ns/prov#Entity")) in ontology
    assert (rdflib.URIRef(FZ + "evidence"), RDFS.subPropertyOf, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) in ontology


@pytest.fixture(scope="module")
def seed_graph(seed_outputs):
    return rdflib.Graph().parse(seed_outputs["rdf"])


def test_the_seed_graph_conforms(seed_graph):
    result = validate_graph(seed_graph)
    assert result.conforms, result.violations[:5]


def _broken(graph, change):
    copy = rdflib.Graph()
    for triple in graph:
        copy.add(triple)
    change(copy)
    return validate_graph(copy)


def _one(graph, s=None, p=None, o=None):
    return next(iter(graph.triples((s, p, o))))


def test_a_report_with_two_years_is_a_violation(seed_graph):
    year = rdflib.URIRef(FZ + "coversYear")

    def second_year(g):
        report, _, _ = _one(g, p=year)
        g.add((report, year, rdflib.Literal(1999)))

    result = _broken(seed_graph, second_year)
    assert not result.conforms
    assert any("covers at most one year" in v.message for v in result.violations)


def test_a_report_whose_text_names_no_unit_or_year_still_conforms(tmp_path):
    """The second half of a real report: no title, year or unit; its statements hang on the report."""
    from kg.builder.corpus import build, write_outputs

    lines = (ROOT / "seeds" / "000_5cc3c28cd58ae867.txt").read_text(encoding="utf-8").splitlines()
    (tmp_path / "half.txt").write_text("\n".join(lines[len(lines) // 2 :]), encoding="utf-8")
    corpus = build([tmp_path / "half.txt"])
    report = corpus.reports[0]
    assert report.unit is None and report.year is None and report.measures
    written = write_outputs(corpus, tmp_path / "out")
    assert validate_file(written["rdf"]).conforms


def test_a_linked_division_without_code_is_a_violation(seed_graph):
    code = rdflib.URIRef(FZ + "divisionCode")
    unit = rdflib.URIRef("https://w3id.org/fzkg/data/unit/610702008")
    result = _broken(seed_graph, lambda g: g.remove((unit, code, None)))
    assert not result.conforms
    assert any(v.focus == "unit/610702008" for v in result.violations)


def test_an_implements_statement_without_evidence_is_a_violation(seed_graph):
    def add(g):
        g.add(
            (
                rdflib.URIRef("https://w3id.org/fzkg/data/unit/610702008"),
                rdflib.URIRef(FZ + "implements"),
                rdflib.URIRef("https://w3id.org/fzkg/measure/litigation-source-governance"),
            )
        )

    result = _broken(seed_graph, add)
    assert not result.conforms
    assert any("implements statement has a qualified statement with evidence" in v.message for v in result.violations)


def test_evidence_that_ends_before_it_starts_is_a_violation(seed_graph):
    start, end = rdflib.URIRef(FZ + "startOffset"), rdflib.URIRef(FZ + "endOffset")

    def swap(g):
        evidence, _, value = _one(g, p=end)
        g.set((evidence, end, rdflib.Literal(0)))
        g.set((evidence, start, rdflib.Literal(int(value))))

    result = _broken(seed_graph, swap)
    assert not result.conforms
    assert any("ends after it starts" in v.message for v in result.violations)


# ------------------------------------------------------------------------------ hygiene: OWL 2 DL, SKOS, provenance

# Debian's libowlapi-java and what its profile checker needs to read Turtle (unversioned names)
OWLAPI_JARS = (
    "owlapi-distribution",
    "atinject-jsr330-api",
    "caffeine",
    "commons-codec",
    "commons-io",
    "commons-rdf-api",
    "guava",
    "hppcrt",
    "jsr305",
    "rdf4j-model-api",
    "rdf4j-model",
    "rdf4j-model-vocabulary",
    "rdf4j-rio-api",
    "rdf4j-rio-datatypes",
    "rdf4j-rio-languages",
    "rdf4j-rio-turtle",
    "rdf4j-rio-trig",
    "rdf4j-rio-ntriples",
    "rdf4j-util",
    "slf4j-api",
    "slf4j-nop",
    "xz",
)


def test_the_ontology_and_a_built_graph_are_in_the_owl2_dl_profile(seed_outputs):
    """The OWL API's OWL2DLProfile on kg.ttl alone and on a whole graph (ontology, schemes and data), imports not fetched."""
    import subprocess

    classpath = java_classpath(OWLAPI_JARS, "libowlapi-java")
    done = subprocess.run(
        [
            "java",
            "-cp",
            classpath,
            str(ROOT / "tests" / "owl" / "ProfileCheck.java"),
            str(ontology_path("kg.ttl")),
            str(seed_outputs["rdf"]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "violations: 0", done.stdout[:3000]


def test_the_ontology_says_who_made_it_under_which_licence_and_version(ontology):
    import kg

    header = rdflib.URIRef("https://w3id.org/fzkg/ontology")
    assert (header, OWL.versionIRI, rdflib.URIRef(f"https://w3id.org/fzkg/ontology/{kg.__version__}")) in ontology
    assert (header, OWL.versionInfo, rdflib.Literal(kg.__version__)) in ontology
    assert ontology.value(header, rdflib.DCTERMS.license) and ontology.value(header, rdflib.DCTERMS.creator)
    assert not list(ontology.objects(header, OWL.imports))  # reuse by reference: nothing to fetch


SKOS_INTEGRITY = {  # SKOS reference, section 5 to 10: the conditions a SPARQL query can test, each as "must find nothing"
    "S9 ConceptScheme is disjoint with Concept": "SELECT ?x WHERE { ?x a skos:ConceptScheme , skos:Concept }",
    "S13 pref, alt and hidden labels are pairwise disjoint": """SELECT ?x ?l WHERE {
        { ?x skos:prefLabel ?l ; skos:altLabel ?l } UNION { ?x skos:prefLabel ?l ; skos:hiddenLabel ?l }
        UNION { ?x skos:altLabel ?l ; skos:hiddenLabel ?l } }""",
    "S14 one prefLabel per language": """SELECT ?x WHERE { ?x skos:prefLabel ?a , ?b FILTER (?a != ?b && lang(?a) = lang(?b)) }""",
    "S27 related is disjoint with broaderTransitive": "SELECT ?x WHERE { ?x skos:related ?y ; skos:broader+ ?y }",
    "every concept is in a scheme": "SELECT ?x WHERE { ?x a skos:Concept FILTER NOT EXISTS { ?x skos:inScheme ?s } }",
    "every scheme a concept is in is a scheme": "SELECT ?s WHERE { ?x skos:inScheme ?s FILTER NOT EXISTS { ?s a skos:ConceptScheme } }",
    "no concept is broader than itself": "SELECT ?x WHERE { ?x skos:broader+ ?x }",
}


@pytest.mark.parametrize("condition", list(SKOS_INTEGRITY))
def test_skos_integrity_of_the_schemes_and_local_practices(seed_outputs, condition):
    store = ox.Store()
    store.load(path=str(seed_outputs["rdf"]), format=ox.RdfFormat.TURTLE)
    assert store.query("ASK { ?x a <https://w3id.org/fzkg/ontology#LocalPractice> }")  # the seeds have some
    found = list(store.query(SKOS_INTEGRITY[condition], prefixes={"skos": "http://www.w3.org/2004/02/skos/core#"}))
    assert not found, [str(row[0]) for row in found[:10]]


def test_provenance_is_asserted_and_patterns_stay_in_the_vocabulary_files(seed_outputs):
    """Every fz:evidence has prov:wasDerivedFrom beside it; no fz:matchPattern and no xsd:gYear in the graph."""
    store = ox.Store()
    store.load(path=str(seed_outputs["rdf"]), format=ox.RdfFormat.TURTLE)
    prefixes = {"fz": FZ, "prov": "http://www.w3.org/ns/prov#"}
    counted = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?x fz:evidence ?e }", prefixes=prefixes)
    assert int(next(iter(counted))["n"].value) > 400
    assert not store.query("ASK { ?x fz:evidence ?e FILTER NOT EXISTS { ?x prov:wasDerivedFrom ?e } }", prefixes=prefixes)
    assert not store.query("ASK { ?x fz:matchPattern ?p }", prefixes=prefixes)
    assert not store.query("ASK { ?x ?y ?o FILTER (datatype(?o) = <http://www.w3.org/2001/XMLSchema#gYear>) }")
    assert "fz:matchPattern" in ontology_path("measures.ttl").read_text(encoding="utf-8")  # where the extractor reads them
