"""The user's vocabulary: new measure concepts, aliases, merges and ignored terms, on top of ontology/measures.ttl.

A vocabulary is a TSV file (``vocabulary.tsv``) with the columns
``action  term  concept  label_en  broader``, one decision per line:

- ``concept`` — ``term`` names a new measure (its id: ``concept``, or made from the term);
  ``label_en`` and ``broader`` (a theme or concept id) are optional;
- ``alias`` — ``term`` is another name of the existing concept ``concept``;
- ``merge`` — the existing concept ``term`` is the same as ``concept``: its names go to it, it goes;
- ``ignore`` — ``term`` is not a measure: discovery stops proposing it.

or a SKOS Turtle file whose concepts join the measure scheme as they are. The
active vocabulary is part of the knowledge version, so builds made with
another vocabulary never reuse each other's cached results.

>>> v = parse_tsv("action\\tterm\\tconcept\\nalias\\t放管服\\tadministrative-approval-reform\\nignore\\t十四五\\t\\n", "v.tsv")
>>> [(d.action, d.term, d.concept) for d in v.decisions]
[('alias', '放管服', 'administrative-approval-reform'), ('ignore', '十四五', '')]
>>> v.decided("十四五"), v.decided("好差评")
(True, False)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from kg.knowledge import resources
from kg.knowledge.namespaces import FZ

ACTIONS = ("concept", "alias", "merge", "ignore")
COLUMNS = ("action", "term", "concept", "label_en", "broader")
FILE_NAMES = ("vocabulary.tsv", "vocabulary.ttl")  # read from the build's output folder when no --vocabulary is given
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used: the message names the file and line."""


@dataclass(frozen=True)
class Decision:
    action: str
    term: str
    concept: str = ""
    label_en: str = ""
    broader: str = ""
    line: int = 0


@dataclass
class Vocabulary:
    """A user vocabulary as read, with the digest that goes into the cache keys."""

    source: str
    digest: str
    decisions: list[Decision] = field(default_factory=list)
    turtle: Graph | None = None

    def decided(self, term: str) -> bool:
        """Whether the vocabulary says anything about ``term`` (discovery does not propose it again)."""
        return any(d.term == term for d in self.decisions)

    def apply(self, graph: Graph, namespace: Namespace) -> None:
        """Add the decisions to the measure scheme's graph; a concept id that does not exist is an error."""
        if self.turtle is not None:
            graph += self.turtle
        scheme = namespace["scheme"]
        known = {str(s)[len(str(namespace)) :] for s in graph.subjects(SKOS.inScheme, scheme)}
        for decision in self.decisions:
            where = f"{self.source}:{decision.line}"
            if decision.action == "concept":
                concept = decision.concept or concept_id(decision.term)
                iri = namespace[concept]
                graph.add((iri, RDF.type, SKOS.Concept))
                graph.add((iri, SKOS.inScheme, scheme))
                graph.add((iri, SKOS.prefLabel, Literal(decision.term, lang="zh")))
                if decision.label_en:
                    graph.add((iri, SKOS.prefLabel, Literal(decision.label_en, lang="en")))
                if decision.broader:
                    if decision.broader not in known:
                        raise VocabularyError(f"{where}: no concept {decision.broader!r} to put {decision.term!r} under")
                    graph.add((iri, SKOS.broader, namespace[decision.broader]))
                known.add(concept)
            elif decision.action in ("alias", "merge"):
                if decision.concept not in known:
                    raise VocabularyError(f"{where}: no concept {decision.concept!r} in the measure scheme (ontology/measures.ttl)")
                target = namespace[decision.concept]
                if decision.action == "alias":
                    graph.add((target, SKOS.altLabel, Literal(decision.term, lang="zh")))
                    continue
                if decision.term not in known:
                    raise VocabularyError(f"{where}: no concept {decision.term!r} to merge into {decision.concept!r}")
                _merge(graph, namespace[decision.term], target)
                known.discard(decision.term)


def _merge(graph: Graph, gone: URIRef, into: URIRef) -> None:
    """The concept ``gone`` becomes names of ``into``: its Chinese labels and patterns move, it leaves the scheme."""
    for predicate in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
        for label in list(graph.objects(gone, predicate)):
            if isinstance(label, Literal) and label.language == "zh":
                graph.add((into, SKOS.altLabel, label))
    for pattern in list(graph.objects(gone, FZ.matchPattern)):
        graph.add((into, FZ.matchPattern, pattern))
    graph.remove((gone, None, None))
    graph.remove((None, None, gone))


def concept_id(term: str) -> str:
    """The id of a concept the user names only by its term: stable, and never one of the scheme's own.

    >>> concept_id("好差评")
    'user-97152397'
    """
    return "user-" + hashlib.sha256(term.encode("utf-8")).hexdigest()[:8]


def parse_tsv(text: str, source: str) -> Vocabulary:
    lines = text.splitlines()
    if not lines or lines[0].split("\t")[0].strip().lstrip("\ufeff") != "action":
        raise VocabularyError(f"{source}:1: the first line must name the columns: {' '.join(COLUMNS)} (separated by tabs)")
    header = [cell.strip().lstrip("\ufeff") for cell in lines[0].split("\t")]
    decisions = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        row = dict(zip(header, (cell.strip() for cell in line.split("\t"))))
        action, term = row.get("action", ""), row.get("term", "")
        if action not in ACTIONS:
            raise VocabularyError(f"{source}:{number}: unknown action {action!r} (one of {', '.join(ACTIONS)})")
        if not term:
            raise VocabularyError(f"{source}:{number}: no term")
        concept = row.get("concept", "")
        if action in ("alias", "merge") and not concept:
            raise VocabularyError(f"{source}:{number}: {action} needs the concept it joins (its id in ontology/measures.ttl)")
        if concept and not _ID.match(concept):
            raise VocabularyError(f"{source}:{number}: {concept!r} is no concept id (lower-case letters, digits and hyphens)")
        decisions.append(Decision(action, term, concept, row.get("label_en", ""), row.get("broader", ""), number))
    return Vocabulary(source, hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], decisions)


def load(path: str | Path) -> Vocabulary:
    """A vocabulary file: TSV, or SKOS Turtle (``.ttl``)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise VocabularyError(f"{path}: cannot be read ({err.strerror or err})") from None
    if path.suffix == ".ttl":
        graph = Graph()
        try:
            graph.parse(data=data, format="turtle")
        except Exception as err:  # noqa: BLE001 - rdflib raises many kinds: one message names the file
            raise VocabularyError(f"{path}: not Turtle ({err})") from None
        return Vocabulary(str(path), hashlib.sha256(data).hexdigest()[:16], turtle=graph)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise VocabularyError(f"{path}: not UTF-8 text") from None
    return parse_tsv(text, str(path))


_active: list[Vocabulary] = []


def use(vocabulary: Vocabulary | None) -> None:
    """Make ``vocabulary`` the one every later lookup of the measure scheme applies (None: none)."""
    _active[:] = [vocabulary] if vocabulary is not None else []


def active() -> Vocabulary | None:
    return _active[0] if _active else None


def knowledge_version() -> str:
    """A digest of everything under ``ontology/`` and of the vocabulary in use, if any: part of every cache key."""
    vocabulary = active()
    return resources.knowledge_version() + (f"+{vocabulary.digest}" if vocabulary else "")
