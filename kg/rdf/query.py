"""SPARQL over a written graph: saved queries (queries/*.rq) or your own, in Oxigraph or rdflib.

A saved query starts with comment lines that describe it::

    # title: Units running a given measure
    # description: …
    # param: measure = "legal-advisers"  (what the parameter means)

and carries each parameter as ``VALUES ?measureParam { "legal-advisers" }``,
so the file runs as it is; ``--param measure=法律顾问`` replaces the value.
"""

from __future__ import annotations

import csv
import faulthandler
import io
import json
import os
import pickle
import re
import select
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from kg.knowledge.namespaces import RDF, XSD, shorten
from kg.knowledge.resources import data_dir
from kg.rdf import sparql
from kg.rdf.store import GraphError, load_oxigraph, load_rdflib, load_rdflib_store, open_store
from kg.rdf.syntax import quote

_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")
_PARAM = re.compile(r'^(\w+)\s*=\s*"([^"]*)"\s*(?:\((.*)\))?\s*$')
_SPARQL_START = re.compile(r"^\s*(PREFIX|BASE|SELECT|ASK|CONSTRUCT|DESCRIBE|#)", re.I | re.M)


class QueryError(Exception):
    """A query that cannot be found, filled in or run."""


@dataclass
class SavedQuery:
    name: str
    text: str
    title: str = ""
    description: str = ""
    params: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (default, help)


def saved_queries() -> dict[str, SavedQuery]:
    """The queries shipped in queries/, by file name without .rq."""
    queries = {}
    for path in sorted(data_dir("queries").glob("*.rq")):
        queries[path.stem] = parse_saved(path.stem, path.read_text(encoding="utf-8"))
    return queries


def parse_saved(name: str, text: str) -> SavedQuery:
    query = SavedQuery(name, text)
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            param = _PARAM.match(value)
            if param:
                query.params[param.group(1)] = (param.group(2), param.group(3) or "")
        else:
            setattr(query, key, value.strip())
    return query


def resolve(query: str) -> SavedQuery:
    """A query given as a saved query's name, a file, or SPARQL text."""
    saved = saved_queries()
    if query in saved:
        return saved[query]
    path = Path(query)
    if path.suffix in (".rq", ".sparql") or (len(query) < 300 and "\n" not in query and path.exists()):
        if not path.exists():
            raise QueryError(f"{query}: no such query file")
        return parse_saved(path.stem, path.read_text(encoding="utf-8"))
    if _SPARQL_START.search(query):
        return parse_saved("query", query)
    raise QueryError(f"{query!r} is not a saved query, a file or SPARQL; saved queries: {', '.join(saved)}")


def fill(query: SavedQuery, values: dict[str, str]) -> str:
    """The query text with parameters replaced."""
    text = query.text
    for name, value in values.items():
        if name not in query.params:
            known = ", ".join(query.params) or "none"
            raise QueryError(f"query {query.name} has no parameter {name!r} (parameters: {known})")
        literal = json.dumps(value, ensure_ascii=False)  # a valid SPARQL string literal too

        def replace(m: re.Match[str], value: str = literal) -> str:
            return f"{m.group(1)} {value} {m.group(2)}"

        text, count = re.subn(rf"(VALUES\s+\?{name}Param\s*\{{)[^}}]*(\}})", replace, text)
        if not count:
            raise QueryError(f"query {query.name} does not carry its parameter {name} as VALUES ?{name}Param {{ … }}")
    return text


MAX_DEPTH = 64  # braces and brackets: Oxigraph's parser overflows its stack past a few thousand, rdflib's recursion far sooner
RESULT_FORMATS = ("table", "csv", "tsv", "json")  # SELECT and ASK
GRAPH_FORMATS = ("table", "turtle", "ntriples", "json")  # CONSTRUCT and DESCRIBE: Turtle for table, JSON-LD for json


class Term(NamedTuple):
    """An RDF term of a result: ``kind`` is iri, bnode, literal or triple; a literal's language or datatype."""

    kind: str
    value: str
    lang: str | None = None
    datatype: str | None = None  # None for a simple literal (xsd:string) and a language-tagged one


