"""Issue 11: the build fails fast and clearly, never hangs, and one bad input never takes it down."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import kg
from conftest import ROOT, SEED, interruptible
from kg.builder import engine
from kg.builder.engine import BuildError, build
from kg.cli import EXIT_BUILD_FAILED, EXIT_SOME_FAILED, EXIT_USAGE, main


def kg_program(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """The kg program as a user runs it (a real process, default --jobs)."""
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


# ---------------------------------------------------------------------------- fail fast


def test_a_base_that_is_not_an_absolute_iri_is_refused_before_any_worker_starts(tmp_path):
    done = kg_program("build", str(SEED["000"]), "-o", str(tmp_path / "out"), "--base", "relative/")
    assert done.returncode == EXIT_USAGE
    assert "not an absolute IRI" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "graph.ttl").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_workers_that_cannot_start_stop_the_build_with_the_reason(tmp_path, monkeypatch, jobs):
    def broken():
        raise RuntimeError("lexicon missing")

    monkeypatch.setattr(engine, "_warm_up", broken)
    with pytest.raises(BuildError, match="could not start: RuntimeError: lexicon missing"):
        build([SEED["000"], SEED["001"]], tmp_path / "out", jobs=jobs, use_cache=False)


def test_the_library_takes_one_path_or_several_and_nothing_else():
    one = kg.build(str(SEED["000"]))  # a str is one path, not its characters
    assert [r.file for r in one.reports] == [SEED["000"].name]  # named without the machine's folders
    with pytest.raises(TypeError, match="paths must be a path or an iterable of paths"):
        kg.build(42)
    with pytest.raises(TypeError, match="each path must be a str or os.PathLike"):
        kg.build([b"seeds"])
    with pytest.raises(ValueError, match="jobs must be a positive whole number"):
        kg.build(str(SEED["000"]), jobs=0)


def test_one_build_per_output_folder(tmp_path):
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with open(out / engine.LOCK_FILE, "a") as held:  # another build holds the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = CliRunner().invoke(main, ["build", str(SEED["000"]), "-o", str(out), "-q"])
    assert result.exit_code == EXIT_BUILD_FAILED
    assert "another build is writing into" in result.output
    assert CliRunner().invoke(main, ["build", str(SEED["000"]), "-o", str(out), "-q"]).exit_code == 0  # released


def test_an_output_that_cannot_be_written_fails_in_one_line_and_keeps_the_previous_files(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", str(SEED["000"]), "-o", str(out), "-q", "-j", "1"]).exit_code == 0
    before = (out / "graph.ttl").read_bytes()

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device", str(out / "graph.html"))

    monkeypatch.setattr("kg.builder.engine.write_views", full)
    result = CliRunner().invoke(main, ["build", str(SEED["000"]), str(SEED["001"]), "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == EXIT_BUILD_FAILED
    assert result.output.strip().splitlines()[-1].startswith("kg: build failed: cannot write") and "No space left" in result.output
    assert (out / "graph.ttl").read_bytes() == before
    assert not list(out.glob(".*.tmp"))


# ---------------------------------------------------------------------------- inputs


def test_a_build_never_reads_its_own_output_folder(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(SEED["000"], folder)
    first = build([folder], folder / "output", jobs=1)
    again = build([folder], folder / "output", jobs=1)  # graph.html and views/*.html are now in the input folder
    assert [m.path for m in again.entries] == [m.path for m in first.entries] == [str(folder / SEED["000"].name)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_are_never_read(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(SEED["000"], folder)
    os.mkfifo(folder / "pipe.txt")  # reading it would block for ever
    done = kg_program("build", str(folder), str(folder / "pipe.txt"), "-o", str(tmp_path / "out"), "-q", timeout=120)
    assert done.returncode == EXIT_SOME_FAILED
    assert "pipe.txt: not a regular file" in done.stderr
    assert (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").count("\n") == 1


def test_a_folder_that_cannot_be_listed_is_a_failure(tmp_path, monkeypatch):
    # as root every folder can be listed: the refusal a user meets is made by the listing itself
    from kg.builder import inputs as listing

    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    locked = tmp_path / "seeds" / "locked"
    locked.mkdir()
    (locked / "hidden.txt").write_text("一份报告", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(listing.os, "scandir", scandir)
    inputs = listing.collect([tmp_path / "seeds"])
    assert len(inputs.files) == 5
    assert [(f.path, f.reason) for f in inputs.failures] == [(str(locked), "folder cannot be listed (Permission denied)")]


def test_the_names_of_files_found_in_a_folder_are_input_name_however_the_folder_is_written(tmp_path, monkeypatch):
    from kg.builder import inputs as listing

    folder = tmp_path / "reports"
    (folder / "2023" / "q1").mkdir(parents=True)
    for name in ("a.txt", "2023/b.txt", "2023/q1/c.txt", os.fsdecode(b"2023/r\xffport\n.txt")):
        (folder / name).write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for given in (str(folder), f"{folder}/", "reports", "reports/", "./reports", "reports/2023", "reports/../reports"):
        found = listing.collect([given])
        assert len(found.files) == 4 - given.endswith("2023") and found.names  # the walk's own names, escaped
        assert found.names == {f: listing.input_name(f, given) for f in found.files}, given
    monkeypatch.chdir(folder)
    found = listing.collect(["."])
    assert found.names == {f: listing.input_name(f, ".") for f in found.files} and "reports/2023/q1/c.txt" in found.names.values()


def test_a_file_name_that_is_not_utf8_is_built_and_printed_escaped(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    name = os.fsdecode(b"r\xffport\n.txt")
    shutil.copy(SEED["000"], os.path.join(folder, name))
    (folder / "empty.txt").write_text("", encoding="utf-8")
    done = kg_program("build", str(folder), "-o", str(tmp_path / "out"), "-q")
    assert done.returncode == EXIT_SOME_FAILED and "empty.txt: empty file" in done.stderr
    assert (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").count("\n") == 1
    from kg.builder.inputs import shown

    assert shown(os.path.join(str(folder), name)).endswith("r\\xffport\\n.txt")


def test_a_file_too_large_is_refused_by_a_limit(tmp_path, monkeypatch):
    from kg.text import read

    monkeypatch.setattr(read, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.txt"
    big.write_bytes(SEED["000"].read_bytes())
    with pytest.raises(read.ReadError, match="too large"):
        read.read(big)


def test_one_file_that_breaks_an_extractor_is_that_files_failure(tmp_path, monkeypatch):
    from kg.extract import measures

    real = measures.MeasureExtractor.__call__

    def fragile(self, doc, report):
        if "七里" in doc.text[:200]:
            raise KeyError("a bug met in one report")
        return real(self, doc, report)

    monkeypatch.setattr(measures.MeasureExtractor, "__call__", fragile)
    result = build([SEED["000"], SEED["001"]], tmp_path / "out", jobs=1, use_cache=False)
    assert [f.reason for f in result.failures] == ["could not be processed (KeyError: 'a bug met in one report')"]
    assert len(result.entries) == 1


def test_a_file_edited_while_the_build_reads_it_is_cached_under_what_was_read(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    folder.mkdir()
    for key in ("000", "001"):
        shutil.copy(SEED[key], folder)
    edited = folder / SEED["001"].name
    real_plan = engine.plan

    def plan_then_edit(*args, **kwargs):
        planned = real_plan(*args, **kwargs)
        edited.write_bytes(SEED["002"].read_bytes())  # the user saves another text while the build runs
        return planned

    monkeypatch.setattr(engine, "plan", plan_then_edit)
    out = tmp_path / "out"
    first = build([folder], out, jobs=1)
    assert (str(edited), "changed while the build read it: built from the content read") in first.warnings
    monkeypatch.setattr(engine, "plan", real_plan)
    again = build([folder], out, jobs=1)
    reference = build([folder], tmp_path / "reference", jobs=1, use_cache=False)
    assert (out / "graph.ttl").read_bytes() == (tmp_path / "reference" / "graph.ttl").read_bytes()
    assert again.processed == 0 and len(reference.entries) == 2


# ---------------------------------------------------------------------------- a cache that cannot lie, and runs no code


def _copy_seeds(tmp_path, count=3):
    folder = tmp_path / "reports"
    folder.mkdir()
    for key in sorted(SEED)[:count]:
        shutil.copy(SEED[key], folder)
    return folder


def _same_files(a, b):
    for name in ("graph.ttl", "documents.jsonl", "graph.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


class Planted:
    """A pickle that, if ever loaded, leaves a mark: what a crafted cache would run."""

    def __init__(self, mark):
        self.mark = mark

    def __reduce__(self):
        return (open, (self.mark, "w"))


def test_a_crafted_pack_record_is_never_unpickled(tmp_path):
    import pickle

    from kg.builder.cache import _HEADER, Record

    folder = _copy_seeds(tmp_path)
    out = tmp_path / "out"
    first = build([folder], out, jobs=1)
    mark = tmp_path / "ran"
    key = first.entries[0].key
    evil = pickle.dumps(Planted(str(mark)))
    pack = next((out / ".kg-cache" / "packs").glob("*.pack"))
    with open(pack, "ab") as handle:  # a later record of the same key wins the index: the attacker's
        parts = [evil if field == "entry" else b"x" for field in Record._fields]
        handle.write(_HEADER.pack(key.encode("ascii"), *map(len, parts), b"\0" * 32) + b"".join(parts))
    (out / ".kg-cache" / "state.pkl").write_bytes(pickle.dumps(Planted(str(mark))))  # and a crafted snapshot
    again = build([folder], out, jobs=1)
    assert not mark.exists()
    assert again.processed == 1 and any("not written on this machine" in w for _, w in again.warnings)
    build([folder], tmp_path / "reference", jobs=1, use_cache=False)
    _same_files(tmp_path / "reference", out)


@pytest.mark.parametrize("then", ["merged again", "taken out"])
def test_a_record_crafted_in_place_its_pack_size_and_time_kept_is_never_unpickled(tmp_path, then):
    import pickle

    from kg.builder.cache import _HEADER, Cache

    folder = _copy_seeds(tmp_path)
    out = tmp_path / "out"
    first = build([folder], out, jobs=1)
    mark = tmp_path / "ran"
    victim = first.entries[0]
    location = Cache(out / ".kg-cache").index[victim.key]  # the saved index says it was checked
    pack = out / ".kg-cache" / "packs" / location.pack
    evil = pickle.dumps(Planted(str(mark)))
    assert len(evil) <= location.sizes[2]
    stamp = pack.stat()
    with open(pack, "r+b") as handle:  # the pickled part overwritten, same length (what follows a pickle is not read)
        handle.seek(location.offset + _HEADER.size + location.sizes[0] + location.sizes[1])
        handle.write(evil + b"\0" * (location.sizes[2] - len(evil)))
    os.utime(pack, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    if then == "merged again":  # no saved graph: every record is unpickled
        (out / ".kg-cache" / "state.pkl").unlink()
    else:  # its report removed: its delta is unpickled to take it out
        os.unlink(victim.path)
    again = build([folder], out, jobs=1)
    assert not mark.exists()
    assert any("not written on this machine" in w for _, w in again.warnings)
    assert again.processed == (1 if then == "merged again" else 0)
    build([folder], tmp_path / "reference", jobs=1, use_cache=False)
    _same_files(tmp_path / "reference", out)


def test_a_garbled_record_is_detected_and_made_again(tmp_path):
    folder = _copy_seeds(tmp_path)
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    pack = next((out / ".kg-cache" / "packs").glob("*.pack"))
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit flipped on disk
    pack.write_bytes(bytes(data))
    (out / ".kg-cache" / "state.pkl").unlink()  # the records are merged again, not the snapshot
    again = build([folder], out, jobs=1)
    assert again.processed >= 1
    build([folder], tmp_path / "reference", jobs=1, use_cache=False)
    _same_files(tmp_path / "reference", out)


def test_a_cache_from_another_machine_is_ignored_and_rebuilt(tmp_path, monkeypatch):
    from kg.builder import cache

    folder = _copy_seeds(tmp_path)
    out = tmp_path / "out"
    build([folder], out, jobs=1)
    monkeypatch.setenv("KG_CACHE_KEY", str(tmp_path / "other.key"))  # another machine: another key
    cache.secret.cache_clear()
    try:
        again = build([folder], out, jobs=1)
    finally:
        cache.secret.cache_clear()
    assert again.processed == 3 and again.cached == 0


@pytest.mark.slow
def test_a_build_killed_mid_way_leaves_the_last_outputs_and_the_next_build_is_a_clean_one(tmp_path):
    import signal
    import time

    folder = tmp_path / "reports"
    folder.mkdir()
    for path in sorted((ROOT / "tests" / "data" / "corpus").glob("d0[0-3]*.txt")):
        shutil.copy(path, folder)
    out = tmp_path / "out"
    shutil.copy(SEED["000"], tmp_path / "first.txt")
    assert kg_program("build", str(tmp_path / "first.txt"), "-o", str(out), "-q").returncode == 0
    before = (out / "graph.ttl").read_bytes()
    process = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(folder), "-o", str(out), "-q", "-j", "2"], cwd=ROOT)
    packs = out / ".kg-cache" / "packs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(p.stat().st_size for p in packs.glob("*.pack")) < 200_000 and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # no clean-up of any kind; its workers are left to notice
    process.wait()
    assert (out / "graph.ttl").read_bytes() == before  # nothing half-written, the last outputs whole
    assert kg_program("build", str(folder), "-o", str(out), "-q").returncode == 0
    assert kg_program("build", str(folder), "-o", str(tmp_path / "reference"), "-q", "--no-cache").returncode == 0
    _same_files(tmp_path / "reference", out)
    assert not [p for p in out.rglob("*") if p.name.startswith(engine.STAGING_PREFIX) or p.name.endswith(".tmp")]


def test_what_a_killed_build_left_behind_is_removed_by_the_next(tmp_path):
    out = tmp_path / "out"
    assert kg_program("build", str(SEED["000"]), "-o", str(out), "-q").returncode == 0
    leftovers = [
        out / ".kg-new-0123456789ab" / "views" / "problems.html",
        out / ".graph.ttl.k3j_x9a2.tmp",
        out / ".kg-cache" / ".state.pkl.a1b2c3d4.tmp",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half", encoding="utf-8")
    mine = out / ".notes.tmp"  # a file of the user's, not of kg's making
    mine.write_text("keep", encoding="utf-8")
    assert kg_program("build", str(SEED["000"]), "-o", str(out), "-q").returncode == 0
    assert not any(p.exists() for p in leftovers) and not (out / ".kg-new-0123456789ab").exists()
    assert mine.read_text(encoding="utf-8") == "keep"


# ---------------------------------------------------------------------------- real faults of the output folder

_FAULTS = r"""
import json, subprocess, sys
out, seed, more, extra, results = sys.argv[1:6]
def kg(*args):
    done = subprocess.run([sys.executable, "-m", "kg.cli", "build", *args, "-o", out, "-q", "-j", "1"], capture_output=True, text=True)
    return {"code": done.returncode, "stderr": done.stderr.strip().splitlines()}
