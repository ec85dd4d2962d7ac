"""The build engine: parallel, cached and incremental builds write exactly what a clean one-process build writes."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.builder.engine
import kg.files.assemble
from conftest import CORPUS, SEEDS, require_corpus
from kg.builder.cache import MAX_PACKS, PACKS, Cache, Record
from kg.builder.engine import BuildError, build
from kg.builder.progress import Progress
from kg.cli import main


def outputs(out_dir):
    """Every output file by relative path (the cache left out)."""
    return {str(p.relative_to(out_dir)): p.read_bytes() for p in sorted(out_dir.rglob("*")) if p.is_file() and ".kg-cache" not in p.parts}


def assert_same_outputs(a, b):
    left, right = outputs(a), outputs(b)
    assert left.keys() == right.keys()
    assert [name for name in left if left[name] != right[name]] == []


def assert_same_as_a_clean_build(folder, out, tmp_path):
    """The outputs in ``out`` are those of a build of ``folder`` without a cache (the file paths are part of them)."""
    build([folder], tmp_path / "reference", jobs=1, use_cache=False)
    assert_same_outputs(tmp_path / "reference", out)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The seeds and the corpus, copied to one folder that tests may change (as analysts add reports).

    d005 is the beginning of seed 000 (the same report): it is left out here, so that every input is
    one report; test_an_excerpt_and_its_report_are_merged_once covers the pair.
    """
    require_corpus()
    folder = tmp_path_factory.mktemp("inputs") / "reports"
    folder.mkdir()
    for path in sorted(SEEDS.glob("*.txt")) + sorted(CORPUS.glob("d*.txt")):
        if path.name != EXCERPT_OF_SEED_000:
            shutil.copy(path, folder / path.name)
    return folder


EXCERPT_OF_SEED_000 = "d005.txt"


