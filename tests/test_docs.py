"""The documentation stays true: README.md is a short front door, docs/ holds the manual, and what they show still happens.

Modelled on sqlite-utils' tests/test_docs.py. docs/cli.md must be what
tools/cli_reference.py prints (``make docs``), so a command or option added or
changed without regenerating it fails here; every saved query is documented;
every relative link, every file and module path the pages name exists; and the
``console`` examples of README.md and docs/*.md run: each ``$ kg …`` line is run
with click's CliRunner from the project folder, with ``/tmp/tour`` and
``output/`` sent to one temporary folder, and the lines the page shows under it
(``…`` stands for lines left out; durations and rates may differ) must come out
in that order. A fenced block after ``<!-- test: PATH -->`` shows lines of the
file PATH that the examples wrote. The ``pycon`` examples of docs/library.md run
as doctests.
"""

from __future__ import annotations

import doctest
import json
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import ROOT
from kg.cli import main

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
README_LIMIT = 8192  # bytes of UTF-8


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


# ---------------------------------------------------------------------------- reading the pages

_FENCE = re.compile(r"^(`{3,})(\S*)\s*$")
_MARKER = re.compile(r"^<!--\s*test:\s*(\S+)\s*-->\s*$")


def blocks(page: Path) -> list[tuple[str, int, list[str], str | None]]:
    """The fenced blocks of a page: (info string, line number of the fence, lines, the file a test marker names)."""
    found, lines = [], page.read_text(encoding="utf-8").splitlines()
    number, marker = 0, None
    while number < len(lines):
        line = lines[number]
        fence, test = _FENCE.match(line), _MARKER.match(line)
        if fence:
            end = next(i for i in range(number + 1, len(lines)) if lines[i].startswith(fence.group(1)) and not lines[i].strip("`"))
            found.append((fence.group(2), number + 1, lines[number + 1 : end], marker))
            number, marker = end + 1, None
            continue
        if test:
            marker = test.group(1)
        elif line.strip():
            marker = None  # a marker names the block right after it (blank lines between allowed)
        number += 1
    return found


def prose(page: Path) -> str:
    """A page without its fenced blocks."""
    text = page.read_text(encoding="utf-8").splitlines()
    inside, kept = False, []
    for line in text:
        if _FENCE.match(line) or (inside and line.startswith("```")):
            inside = not inside
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in prose(page).splitlines() if re.match(r"#{1,6} ", line)}


# ---------------------------------------------------------------------------- the front door and the reference


def test_the_readme_is_a_front_door_of_at_most_8_kb():
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes; move the detail to docs/"


def test_the_readme_links_every_docs_page():
    linked = {Path(target) for target in re.findall(r"\]\((docs/[^)#\s]+\.md)", README.read_text(encoding="utf-8"))}
    assert {page.relative_to(ROOT) for page in DOCS.glob("*.md")} <= linked


