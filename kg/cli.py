"""The ``kg`` command line: a thin click layer over the library API."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import click

from kg.version import __version__

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # some inputs could not be read; the others were built and written
EXIT_USAGE = 2  # click's own code for bad options and arguments
EXIT_NOTHING_BUILT = 3  # no input could be read; nothing was written
EXIT_BUILD_FAILED = 4  # the build itself failed (an output that cannot be written, a full disk, a lock, a worker); inputs aside
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a process ended by SIGINT
_KEPT: list = []  # what a command built, alive until the process ends


def _vocabulary_option(help_text: str):
    """The --vocabulary FILE option of the commands that apply the user's vocabulary (kg.knowledge.user)."""
    return click.option("--vocabulary", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None, help=help_text)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="kg")
def main() -> None:
    """Knowledge graphs from Chinese 法治政府建设 annual reports.

    Reads reports (text, Markdown, saved web pages, Word, PDF; any common
    Chinese encoding), extracts administrative units, legal instruments,
    measures, problems and indicators with the sentence behind each, and
    writes Turtle for SPARQL and interactive HTML graphs.

    \b
    Example:
        kg build seeds -o output
        kg inspect seeds/000_5cc3c28cd58ae867.txt
    """


def _base_option(_ctx, _param, value: str | None) -> str | None:
    from kg.rdf.write import base_iri

    try:
        return base_iri(value) if value is not None else None
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder for graph.ttl, graph.html, views/, analysis/, reports/ and documents.jsonl.",
)
@click.option(
    "--format",
    "rdf_format",
    type=click.Choice(["turtle", "ntriples", "jsonld", "trig"]),
    default="turtle",
    show_default=True,
    help="RDF serialisation of the graph.",
)
@click.option(
    "--base", default=None, callback=_base_option, help="Base IRI of instance data, absolute (default https://w3id.org/fzkg/data/)."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes reading reports (default: one per core). The output is the same for any number.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Read the reports on a dask.distributed cluster: its scheduler's address (tcp://host:8786), or local:N for N "
    "local worker processes. The output is the same as a local build (docs/scale.md).",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the build cache (default OUTPUT/.kg-cache).",
)
@click.option("--no-cache", is_flag=True, help="Process every file again and keep no cache.")
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also keep the graph in an on-disk Oxigraph store in this folder (for kg query STORE …); later builds change it in place.",
)
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path, allow_dash=True),
    default=None,
    help="A JSON-lines file giving the page address (url) and/or the unit of report files (docs/build.md).",
)
@_vocabulary_option(
    "Your vocabulary (TSV or SKOS Turtle): new measures, aliases, merges (docs/discovery.md). Default: OUTPUT/vocabulary.tsv if there is one."
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors: no progress, no summary.")
def build(
    paths: tuple[Path, ...],
    out_dir: Path,
    rdf_format: str,
    base: str | None,
    jobs: int | None,
    scheduler: str | None,
    cache_dir: Path | None,
    no_cache: bool,
    store_dir: Path | None,
    sources_file: Path | None,
    vocabulary: Path | None,
    quiet: bool,
) -> None:
    """Build the graph of the reports in PATHS (files and folders, recursively).

    Writes OUTPUT/graph.ttl (or .nt/.jsonld/.trig), OUTPUT/graph.html,
    OUTPUT/views/*.html, OUTPUT/analysis/, a reading page per report
    (OUTPUT/reports/) and OUTPUT/documents.jsonl, all moved into place together.
    Reports are read by --jobs worker processes. Each report's results are
    cached, keyed by its content and the extractor's version: building again
    after adding or editing files redoes only those files. Progress goes to
    stderr: a bar with rate and ETA on a terminal, a line per tenth elsewhere.

    A file that cannot be read is reported on stderr and skipped; the exit
    code is then 1. If no file can be read the exit code is 3 and nothing is
    written. A PATH of - reads one report from standard input (named stdin).

    \b
    Example:
        kg build seeds tests/data/corpus -o output
        kg build reports/ -o output --jobs 4 --store output/store
        kg build reports/ -o output --sources reports/sources.jsonl
    """
    from kg.files import stdio
    from kg.rdf.write import DEFAULT_BASE
    from kg.text.sources import load as load_sources

    if sum(stdio.is_stdio(p) for p in (*paths, sources_file)) > 1:
        raise click.UsageError("standard input (-) can be read once: as one PATH or as --sources")
    with contextlib.ExitStack() as stack:
        if sources_file is not None:
            sources = load_sources(stack.enter_context(stdio.readable(sources_file)))
            for problem in sources.problems:
                click.echo(f"kg: warning: {sources_file}: {problem}", err=True)
        else:
            sources = None
        readable = tuple(stack.enter_context(stdio.readable(p)) for p in paths)
        names = {str(saved): stdio.STDIO for given, saved in zip(paths, readable) if stdio.is_stdio(given)}
        _build(
            readable,
            names,
            quiet,
            out_dir=out_dir,
            fmt=rdf_format,
            base=base or DEFAULT_BASE,
            jobs=jobs,
            cache_dir=cache_dir,
            use_cache=not no_cache,
            store_dir=store_dir,
            sources=sources,
            vocabulary=vocabulary,
            scheduler=scheduler,
        )


def _build(paths, names: dict[str, str], quiet: bool, **options) -> None:
    """Run a build (``options``: those of :func:`kg.builder.engine.build`) and report it; ``names`` shows some paths
    under other names (standard input's temporary file)."""
    from kg.builder.engine import BuildError
    from kg.builder.engine import build as run_build
    from kg.builder.inputs import shown
    from kg.builder.progress import Progress

    clock = time.perf_counter()
    try:
        result = run_build(paths, progress=Progress(sys.stderr, quiet=quiet), **options)
    except BuildError as err:
        click.echo(f"kg: build failed: {err}", err=True)
        sys.exit(EXIT_BUILD_FAILED)
    except OSError as err:  # a file of the cache removed under the build's feet: the previous outputs are left as they were
        where = f"{shown(err.filename)}: " if isinstance(err.filename, str) else ""
        click.echo(f"kg: build failed: {where}{err.strerror or err}", err=True)
        sys.exit(EXIT_BUILD_FAILED)
    _KEPT.append(result)  # freed by the end of the process, not object by object on return (see entry)
    for failure in result.failures:
        click.echo(f"kg: error: {names.get(str(failure.path)) or shown(failure.path)}: {failure.reason}", err=True)
    if not result.entries:
        click.echo(f"kg: nothing built: none of {len(result.failures)} input(s) could be read", err=True)
        sys.exit(EXIT_NOTHING_BUILT)
    if not quiet:
        _summary(result, time.perf_counter() - clock, names)
    if result.failures:
        click.echo(f"kg: {len(result.failures)} file(s) failed, {result.stats.reports} built", err=True)
        sys.exit(EXIT_SOME_FAILED)


def _summary(result, seconds: float, names: dict[str, str]) -> None:
    stats = result.stats
    click.echo(f"documents read: {stats.reports} ({len(result.failures)} failed; {result.cached} from the cache) in {seconds:.1f} s")
    click.echo(f"reporting units linked: {stats.linked}/{stats.reports}; years found: {stats.dated}/{stats.reports}")
    click.echo("entities: " + ", ".join(f"{kind} {n}" for kind, n in result.summary.items() if kind != "report"))
    click.echo(f"problems: {stats.problems}; indicators: {stats.indicators}; triples written: {result.triples}")
    warnings = result.warnings
    click.echo(f"warnings: {len(warnings)}")
    from kg.builder.inputs import shown

    for file, warning in warnings[:20]:
        click.echo(f"  {names.get(str(file)) or shown(file)}: {warning}")
    if len(warnings) > 20:
        click.echo(f"  … and {len(warnings) - 20} more (see documents.jsonl)")
    pages = len({m.report_id for m in result.entries})
    for name, path in result.written.items():
        click.echo(f"wrote {path}/ ({pages} reading pages)" if name == "reports" else f"wrote {path}")


@main.command()
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def inspect(file: Path, as_json: bool) -> None:
    """Show what kg makes of one report: title, unit, year, sections, counts.

    FILE may be - for standard input.

    \b
    Example:
        kg inspect seeds/004_426f136f0867b13d.txt
        kg inspect --json seeds/002_4e55a684573cd332.txt
    """
    from kg.extract.pipeline import process
    from kg.files import stdio
    from kg.outputs.documents import unit_record
    from kg.text.read import ReadError

    try:
        with stdio.readable(file) as path:
            report = process(path)
            report.file = str(file) if stdio.is_stdio(file) else report.file
    except ReadError as err:
        click.echo(f"kg: error: {file}: {err}", err=True)
        sys.exit(EXIT_SOME_FAILED)
    sections = [{"id": s.id, "marker": s.marker, "level": s.level, "type": s.type.value, "heading": s.heading} for s in report.sections]
    measures = Counter(status for _, status in {(m.concept or m.label, m.status.value) for m in report.measures})
    counts = {
        "organs": len({m.unit.key for m in report.organs}),
        "instruments": len({m.key for m in report.instruments}),
        "measures_implemented": measures.get("implemented", 0),
        "measures_planned": measures.get("planned", 0),
        "problems": len(report.problems),
        "indicators": len(report.indicators),
    }
    data = {
        "file": report.file,
        "id": report.id,
        "encoding": report.encoding,
        "format": report.format,
        "traditional": report.traditional,
        "title": report.title,
        "year": report.year,
        "unit": unit_record(report.unit),
        "signature": report.signature,
        "metadata": report.metadata,
        "sections": sections,
        "counts": counts,
        "warnings": report.warnings,
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    unit = report.unit
    click.echo(f"file:      {report.file}  ({report.encoding}, {report.format}{', traditional' if report.traditional else ''})")
    click.echo(f"title:     {report.title or '—'}")
    click.echo(f"year:      {report.year or '—'}")
    if unit:
        where = (
            " → ".join([unit.name] + [name for name, _ in unit.parents])
            if unit.kind == "division"
            else " → ".join([unit.name] + [name for name, _ in unit.parents])
        )
        status = f"{unit.code} {unit.level}" if unit.linked else f"unlinked ({len(unit.candidates)} candidates)"
        click.echo(f"unit:      {where}  [{unit.kind}, {status}]")
    else:
        click.echo("unit:      —")
    if report.signature:
        click.echo(f"signature: {report.signature.get('unit', '')} {report.signature.get('date', '')}".rstrip())
    click.echo("sections:")
    for section in report.sections:
        click.echo(f"  {'  ' * (section.level - 1)}{section.marker} {section.heading}  [{section.type.value}]")
    click.echo("found:     " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    for warning in report.warnings:
        click.echo(f"warning:   {warning}")


@main.command(name="eval")
@click.argument("gold_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full scores, misses and false hits as JSON.")
@click.option("--misses", default=20, show_default=True, help="How many misses and false hits to list per kind (0: none).")
@click.option("--summary", is_flag=True, help="Only the key figures, one column per gold folder.")
@click.option(
    "--sources",
    "with_sources",
    is_flag=True,
    help="Give each report the page address of a sources.jsonl in its folder (the addresses only, not the units).",
)
def evaluate(gold_dirs: tuple[Path, ...], as_json: bool, misses: int, summary: bool, with_sources: bool) -> None:
    """Score the extractors against hand-made gold annotations.

    Builds every report a gold file in each GOLD_DIR names (see
    tests/gold/README.md for the format) and prints precision, recall and F1
    per entity kind and per relation kind, accuracies (unit linking, year,
    instrument type, problem category …), then the misses and the false hits.
    With several folders, each is scored on its own, and a summary puts their
    key figures side by side.

    \b
    Example:
        kg eval tests/gold/seeds
        kg eval tests/gold/seeds tests/gold/corpus tests/gold/corpus2 --summary
    """
    from kg.extract.evaluate import evaluate as run_evaluation
    from kg.extract.evaluate import format_summary, format_table

    results = {}
    for gold_dir in gold_dirs:
        result = run_evaluation(gold_dir, with_sources=with_sources)
        if result.reports == 0:
            click.echo(f"kg: no gold files (*.json) in {gold_dir}", err=True)
            sys.exit(EXIT_NOTHING_BUILT)
        results[gold_dir.name if gold_dir.name not in results else str(gold_dir)] = result
    if as_json:
        data = next(iter(results.values())).as_dict() if len(results) == 1 else {name: r.as_dict() for name, r in results.items()}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not summary:
        for name, result in results.items():
            if len(results) > 1:
                click.echo(f"== {name}")
            click.echo(format_table(result, misses))
            click.echo()
    if summary or len(results) > 1:
        click.echo(format_summary(results))


@contextlib.contextmanager
def _graph_input(graph: Path):
    """A graph file (``-``: standard input); a graph that cannot be read ends the command with exit code 1."""
    from kg.files import stdio
    from kg.rdf.store import GraphError

    with stdio.readable(graph, graph=True) as path:
        try:
            yield path
        except GraphError as err:
            click.echo(f"kg: error: {str(err).replace(str(path), str(graph))}", err=True)
            sys.exit(EXIT_SOME_FAILED)


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on: loopback, so only this machine reaches it; another address opens it to the network.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="The port of the pages and of /sparql (0: a free one)."
)
@click.option(
    "--sparql-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="The port of the Oxigraph server itself, on loopback whatever --host says (default: a free one).",
)
def serve(folder: Path, host: str, port: int, sparql_port: int | None) -> None:
    """Serve FOLDER (what kg build wrote): its pages, and its graph over SPARQL.

    Starts the Oxigraph SPARQL server (read-only: updates are refused) on
    the graph of FOLDER, bulk-loaded into FOLDER/.kg-sparql the first time
    and whenever the graph changed (unless kg build changed it in place),
    and serves the pages of FOLDER (graph.html, views/, analysis/, reports/)
    at the same address, with the SPARQL 1.1 protocol at /sparql. Runs
    until Ctrl-C.

    \b
    Example:
        kg serve output
        kg query http://127.0.0.1:8000/sparql problem-categories
    """
    import signal

    from kg.rdf.serve import ServeError, Server

    server = Server(folder, host, port, sparql_port)
    try:
        server.start(log=lambda line: click.echo(line, err=True))
    except ServeError as err:
        click.echo(f"kg: error: {err}", err=True)
        sys.exit(EXIT_BUILD_FAILED)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped as by Ctrl-C: the Oxigraph server goes too
    try:
        click.echo(f"serving {folder} at {server.url}")
        click.echo(f"SPARQL endpoint: {server.endpoint} (Oxigraph, read-only: {server.oxigraph_endpoint})", nl=True)
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@main.command()
@click.argument("graph")
@click.argument("query", required=False)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Set a parameter of a saved query.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "tsv", "json", "turtle", "ntriples"]),
    default="table",
    show_default=True,
    help="SELECT/ASK: a table or the W3C formats (json is SPARQL Results JSON); "
    "CONSTRUCT/DESCRIBE: Turtle (table, turtle), N-Triples, or JSON-LD (json).",
)
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "rdflib"]),
    default="oxigraph",
    show_default=True,
    help="SPARQL engine: pyoxigraph (fast) or rdflib.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop the query after this many seconds (the graph's loading aside).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Let SERVICE call other endpoints (and rdflib's FROM load a graph from its IRI); refused by default.",
)
@click.option("--list", "list_saved", is_flag=True, help="List the saved queries and their parameters.")
def query(
    graph: str,
    query: str | None,
    params: tuple[str, ...],
    output: str,
    engine: str,
    timeout: float | None,
    allow_remote: bool,
    list_saved: bool,
) -> None:
    """Run SPARQL (a saved query, a .rq file or text) on a graph file, a store or an endpoint.

    GRAPH is a graph file (.ttl, .nt, .jsonld, .trig, .nq; - for standard
    input), the Oxigraph store folder that kg build --store
    wrote (opened read-only, nothing loaded), or the URL of a SPARQL
    endpoint (http:// or https://: the SPARQL 1.1 protocol, as kg serve
    gives; --engine does not apply). QUERY is the name of a saved
    query (see --list), a .rq file, SPARQL text, or - to read it from standard
    input. SELECT and ASK results print as a table, CSV, TSV or JSON (the
    W3C SPARQL 1.1 results formats); CONSTRUCT and DESCRIBE print RDF.

    Queries stay local: SERVICE is refused, and FROM / FROM NAMED must name
    graphs of GRAPH (a TriG file holds one per report), unless --allow-remote.
    The query runs in a child process that --timeout and Ctrl-C stop.

    \b
    Example:
        kg query output/graph.ttl shared-measures
        kg query output/graph.ttl units-running -p measure=法律顾问 --format csv
        kg query output/graph.ttl 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --timeout 10
        kg query output/graph.ttl 'DESCRIBE <https://w3id.org/fzkg/data/unit/610702008>'
        kg query output/store top-instruments
        kg query http://127.0.0.1:8000/sparql problem-categories
    """
    from kg.files import stdio
    from kg.rdf.query import QueryError, fill, format_result, resolve, run, saved_queries
    from kg.rdf.remote import is_endpoint, run_remote

    if list_saved or query is None:
        for name, saved in saved_queries().items():
            click.echo(f"{name:<20} {saved.title}")
            for param, (default, help_text) in saved.params.items():
                click.echo(f"{'':<20}   -p {param}=…  {help_text} (default {default})")
        return
    if stdio.is_stdio(graph) and stdio.is_stdio(query):
        raise click.UsageError("standard input (-) can be read once: as GRAPH or as QUERY")
    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        values[name.strip()] = value
    try:
        saved = resolve(sys.stdin.read() if stdio.is_stdio(query) else query)
        if is_endpoint(graph):
            text = format_result(run_remote(graph, fill(saved, values), timeout=timeout, allow_remote=allow_remote), output)
        else:
            with _graph_input(Path(graph)) as path:
                text = format_result(run(path, fill(saved, values), engine, timeout=timeout, allow_remote=allow_remote), output)
    except QueryError as err:
        click.echo(f"kg: error: {err}", err=True)
        sys.exit(EXIT_SOME_FAILED)
    click.echo(text, nl=False)