@pytest.mark.parametrize("order", ["excerpt first", "report first"])
def test_an_excerpt_and_its_report_are_merged_once(tmp_path, order):
    """Two files of one report (same unit, year and opening): the longer is kept, the other named in a warning."""
    require_corpus()
    folder = tmp_path / "in"
    folder.mkdir()
    names = ("a.txt", "b.txt") if order == "excerpt first" else ("b.txt", "a.txt")
    shutil.copy(CORPUS / EXCERPT_OF_SEED_000, folder / names[0])
    shutil.copy(SEEDS / "000_5cc3c28cd58ae867.txt", folder / names[1])
    for run in range(2):  # a clean build, then one from the cache and the saved graph
        result = build([folder], tmp_path / "out", jobs=1)
        assert [m.path for m in result.entries] == [str(folder / names[1])], run
        warning = next(w for path, w in result.warnings if path == str(folder / names[0]))
        assert warning.startswith(f"same report as {folder / names[1]}") and "left out" in warning
    assert len((tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()) == 1
    (folder / names[1]).rename(tmp_path / "kept-aside.txt")  # the report taken out of the graph: its excerpt comes in
    result = build([folder], tmp_path / "out", jobs=1)
    assert [m.path for m in result.entries] == [str(folder / names[0])] and result.retracted and not result.warnings
    (tmp_path / "kept-aside.txt").rename(folder / names[1])
    from kg.builder.corpus import build as build_in_memory

    corpus = build_in_memory([folder])  # the library's in-memory build agrees
    assert [r.file for r in corpus.reports] == [f"in/{names[1]}"] and len(corpus.graph.reports) == 1  # named relative to the input


@pytest.fixture(scope="module")
def clean(inputs, tmp_path_factory):
    """A clean build of every input in one process, with no cache."""
    out = tmp_path_factory.mktemp("clean")
    result = build([inputs], out, jobs=1, use_cache=False)
    assert result.processed == len(list(inputs.iterdir())) and not result.failures
    return out


def fresh_copy(inputs, tmp_path, names=None):
    folder = tmp_path / "reports"
    folder.mkdir()
    for path in sorted(inputs.iterdir()):
        if names is None or path.name in names:
            shutil.copy(path, folder / path.name)
    return folder


def test_two_workers_write_what_one_process_writes(inputs, clean, tmp_path):
    result = build([inputs], tmp_path, jobs=2, use_cache=False)
    assert result.processed == len(result.entries)
    assert_same_outputs(clean, tmp_path)
    assert not list(tmp_path.glob(".kg-cache"))  # --no-cache keeps none


def test_building_again_reads_nothing_and_writes_the_same(inputs, clean, tmp_path):
    folder = fresh_copy(inputs, tmp_path)
    out = tmp_path / "out"
    first = build([folder], out, jobs=2)
    again = build([folder], out, jobs=2)
    assert (first.processed, again.processed, again.cached) == (len(first.entries), 0, len(first.entries))
    assert again.stats == first.stats and again.triples == first.triples
    # the file paths are part of the outputs: compare with a clean build of this folder
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_adding_reports_processes_only_them_and_matches_a_clean_build(inputs, tmp_path):
    names = sorted(p.name for p in inputs.iterdir())
    held_back = names[::9]  # spread through the order: new reports land among the old ones
    folder = fresh_copy(inputs, tmp_path, set(names) - set(held_back))
    out = tmp_path / "out"
    build([folder], out, jobs=2)
    for name in held_back:
        shutil.copy(inputs / name, folder / name)
    added = build([folder], out, jobs=2)
    assert added.processed == len(held_back)
    assert added.cached == len(names) - len(held_back)
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_an_edited_or_removed_report_is_redone_or_dropped(inputs, tmp_path):
    folder = fresh_copy(inputs, tmp_path)
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    edited = next(p for p in sorted(folder.iterdir()) if "2021年" in p.read_text(encoding="utf-8"))
    edited.write_text(edited.read_text(encoding="utf-8").replace("2021年", "2022年"), encoding="utf-8")
    removed = next(p for p in sorted(folder.iterdir()) if p != edited)
    removed.unlink()
    pages = {p: p.stat().st_ino for p in (out / "reports").iterdir()}
    loaded = []
    with pytest.MonkeyPatch.context() as patch:
        entry = Cache.entry
        patch.setattr(Cache, "entry", lambda self, key: loaded.append(key) or entry(self, key))
        again = build([folder], out, jobs=1)
    assert again.processed == 1  # only the edited file; the removed one just leaves the graph
    # O(change): both taken out of the last graph and the edit put in, not every report merged again
    assert len(again.retracted) == 2 and len(again.applied) == 1 and len(loaded) < len(again.entries) // 4
    # the reading pages of the other reports stay as the last build wrote them; the edited report's is new
    kept = {p for p in (out / "reports").iterdir() if pages.get(p) == p.stat().st_ino}
    assert len(kept) == len(again.entries) - 1 == len(pages) - 2
    assert_same_as_a_clean_build(folder, out, tmp_path)
    assert len(Cache(out / ".kg-cache").index) >= len(again.entries)


def test_a_cache_cut_short_or_damaged_is_rebuilt_not_trusted(inputs, tmp_path):
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:12]})
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    pack = next((out / ".kg-cache" / "packs").glob("*.pack"))
    with open(pack, "r+b") as handle:  # a build killed while writing its last record
        handle.truncate(pack.stat().st_size - 100)
    (out / ".kg-cache" / "state.pkl").write_bytes(b"not a pickle")
    again = build([folder], out, jobs=1)
    assert again.processed == 1
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_a_damaged_graph_database_is_merged_again_and_one_in_use_stops_the_build(inputs, tmp_path):
    import sqlite3

    from kg.builder.engine import GRAPH_DATABASE

    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:6]})
    out, reference = tmp_path / "out", tmp_path / "reference"
    build([folder], out, jobs=1)
    build([folder], reference, jobs=1, use_cache=False)
    database = out / ".kg-cache" / GRAPH_DATABASE
    database.write_bytes(b"not a database" * 100)
    again = build([folder], out, jobs=1)
    assert again.processed == 0 and any("database graph.sqlite is damaged" in w for _, w in again.warnings)
    assert_same_outputs(reference, out)
    other = sqlite3.connect(database, isolation_level=None)  # another build, in the middle of its changes
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BuildError, match="another build is using the cache .*: wait for it to end, or give another --cache"):
            build([folder], out, jobs=1)
    finally:
        other.close()
    assert build([folder], out, jobs=1).processed == 0
    assert_same_outputs(reference, out)