def mount(*options):
    subprocess.run(["mount", *options], check=True)
def snapshot():
    import hashlib, os
    files = {}
    for root, dirs, names in os.walk(out):
        dirs[:] = [d for d in dirs if d != ".kg-cache"]
        for name in names:
            path = os.path.join(root, name)
            files[os.path.relpath(path, out)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return files
steps = {}
mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", out)  # room for one small build, not for a second beside it
steps["first"] = kg(seed); steps["first"]["files"] = snapshot()
steps["full"] = kg(more); steps["full"]["files"] = snapshot()
mount("-o", "remount,size=64m", out)
steps["after full"] = kg(more); steps["after full"]["files"] = snapshot()
mount("-o", "remount,ro", out)
steps["read-only"] = kg(more, extra); steps["read-only"]["files"] = snapshot()
mount("-o", "remount,rw", out)
steps["after read-only"] = kg(more, extra); steps["after read-only"]["files"] = snapshot()
json.dump(steps, open(results, "w"))
"""


def _private_mounts_allowed() -> str | None:
    """None if this process may mount a tmpfs in a mount namespace of its own, else why not."""
    if not shutil.which("unshare"):
        return "unshare (util-linux) is missing"
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"no private mount namespace here ({probe.stderr.strip()})"


@pytest.mark.slow
def test_a_full_disk_and_a_read_only_folder_fail_in_one_line_and_the_next_build_recovers(tmp_path):
    from conftest import require_tool

    require_tool(_private_mounts_allowed(), "util-linux (unshare, with user namespaces)")
    more = tmp_path / "reports"
    more.mkdir()
    for path in sorted((ROOT / "tests" / "data" / "corpus").glob("d00*.txt")):
        shutil.copy(path, more)
    out, script, results = tmp_path / "out", tmp_path / "faults.py", tmp_path / "results.json"
    out.mkdir()
    script.write_text(_FAULTS, encoding="utf-8")
    subprocess.run(
        ["unshare", "-rm", sys.executable, str(script), str(out), str(SEED["000"]), str(more), str(SEED["001"]), str(results)],
        check=True,
        cwd=ROOT,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    steps = __import__("json").loads(results.read_text(encoding="utf-8"))
    for reference_name, inputs in (("after full", [more]), ("after read-only", [more, SEED["001"]])):
        reference = tmp_path / reference_name.replace(" ", "-")
        assert kg_program("build", *map(str, inputs), "-o", str(reference), "-q", "--no-cache", "-j", "1").returncode == 0
        files = steps[reference_name]["files"]
        assert steps[reference_name]["code"] == 0 and not [n for n in files if ".kg-new-" in n or n.endswith(".tmp")]
        for name in ("graph.ttl", "documents.jsonl", "graph.html"):
            assert (reference / name).read_bytes() and files[name] == __import__("hashlib").sha256(
                (reference / name).read_bytes()
            ).hexdigest()
    assert steps["first"]["code"] == 0
    for fault, reason, before in (("full", "No space left on device", "first"), ("read-only", "Read-only file system", "after full")):
        step = steps[fault]
        assert step["code"] == EXIT_BUILD_FAILED
        assert step["stderr"] == [f"kg: build failed: cannot write into {out} ({reason})"]
        assert step["files"] == steps[before]["files"]  # the previous outputs whole, nothing of the failed build left


@pytest.mark.slow
def test_ctrl_c_stops_a_build_and_its_workers_in_one_line(tmp_path):
    import signal
    import time

    from bench.scaling import long_report

    folder = tmp_path / "reports"
    folder.mkdir()
    for path in sorted((ROOT / "tests" / "data" / "corpus").glob("d0[0-2]*.txt")):
        shutil.copy(path, folder)
    (folder / "zz-long.txt").write_bytes(long_report(SEED["001"].read_text(encoding="utf-8"), 8))  # seconds of work left
    out = tmp_path / "out"
    assert kg_program("build", str(SEED["000"]), "-o", str(out), "-q").returncode == 0
    before = (out / "graph.ttl").read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "build", str(folder), "-o", str(out), "-j", "2"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=interruptible,
    )
    packs = out / ".kg-cache" / "packs"
    cached = sum(p.stat().st_size for p in packs.glob("*.pack"))  # the first build's
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(p.stat().st_size for p in packs.glob("*.pack")) < cached + 20_000:
        time.sleep(0.05)  # until the workers have done some of the work
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 130
    assert errors.rstrip().endswith("kg: interrupted") and "Traceback" not in errors and "ForkPoolWorker" not in errors
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no worker of the build is left running
    assert (out / "graph.ttl").read_bytes() == before