@main.command()
@click.argument("graph", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--limit", default=10, show_default=True, help="Focus nodes to list per kind of violation.")
def validate(graph: Path, limit: int) -> None:
    """Check GRAPH against the SHACL shapes of ontology/shapes.ttl.

    Prints each kind of violation with its count and the first focus nodes.
    Exit code 0: the graph conforms; 1: it does not (or cannot be read).
    GRAPH is any format kg writes (TriG as the union of its graphs), or -.

    \b
    Example:
        kg validate output/graph.ttl
    """
    from kg.rdf.validate import validate_file

    with _graph_input(graph) as path:
        result = validate_file(path)
    if result.conforms:
        click.echo(f"{graph}: conforms to the shapes")
        return
    click.echo(f"{graph}: {len(result.violations)} violation(s)")
    for (shape, message), violations in result.grouped().items():
        click.echo(f"\n{shape}: {message} ({len(violations)})")
        for v in violations[:limit]:
            detail = " ".join(x for x in (v.path, v.value) if x)
            click.echo(f"  {v.focus}  {detail}".rstrip())
        if len(violations) > limit:
            click.echo(f"  … and {len(violations) - limit} more")
    sys.exit(EXIT_SOME_FAILED)


def _load_graph(graph: Path):
    """The graph of a graph file (``-``: standard input) in the library's form."""
    from kg.rdf.read import load_graph

    with _graph_input(graph) as path:
        return load_graph(path)


@main.command()
@click.argument("graph", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--view",
    "view_name",
    type=click.Choice(["overview", "shared-practices", "problems", "unit", "instruments"]),
    default="shared-practices",
    show_default=True,
    help="Which view: the overview, the practices units share, problems and their remedies, one unit, instruments cited.",
)
@click.option("--unit", "unit_query", help="For --view unit: the unit's name or division code.")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    required=True,
    help="The HTML file to write (- for standard output).",
)
def viz(graph: Path, view_name: str, unit_query: str | None, out: Path) -> None:
    """Draw an interactive view of GRAPH as one self-contained HTML page.

    Views: shared-practices (units and the measures two or more implement),
    problems (units, problem categories, the planned measures that answer
    them), unit (one unit's neighbourhood and its most similar units),
    instruments (which units cite which instruments), overview.

    \b
    Example:
        kg viz output/graph.ttl --view problems -o problems.html
        kg viz output/graph.ttl --view unit --unit 610702008 -o qili.html
    """
    from kg.outputs import pages as draw
    from kg.outputs.views import build_view

    knowledge = _load_graph(graph)
    try:
        view = build_view(knowledge, view_name, unit_query)
    except (KeyError, ValueError) as err:
        click.echo(f"kg: error: {err.args[0]}", err=True)
        sys.exit(EXIT_SOME_FAILED)
    from kg.files import stdio

    stdio.write(out, draw.render(view))
    if not stdio.is_stdio(out):
        click.echo(f"wrote {out} ({len(view.nodes)} nodes, {len(view.edges)} edges)")