@dataclass
class Result:
    """What a query gave: rows of a SELECT, the answer of an ASK, or the triples of a CONSTRUCT or DESCRIBE."""

    columns: list[str]
    rows: list[list[Term | None]]
    boolean: bool | None = None
    triples: list[tuple[Term, Term, Term]] | None = None

    def plain(self) -> list[list[str]]:
        return [["" if cell is None else cell.value for cell in row] for row in self.rows]


def check(text: str, allow_remote: bool = False) -> sparql.Reach:
    """Refuse a query nested too deeply, or calling another endpoint (SERVICE) unless ``allow_remote``."""
    reach = sparql.scan(text)
    if reach.depth > MAX_DEPTH:
        raise QueryError(f"the query nests {reach.depth} levels of brackets; kg runs queries of at most {MAX_DEPTH}")
    if reach.services and not allow_remote:
        raise QueryError(
            f"the query calls SERVICE {', '.join(reach.services)}; kg queries reach no other endpoint unless allowed (--allow-remote)"
        )
    return reach


def run(
    graph_path: str | Path,
    text: str,
    engine: str = "oxigraph",
    store: ox.Store | None = None,
    timeout: float | None = None,
    allow_remote: bool = False,
) -> Result:
    """Run SPARQL with either engine on a graph file, an on-disk store folder (``kg build --store``) or an open store.

    The query runs in a child process (where ``fork`` exists), so that a
    ``timeout`` in seconds (counted once the graph is loaded), Ctrl-C, and an
    engine that crashes stop the query and never the caller. A query stays
    local: SERVICE is refused and FROM / FROM NAMED must name graphs of the
    data, unless ``allow_remote`` (which lets SERVICE call endpoints and
    rdflib's FROM load a graph from its IRI).
    """
    if engine not in ("oxigraph", "rdflib"):
        raise QueryError(f"unknown engine {engine!r}")
    reach = check(text, allow_remote)

    def evaluate(loaded: Callable[[], None]) -> Result:
        return _evaluate(graph_path, text, engine, store, reach, allow_remote, loaded)

    if not hasattr(os, "fork"):  # pragma: no cover - Windows: in this process, without a timeout
        return evaluate(lambda: None)
    return _isolated(evaluate, timeout, engine)


def _evaluate(graph_path, text: str, engine: str, store, reach: sparql.Reach, allow_remote: bool, loaded) -> Result:
    on_disk = Path(graph_path).is_dir()
    if engine == "oxigraph":
        store = store or (open_store(graph_path) if on_disk else load_oxigraph(graph_path))
        names = {graph.value for graph in store.named_graphs() if isinstance(graph, ox.NamedNode)}
    else:
        import rdflib
        import rdflib.plugins.sparql

        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = allow_remote  # never fetch a FROM graph unless allowed
        graph = load_rdflib_store(graph_path) if on_disk else load_rdflib(graph_path, store="default")
        if reach.graphs and not isinstance(graph, rdflib.Dataset):  # rdflib honours FROM on a dataset only
            dataset = rdflib.Dataset(default_union=True)
            for triple in graph:
                dataset.add(triple)
            graph = dataset
        names = {str(context.identifier) for context in graph.contexts()} if hasattr(graph, "contexts") else set()
    unknown = [iri for iri in reach.graphs if iri not in names]
    if unknown and not (allow_remote and engine == "rdflib"):
        raise QueryError(
            f"FROM {', '.join(unknown)}: the data holds no graph of that name, and kg loads no graph "
            "from the web or from files" + ("" if engine == "oxigraph" else " unless allowed (--allow-remote)")
        )
    loaded()
    try:
        if engine == "oxigraph":
            return _from_oxigraph(store.query(text, use_default_graph_as_union=not reach.graphs))
        return _from_rdflib(graph.query(text))
    except SyntaxError as err:
        raise QueryError(f"the query is not valid SPARQL: {err}") from None
    except RecursionError:
        raise QueryError(f"the query nests too deeply for the {engine} engine") from None
    except QueryError:
        raise
    except Exception as err:  # engines raise their own kinds for bad queries
        raise QueryError(f"the query failed: {err}") from None


_LOADED = b"L"


