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
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.resources import data_dir
from kg.store import GraphError, load_oxigraph, load_rdflib, load_rdflib_store, open_store

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


@dataclass
class Result:
    """Rows of a SELECT (or a single boolean for ASK), as (kind, lexical) cells."""

    columns: list[str]
    rows: list[list[tuple[str, str] | None]]

    def plain(self) -> list[list[str]]:
        return [["" if cell is None else cell[1] for cell in row] for row in self.rows]


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
        text, count = re.subn(rf"(VALUES\s+\?{name}Param\s*\{{)[^}}]*(\}})", lambda m, value=literal: f"{m.group(1)} {value} {m.group(2)}", text)
        if not count:
            raise QueryError(f"query {query.name} does not carry its parameter {name} as VALUES ?{name}Param {{ … }}")
    return text


def run(graph_path: str | Path, text: str, engine: str = "oxigraph", store: ox.Store | None = None) -> Result:
    """Run SPARQL with either engine on a graph file, an on-disk store folder (``kg build --store``) or an open store."""
    on_disk = Path(graph_path).is_dir()
    try:
        if engine == "oxigraph":
            store = store or (open_store(graph_path) if on_disk else load_oxigraph(graph_path))
            return _from_oxigraph(store.query(text, use_default_graph_as_union=True))
        if engine == "rdflib":
            graph = load_rdflib_store(graph_path) if on_disk else load_rdflib(graph_path, store="default")
            return _from_rdflib(graph.query(text))
    except GraphError:
        raise
    except SyntaxError as err:
        raise QueryError(f"the query is not valid SPARQL: {err}") from None
    except Exception as err:  # engines raise their own kinds for bad queries
        raise QueryError(f"the query failed: {err}") from None
    raise QueryError(f"unknown engine {engine!r}")


def _cell_oxigraph(term) -> tuple[str, str] | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    return ("literal", term.value)


def _from_oxigraph(solutions) -> Result:
    if isinstance(solutions, bool):
        return Result(["result"], [[("literal", "true" if solutions else "false")]])
    if isinstance(solutions, ox.QueryBoolean):
        return Result(["result"], [[("literal", "true" if bool(solutions) else "false")]])
    columns = [v.value for v in solutions.variables]
    return Result(columns, [[_cell_oxigraph(solution[c]) for c in columns] for solution in solutions])


def _from_rdflib(result) -> Result:
    import rdflib

    if result.type == "ASK":
        return Result(["result"], [[("literal", "true" if result.askAnswer else "false")]])
    columns = [str(v) for v in result.vars]

    def cell(term):
        if term is None:
            return None
        if isinstance(term, rdflib.URIRef):
            return ("iri", str(term))
        if isinstance(term, rdflib.BNode):
            return ("bnode", str(term))
        return ("literal", str(term))

    return Result(columns, [[cell(row[c]) for c in columns] for row in result])


_PREFIXES = {
    "https://w3id.org/fzkg/ontology#": "fz:", "https://w3id.org/fzkg/measure/": "fzm:", "https://w3id.org/fzkg/problem/": "fzp:",
    "https://w3id.org/fzkg/data/": "", "http://www.w3.org/2004/02/skos/core#": "skos:",
}


def _display(cell: tuple[str, str] | None) -> str:
    if cell is None:
        return ""
    kind, value = cell
    if kind == "iri":
        for namespace, prefix in _PREFIXES.items():
            if value.startswith(namespace):
                return prefix + value[len(namespace):]
    return value


def format_result(result: Result, output: str = "table", max_width: int = 60) -> str:
    """The result as an aligned table, CSV or JSON."""
    if output == "json":
        return json.dumps([{c: (None if cell is None else cell[1]) for c, cell in zip(result.columns, row)} for row in result.rows],
                          ensure_ascii=False, indent=2)
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.plain())
        return buffer.getvalue().rstrip("\n")
    cells = [[_clip(_display(cell), max_width) for cell in row] for row in result.rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(result.columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(result.columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths)).rstrip() for row in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines)


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