@main.command()
@click.argument("graph", type=click.Path(path_type=Path, allow_dash=True))
@click.argument("unit")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True, help="A table to read, or CSV.")
def coverage(graph: Path, unit: str, fmt: str) -> None:
    """Which chapters of the national outline UNIT's reports serve, and which measures under them they never mention.

    Year by year, each chapter of the 《法治政府建设实施纲要》 that applies to the
    year (2021–2025 from 2021, 2015–2020 before) with the measures of the
    scheme that serve it, those the unit's reports state and those they never
    do. UNIT is a division code or a unit's exact name.

    \b
    Example:
        kg coverage output/graph.ttl 610702008
    """
    from kg.outputs.analysis import to_csv
    from kg.outputs.coverage import UnitNotFound, coverage, resolve

    knowledge = _load_graph(graph)
    try:
        key = resolve(knowledge, unit)
    except UnitNotFound as err:
        click.echo(f"kg: error: {err}", err=True)
        sys.exit(1)
    node = knowledge.node(key)
    name = f"{node['label']} {node.get('code') or '(unlinked)'}"
    labels = {c.id: c.label for c in measure_scheme().concepts.values()}
    years = coverage(knowledge, key)
    if fmt == "csv":
        rows = [
            {
                "unit": name,
                "year": y.year,
                "outline": y.outline,
                "chapter": f"{c.chapter.notation} {c.chapter.label}",
                "measure": labels[m],
                "mentioned": "yes" if m in c.mentioned else "no",
            }
            for y in years
            for c in y.chapters
            for m in c.chapter.measures
        ]
        click.echo(to_csv(rows), nl=False)
        return
    for y in years:
        click.echo(f"{name} — {y.year}: {y.outline}")
        for c in y.chapters:
            count = f"{len(c.mentioned)}/{len(c.chapter.measures)}"
            never = f" — never: {'、'.join(labels[m] for m in c.missing)}" if c.missing else ""
            click.echo(f"  {c.chapter.notation:<4} {c.chapter.label}  {count}{never}")