@pytest.mark.parametrize("kernel_copy", ["missing", "refused"])
def test_outputs_copied_through_python_when_the_kernel_cannot(inputs, clean, tmp_path, monkeypatch, kernel_copy):
    """Blocks and JSON lines go from the packs to the outputs by copy_file_range; elsewhere by reading and writing."""

    def refuse(*args):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(kg.files.assemble, "_copy_file_range", None if kernel_copy == "missing" else refuse)
    build([inputs], tmp_path, jobs=1)  # in this process, where the patch holds
    assert_same_outputs(clean, tmp_path)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_graph_file_keeps_the_last_one_and_says_why(inputs, tmp_path, monkeypatch, jobs):
    """With two jobs a helper process copies the graph file together: its failure reaches the caller all the same."""
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:4]})
    out = tmp_path / "out"
    build([folder], out, jobs=jobs)
    before = (out / "graph.ttl").read_bytes(), (out / "documents.jsonl").read_bytes()
    shutil.copy(sorted(inputs.iterdir())[5], folder)
    real = kg.builder.engine.write_graph

    def vanished(*args, **kwargs):  # the cache's pack files deleted under the build's feet, once it has merged
        job = real(*args, **kwargs)
        job.packs += ".gone"
        return job

    monkeypatch.setattr(kg.builder.engine, "write_graph", vanished)
    with pytest.raises(OSError, match="No such file"):
        build([folder], out, jobs=jobs)
    assert ((out / "graph.ttl").read_bytes(), (out / "documents.jsonl").read_bytes()) == before
    assert not [p.name for p in out.iterdir() if p.name.endswith((".tmp", ".pkl"))]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_failing_in_its_pages_keeps_the_last_outputs_and_the_next_build_mends_them(inputs, tmp_path, monkeypatch, jobs):
    """The merged graph is committed before the pages are drawn from it (with two jobs the analysis by a helper
    process beside the views, stopped when they fail): the last outputs stay whole, and the next build, which merges
    nothing, writes what a clean build writes."""
    names = sorted(p.name for p in inputs.iterdir())
    folder = fresh_copy(inputs, tmp_path, set(names[:4]))
    out, reference = tmp_path / "out", tmp_path / "reference"
    build([folder], out, jobs=jobs)
    before = outputs(out)
    shutil.copy(inputs / names[5], folder)

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device", str(out / "graph.html"))

    with monkeypatch.context() as patch:
        patch.setattr("kg.builder.engine.write_views", full)
        with pytest.raises(BuildError, match="No space left on device"):
            build([folder], out, jobs=jobs)
    assert outputs(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".kg-new-")] == []
    again = build([folder], out, jobs=jobs)
    assert again.processed == 0 and again.applied == []  # the failed build's merge was kept
    build([folder], reference, jobs=1, use_cache=False)
    assert_same_outputs(out, reference)


def test_another_format_is_built_from_its_own_cache_entries(inputs, tmp_path):
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:8]})
    out, reference = tmp_path / "out", tmp_path / "reference"
    build([folder], out, jobs=1)
    result = build([folder], out, jobs=1, fmt="trig")
    assert result.processed == 8
    build([folder], reference, jobs=1, fmt="trig", use_cache=False)
    assert (out / "graph.trig").read_bytes() == (reference / "graph.trig").read_bytes()


def test_the_same_text_twice_is_merged_once_with_a_warning(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        shutil.copy(next(SEEDS.glob("000_*.txt")), folder / name)
    result = build([folder], tmp_path / "out", jobs=2)
    assert result.stats.reports == 1
    assert (str(folder / "b.txt"), f"same text as {folder / 'a.txt'}: left out") in result.warnings


def test_the_oxigraph_store_answers_what_the_graph_file_answers(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(out), "--store", str(out / "store"), "-q"])
    assert result.exit_code == 0, result.output
    answers = []
    for graph in (out / "graph.ttl", out / "store"):
        for engine in ("oxigraph", "rdflib"):
            run = CliRunner().invoke(main, ["query", str(graph), "top-instruments", "--format", "csv", "--engine", engine])
            assert run.exit_code == 0, run.output
            answers.append(run.output)
    assert len(set(answers)) == 1 and "中华人民共和国民法典" in answers[0]
    missing = CliRunner().invoke(main, ["query", str(out / "views"), "top-instruments"])
    assert missing.exit_code == 1 and "not an Oxigraph store" in missing.output


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal_lines_elsewhere_and_nothing_when_quiet(monkeypatch):
    clock = iter(range(1000))
    monkeypatch.setattr("kg.builder.progress.time.perf_counter", lambda: float(next(clock)))
    terminal, log, quiet = Terminal(), io.StringIO(), io.StringIO()
    for stream, is_quiet in ((terminal, False), (log, False), (quiet, True)):
        progress = Progress(stream, quiet=is_quiet)
        for done in range(1, 21):
            progress(done, 20)
    assert "\r[###" in terminal.getvalue() and "reports/s, ETA 0:" in terminal.getvalue()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 10  # a line per tenth, and the last
    assert lines[0].startswith("2/20 reports (") and lines[-1].startswith("20/20 reports read in ")
    assert quiet.getvalue() == ""


