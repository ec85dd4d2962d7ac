"""The build engine: reports processed in worker processes and cached, merged in order, outputs assembled on disk.

Each input gets a cache key: a digest of the code, the knowledge in
ontology/, the division table, the output format and base IRI, the file's
path and its bytes. A worker reads one report and appends to the cache what
the outputs need of it (see :mod:`kg.builder.cache`); the main process only merges
graph deltas, so it never holds the reports. The outputs are assembled from
the cache in a fixed order (RDF blocks by report id, JSON lines by file), so
any number of workers gives byte-identical files. The merged graph is saved
as well: a later build whose inputs only grew starts from it and processes
only the new files.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from multiprocessing.pool import Pool
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from kg.builder import cluster
from kg.builder.cache import PACKS, Cache, Location, PackWriter, Record, pack_sentences
from kg.builder.entities import EntityTable
from kg.builder.graphfile import GraphFile
from kg.builder.inputs import as_paths, collect, input_name
from kg.builder.stores import (
    graph_identity,
    identity_sum,
    identity_term,
    served_store_exists,
    stamp_of,
    store_change,
    update_served_store,
    write_store,
)
from kg.extract.pipeline import StageClock, process_text
from kg.graph.facts import Facts
from kg.graph.merged import GraphDelta, KnowledgeGraph, delta
from kg.graph.reading import GraphReader, MergeTarget
from kg.knowledge import user
from kg.knowledge.vocab import load_vocabulary
from kg.model import Failure, Report, SourceHint
from kg.outputs import documents, reading, site
from kg.rdf import write as rdf
from kg.text.read import ReadError, load, read_bytes
from kg.text.sources import Sources

MAIN_VIEWS = ("shared-practices", "problems", "instruments")


# The code that shapes a report's cached results — its record, graph delta, RDF block and JSON line —
# by folder: the stages a report goes through and the writers of its pieces. Not the RDF reader, the
# store, the views, the command line or this engine: changing them keeps every cached report.
PER_REPORT_CODE = (
    "model.py",
    "knowledge",
    "text",
    "extract",
    "link",
    "graph/merged.py",  # the deltas; the merged graph's readers and stores are not per report
    "rdf/write.py",
    "rdf/syntax.py",
    "outputs/documents.py",
    "outputs/reading.py",
    "outputs/site.py",
)


def pipeline_version() -> str:
    """A digest of everything that shapes a report's results: that code, the knowledge (with the user's
    vocabulary), the division table."""
    return _pipeline_version(user.knowledge_version())


@lru_cache(maxsize=4)
def _pipeline_version(knowledge: str) -> str:
    from kg.link.divisions import table_version
    from kg.version import __version__

    digest = hashlib.sha256(f"{__version__}|{knowledge}|{table_version()}".encode())
    package = Path(__file__).resolve().parent.parent
    for path in per_report_sources(package):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def per_report_sources(package: Path) -> list[Path]:
    """The Python files of :data:`PER_REPORT_CODE` under the package folder ``package``, in a fixed order."""
    found: list[Path] = []
    for name in PER_REPORT_CODE:
        path = package / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def cache_key(data: bytes, fmt: str, base: str, name: str, hint: SourceHint | None = None) -> str:
    """The key of an input's cached results: what they are made of — the pipeline, format and base IRI, the name the
    outputs give the file, its sources entry and its bytes. Not its path: the same folder given as ``reports/`` or as
    ``/home/ana/reports/``, or from another working directory, is the same input (names are relative to it)."""
    digest = hashlib.sha256(f"{pipeline_version()}\0{fmt}\0{base}\0".encode())
    digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
    if hint is not None:
        digest.update(f"{hint.url}\0{hint.unit}\0".encode())
    digest.update(data)
    return digest.hexdigest()[:32]


class Entry(NamedTuple):
    """One input of a build and its cache key."""

    path: str
    key: str
    changed: bool = False  # edited after the build planned it: keyed again from the bytes read


class Merged(NamedTuple):
    """An input merged into the graph."""

    path: str
    key: str
    report_id: str
    triples: int  # in its RDF block
    same_report: tuple | None = None  # (unit, year, opening): what another file of the same report shares
    length: int = 0  # characters of the file


@dataclass
class Stats:
    """Counts for the build summary, kept per report so that cached reports count without being read."""

    reports: int = 0
    linked: int = 0
    dated: int = 0
    problems: int = 0
    indicators: int = 0

    @classmethod
    def of(cls, report: Report) -> Stats:
        return cls(
            1, int(bool(report.unit and report.unit.linked)), int(report.year is not None), len(report.problems), len(report.indicators)
        )

    def add(self, other: Stats, sign: int = 1) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + sign * getattr(other, name))


@dataclass
class Done:
    """What processing one input gives the main process."""

    entry: Entry
    payload: bytes = b""  # the pickled (report id, triples, stats, delta): pickled once, in the worker
    location: Location | None = None  # where the worker put its record in the cache
    failure: Failure | None = None
    fatal: str | None = None  # the worker could not start: the build stops
    clock: StageClock | None = None
    report: Report | None = None  # only when the caller keeps reports in memory


class BuildError(Exception):
    """The build itself failed (not an input): a worker that cannot start, an output that cannot be written, a lock held."""


# ------------------------------------------------------------------------------ workers

_TASK: dict = {}  # set in each worker: its pack writer, the RDF writer, whether to send reports back


def _init_worker(fmt: str, base: str, cache_root: str | None, keep_reports: bool) -> None:
    if _TASK.get("pack") is not None:  # a worker of a cluster, set up again for another build
        _TASK["pack"].close()
    _TASK.clear()
    try:
        _warm_up()
        _TASK.update(
            pack=PackWriter(Path(cache_root) / PACKS) if cache_root else None,
            writer=rdf.Writer(fmt, base),
            keep=keep_reports,
            fmt=fmt,
            base=base,
        )
    except Exception as err:  # noqa: BLE001 - told to the main process, which stops the build with it
        _TASK["broken"] = f"{type(err).__name__}: {err}"


def _start_worker(fmt: str, base: str, cache_root: str | None, keep_reports: bool) -> None:
    """A worker process: its own lexicons (loaded while the main process loads the last build's graph).

    It never raises: a worker that cannot start answers every task with the
    reason, and the build stops (a pool would start it again and again).
    """
    for handle in _HELD:  # the build's lock belongs to the main process: if it is killed, the folder is free again
        handle.close()
    # Ctrl-C reaches the whole process group: the main process stops the pool and says so in one line
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker(fmt, base, cache_root, keep_reports)
    gc.enable()  # the main process merges without collection; a worker's reports do make cycles


def _work(task: tuple[Entry, SourceHint | None, str]) -> Done:
    """Process one input: extract, make its graph delta, RDF block, JSON line and reading page, and cache them.

    The file is read once; its cache key is computed again from those very
    bytes, so that a file edited since the build planned it is cached under
    what was extracted (``Done.entry`` then carries the new key).
    """
    entry, hint, name = task
    clock = StageClock()
    if "broken" in _TASK:
        return Done(entry, fatal=_TASK["broken"], clock=clock)
    try:
        data = load(entry.path)
        key = cache_key(data, _TASK["fmt"], _TASK["base"], name, hint)
        if key != entry.key:
            entry = Entry(entry.path, key, changed=True)
        clock.lap("read")
        report, clean = process_text(read_bytes(data, name), clock, hint)
        change = delta(report)
        clock.lap("graph")
        pack = _TASK["pack"]
        block, triples = rdf.report_block(report, writer=_TASK["writer"]) if pack else ("", 0)
        clock.lap("serialise")
        payload = pickle.dumps((report.id, triples, Stats.of(report), change), protocol=pickle.HIGHEST_PROTOCOL)
        record = (
            Record(
                block.encode("utf-8"),
                (documents.dumps(report) + "\n").encode("utf-8"),
                payload,
                reading.page(report, clean).encode("utf-8"),
                pack_sentences([(digest, text.encode("utf-8")) for digest, text in rdf.sentence_blocks(report, _TASK["writer"])]),
            )
            if pack
            else None
        )
    except ReadError as err:
        return Done(entry, failure=Failure(entry.path, str(err)), clock=clock)
    except Exception as err:  # noqa: BLE001 - one file that breaks the extractors must not take the build down
        return Done(entry, failure=Failure(entry.path, f"could not be processed ({type(err).__name__}: {err})"), clock=clock)
    location = pack.append(entry.key, record) if record is not None else None  # an error here (a full disk) stops the build
    clock.lap("cache")
    return Done(entry, payload, location, clock=clock, report=report if _TASK["keep"] else None)


def _work_on_cluster(task: tuple[Entry, SourceHint | None, str], setup: cluster.Setup) -> Done:
    """:func:`_work` on a worker of a Dask cluster, set up on its first task (or when the setup changed)."""
    if _TASK.get("setup") != setup.key:
        user.use(setup.vocabulary)  # the measure scheme the main process uses
        _init_worker(setup.fmt, setup.base, setup.cache_root, setup.keep)
        _TASK["setup"] = setup.key
    return _work(task)


def _warm_up() -> None:
    """Load every lexicon, then freeze them out of the garbage collector's reach (it would scan them again and again)."""
    from kg.knowledge.vocab import measures, metrics, problem_categories
    from kg.link.divisions import gazetteer
    from kg.link.instruments import table
    from kg.link.units import organ_lookup
    from kg.link.words import warm_up as words
    from kg.text.normalize import _opencc

    gazetteer().township_short_names(""), table(), organ_lookup(), measures(), metrics(), problem_categories(), _opencc()
    words()
    gc.freeze()


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while the main process builds the graph.

    Merging, pickling and serialising create millions of long-lived objects
    and no cycles; every collection would scan the whole growing graph, which
    makes a 10,000-report build spend more time collecting than merging.
    Objects are still freed by reference counting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # what the build made lives on (the graph) or is freed by reference counting: out of the collector's
        # sight, or its next collection would scan millions of objects once more, for nothing
        gc.freeze()
        if enabled:
            gc.enable()


ONE_WORKER_READS = 16  # inputs to read that one worker ready reads before a second one could load its lexicons


def _stop(pool: Pool | None) -> None:
    if pool is not None:
        pool.terminate()
        pool.join()


def start_pool(processes: int, fmt: str, base: str, cache_root: str | None, keep: bool) -> Pool:
    """Worker processes, each loading its lexicons at once (a second or two): a build starts them before it loads
    the last graph, so that a report edited is read by a worker ready for it."""
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    return context.Pool(processes, initializer=_start_worker, initargs=(fmt, base, cache_root, keep))


class Workers:
    """Done items for the inputs to process, in their order: from worker processes, started at once, from the workers
    of a Dask cluster, or from this process.

    Worker processes load their lexicons and start reading while the main
    process loads the last build's graph; each is forked without the graph.
    """

    def __init__(
        self,
        todo: list[Entry],
        jobs: int,
        fmt: str,
        base: str,
        cache_root: str | None,
        keep: bool,
        sources: Sources | None = None,
        names: dict[str, str] | None = None,
        scheduler: str | None = None,
        pool: Pool | None = None,
    ):
        self.pool = pool  # started by the build before it loaded the last graph (start_pool), or here
        self.cluster: contextlib.ExitStack | None = None
        self.results: Iterator[Done]
        tasks = [
            (entry, sources.get(entry.path) if sources else None, (names or {}).get(entry.path) or input_name(entry.path)) for entry in todo
        ]
        if todo and scheduler:
            self.cluster = contextlib.ExitStack()
            try:
                client = self.cluster.enter_context(cluster.connect(scheduler))
            except cluster.ClusterError as err:
                raise BuildError(str(err)) from None
            self.results = cluster.run(client, _work_on_cluster, tasks, cluster.Setup(fmt, base, cache_root, keep, user.active()))
        elif todo and jobs > 1:
            self.pool = self.pool or start_pool(min(jobs, len(todo)), fmt, base, cache_root, keep)
            self.results = self.pool.imap(_work, tasks, chunksize=max(1, min(8, len(todo) // (jobs * 16))))
        else:
            self.results = self._here(tasks, fmt, base, cache_root, keep)

    @staticmethod
    def _here(todo: list[tuple[Entry, SourceHint | None, str]], fmt: str, base: str, cache_root: str | None, keep: bool) -> Iterator[Done]:
        if not todo:
            return
        _init_worker(fmt, base, cache_root, keep)
        try:
            yield from map(_work, todo)
        finally:
            if _TASK.get("pack"):  # absent when the worker could not start
                _TASK["pack"].close()

    def __next__(self) -> Done:
        return next(self.results)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
        _stop(self.pool)  # every result is in (or the build failed): nothing to wait for


# ------------------------------------------------------------------------------ the build


@dataclass
class BuildResult:
    """What a build did: the merged graph, failures and warnings, what it wrote, how long each stage took."""

    graph: MergeTarget  # in memory (a library build keeping its reports) or on disk, in the cache (closed when build returns)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    entries: list[Merged] = field(default_factory=list)  # in input order
    reports: list[Report] = field(default_factory=list)  # only when asked to keep them
    stats: Stats = field(default_factory=Stats)
    written: dict[str, Path] = field(default_factory=dict)
    processed: int = 0  # inputs read and extracted in this build
    cached: int = 0  # inputs whose results came from the cache
    triples: int = 0
    applied: list[str] = field(default_factory=list)  # cache keys of the reports merged by this build
    retracted: list[str] = field(default_factory=list)  # cache keys of the reports this build took out of the last graph
    removed: list[str] = field(default_factory=list)  # the ids of those reports
    changed: set[str] = field(default_factory=set)  # inputs edited while this build read them
    entities_known: bool = False  # the graph database holds the last graph file's entity blocks (kg.builder.entities)
    touched: set[str] = field(default_factory=set)  # nodes whose entity blocks are out of date
    identity: int = 0  # the identity_sum of the inputs merged (kg.builder.stores), kept as they are merged and taken out
    snapshot: str | None = None  # the saved merged graph this build started from
    previous: str | None = None  # the identity of the last build's graph, when this build started from it
    replaced: dict[str, rdf.EntityBlocks | None] = field(default_factory=dict)  # the last graph file's blocks of the touched nodes
    journal: int = 0  # reports merged on top of that snapshot by earlier builds
    records: int = 0  # journal records on top of that snapshot
    summary: dict[str, int] = field(default_factory=dict)  # nodes by kind, as the graph's summary() counts them
    workers: StageClock = field(default_factory=StageClock)  # per-report stages, summed over the workers
    main: StageClock = field(default_factory=StageClock)  # stages of the main process

    def touch(self, change: GraphDelta) -> None:
        """Note the nodes a merged or retracted report changes, whose entity blocks are drawn again."""
        if self.entities_known:  # else every entity is drawn: a clean build need not hold every key
            self.touched |= change.entity_keys()


def plan(
    paths: Iterable[str | Path],
    fmt: str = "turtle",
    base: str = rdf.DEFAULT_BASE,
    known: dict[str, tuple[int, int, str]] | None = None,
    sources: Sources | None = None,
    exclude: Iterable[str | Path] = (),
) -> tuple[list[Entry], list[Failure], dict[str, tuple[int, int, str]], dict[str, str]]:
    """The inputs of a build with their cache keys, the paths that cannot be read, what each file was, and
    the names the outputs give the files (:func:`kg.builder.inputs.input_name`).

    A file listed in ``known`` with the same size and modification time keeps
    its key without being read again (as git's index does); ``known`` belongs
    to one version of the sources list, whose hints are part of the keys.
    """
    inputs = collect(paths, exclude)
    known = known or {}
    entries, failures, files = [], list(inputs.failures), {}
    for path in inputs.files:
        try:
            status = os.stat(path)
            seen = known.get(path)
            if seen and seen[0] == status.st_size and seen[1] == status.st_mtime_ns:
                key = seen[2]
            else:
                key = cache_key(load(path), fmt, base, inputs.names[path], sources.get(path) if sources else None)
                seen = (status.st_size, status.st_mtime_ns, key)
        except ReadError as err:
            failures.append(Failure(path, str(err)))
            continue
        except OSError as err:
            failures.append(Failure(path, f"cannot be read ({err.strerror or err})"))
            continue
        entries.append(Entry(path, key))
        files[path] = seen  # the very entry of ``known`` when the file is unchanged
    return entries, failures, files, inputs.names


def merge(
    entries: list[Entry],
    *,
    jobs: int = 1,
    fmt: str = "turtle",
    base: str = rdf.DEFAULT_BASE,
    cache: Cache | None = None,
    keep_reports: bool = False,
    progress: Callable[[int, int], None] | None = None,
    result: BuildResult | None = None,
    use_state: bool = True,
    sources: Sources | None = None,
    names: dict[str, str] | None = None,
    scheduler: str | None = None,
    pool: Pool | None = None,
) -> BuildResult:
    """Process the inputs not in the cache and merge every report into one graph, in input order.

    With a cache, the last build's merged graph is the starting point when
    every input it merged is still an input, unchanged; then only the others
    are merged into it. Two inputs with the same text (the same report id)
    are merged once; the second is left out with a warning. A ``pool`` of worker processes started already
    (:func:`start_pool`) is used, and stopped with the merge.
    """
    result = result or BuildResult(KnowledgeGraph())
    state = _state(cache, result.graph) if cache is not None and use_state and not keep_reports else None
    # damaged records are made again; those the merge will unpickle are read and checked now, the others (in the
    # saved graph already: only their blocks are copied) were checked when they were merged
    merged = {m.key for m in state["entries"]} if state is not None else set()
    todo = [e for e in entries if keep_reports or cache is None or not cache.valid(e.key, read=e.key not in merged)]
    cache_root = str(cache.root) if cache is not None else None
    with Workers(todo, jobs, fmt, base, cache_root, keep_reports, sources, names, scheduler, pool) as workers:
        return _merge(entries, todo, workers, cache, state, progress, result, names)


def _merge(
    entries: list[Entry],
    todo: list[Entry],
    workers: Workers,
    cache: Cache | None,
    state: dict | None,
    progress: Callable[[int, int], None] | None,
    result: BuildResult,
    names: dict[str, str] | None = None,
) -> BuildResult:
    resumed = _resume(result, cache, state, entries, todo) if state is not None and cache is not None else None
    if resumed is None and isinstance(result.graph, Facts):
        result.graph.clear()  # the saved graph is not this build's starting point: every report is merged again
    merged = resumed or {}  # inputs already in the starting graph (each has its record in the cache)
    result.main.lap("cache")
    in_state = {m.report_id for m in merged.values()}
    pending = set(todo)
    seen: dict[str, str] = {}
    # (unit, year, opening) → (path, length) of the file merged for that report
    same: dict[tuple, tuple[str, int]] = {m.same_report: (m.path, m.length) for m in merged.values() if m.same_report}
    superseded: set[str] = set()  # files merged before a longer file of the same report came
    paths: dict[str, str] = {}  # report id → the input it was read from, for the reports kept in memory
    conflict = False
    for number, entry in enumerate(entries, 1):
        done = _answer(workers, result.main) if entry in pending else None
        if done is not None:
            if done.fatal:
                raise BuildError(f"the worker processes could not start: {done.fatal}")
            assert done.clock is not None  # every answer of _work has its clock
            result.workers.merge(done.clock)
            result.processed += 1
            if done.entry.changed:  # edited since it was planned: cached (and merged) under what was read
                result.warnings.append((entry.path, "changed while the build read it: built from the content read"))
                result.changed.add(entry.path)
                entry = done.entry
            if done.location and cache is not None:
                cache.add(entry.key, done.location)
        else:
            result.cached += 1
        if entry in merged:
            seen[merged[entry].report_id] = entry.path
            result.entries.append(merged[entry])
        elif done is not None and done.failure:
            result.failures.append(done.failure)
        else:
            if done is not None:
                payload = done.payload
            else:
                assert cache is not None  # without a cache every input is processed: done is None only for cached ones
                try:
                    payload = cache.entry(entry.key)
                except LookupError as err:  # changed on disk since a build checked it, size and time kept
                    raise BuildError(f"{err}: the next build makes it again") from None
            report_id, triples, stats, change = pickle.loads(payload)
            twin = same.get(change.same_report) if change.same_report else None
            if report_id in seen:
                result.warnings.append((entry.path, f"same text as {seen[report_id]}: left out"))
            elif report_id in in_state:
                conflict = True  # a new file repeats one already merged, and comes first: merge all again
            elif twin is not None and change.length <= twin[1]:
                result.warnings.append((entry.path, _same_report(twin[0], change.length, twin[1])))
            elif twin is not None:  # a longer file of a report merged already: merge all again without the shorter one
                superseded.add(twin[0])
                conflict = True
                if done is not None and done.report is not None:
                    result.reports.append(done.report)  # kept in memory: the graph is made again from the reports
                    paths[done.report.id] = entry.path
            else:
                seen[report_id] = entry.path
                if change.same_report:
                    same[change.same_report] = (entry.path, change.length)
                result.graph.apply(change)
                result.stats.add(stats)
                result.entries.append(Merged(entry.path, entry.key, report_id, triples, change.same_report, change.length))
                result.identity += identity_term(result.entries[-1])
                result.applied.append(entry.key)
                result.touch(change)
                result.warnings.extend((entry.path, warning) for warning in change.warnings)
                if done is not None and done.report is not None:
                    result.reports.append(done.report)
                    paths[done.report.id] = entry.path
        if progress:
            progress(number, len(entries))
    result.main.lap("merge")
    if conflict and cache is None:  # the reports are in memory (kept): the graph is made again from them, in input order
        order = {entry.path: n for n, entry in enumerate(entries)}
        kept_reports = sorted((r for r in result.reports if paths[r.id] not in superseded), key=lambda r: order[paths[r.id]])
        again = BuildResult(KnowledgeGraph(), warnings=[w for w in result.warnings if w[0] not in superseded])
        keys = {entry.path: entry.key for entry in entries}
        for report in kept_reports:
            path = paths[report.id]
            change = delta(report)
            again.graph.apply(change)
            again.stats.add(Stats.of(report))
            again.entries.append(Merged(path, keys[path], report.id, 0, change.same_report, change.length))
            again.warnings.extend((path, warning) for warning in change.warnings if (path, warning) not in again.warnings)
        again.applied = [m.key for m in again.entries]
        again.identity = identity_sum(again.entries)
        result.reports = kept_reports
    elif conflict:  # everything readable is in the cache now: only the merge is done again, without the state
        failed = {failure.path for failure in result.failures} | superseded
        start = BuildResult(result.graph.clear() if isinstance(result.graph, Facts) else KnowledgeGraph())
        again = merge([e for e in entries if e.path not in failed], cache=cache, use_state=False, names=names, result=start)
    if conflict:
        for path in sorted(superseded):
            left = next(m for m in result.entries if m.path == path)
            kept = next(m for m in again.entries if m.same_report == left.same_report)
            again.warnings.append((path, _same_report(kept.path, left.length, kept.length)))
        result.graph, result.stats, result.snapshot, result.journal, result.previous = again.graph, again.stats, None, 0, None
        result.identity = again.identity
        result.records = 0
        result.entities_known, result.touched = False, set()
        result.entries, result.applied, result.warnings = again.entries, again.applied, again.warnings
    if isinstance(result.graph, Facts):
        result.graph.index()  # a graph emptied for this merge is indexed once its reports are in
    return result


def _answer(workers: Workers, clock: StageClock) -> Done:
    """The workers' next answer, the wait for it (or, with one process, their work) timed: the clock is read for the
    inputs processed only — twice for each of 100,000 inputs cost a national edit a third of a second."""
    clock.lap("merge")
    done = next(workers)
    clock.lap("workers")
    return done


def _resume(result: BuildResult, cache: Cache, state: dict, entries: list[Entry], todo: list[Entry]) -> dict[Entry, Merged] | None:
    """Start from the last build's graph when every input it merged is still an input, unchanged, or gone: the gone
    ones are taken out. Returns the inputs it holds, or None when it cannot be the start.

    Inputs are matched by their keys, which hold their names in the outputs, not their paths: the same folder given
    by another path is the same graph (the inputs it holds are then named by their paths of this build).
    """
    current: dict[str, Entry] = {}
    for entry in entries:
        current.setdefault(entry.key, entry)  # the same bytes under the same name twice: the first is merged
    staying: list[Merged] = []
    gone: list[Merged] = []  # removed, or edited since
    for m in state["entries"]:
        now = current.get(m.key)
        if now is None:
            gone.append(m)
        else:
            staying.append(m if now.path == m.path else m._replace(path=now.path))
    redone = {entry.key for entry in todo}
    if any(m.key in redone for m in staying) or not all(cache.valid(m.key, read=True) for m in gone):
        return None
    result.stats = state["stats"]  # the graph is the last build's: its database holds it already
    warned = {path for path, _ in state["warnings"]}
    path_now = {m.path: current[m.key].path for m in state["entries"] if m.path in warned and m.key in current}
    result.warnings.extend((path_now[w[0]], w[1]) for w in state["warnings"] if w[0] in path_now)
    result.snapshot, result.journal, result.records = state["snapshot"], state["journal"], state["records"]
    # kept with the state (one saved before it was is summed once)
    result.identity = state["identity"] if state.get("identity") is not None else identity_sum(state["entries"])
    result.previous = graph_identity(result.identity, pipeline_version())
    result.entities_known = True
    if gone:
        keys = {m.report_id: m.key for m in state["entries"]}
        for m in gone:
            _retract(result, cache, m.key, keys)
            result.retracted.append(m.key)
            result.removed.append(m.report_id)
            result.identity -= identity_term(m)
    return {current[m.key]: m for m in staying}


def _same_report(kept: str, length: int, kept_length: int) -> str:
    """The warning for a file left out because a longer file holds the same report."""
    return f"same report as {kept} (same unit, year and opening; {length} characters against {kept_length}): left out, {kept} kept"


def _retract(result: BuildResult, cache: Cache, key: str, keys: dict[str, str]) -> None:
    """Take one report (by its cache key) out of the merged graph: its delta, its counts; its nodes' blocks are redrawn.

    ``keys`` gives the cache key of any report merged (by id), for the evidence an edge must find again.
    """
    _report_id, _triples, stats, change = pickle.loads(cache.entry(key))
    deltas: dict[str, GraphDelta] = {}

    def delta_of(report_id: str) -> GraphDelta:
        if report_id not in deltas:  # cache.entry checks the record before it is unpickled (LookupError if it fails)
            deltas[report_id] = pickle.loads(cache.entry(keys[report_id]))[3]
        return deltas[report_id]

    result.graph.retract(change, delta_of)
    result.stats.add(stats, -1)
    result.touch(change)


def _state(cache: Cache, graph: MergeTarget) -> dict | None:
    """What the last build saved beside its merged graph (the database ``graph``, with the entity blocks of its
    graph file): its snapshot with the journal of later builds replayed — when the database holds the graph of that
    very state."""
    loaded = cache.load_state(pipeline_version())
    if loaded is None or not isinstance(graph, Facts):
        return None
    state, journal = loaded
    if graph.generation() != generation(state["snapshot"], len(journal)):
        return None  # a build stopped between saving its state and committing its graph: merged again
    # the inputs merged, by key, changed record by record: the work of the changes, not of the corpus per record
    merged: dict[str, Merged] = {m.key: m for m in state["entries"]} if journal else {}
    for record in journal:
        if "added" not in record and "entries" not in record:
            return None  # a journal of another layout: merged again
        if not all(cache.valid(key, read=True) for key in record["applied"] + record["retracted"]):
            return None  # a record the journal needs is gone
        for direction, keys in ((-1, record["retracted"]), (1, record["applied"])):
            for key in keys:
                state["stats"].add(pickle.loads(cache.entry(key))[2], direction)
        if "added" in record:  # a record holds what changed, not the whole list of inputs again
            for key in record["retracted"]:
                merged.pop(key, None)
            merged.update((m.key, m) for m in record["added"])
        else:  # written before records held only the change (kg 0.1.0 until 2026-12-03): the whole list
            merged = {m.key: m for m in record["entries"]}
        state["warnings"] = record["warnings"]
        state["identity"] = record.get("identity")
    if journal:
        state["entries"] = list(merged.values())
    state["journal"] = sum(len(record["applied"]) + len(record["retracted"]) for record in journal)
    state["records"] = len(journal)
    return state


def generation(snapshot: str, records: int) -> str:
    """The name of a saved state: its snapshot and the journal records on top of it (what the graph database is of)."""
    return f"{snapshot}+{records}"


def build(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    *,
    fmt: str = "turtle",
    base: str = rdf.DEFAULT_BASE,
    jobs: int | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    store_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    sources: Sources | None = None,
    vocabulary: str | Path | None = None,
    scheduler: str | None = None,
) -> BuildResult:
    """Build the graph of ``paths`` into ``out_dir``: the graph file, views, documents.jsonl (and an Oxigraph store).

    ``jobs`` worker processes (default: one per core) read the reports; the
    outputs are the same for any number. With ``use_cache``, per-report
    results are kept in ``cache_dir`` (default ``out_dir/.kg-cache``) and a
    later build redoes only the files that are new or changed. Every file is
    replaced atomically; nothing is written when no input could be read.
    ``sources`` (:func:`kg.text.sources.load`) gives the page address or unit of files. ``vocabulary`` is
    the user's vocabulary file (:mod:`kg.knowledge.user`; default ``out_dir/vocabulary.tsv`` or ``.ttl``).
    With ``scheduler`` (a Dask scheduler's address, or ``local:N``) the reports are read by the workers of that
    cluster instead (:mod:`kg.builder.cluster`); the outputs are the same.
    """
    paths = as_paths(paths)
    base = rdf.base_iri(base)
    rdf.Writer(fmt, base)  # an unknown format or a base that cannot be written: refused here, before any worker starts
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive whole number, not {jobs!r}")
    chosen = user_vocabulary(vocabulary, Path(out_dir))
    with paused_gc():
        user.use(chosen)  # the measure scheme, the cache keys and the workers (forked from here) see it
        try:
            with locked(Path(out_dir)):
                return _build_locked(
                    paths,
                    Path(out_dir),
                    fmt,
                    base,
                    jobs or os.cpu_count() or 1,
                    cache_dir,
                    use_cache,
                    store_dir,
                    progress,
                    sources,
                    scheduler,
                )
        finally:
            user.use(None)


def user_vocabulary(given: str | Path | None, out_dir: Path) -> user.Vocabulary | None:
    """The vocabulary file given, or the one in the output folder; a file that cannot be used stops the build."""
    path = Path(given) if given is not None else next((out_dir / n for n in user.FILE_NAMES if (out_dir / n).is_file()), None)
    if path is None:
        return None
    try:
        return load_vocabulary(path)
    except user.VocabularyError as err:
        raise BuildError(str(err)) from None


LOCK_FILE = ".kg-build.lock"


@contextlib.contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder: a second one stops at once with the reason (:class:`BuildError`).

    The lock is the operating system's (``flock``) on a file in the folder:
    it goes when the build's process does, however it ends.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no lock
        yield
        return
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = open(out_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole build
    except OSError as err:
        raise BuildError(f"cannot write into {out_dir} ({err.strerror or err})") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is writing into {out_dir}: wait for it to end, or build into another folder") from None
        _HELD.append(handle)
        yield
    finally:
        if handle in _HELD:
            _HELD.remove(handle)
        handle.close()


_HELD: list = []  # the lock files this process holds: a forked worker closes its copies (a killed build frees its folder)


def _build_locked(
    paths,
    out_dir: Path,
    fmt: str,
    base: str,
    jobs: int,
    cache_dir,
    use_cache: bool,
    store_dir,
    progress,
    sources: Sources | None = None,
    scheduler: str | None = None,
) -> BuildResult:
    root = Path(cache_dir or out_dir / ".kg-cache") if use_cache else Path(tempfile.mkdtemp(prefix="kg-cache-"))
    remove_leftovers(out_dir, root)
    # a build over a cache mostly reads a few files edited since the last one: one worker loads its lexicons (two
    # seconds) while this process lists the inputs and loads the last graph, rather than after
    warm = start_pool(1, fmt, base, str(root), False) if jobs > 1 and use_cache and not scheduler and (root / PACKS).is_dir() else None
    pool = None
    try:
        cache = Cache(root)
        inputs_version = f"{pipeline_version()}|{fmt}|{base}|{sources.digest if sources else ''}"
        known = cache.load_files(inputs_version) if use_cache else {}
        entries, failures, files, names = plan(paths, fmt, base, known, sources, exclude=[out_dir, root])
        # the inputs the cache has no record of are read by workers that load their lexicons while this process loads
        # the last graph; none start for a build with nothing new (merge starts its own for records found damaged)
        new = sum(1 for entry in entries if entry.key not in cache.index)
        if warm is not None and 0 < new <= ONE_WORKER_READS:
            pool, warm = warm, None
        _stop(warm)  # nothing new, or more than it reads alone: stopped before the others start
        if pool is None and jobs > 1 and new and not scheduler:
            pool = start_pool(min(jobs, new), fmt, base, str(root), False)
        graph = open_graph(root, cache)
    except BaseException:
        _stop(warm)
        _stop(pool)
        raise
    result = BuildResult(graph, failures=failures)
    staging = out_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"  # every output is written here, then moved into place together
    try:
        merge(
            entries,
            jobs=jobs,
            fmt=fmt,
            base=base,
            cache=cache,
            progress=progress,
            result=result,
            sources=sources,
            names=names,
            scheduler=scheduler,
            pool=pool,
        )
        if not result.entries:
            return result
        graph_file = write_graph(result, cache, staging, fmt, base, published=out_dir)
        result.main.lap("serialise")
        # the merged graph is kept now, before the files: they are made from it as committed — with a second core the
        # graph file and the analysis by helper processes while the views are drawn. A build failing from here leaves
        # the previous outputs and a cache one step ahead of them: the next build merges nothing and writes them all.
        if use_cache:
            _save_state(cache, result)
        else:
            graph.commit()
        result.main.lap("cache")
        writing = graph_file.start() if jobs > 1 else None
        if writing is None:
            result.triples = graph_file.write()
            result.main.lap("serialise")
        # beside the views only when the build started from the last one's graph: one that merged every report holds
        # that memory still, which the analysis reuses in this process and would add to in its own
        from kg.builder import analysis_job  # the views' and the analysis's code is imported once they are drawn

        beside = analysis_job.start(Path(graph.path), staging) if jobs > 1 and result.previous is not None else None
        try:
            result.written.update(write_views(result.graph, staging))
            result.main.lap("html")
            if beside is None:
                result.written.update(analysis_job.write_analysis(result.graph, staging))
            else:
                beside.wait()
                result.written.update(analysis_job.analysis_written(staging))
            result.main.lap("analysis")  # with a helper: waiting for it, if the views were done first
            if writing is not None:
                result.triples = writing.wait()
        finally:
            for helper in (beside, writing):
                if helper is not None:
                    helper.stop()  # the views failed: what the helpers write is thrown away
        result.triples += sum(m.triples for m in result.entries)
        result.main.lap("writer")  # waiting for the helper, if the views were done first
        before = stamp_of(out_dir / result.written["rdf"].relative_to(staging))  # the last build's graph file
        result.written = publish(staging, out_dir, result.written)
        remove_stale_pages(out_dir, result.entries, result.removed)
        result.main.lap("publish")
        # the stores, before the cache drops the records of the reports taken out: their blocks leave the stores
        identity = graph_identity(result.identity, pipeline_version())
        change = (
            store_change(result, cache, entity_table(result), fmt, base)
            if store_dir or (use_cache and served_store_exists(out_dir))
            else None
        )
        if store_dir:
            result.written["store"] = write_store(result, identity, change, Path(store_dir))
        if use_cache:
            update_served_store(result, identity, change, cache, out_dir, before)
        result.main.lap("store")
        if use_cache:
            cache.compact({m.key for m in result.entries})
            cache.save_index()
            if _files_changed(known, files) > UNSAVED_FILES:
                cache.save_files(inputs_version, {path: seen for path, seen in files.items() if path not in result.changed})
            result.main.lap("cache")
        result.warnings.extend((str(root), problem) for problem in cache.problems)  # told, not kept for the next build
        result.summary = graph.summary()
    except sqlite3.OperationalError as err:
        # the graph database's writes fail as the files' do: the disk is full, the folder read-only
        code = _SQLITE_NO_ROOM.get(getattr(err, "sqlite_errorcode", 0) & 0xFF)
        if code is None:
            raise
        raise BuildError(f"cannot write into {out_dir} ({os.strerror(code)})") from None
    except OSError as err:
        if err.errno not in _NO_ROOM:
            raise
        # a full disk, a read-only folder: named by the folder the user gave, not the staging one
        where = err.filename if isinstance(err.filename, str) and not Path(err.filename).is_relative_to(staging) else out_dir
        raise BuildError(f"cannot write into {where} ({err.strerror or err})") from None
    finally:
        graph.close()  # what _save_state did not commit is rolled back
        (root / ENTITY_PIECE).unlink(missing_ok=True)
        cache.close()
        shutil.rmtree(staging, ignore_errors=True)
        if not use_cache:
            shutil.rmtree(root, ignore_errors=True)
    return result


UNSAVED_FILES = 1000  # inputs listed otherwise than the saved list says, past which it is written again


def _files_changed(known: dict[str, tuple[int, int, str]], files: dict[str, tuple[int, int, str]]) -> int:
    """How many inputs the saved list (``known``) does not give as this build found them — new, changed or gone.

    Below :data:`UNSAVED_FILES` the list is not written again (a third of a second for a national folder): the next
    build hashes those few files again — a millisecond each, never read by a worker as their keys are in the cache.
    """
    same = sum(1 for path, seen in files.items() if known.get(path) is seen)
    return len(files) - same + len(known) - same


STAGING_PREFIX = ".kg-new-"
GRAPH_DATABASE = "graph.sqlite"  # in the cache folder: the merged graph (kg.graph.facts)
_SQLITE_NO_ROOM = {13: errno.ENOSPC, 8: errno.EROFS}  # SQLITE_FULL, SQLITE_READONLY
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}  # what stops every write
_ATOMIC_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp\Z")  # kg.files.atomic.atomic_path's names: .graph.ttl.k3j_x9a2.tmp


def remove_leftovers(out_dir: Path, cache_root: Path) -> None:
    """Staging folders, temporary files and outputs set aside that a killed build left behind (the caller holds the
    folder's lock)."""
    for folder in (out_dir, cache_root, cache_root / PACKS):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = folder / name
            if name.startswith(STAGING_PREFIX) and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif _ATOMIC_TEMPORARY.match(name) or name.startswith(SET_ASIDE_PREFIX):
                with contextlib.suppress(OSError):
                    path.unlink()


def publish(staging: Path, out_dir: Path, written: dict[str, Path]) -> dict[str, Path]:
    """Move every file written under ``staging`` to the same place under ``out_dir``; returns where they now are.

    Nothing is moved before everything is written, so a build that fails on
    the way leaves the previous outputs whole, never a mix of two builds.
    """
    moved, replaced = {}, []
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = out_dir / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        replaced += _kept_aside(target)
        os.replace(path, target)
    if replaced:
        _remove_beside(replaced)
    for name, path in written.items():
        moved[name] = out_dir / Path(path).relative_to(staging) if Path(path).is_relative_to(staging) else Path(path)
    return moved


SET_ASIDE_PREFIX = ".kg-old-"  # an output replaced by a build, removed by a process of its own once the new one is in place
SET_ASIDE_SIZE = 64 * 2**20  # bytes from which an output replaced is removed beside the build, not in its way


def _kept_aside(target: Path) -> list[Path]:
    """A large output about to be replaced, linked under another name: its removal — freeing a national graph file's
    4 GB takes the file system a second — is then no part of the replacement (:func:`_remove_beside`)."""
    try:
        if target.stat().st_size < SET_ASIDE_SIZE:
            return []
        aside = target.with_name(f"{SET_ASIDE_PREFIX}{uuid.uuid4().hex[:12]}")
        os.link(target, aside)
    except OSError:  # none yet, or a file system without hard links: replaced in place
        return []
    return [aside]


_REMOVING: list[subprocess.Popen] = []  # the removals under way, not waited for
_REMOVE = "import os, sys\nfor path in sys.argv[1:]:\n    try:\n        os.unlink(path)\n    except OSError:\n        pass\n"


def _remove_beside(paths: list[Path]) -> None:
    """Remove outputs set aside in a process of their own that the build does not wait for. Not a thread: a process
    cannot end while one of its threads is in the kernel freeing a file, so the build would still wait the second at
    its exit. One stopped first leaves them to the next build's :func:`remove_leftovers`."""
    _REMOVING[:] = [process for process in _REMOVING if process.poll() is None]
    try:
        _REMOVING.append(
            subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _REMOVE, *map(os.fspath, paths)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # not stopped by the Ctrl-C that stops the build
            )
        )
    except OSError:  # no process to be had: removed here
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()


JOURNAL_SHARE = 0.10  # reports merged on top of a snapshot, as a share of all, before a new snapshot is due


def _save_state(cache: Cache, result: BuildResult) -> None:
    """Keep what the next build starts from: the merged graph's database, committed, and beside it a journal record
    of what was added, or a new snapshot of the build's entries, counts and warnings.

    Writing the snapshot costs seconds at 10,000 reports; a build that
    added a few reports to a snapshot records what it changed instead (the
    inputs it merged and the cache keys of those it took out), and
    the next build replays them. The state is saved first and the database
    committed under its name after: a build stopped between the two leaves a
    database the next build does not trust.
    """
    warnings = [w for w in result.warnings if not w[1].startswith(("same text as", "same report as"))]  # found again each build
    merged_since = result.journal + len(result.applied) + len(result.retracted)
    if result.snapshot and merged_since <= JOURNAL_SHARE * len(result.entries):
        if result.applied or result.retracted:
            applied = set(result.applied)
            added = [m for m in result.entries if m.key in applied]
            record = {"added": added, "applied": result.applied, "retracted": result.retracted, "warnings": warnings}
            record["identity"] = result.identity
            cache.append_journal(result.snapshot, record)
            result.records += 1
        name = generation(result.snapshot, result.records)
    else:
        state = {"entries": result.entries, "stats": result.stats, "warnings": warnings, "identity": result.identity}
        name = generation(cache.save_state(pipeline_version(), state), 0)
    if isinstance(result.graph, Facts):
        result.graph.commit(name)


def write_graph(result: BuildResult, cache: Cache, out_dir: Path, fmt: str, base: str, published: Path | None = None) -> GraphFile:
    """Draw the entity blocks this build's reports touched into the graph database, and say where the rest of the
    graph file, documents.jsonl and the reading pages lie: a :class:`GraphFile` to write once the database is
    committed.

    The report blocks, JSON lines and reading pages are copied from the cache's
    packs. A report merged by an earlier build whose page is already in
    ``published`` (the output folder, when ``out_dir`` is its staging folder)
    keeps that page: only the pages of the reports this build merged are written.
    """
    writer = rdf.Writer(fmt, base)
    rdf_path, documents_path = out_dir / f"graph{rdf.FORMATS[fmt]}", out_dir / "documents.jsonl"
    table = entity_table(result)
    if not result.entities_known:
        table.clear()
        table.put(rdf.iter_entity_texts(result.graph, writer))
    else:  # the last graph file's entities, with the ones this build's reports touched drawn again (or gone)
        for key in sorted(result.touched):
            result.replaced[key] = table.remove(key)
        table.put(rdf.iter_entity_texts(result.graph, writer, sorted(k for k in result.touched if k in result.graph)))
    result.entities_known = True
    in_order = sorted(result.entries, key=attrgetter("report_id"))
    assert isinstance(result.graph, Facts)  # a build writing its graph file from the cache merges on disk
    merged_now = set(result.applied)
    job = GraphFile(
        fmt,
        base,
        str(rdf_path),
        str(Path(result.graph.path).resolve()),
        str(cache.root / ENTITY_PIECE),
        str(documents_path),
        str(cache.packs),
        records=[cache.index[m.key][:3] for m in in_order],
        by_input=sorted(range(len(in_order)), key=[m.path for m in in_order].__getitem__),
        report_ids=[m.report_id for m in in_order],
        new={n for n, m in enumerate(in_order) if m.key in merged_now},
        published=str(published) if published is not None else None,
    )
    result.written.update(rdf=rdf_path, documents=documents_path, reports=out_dir / site.REPORTS)
    return job


ENTITY_PIECE = "entities.part"  # in the cache folder: the entity blocks gathered for the graph file, removed after the build


def open_graph(root: Path, cache: Cache) -> Facts:
    """The merged graph's database in the cache folder, its changes begun as one transaction; a damaged one is set
    aside (the graph is merged again) and one another build is changing stops this build with the reason."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / GRAPH_DATABASE
    for attempt in (1, 2):
        try:
            graph = Facts(path)
        except sqlite3.DatabaseError:
            if attempt == 2:
                raise
            cache.problems.append(f"the merged graph's database {path.name} is damaged: merged again")
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
            continue
        try:
            graph.begin()
        except sqlite3.OperationalError:
            graph.close()
            raise BuildError(f"another build is using the cache {root}: wait for it to end, or give another --cache") from None
        return graph
    raise AssertionError("unreachable")


def entity_table(result: BuildResult) -> EntityTable:
    """The entity blocks kept in the build's graph database."""
    assert isinstance(result.graph, Facts)  # a build writing its graph file from the cache merges on disk
    return EntityTable(result.graph.db)


def remove_stale_pages(out_dir: Path, entries: list[Merged], removed: Iterable[str] = ()) -> None:
    """The reading pages of reports no longer built (a report removed or edited since the last build).

    The pages of the reports this build took out (``removed``, report ids: those merged again keep theirs) go first;
    then, as every input has its page, a folder holding as many pages as there are inputs holds no other — only when
    it holds more is each name looked up (a national folder's 100,000 names, for a build that removed one report).
    """
    folder = out_dir / site.REPORTS
    merged = {m.report_id for m in entries} if removed else set()
    for report_id in removed:
        if report_id not in merged:
            (out_dir / site.report_path(report_id)).unlink(missing_ok=True)
    try:
        pages = [name for name in os.listdir(folder) if name.endswith(".html")]
    except FileNotFoundError:
        return
    if len(pages) == len(entries):
        return
    kept = merged or {m.report_id for m in entries}
    for name in pages:
        if name[: -len(".html")] not in kept:
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def write_views(graph: GraphReader, out_dir: Path) -> dict[str, Path]:
    """graph.html (the overview) and views/*.html (the main views): each page links the others (kg.outputs.site)."""
    # imported here, not with the engine: a build's worker processes, forked before the views, never draw them
    from kg.outputs import pages as viz
    from kg.outputs import views

    written = {"html": out_dir / site.PATHS["overview"], **{name: out_dir / site.PATHS[name] for name in MAIN_VIEWS}}
    digest = views.Digest(graph)
    drawn = {name: views.build_view(graph, "overview" if name == "html" else name, digest=digest, with_who=False) for name in written}
    digest.who_rows({node["id"] for view in drawn.values() for node in view.nodes})  # one pass for every page
    for name, path in written.items():
        here = path.relative_to(out_dir).as_posix()
        view = drawn.pop(name)  # written, then let go; its rows are written as they are read from the digest's store
        viz.write(view, path, site.links(here), site.relative(site.REPORTS, here) + "/", who=views.who_json(view, digest))
        del view
    return written