@main.command()
@click.argument("graph", type=click.Path(path_type=Path, allow_dash=True))
@click.argument("unit", required=False)
@click.option("--measure", default=None, help="Instead of a unit: how this measure (id or Chinese label) spread, year by year.")
def diff(graph: Path, unit: str | None, measure: str | None) -> None:
    """What UNIT started, dropped and kept from one report year to the next, and what it did about last year's problems.

    For each pair of consecutive years of UNIT's reports: the measures stated
    (implemented or planned) only the later year, only the earlier one, and
    both; each problem of the earlier year with the measures of the later
    year that address its category. With --measure: year by year, the units
    that state it, those that do so for the first time, and their provinces.
    UNIT is a division code or a unit's exact name.

    \b
    Examples:
        kg diff output/graph.ttl 230000
        kg diff output/graph.ttl --measure legal-advisers
    """
    from kg.outputs.coverage import UnitNotFound, resolve
    from kg.outputs.diff import diffusion, unit_diff

    knowledge = _load_graph(graph)
    if measure is not None:
        scheme = measure_scheme()
        concept = measure if measure in scheme else next((c.id for c in scheme.concepts.values() if c.label == measure), None)
        if concept is None:
            click.echo(
                f"kg: error: no measure {measure!r} in the scheme (an id such as legal-advisers, or a whole Chinese label)", err=True
            )
            sys.exit(1)
        click.echo(f"{scheme[concept].label} ({concept})")
        for spread in diffusion(knowledge, f"measure:{concept}"):
            provinces = ", ".join(f"{p} {n}" for p, n in spread.provinces.items())
            click.echo(f"  {spread.year}  units {spread.units}, first time {len(spread.new)}: {'、'.join(spread.new)}  [{provinces}]")
        return
    if unit is None:
        raise click.UsageError("give a UNIT, or --measure")
    try:
        key = resolve(knowledge, unit)
    except UnitNotFound as err:
        click.echo(f"kg: error: {err}", err=True)
        sys.exit(1)
    steps = unit_diff(knowledge, key)
    node = knowledge.node(key)
    if not steps:
        click.echo(f"{node['label']}: reports of one year only ({', '.join(map(str, sorted(knowledge.reporting_units()[key])))})")
        return
    for step in steps:
        click.echo(f"{node['label']} {step.before} → {step.after}")
        for word, labels in (("started", step.started), ("dropped", step.dropped), ("kept", step.kept)):
            click.echo(f"  {word} ({len(labels)}): {'、'.join(labels)}")
        for answer in step.answers:
            remedy = "、".join(answer.measures) or "nothing that addresses it"
            click.echo(f"  problem {step.before}: {answer.problem} [{answer.category}] → {step.after}: {remedy}")