def test_cli_build_reports_the_cache_and_is_silent_with_quiet(tmp_path):
    first = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(tmp_path), "--jobs", "2"])
    assert first.exit_code == 0 and "5 reports read in" in first.stderr
    again = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(tmp_path), "-q"])
    assert again.exit_code == 0 and again.output == ""
    summary = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(tmp_path)])
    assert "documents read: 5 (0 failed; 5 from the cache)" in summary.stdout


def test_the_views_and_the_graph_file_do_not_depend_on_the_merge_order(inputs, tmp_path):
    """Incremental builds merge new reports last: nothing written may depend on the order of merging."""
    from kg.builder.corpus import build as build_in_memory
    from kg.builder.engine import MAIN_VIEWS
    from kg.graph.merged import KnowledgeGraph
    from kg.outputs.pages import render
    from kg.outputs.views import build_view, overview
    from kg.rdf import write as rdf

    reports = build_in_memory([inputs]).reports
    forward, backward = KnowledgeGraph.from_reports(reports), KnowledgeGraph.from_reports(reversed(reports))
    for name in MAIN_VIEWS:
        assert render(build_view(forward, name)) == render(build_view(backward, name)), name
    assert render(overview(forward)) == render(overview(backward))
    rdf.write(forward, reports, tmp_path / "a.ttl")
    rdf.write(backward, reports, tmp_path / "b.ttl")
    assert (tmp_path / "a.ttl").read_bytes() == (tmp_path / "b.ttl").read_bytes()


def test_the_cache_key_follows_the_code_of_the_extractors_not_of_the_views():
    from pathlib import Path

    import kg
    from kg.builder.engine import per_report_sources

    package = Path(kg.__file__).parent
    names = {path.relative_to(package).as_posix() for path in per_report_sources(package)}
    assert {
        "extract/measures.py",
        "text/normalize.py",
        "link/divisions.py",
        "knowledge/vocab.py",
        "graph/merged.py",
        "rdf/write.py",
        "rdf/syntax.py",
        "outputs/documents.py",
    } <= names
    absent = {
        "rdf/read.py",
        "rdf/store.py",
        "rdf/query.py",
        "outputs/views.py",
        "outputs/pages.py",
        "outputs/analysis.py",
        "cli.py",
        "builder/engine.py",
        "builder/cache.py",
    }
    assert not absent & names
    assert all((package / name).is_file() for name in absent)  # the names are real files, left out on purpose


