"""The command line, run as a user would, with click's CliRunner."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from conftest import SEED, SEEDS
from kg.cli import main
from kg.version import __version__


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


def test_version():
    assert run("--version").output.strip() == f"kg, version {__version__}"


@pytest.mark.parametrize("command", [[], ["build"], ["inspect"]])
def test_every_command_has_help_with_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_build_seeds_writes_outputs_and_a_summary(tmp_path):
    result = run("build", SEEDS, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    for name in ("graph.ttl", "graph.html", "documents.jsonl"):
        assert (tmp_path / name).stat().st_size > 0
    assert "documents read: 5 (0 failed; 0 from the cache)" in result.output
    assert "reporting units linked: 5/5" in result.output
    assert re.search(r"entities: .*unit \d+.*", result.output)
    assert re.search(r"problems: \d+", result.output) and "warnings:" in result.output
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_files_are_named_and_the_others_still_build(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(SEED["000"]),
            str(tmp_path / "empty.txt"),
            str(tmp_path / "binary.txt"),
            str(tmp_path / "missing.txt"),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 1
    errors = result.stderr if hasattr(result, "stderr") else result.output
    assert f"{tmp_path / 'empty.txt'}: empty file" in errors
    assert f"{tmp_path / 'binary.txt'}: binary data" in errors
    assert f"{tmp_path / 'missing.txt'}: no such file" in errors
    assert "3 file(s) failed, 1 built" in errors
    assert (out / "graph.ttl").exists() and "七里街道" in (out / "graph.ttl").read_text(encoding="utf-8")


def test_the_program_exits_with_the_documented_codes(tmp_path):
    """The installed program ends through kg.cli.entry (a quick exit): codes and output survive it."""
    import subprocess
    import sys

    def program(*args):
        return subprocess.run([sys.executable, "-m", "kg.cli", *map(str, args)], capture_output=True, text=True)

    built = program("build", SEED["000"], "-o", tmp_path / "out")
    assert built.returncode == 0 and "documents read: 1" in built.stdout and (tmp_path / "out" / "graph.ttl").exists()
    assert program("build", tmp_path / "missing.txt", "-o", tmp_path / "none").returncode == 3
    assert program("build").returncode == 2
    assert program("query", tmp_path / "out" / "graph.ttl", "no-such-query").returncode == 1


def test_nothing_readable_writes_nothing(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "empty.txt"), "-o", str(out)])
    assert result.exit_code == 3
    assert not (out / "graph.ttl").exists()


def test_inspect_shows_title_unit_year_and_sections():
    result = run("inspect", SEED["004"])
    assert result.exit_code == 0
    assert "桂溪街道 → 垫江县 → 重庆市" in result.output
    assert "year:      2021" in result.output
    assert "七、 存在的主要问题  [problems]" in result.output
    assert "八、 下一步工作计划  [plans]" in result.output


def test_inspect_json():
    data = json.loads(run("inspect", "--json", SEED["002"]).output)
    assert data["unit"]["code"] == "522732101" and data["year"] == 2020
    assert [(s["id"], s["type"]) for s in data["sections"] if s["level"] == 1] == [("1", "work"), ("2", "problems"), ("3", "plans")]
    assert data["metadata"]["索引号"] == "000014349/2022-1843313"


def test_inspect_unreadable_file(tmp_path):
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1 and "no such file" in result.output