def _output_folder(help_text: str):
    """The -o/--output folder a command writes its files into."""
    return click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help=help_text)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_folder("The folder for candidates.tsv, covered.tsv and discovery.html.")
@_vocabulary_option("Your vocabulary (TSV or SKOS Turtle): what it decided on is not proposed again, and its concepts count as named.")
@click.option("--no-keywords", is_flag=True, help="Only quoted phrases and named practices, no jieba TF-IDF keywords.")
def discover(paths: tuple[Path, ...], out_dir: Path, vocabulary: Path | None, no_keywords: bool) -> None:
    """Find the practices reports name that the measure scheme does not.

    Reads the reports in PATHS (files and folders) and proposes quoted
    phrases, named practices (…工作法, …品牌, 1+N) and jieba TF-IDF keywords
    that stand out in several units' reports, each with its units, years and
    evidence, ranked by the number of units. Decide on them in a vocabulary
    file and build again (docs/discovery.md).

    \b
    Example:
        kg discover seeds -o output/discovery
    """
    from kg.builder.inputs import collect
    from kg.knowledge import user
    from kg.knowledge.vocab import load_vocabulary
    from kg.outputs.discovery import discover as run_discovery
    from kg.outputs.discovery import write

    try:
        chosen = load_vocabulary(vocabulary) if vocabulary is not None else None
    except user.VocabularyError as err:
        click.echo(f"kg: error: {err}", err=True)
        sys.exit(EXIT_BUILD_FAILED)
    inputs = collect(paths)
    for failure in inputs.failures:
        click.echo(f"kg: error: {failure.path}: {failure.reason}", err=True)
    user.use(chosen)  # its concepts are part of the scheme the candidates are checked against
    try:
        found = run_discovery([Path(p) for p in inputs.files], chosen, keywords=not no_keywords)
    finally:
        user.use(None)
    for file, reason in found.failures:
        click.echo(f"kg: error: {file}: {reason}", err=True)
    click.echo(f"reports read: {found.reports}; candidates: {len(found.candidates)}; named by the scheme already: {len(found.covered)}")
    for path in write(found, out_dir):
        click.echo(f"wrote {path}")