def _isolated(evaluate: Callable, timeout: float | None, engine: str) -> Result:
    """``evaluate`` in a forked child that sends back its result; stopped at the timeout, on Ctrl-C, or if it crashes."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no return from here
        code = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the whole process group: stop at once
            _die_with_parent()
            faulthandler.disable()  # an engine that crashes is reported by the parent, in one line
            with os.fdopen(write_end, "wb") as out:

                def loaded() -> None:
                    out.write(_LOADED)
                    out.flush()

                try:
                    answer = ("ok", evaluate(loaded))
                except (QueryError, GraphError) as err:
                    answer = (type(err).__name__, str(err))
                except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises it
                    answer = ("QueryError", f"the query failed: {err}")
                # a pipe from this process's own child: the pickle was made here, never read from a file
                pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline: float | None = None
    started = False
    try:
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            while True:
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select([pipe], [], [], wait)
                if not ready:
                    raise QueryError(f"the query ran longer than {timeout:g} s (--timeout) and was stopped")
                chunk = pipe.read(1 << 16)
                if not chunk:
                    break
                if not started and chunk.startswith(_LOADED):  # the graph is loaded: the query's time starts
                    started, chunk = True, chunk[len(_LOADED) :]
                    deadline = None if timeout is None else time.monotonic() + timeout
                chunks.append(chunk)
    except BaseException:  # a timeout or Ctrl-C: the child goes, then the reason is raised
        _stop(pid)
        raise
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise QueryError(f"the {engine} engine stopped on this query ({signal.Signals(os.WTERMSIG(status)).name})")
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a child that died before it answered
        raise QueryError(f"the {engine} engine stopped on this query without an answer") from None
    if kind == "ok":
        return value
    raise (GraphError if kind == "GraphError" else QueryError)(value)


def _die_with_parent() -> None:
    """Linux: the child is killed if the parent goes (killed itself, it could not stop the child)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


_XSD_STRING = XSD + "string"
_LANG_STRING = RDF + "langString"


