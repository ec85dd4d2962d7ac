"""Queries over HTTP: the SPARQL 1.1 Protocol against any endpoint, results read from the standard formats.

A SELECT or ASK asks for SPARQL Query Results JSON, a CONSTRUCT or DESCRIBE for N-Triples; the answer
becomes the same :class:`~kg.rdf.query.Result` a query on a file gives, so ``kg query URL`` prints what
``kg query FILE`` prints for the same data.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pyoxigraph as ox

from kg.knowledge.namespaces import RDF, XSD
from kg.rdf.query import QueryError, Result, Term, boolean_result, check, term_from_oxigraph, triple_of
from kg.version import __version__

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


def is_endpoint(target: str) -> bool:
    """Whether ``target`` names an endpoint (http:// or https://) rather than a file.

    >>> is_endpoint("http://127.0.0.1:8000/sparql"), is_endpoint("output/graph.ttl")
    (True, False)
    """
    return target.startswith(("http://", "https://"))


def run_remote(url: str, text: str, timeout: float | None = None, allow_remote: bool = False) -> Result:
    """Send ``text`` to the endpoint at ``url`` (POST, ``application/sparql-query``) and read its answer."""
    check(text, allow_remote)
    graph_result = _form(text) in ("CONSTRUCT", "DESCRIBE")
    request = urllib.request.Request(
        url,
        data=text.encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/sparql-query; charset=utf-8",
            "Accept": N_TRIPLES if graph_result else RESULTS_JSON,
            "User-Agent": f"kg/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace").strip().splitlines()
        raise QueryError(f"{url}: the endpoint answered {err.code} {err.reason}: {detail[0] if detail else ''}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise QueryError(f"{url}: no answer from the endpoint ({reason})") from None
    if graph_result:
        if kind not in (N_TRIPLES, "text/plain"):
            raise QueryError(f"{url}: the endpoint answered {kind}, not N-Triples")
        parsed = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        return Result([], [], triples=[triple_of(term_from_oxigraph(t) for t in (x.subject, x.predicate, x.object)) for x in parsed])
    if kind != RESULTS_JSON and kind != "application/json":
        raise QueryError(f"{url}: the endpoint answered {kind}, not SPARQL results JSON")
    return from_results_json(json.loads(body))


def from_results_json(data: dict) -> Result:
    """A :class:`Result` from SPARQL 1.1 Query Results JSON."""
    if "boolean" in data:
        return boolean_result(bool(data["boolean"]))
    columns = list(data.get("head", {}).get("vars", []))
    rows = [[_term(binding.get(c)) for c in columns] for binding in data.get("results", {}).get("bindings", [])]
    return Result(columns, rows)


def _term(binding: dict | None) -> Term | None:
    if binding is None:
        return None
    kind = {"uri": "iri", "bnode": "bnode", "literal": "literal", "typed-literal": "literal", "triple": "triple"}[binding["type"]]
    datatype = binding.get("datatype")
    if datatype in (XSD + "string", RDF + "langString"):
        datatype = None
    return Term(kind, binding["value"] if kind != "triple" else json.dumps(binding["value"]), binding.get("xml:lang"), datatype)


def _form(text: str) -> str:
    """The query form (SELECT, ASK, CONSTRUCT, DESCRIBE) of ``text``: its first such keyword outside prologue and strings."""
    from kg.rdf.sparql import tokens

    for kind, token in tokens(text):
        if kind == "name" and token.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return token.upper()
    return "SELECT"