def test_small_additions_are_journalled_and_replayed(inputs, tmp_path):
    """Adding a report appends to a journal instead of writing the merged graph again; the next build replays it."""
    names = sorted(p.name for p in inputs.iterdir())
    folder = fresh_copy(inputs, tmp_path, set(names[:-2]))
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    state = out / ".kg-cache" / "state.pkl"
    snapshot = state.read_bytes()
    for name in names[-2:]:
        shutil.copy(inputs / name, folder / name)
        added = build([folder], out, jobs=1)
        assert added.processed == 1 and added.snapshot is not None
    assert state.read_bytes() == snapshot and (out / ".kg-cache" / "state.journal").exists()
    # each record holds what its build changed: an entry and a key, not the list of every input again
    assert (out / ".kg-cache" / "state.journal").stat().st_size < len(snapshot) / 2
    again = build([folder], out, jobs=1)
    assert again.processed == 0 and again.journal == 2 and again.stats.reports == len(names)
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_a_journal_of_the_earlier_layout_is_replayed(inputs, tmp_path):
    """Records that held the whole list of inputs (before they held only the change) are still replayed, not merged
    again: at 100,000 reports that would be minutes after an upgrade."""
    names = sorted(p.name for p in inputs.iterdir())
    folder = fresh_copy(inputs, tmp_path, set(names[:-1]))
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    shutil.copy(inputs / names[-1], folder / names[-1])
    added = build([folder], out, jobs=1)
    cache = Cache(out / ".kg-cache")
    (record,) = cache._journal(added.snapshot)
    (out / ".kg-cache" / "state.journal").unlink()
    old = {key: value for key, value in record.items() if key not in ("added", "snapshot")}
    cache.append_journal(added.snapshot, {**old, "entries": added.entries})
    again = build([folder], out, jobs=1)
    assert again.processed == 0 and again.journal == 1 and not again.applied
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_a_new_file_repeating_an_old_one_and_sorting_first_is_merged_as_a_clean_build_would(inputs, tmp_path):
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:6]})
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    last = sorted(folder.iterdir())[-1]
    shutil.copy(last, folder / "0-copy.txt")  # sorts first: a clean build keeps it and leaves the old file out
    again = build([folder], out, jobs=1)
    assert (str(last), f"same text as {folder / '0-copy.txt'}: left out") in again.warnings
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_unchanged_files_are_not_read_again(inputs, tmp_path, monkeypatch):
    import os
    import time

    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:6]})
    settled = time.time() - 60  # files last changed a minute ago: their size and time can be trusted
    for path in folder.iterdir():
        os.utime(path, (settled, settled))
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    read = []
    real = type(folder).read_bytes
    monkeypatch.setattr(type(folder), "read_bytes", lambda self: read.append(self.name) or real(self))
    edited = sorted(folder.iterdir())[2]
    edited.write_bytes(edited.read_bytes() + b"\n")
    again = build([folder], out, jobs=1)
    assert again.processed == 1 and edited.name in read and len(set(read)) == 1


def test_the_same_folder_by_another_path_or_moved_elsewhere_is_not_built_again(inputs, tmp_path, monkeypatch):
    # the outputs name a file by its folder's name and the rest (reports/d001.txt): how the folder was reached is not
    # part of what is cached, so neither a relative path nor a moved folder re-extracts or re-merges anything
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:6]})
    out = tmp_path / "out"
    build([str(folder.resolve())], out, jobs=1)
    monkeypatch.chdir(tmp_path)
    again = build(["reports"], out, jobs=1)
    assert (again.processed, again.applied, again.retracted) == (0, [], [])
    assert {m.path for m in again.entries} == {str(Path("reports") / p.name) for p in folder.iterdir()}
    moved = tmp_path / "elsewhere" / "reports"
    moved.parent.mkdir()
    folder.rename(moved)
    edited = sorted(moved.iterdir())[2]
    edited.write_bytes(edited.read_bytes() + "\n新增一句。".encode())
    third = build([moved], out, jobs=1)
    assert (third.processed, len(third.applied), len(third.retracted)) == (1, 1, 1)
    assert third.warnings and all(Path(path).parent == moved for path, _ in third.warnings)  # kept ones named anew
    assert_same_as_a_clean_build(moved, out, tmp_path)


def test_large_outputs_replaced_are_removed_beside_the_build_and_leftovers_by_the_next(inputs, tmp_path, monkeypatch):
    # freeing a national graph file takes the file system a second: the old one is linked aside, removed by a process
    monkeypatch.setattr(kg.builder.engine, "SET_ASIDE_SIZE", 1)
    set_aside = []
    real = kg.builder.engine._remove_beside

    def noted(paths):
        set_aside.extend((path, os.stat(path).st_ino) for path in paths)
        real(paths)

    monkeypatch.setattr(kg.builder.engine, "_remove_beside", noted)
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:3]})
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    old = os.stat(out / "graph.ttl").st_ino
    edited = sorted(folder.iterdir())[0]
    edited.write_bytes(edited.read_bytes() + "\n新增一句。".encode())
    build([folder], out, jobs=1)
    assert set_aside and all(process.wait(10) == 0 for process in kg.builder.engine._REMOVING)  # not waited for by the build
    assert old in {inode for _, inode in set_aside} and not any(path.exists() for path, _ in set_aside)
    assert os.stat(out / "graph.ttl").st_ino != old and not list(out.glob(".kg-old-*"))
    leftover = out / ".kg-old-0123456789ab"
    leftover.write_bytes(b"left by a build stopped before its removal was done")
    build([folder], out, jobs=1)
    assert not leftover.exists()
    assert all(process.wait(10) == 0 for process in kg.builder.engine._REMOVING) and not list(out.glob(".kg-old-*"))