def measure_scheme():
    """The measure scheme, imported when a command needs it (the CLI starts fast)."""
    from kg.knowledge.vocab import measures

    return measures()


def _graph_to_folder(help_text: str):
    """The GRAPH argument and the -o/--output folder of a command that writes files from a written graph."""

    def apply(command):
        return click.argument("graph", type=click.Path(path_type=Path, allow_dash=True))(_output_folder(help_text)(command))

    return apply


@main.command()
@_graph_to_folder("The folder for analysis.html, analysis.md and the CSV tables.")
@click.option(
    "--site",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The folder kg build wrote (graph.html, views/): the analysis links to its views, each row to the view filtered to it.",
)
def analyze(graph: Path, out_dir: Path, site: Path | None) -> None:
    """Analyse GRAPH: adoption, similar units, clusters, distinctive practices, problems.

    Writes OUTPUT/analysis.html (tables and bar charts), OUTPUT/analysis.md
    and one CSV file per table.

    \b
    Example:
        kg analyze output/graph.ttl -o output/analysis --site output
    """
    from kg.outputs.analysis import analyze as run_analysis
    from kg.outputs.analysis import write

    for path in write(run_analysis(_load_graph(graph)), out_dir, site):
        click.echo(f"wrote {path}")


@main.command()
@_graph_to_folder("The folder for the CSV files and tables.xlsx.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "both"]),
    default="both",
    show_default=True,
    help="CSV files (one per table), one XLSX workbook (a sheet per table), or both.",
)
def table(graph: Path, out_dir: Path, fmt: str) -> None:
    """Write the matrices of GRAPH analysts copy into reports.

    unit-measure (each reporting unit and whether it implements or plans each
    measure of the scheme), province-measure (the units of each province that
    implement each measure) and unit-problem-category (the problems each unit
    states, by category); columns by the number of units behind them.

    \b
    Example:
        kg table output/graph.ttl -o output/tables
    """
    from kg.outputs.tables import matrices, write_csv, write_xlsx

    tables = matrices(_load_graph(graph))
    written = write_csv(tables, out_dir) if fmt in ("csv", "both") else []
    if fmt in ("xlsx", "both"):
        written.append(write_xlsx(tables, out_dir / "tables.xlsx"))
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.argument("graph", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "gexf", "neo4j", "nquads"]),
    required=True,
    help="GraphML (yEd, igraph, networkx), GEXF (Gephi), the Neo4j CSV import files, or partitioned gzipped N-Quads "
    "for the bulk loaders of big stores.",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, allow_dash=True),
    required=True,
    help="The file to write, - for standard output (for neo4j and nquads: a folder).",
)
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="nquads: the number of report partitions (part-NNNNN.nq.gz), beside shared.nq.gz.",
)
def export(graph: Path, fmt: str, out: Path, partitions: int) -> None:
    """Export GRAPH for other graph tools: GraphML, GEXF (Gephi), Neo4j CSV, partitioned N-Quads.

    With --format nquads, each report's statements go to the partition its
    id hashes to, in a named graph (the report's IRI), and what no report
    owns to shared.nq.gz; the graph is read as a stream. Load them with
    oxigraph load --location STORE --file OUT/*.nq.gz (docs/scale.md).

    \b
    Example:
        kg export output/graph.ttl --format gexf -o output/graph.gexf
        kg export output/graph.ttl --format neo4j -o output/neo4j
        kg export output/graph.ttl --format nquads -o output/nquads --partitions 64
    """
    from kg.outputs.export import export as run_export

    if fmt == "nquads":
        from kg.rdf.partition import partition
        from kg.rdf.store import GraphError

        try:
            written = partition(graph, out, partitions)
        except (GraphError, SyntaxError, OSError) as err:
            click.echo(f"kg: error: {graph}: {err}", err=True)
            sys.exit(EXIT_SOME_FAILED)
        for path in written:
            click.echo(f"wrote {path}")
        return
    try:
        written = run_export(_load_graph(graph), fmt, out)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="-o/--output") from None
    for path in written:
        click.echo(f"wrote {path}")


def entry() -> None:
    """The ``kg`` program: :func:`main`, then an exit that does not free the graph object by object.

    A build holds millions of small objects; letting the interpreter free
    them one by one adds seconds to every large build after the work is
    done. Commands keep what they built in ``_KEPT``, and every file is
    closed and renamed into place before a command returns, so the process
    can end at once (as mypy does).
    """
    try:
        returned = main.main(standalone_mode=False)  # Ctrl-C reaches here as click.Abort, not as click's "Aborted!" and 1
        code = returned if isinstance(returned, int) else EXIT_OK
    except click.ClickException as err:
        err.show()
        code = err.exit_code
    except click.Abort:
        print("kg: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        code = done.code if isinstance(done.code, int) else (EXIT_OK if done.code is None else EXIT_SOME_FAILED)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe (kg query … | head): nothing left to tell
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
