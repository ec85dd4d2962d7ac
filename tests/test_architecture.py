"""The house keeps its plan: imports one way and without cycles, types checked, one source per namespace."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

KG = ROOT / "kg"
MODULES = sorted(KG.rglob("*.py"))


def test_imports_follow_the_stages():
    """The import-linter contract of pyproject.toml: cli → builder → rdf | outputs → graph → extract → link → text → knowledge."""
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_module_imports_itself_through_others():
    import grimp

    graph = grimp.build_graph("kg")
    cycles = sorted(
        {
            tuple(sorted((a, b)))
            for a in graph.modules
            for b in graph.find_modules_directly_imported_by(a)
            if a != b and graph.chain_exists(importer=b, imported=a)
        }
    )
    assert cycles == []


def test_the_types_check():
    done = subprocess.run([sys.executable, "-m", "mypy", "kg"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_says_what_it_is_in_its_first_line(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path} has no docstring"
    assert docstring.splitlines()[0].rstrip().endswith((".", ":")), docstring.splitlines()[0]


NAMESPACE_STARTS = ("https://w3id.org/fzkg/", "http://www.w3.org/", "http://purl.org/dc/")


def _code_strings(tree: ast.AST):
    """String constants of the code: not docstrings, not click help texts."""
    documented = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                documented.add(id(first.value))
        if isinstance(node, ast.keyword) and node.arg == "help":
            documented.update(id(n) for n in ast.walk(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documented:
            yield node


def test_namespaces_are_spelled_in_one_module():
    home = KG / "knowledge" / "namespaces.py"
    spelled = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}"
        for path in MODULES
        if path != home
        for node in _code_strings(ast.parse(path.read_text(encoding="utf-8")))
        if any(s in node.value for s in NAMESPACE_STARTS)
    ]
    assert spelled == []


def test_every_ontology_term_in_a_built_graph_is_declared(seed_outputs):
    import pyoxigraph as ox

    from kg.knowledge.namespaces import FZ_IRI, declared_terms

    used = set()
    for quad in ox.parse(path=str(seed_outputs["rdf"]), format=ox.RdfFormat.TURTLE):
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(FZ_IRI):
                used.add(term.value[len(FZ_IRI) :])
    assert used and used <= set(declared_terms())


def test_an_undeclared_term_cannot_be_written():
    from kg.rdf.write import fz

    assert fz("implements").endswith("#implements")
    with pytest.raises(AttributeError, match="not in namespace"):
        fz("implement")


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_the_code_is_linted_and_formatted(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "kg", "tests", "bench", "tools"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