def _pack(root, keys: list[str], size: int) -> str:
    """A pack of records of ``size`` bytes under ``keys``, as one build's worker writes it; its name."""
    writer = Cache(root).writer()
    for key in keys:
        writer.append(key, Record(b"b" * size, b"{}\n", b"e", b"<p>", b""))
    writer.close()
    return writer.name


def test_the_cache_keeps_its_packs_few_by_copying_the_small_ones_not_the_corpus(tmp_path):
    # each build that reads a file adds a pack: past MAX_PACKS the smallest are copied into one, the corpus's stay put
    corpus = [f"{n:032x}" for n in range(50)]
    big = _pack(tmp_path, corpus, 2000)
    edits = [f"{10_000 + n:032x}" for n in range(MAX_PACKS + 4)]
    for n, key in enumerate(edits):  # one pack per edit, each a little larger than the last: the order is known
        _pack(tmp_path, [key], 100 + n)
    packs = tmp_path / PACKS
    corpus_pack = os.stat(packs / big)
    cache = Cache(tmp_path)
    copied = edits[: MAX_PACKS + 5 - MAX_PACKS // 2]  # the smallest packs, past MAX_PACKS // 2 of them
    live = set(corpus) | set(edits[1:])  # the first edit's record is dead: its pack is among those copied
    cache.compact(live)
    cache.save_index()
    assert len(list(packs.glob("*.pack"))) == MAX_PACKS // 2 + 1
    assert os.stat(packs / big)[1:] == corpus_pack[1:]  # not rewritten: the same file, inode and time
    again = Cache(tmp_path)
    assert set(again.index) == live and len({again.index[k].pack for k in copied[1:]}) == 1  # now one pack
    assert all(again.valid(key, read=True) for key in live)


def test_a_cache_mostly_of_records_no_build_uses_is_copied_whole(tmp_path):
    keys = [f"{n:032x}" for n in range(20)]
    name = _pack(tmp_path, keys, 1000)
    Cache(tmp_path).compact(set(keys[:5]))  # three quarters dead
    assert [p.name for p in (tmp_path / PACKS).glob("*.pack")] != [name]
    assert set(Cache(tmp_path).index) == set(keys[:5])


def test_an_edit_reads_the_records_it_changes_not_every_record(inputs, tmp_path, monkeypatch):
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:8]})
    out = tmp_path / "out"
    first = build([folder], out, jobs=1)
    scanned, checked = [], []
    real_scan, real_valid = Cache._scan, Cache.valid

    def valid(self, key, read=False):
        if key in self.index and key not in self._checked and (read or key not in self._verified):
            checked.append(key)  # a record read whole and its MAC computed
        return real_valid(self, key, read)

    monkeypatch.setattr(Cache, "_scan", lambda self, pack: scanned.append(pack.name) or real_scan(self, pack))
    monkeypatch.setattr(Cache, "valid", valid)
    edited = sorted(folder.iterdir())[3]
    old_key = next(m.key for m in first.entries if m.path == str(edited))
    edited.write_bytes(edited.read_bytes() + "\n全年共组织法治专题讲座3场。\n".encode())
    again = build([folder], out, jobs=1)
    assert again.processed == 1 and again.retracted == [old_key]
    assert scanned == [] and checked == [old_key]  # the packs from the saved index; only the record taken out is read
    edit_pack = Cache(out / ".kg-cache").index[again.applied[0]].pack
    assert scanned == [edit_pack]  # the index was not written again for one record: its pack's one header is read
    checked.clear()
    after = build([folder], out, jobs=1)
    assert after.processed == 0 and checked == [again.applied[0]]  # the one record the saved index does not vouch for
    assert Cache(out / ".kg-cache").index[again.applied[0]].pack == edit_pack
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_taking_out_the_earliest_report_finds_the_evidence_edges_keep_again(tmp_path):
    """Generated reports share measure → instrument edges, which keep the evidence of the earliest files: editing
    r00001 and removing r00002 makes those edges show their next earliest evidence, from the other reports' rows.
    Then an edit journalled and replayed; then a graph database that is not the saved state's, set aside. Every time
    the outputs are a clean build's, byte for byte."""
    from bench.generate import generate
    from kg.builder.engine import GRAPH_DATABASE
    from kg.graph.facts import Facts

    folder, out, reference = tmp_path / "reports", tmp_path / "out", tmp_path / "reference"
    paths = generate(60, folder)
    build([folder], out, jobs=1)

    def based_on() -> dict[tuple[str, str], tuple[int, list[str]]]:  # each measure → instrument edge: reports, evidence files
        graph = Facts(out / ".kg-cache" / GRAPH_DATABASE)
        try:
            return {
                (s, t): (len(data["reports"]), [Path(e[0]).name for e in data["evidence"]])
                for s, t, r, data in graph.edges()
                if r == "basedOn"
            }
        finally:
            graph.close()

    before = based_on()
    refilled = [edge for edge, (reports, files) in before.items() if paths[1].name in files and reports > 1]
    assert refilled
    paths[0].write_text(paths[0].read_text(encoding="utf-8") + "\n全年共组织法治专题讲座3场。\n", encoding="utf-8")
    paths[1].unlink()
    changed = build([folder], out, jobs=1)
    assert (changed.processed, len(changed.retracted), len(changed.applied)) == (1, 2, 1) and changed.snapshot is not None
    after = based_on()
    assert all(after[edge][1] and paths[1].name not in after[edge][1] for edge in refilled)
    build([folder], reference, jobs=1, use_cache=False)
    assert_same_outputs(reference, out)
    paths[5].write_text(paths[5].read_text(encoding="utf-8").replace("。", "。\n", 1), encoding="utf-8")
    assert build([folder], out, jobs=1).snapshot is not None  # journalled
    replayed = build([folder], out, jobs=1)
    assert replayed.processed == 0 and replayed.journal == 5  # (2 out, 1 in), then (1 out, 1 in)
    shutil.rmtree(reference)
    build([folder], reference, jobs=1, use_cache=False)
    assert_same_outputs(reference, out)

    graph = Facts(out / ".kg-cache" / GRAPH_DATABASE)  # as a build stopped between saving its state and committing
    graph.begin()
    graph.commit("another state")
    graph.close()
    merged_again = build([folder], out, jobs=1)
    assert merged_again.snapshot is None and merged_again.processed == 0  # the database set aside, every record merged
    assert_same_outputs(reference, out)
    assert build([folder], out, jobs=1).snapshot is not None  # and trusted again


