"""Shared fixtures: the seed reports, the corpus beside the project, and built outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPUS = ROOT / "tests" / "data" / "corpus"  # a copy of ../shared/corpus (tests/data/README.md)
CORPUS2 = ROOT / "tests" / "data" / "corpus2"
SEED = {path.name[:3]: path for path in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_reports():
    """Every seed processed once: {'000': Report, …}."""
    from kg.pipeline import process

    return {key: process(path) for key, path in SEED.items()}


@pytest.fixture(scope="session")
def seed_corpus():
    from kg.corpus import build

    return build([SEEDS])


@pytest.fixture(scope="session")
def seed_outputs(tmp_path_factory, seed_corpus):
    """graph.ttl, graph.html and documents.jsonl built from the seeds."""
    from kg.corpus import write_outputs

    out = tmp_path_factory.mktemp("seed-output")
    return write_outputs(seed_corpus, out)


def require_corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus copy is missing ({CORPUS})")