def term_from_oxigraph(term) -> Term | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return Term("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        return Term("literal", term.value, term.language, None if datatype in (_XSD_STRING, _LANG_STRING) else datatype)
    return Term("triple", str(term))


def _from_oxigraph(solutions) -> Result:
    if isinstance(solutions, (bool, ox.QueryBoolean)):
        return boolean_result(bool(solutions))
    if isinstance(solutions, ox.QueryTriples):
        return Result([], [], triples=[triple_of(term_from_oxigraph(t) for t in (x.subject, x.predicate, x.object)) for x in solutions])
    columns = [v.value for v in solutions.variables]
    return Result(columns, [[term_from_oxigraph(solution[c]) for c in columns] for solution in solutions])


def triple_of(terms: Iterable[Term | None]) -> tuple[Term, Term, Term]:
    s, p, o = terms
    assert s is not None and p is not None and o is not None  # the parts of a triple are never missing
    return s, p, o


def boolean_result(answer: bool) -> Result:
    return Result(["result"], [[Term("literal", "true" if answer else "false", None, XSD + "boolean")]], boolean=answer)


def _term_rdflib(term) -> Term | None:
    import rdflib

    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return Term("iri", str(term))
    if isinstance(term, rdflib.BNode):
        return Term("bnode", str(term))
    datatype = str(term.datatype) if term.datatype is not None else None
    return Term("literal", str(term), term.language, None if datatype in (None, _XSD_STRING, _LANG_STRING) else datatype)


def _from_rdflib(result) -> Result:
    if result.type == "ASK":
        return boolean_result(bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return Result([], [], triples=[triple_of(_term_rdflib(t) for t in triple) for triple in result.graph])
    columns = [str(v) for v in result.vars]
    return Result(columns, [[_term_rdflib(row[c]) for c in columns] for row in result])


def _display(cell: Term | None) -> str:
    if cell is None:
        return ""
    return shorten(cell.value) if cell.kind == "iri" else cell.value


def format_result(result: Result, output: str = "table", max_width: int = 60) -> str:
    """The result as text ending in a newline: an aligned table, or the W3C formats (SPARQL 1.1 Results JSON, CSV, TSV).

    A CONSTRUCT or DESCRIBE result is RDF: Turtle (``table`` or ``turtle``),
    N-Triples, or JSON-LD (``json``).
    """
    if result.triples is not None:
        if output not in GRAPH_FORMATS:
            raise QueryError(f"a CONSTRUCT or DESCRIBE query gives RDF: --format {', '.join(GRAPH_FORMATS)} (json is JSON-LD)")
        return _rdf(result.triples, output)
    if output not in RESULT_FORMATS:
        raise QueryError(f"a SELECT or ASK query gives a table: --format {', '.join(RESULT_FORMATS)}")
    if output == "json":
        return _results_json(result)
    if output == "csv":
        return _results_csv(result)
    if output == "tsv":
        return _results_tsv(result)
    cells = [[_clip(_display(cell), max_width) for cell in row] for row in result.rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(result.columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(result.columns, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths)).rstrip() for row in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _results_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/)."""
    if result.boolean is not None:
        return json.dumps({"head": {}, "boolean": result.boolean}) + "\n"

    def binding(term: Term) -> dict:
        kind = "uri" if term.kind == "iri" else term.kind
        out = {"type": kind, "value": term.value}
        if term.lang:
            out["xml:lang"] = term.lang
        elif term.datatype:
            out["datatype"] = term.datatype
        return out

    bindings = [{c: binding(cell) for c, cell in zip(result.columns, row) if cell is not None} for row in result.rows]
    return json.dumps({"head": {"vars": result.columns}, "results": {"bindings": bindings}}, ensure_ascii=False, indent=1) + "\n"


def _results_csv(result: Result) -> str:
    """SPARQL 1.1 Query Results CSV: values only (a blank node as _:b), lines ended by CRLF as RFC 4180 has it."""
    if result.boolean is not None:
        return ("true" if result.boolean else "false") + "\r\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.columns)
    writer.writerows([["" if c is None else ("_:" + c.value if c.kind == "bnode" else c.value) for c in row] for row in result.rows])
    return buffer.getvalue()


def _results_tsv(result: Result) -> str:
    """SPARQL 1.1 Query Results TSV: ?variables, then each term in SPARQL syntax (IRIs in <>, literals quoted and typed)."""
    if result.boolean is not None:
        return ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + c for c in result.columns)]
    lines += ["\t".join("" if c is None else _sparql_term(c) for c in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _sparql_term(term: Term) -> str:
    if term.kind == "iri":
        return f"<{term.value}>"
    if term.kind == "bnode":
        return "_:" + term.value
    if term.kind == "triple":
        return term.value
    text = quote(term.value)
    if term.lang:
        return f"{text}@{term.lang}"
    return f"{text}^^<{term.datatype}>" if term.datatype else text


def _ox_term(term: Term):
    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.lang:
        return ox.Literal(term.value, language=term.lang)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype)) if term.datatype else ox.Literal(term.value)


def _written(data: bytes | None) -> str:
    """What ox.serialize returns when given no output file (its bytes), as text."""
    assert data is not None
    return data.decode("utf-8")


def _rdf(triples: list[tuple[Term, Term, Term]], output: str) -> str:
    """Triples as Turtle (with the graph's prefixes it uses), N-Triples or JSON-LD, in a stable order."""
    from kg.rdf.write import Iris

    if any(t.kind == "triple" for triple in triples for t in triple):
        raise QueryError("the result holds RDF-star triple terms, which kg cannot print; query for their parts")
    rows = sorted({tuple(_ox_term(t) for t in triple) for triple in triples}, key=str)
    graph = [ox.Triple(*row) for row in rows]
    if output == "ntriples":
        return _written(ox.serialize(graph, format=ox.RdfFormat.N_TRIPLES))
    if output == "json":
        return _written(ox.serialize(graph, format=ox.RdfFormat.JSON_LD)) + "\n"
    iris = {t.value for triple in triples for t in triple if t.kind == "iri"} | {
        t.datatype for triple in triples for t in triple if t.datatype
    }
    used = {prefix: ns for prefix, ns in sorted(Iris().prefixes().items()) if any(iri.startswith(ns) for iri in iris)}
    body = _written(ox.serialize(graph, format=ox.RdfFormat.TURTLE, prefixes=used))
    # Oxigraph writes the prefixes in no fixed order: the header is written here, sorted
    header = "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in used.items())
    return header + "".join(line for line in body.splitlines(keepends=True) if not line.startswith("@prefix "))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        used += 2 if "\u2e80" <= ch <= "\uffef" else 1
        if used > width - 1:
            return out + "…"
        out += ch
    return out