def test_the_cli_reference_is_what_the_script_prints_now():
    done = subprocess.run([sys.executable, "tools/cli_reference.py"], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert (DOCS / "cli.md").read_bytes() == done.stdout, "docs/cli.md is out of date: run `make docs`"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_and_each_of_its_options_is_in_the_cli_reference(name):
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"## `kg {name}`" in text, f"kg {name} is not in docs/cli.md: run `make docs`"
    section = _section(text, f"## `kg {name}`")
    command = main.commands[name]
    context = click.Context(command, info_name=name, parent=click.Context(main, info_name="kg", **main.context_settings))
    for param in command.get_params(context):
        if isinstance(param, click.Option):
            for opt in (*param.opts, *param.secondary_opts):
                assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", section), f"kg {name} {opt} is not in docs/cli.md"
        else:
            assert param.human_readable_name in section, f"kg {name}'s argument {param.human_readable_name} is not in docs/cli.md"


@pytest.mark.parametrize("name", sorted(path.stem for path in (ROOT / "queries").glob("*.rq")))
def test_every_saved_query_is_documented(name):
    assert f"### `{name}`" in (DOCS / "queries.md").read_text(encoding="utf-8"), f"queries/{name}.rq is not in docs/queries.md"


# ---------------------------------------------------------------------------- links and names

_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_points_to_an_existing_file(page):
    for target in _LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{_name(page)}: link to {target}: no such file"
        if fragment and resolved.suffix == ".md":
            assert fragment in anchors(resolved), f"{_name(page)}: link to {target}: no such heading"


_PATH = re.compile(r"`((?:kg|ontology|tests|tools|bench|queries|seeds)/[\w./-]*)(?=[`\s])")
_NAMED_IN = re.compile(r"((?:`\w+`(?:, | and |; )?)+),? in `(kg/[\w/]+\.py)`")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_path_the_page_names_exists(page):
    text = page.read_text(encoding="utf-8")
    for path in _PATH.findall(text):
        assert (ROOT / path).exists(), f"{_name(page)} names {path}, which does not exist"
    for names, module in _NAMED_IN.findall(text):
        source = (ROOT / module).read_text(encoding="utf-8")
        for name in re.findall(r"`(\w+)`", names):
            assert re.search(rf"\b{name}\b", source), f"{_name(page)}: {name} is not in {module}"


def test_every_lexicon_is_described_and_every_one_described_exists():
    text = (DOCS / "how-it-works.md").read_text(encoding="utf-8")
    lexicon = ROOT / "ontology" / "lexicon"
    named = set(re.findall(r"`(\w+\.(?:tsv|txt))`", text))
    assert named == {path.name for path in lexicon.iterdir() if path.is_file()}


def test_the_architecture_page_follows_the_import_contract_and_the_cache_key():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    from kg.builder.engine import PER_REPORT_CODE

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"][0]
    for layer in contract["layers"]:
        for module in layer.split("|"):
            path = module.strip().replace(".", "/")
            assert f"`{path}/`" in text or f"`{path}.py`" in text, f"{module} is not in docs/architecture.md"
    for package in sorted(p.parent.name for p in (ROOT / "kg").glob("*/__init__.py")):
        assert f"`kg/{package}/`" in text, f"kg/{package}/ is not in docs/architecture.md"
    for entry in PER_REPORT_CODE:
        shown = f"`kg/{entry}`" if entry.endswith(".py") else f"`kg/{entry}/`"
        assert shown in _section(text, "## The per-report cache key"), f"{entry} of PER_REPORT_CODE is not in docs/architecture.md"


# ---------------------------------------------------------------------------- the examples run

_TOUR = "/tmp/tour"
_ELIDED = "…"


class Example:
    def __init__(self, page: Path, line: int, command: str, shown: list[str]):
        self.page, self.line, self.command, self.shown = page, line, command, shown

    @property
    def id(self) -> str:
        return f"{_name(self.page)}:{self.line}"


def examples() -> list[Example]:
    """Every ``$ kg …`` line of a console block, README.md first, with the lines shown under it."""
    found = []
    for page in PAGES:
        for info, start, lines, _ in blocks(page):
            if info != "console":
                continue
            for number, line in enumerate(lines):
                if line.startswith("$ "):
                    shown = []
                    for following in lines[number + 1 :]:
                        if following.startswith("$ "):
                            break
                        shown.append(following)
                    found.append(Example(page, start + 1 + number, line[2:], shown))
    return found


EXAMPLES = examples()


def _to(folder: Path, text: str) -> str:
    """``/tmp/tour`` and ``output/`` (or ``output`` alone) sent to ``folder``."""
    text = text.replace(_TOUR, str(folder))
    return re.sub(r"(?<![\w/.-])output(?=/|$)", str(folder), text)


def _steady(line: str) -> str:
    """A line without what changes from run to run: durations and rates."""
    line = re.sub(r"\d+(?:\.\d+)? s\b", "# s", line)
    return re.sub(r"\d+(?:\.\d+)?/s\b", "#/s", line).rstrip()


def _in_order(shown: list[str], output: str) -> list[str]:
    """The shown lines (not ``…``) that do not come out, in that order, among the output's lines."""
    lines = iter([_steady(line) for line in output.splitlines()])
    missing = []
    for line in shown:
        if line.strip() == _ELIDED:
            continue
        if not any(candidate == _steady(line) for candidate in lines):
            missing.append(line)
            lines = iter([_steady(line) for line in output.splitlines()])  # the rest is checked on its own
    return missing


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """Every example run once, in order (README's build first), from the project folder: {arguments: result}."""
    folder = tmp_path_factory.mktemp("tour")
    results: dict[tuple[str, ...], object] = {}
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        for example in EXAMPLES:
            words = shlex.split(example.command)
            assert words[0] == "kg", f"{example.id}: console examples run kg, not {words[0]}"
            args = tuple(_to(folder, word) for word in words[1:])
            if args not in results:
                results[args] = runner.invoke(main, list(args))
    return folder, results


def test_the_readme_has_a_tour():
    assert [e.command.split()[1] for e in EXAMPLES if e.page == README][:2] == ["build", "inspect"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_the_console_examples_run_and_print_what_the_docs_show(example, tour):
    folder, results = tour
    result = results[tuple(_to(folder, word) for word in shlex.split(example.command)[1:])]
    assert result.exit_code == 0, f"{example.id}: `{example.command}` exited with {result.exit_code}:\n{result.output}{result.exception!r}"
    missing = _in_order([_to(folder, line) for line in example.shown], result.output)
    assert not missing, (
        f"{example.id}: `{example.command}` no longer prints these lines:\n" + "\n".join(missing) + f"\n--- it printed:\n{result.output}"
    )


FILE_BLOCKS = [(page, start, lines, marker) for page in PAGES for _, start, lines, marker in blocks(page) if marker]


@pytest.mark.parametrize("block", FILE_BLOCKS, ids=lambda b: f"{_name(b[0])}:{b[1]}")
def test_the_files_the_examples_write_hold_what_the_docs_show(block, tour):
    page, start, lines, marker = block
    folder, _ = tour
    written = Path(_to(folder, marker)).read_text(encoding="utf-8")
    missing = _in_order(lines, written)
    assert not missing, f"{_name(page)}:{start}: {marker} no longer holds these lines:\n" + "\n".join(missing)


def test_the_documents_jsonl_fields_are_all_documented(tour):
    folder, _ = tour
    record = json.loads((folder / "documents.jsonl").read_text(encoding="utf-8").splitlines()[0])
    text = (DOCS / "documents.md").read_text(encoding="utf-8")
    for key in (*record, *record["unit"]):
        assert f"| `{key}` |" in text, f"documents.jsonl field {key} is not in docs/documents.md"
    for kind in ("instruments", "measures", "problems", "indicators"):
        for key in record[kind][0]:
            assert re.search(rf"`{{[^`]*\b{key}\b[^`]*}}`", text), f"documents.jsonl field {kind}.{key} is not in docs/documents.md"


def test_the_library_examples_run(tmp_path, monkeypatch):
    page = DOCS / "library.md"
    kept = [""] * len(page.read_text(encoding="utf-8").splitlines())  # the pycon blocks where they stand: failures name their lines
    for info, start, lines, _ in blocks(page):
        if info == "pycon":
            kept[start : start + len(lines)] = lines
    test = doctest.DocTestParser().get_doctest("\n".join(kept) + "\n", {}, "docs/library.md", str(page), 0)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert test.examples and runner.failures == 0, f"{runner.failures} example(s) of docs/library.md failed (see the output above)"