def test_random_additions_edits_and_removals_match_clean_builds(tmp_path):
    """Five rounds of a few random changes (a fixed seed) on 50 generated reports, each round built incrementally —
    through snapshots and journals — and compared with a clean build; the store too, changed in place or loaded."""
    import random

    import pyoxigraph as ox

    from bench.generate import generate
    from kg.rdf.store import load_oxigraph

    folder, spare, out, reference = (tmp_path / name for name in ("reports", "spare", "out", "reference"))
    paths = generate(60, folder)
    spare.mkdir()
    for path in paths[50:]:
        path.rename(spare / path.name)
    build([folder], out, jobs=1, store_dir=tmp_path / "store")
    rng = random.Random(7)
    for _round in range(5):
        files, extra = sorted(folder.glob("*.txt")), sorted(spare.glob("*.txt"))
        for _change in range(rng.randint(1, 4)):
            kind = rng.choice(["edit", "remove", "add"])
            if kind == "add" and extra:
                added = extra.pop(0)
                added.rename(folder / added.name)
            elif kind == "remove":
                removed = files.pop(rng.randrange(len(files)))
                removed.rename(spare / removed.name)
            else:
                edited = rng.choice(files)
                lines = edited.read_text(encoding="utf-8").split("\n")
                lines.insert(rng.randrange(len(lines)), "全年开展法治宣传活动12场。")
                edited.write_text("\n".join(lines), encoding="utf-8")
        result = build([folder], out, jobs=1, store_dir=tmp_path / "store")
        assert result.processed <= 4 and result.cached >= len(result.entries) - 4
        shutil.rmtree(reference, ignore_errors=True)
        build([folder], reference, jobs=1, use_cache=False)
        assert_same_outputs(reference, out)
        assert set(ox.Store.read_only(str(tmp_path / "store"))) == set(load_oxigraph(reference / "graph.ttl"))


@pytest.mark.parametrize("fmt", ["turtle", "trig"])
def test_the_store_is_changed_in_place_by_what_changed(inputs, tmp_path, fmt):
    """``--store``: after a small change the store loses the blocks of the reports taken out and gains the new ones —
    O(change), no reload — and holds what a store loaded from a clean build's graph file holds (also after a build
    that starts from a journal, whose entity blocks the journal carries)."""
    import pyoxigraph as ox

    from kg.rdf.store import STAMP, load_oxigraph

    names = sorted(p.name for p in inputs.iterdir())
    folder, spare = fresh_copy(inputs, tmp_path, set(names[:24])), tmp_path / "spare"
    spare.mkdir()
    shutil.copy(inputs / names[24], spare / names[24])
    out, store_dir = tmp_path / "out", tmp_path / "store"
    build([folder], out, jobs=1, fmt=fmt, store_dir=store_dir)
    files = sorted(folder.iterdir())

    def edit(path):  # a law no other report cites: an entity the edit brings, the removal takes away
        path.write_text(
            path.read_text(encoding="utf-8") + "\n组织学习《中华人民共和国气象法》，全年共组织法治专题讲座3场。\n", encoding="utf-8"
        )

    changes = [
        lambda: edit(files[3]),  # a journal record
        lambda: files[3].unlink(),  # the next build replays it, then takes the report out with its entity
        lambda: shutil.copy(spare / names[24], folder / names[24]),
    ]
    for number, change in enumerate(changes):
        change()
        inode = store_dir.stat().st_ino
        result = build([folder], out, jobs=1, fmt=fmt, store_dir=store_dir)
        assert result.previous is not None and store_dir.stat().st_ino == inode, number  # changed, not loaded again
        reference = tmp_path / f"reference{number}"
        build([folder], reference, jobs=1, fmt=fmt, use_cache=False)
        expected = load_oxigraph(reference / f"graph.{'ttl' if fmt == 'turtle' else 'trig'}")
        store = ox.Store.read_only(str(store_dir))
        assert set(store) == set(expected), number
        assert set(store.named_graphs()) == set(expected.named_graphs()), number
        del store
    assert (store_dir / STAMP).is_file()


def test_an_edit_with_two_jobs_is_read_by_a_worker_started_before_the_plan(inputs, tmp_path, monkeypatch):
    import multiprocessing

    from kg.builder.engine import pipeline_version
    from kg.builder.stores import IDENTITY_MODULUS, graph_identity, identity_sum

    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:10]})
    out = tmp_path / "out"
    build([folder], out, jobs=2)
    started, real_start = [], kg.builder.engine.start_pool
    monkeypatch.setattr(kg.builder.engine, "start_pool", lambda n, *args: started.append(n) or real_start(n, *args))
    same = build([folder], out, jobs=2)  # nothing new: the worker started on the chance of an edit is stopped
    assert (same.processed, started) == (0, [1]) and multiprocessing.active_children() == []
    edited, removed = sorted(folder.iterdir())[2:4]
    edited.write_bytes(edited.read_bytes() + "\n全年共组织法治专题讲座3场。\n".encode())
    removed.unlink()
    again = build([folder], out, jobs=2)
    assert (again.processed, started) == (1, [1, 1]) and multiprocessing.active_children() == []
    # the identity of the graph, kept as reports go in and out, is the one its inputs make
    assert again.identity % IDENTITY_MODULUS == identity_sum(again.entries)
    removed.write_bytes((inputs / removed.name).read_bytes())
    last = build([folder], out, jobs=2)  # from the saved state and the journal of the last build
    assert last.previous == graph_identity(identity_sum(again.entries), pipeline_version())
    assert last.identity % IDENTITY_MODULUS == identity_sum(last.entries)
    assert_same_as_a_clean_build(folder, out, tmp_path)


def test_a_reading_page_no_input_has_goes_though_nothing_changed(inputs, tmp_path):
    folder = fresh_copy(inputs, tmp_path, {p.name for p in sorted(inputs.iterdir())[:4]})
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    stray = out / "reports" / "0123456789abcdef.html"  # left by a build of another cache folder, say
    stray.write_text("<p>", encoding="utf-8")
    assert build([folder], out, jobs=1).processed == 0
    assert not stray.exists()
