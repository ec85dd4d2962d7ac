"""Shared fixtures: the seed reports, the corpus beside the project, and built outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPUS = ROOT / "tests" / "data" / "corpus"  # a copy of the dev corpus (tests/data/README.md)
CORPUS2 = ROOT / "tests" / "data" / "corpus2"
SEED = {path.name[:3]: path for path in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_reports():
    """Every seed processed once: {'000': Report, …}."""
    from kg.extract.pipeline import process

    return {key: process(path) for key, path in SEED.items()}


@pytest.fixture(scope="session")
def seed_corpus():
    from kg.builder.corpus import build

    return build([SEEDS])


@pytest.fixture(scope="session")
def dev_corpus():
    """The seeds and both dev corpora built together (118 real reports), in memory."""
    from kg.builder.corpus import build

    require_corpus()
    return build([SEEDS, CORPUS, CORPUS2])


@pytest.fixture(scope="session")
def seed_outputs(tmp_path_factory, seed_corpus):
    """graph.ttl, graph.html and documents.jsonl built from the seeds."""
    from kg.builder.corpus import write_outputs

    out = tmp_path_factory.mktemp("seed-output")
    return write_outputs(seed_corpus, out)


def interruptible() -> None:
    """``preexec_fn`` for a program a test stops with SIGINT: Ctrl-C's default action restored, since a suite run as a
    background job (``make test &``, nohup) hands its children SIGINT ignored — as a shell does, and Python keeps it so."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def require_corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus copy is missing ({CORPUS})")


def require_tool(missing: str | None, package: str) -> None:
    """Skip a test whose outside tool is missing (``missing`` says what); under CI, where make test installs it, fail."""
    import os

    if not missing:
        return
    message = f"{missing} is missing; make test installs Debian's {package}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


JAVA_LIBS = Path("/usr/share/java")


def java_classpath(names: tuple[str, ...], package: str) -> str:
    """The classpath of Debian's jars of these names (unversioned), once java and every jar is there."""
    import shutil

    jars = [JAVA_LIBS / f"{name}.jar" for name in names]
    absent = [jar.name for jar in jars if not jar.exists()] + ([] if shutil.which("java") else ["java"])
    require_tool(", ".join(absent), package)
    return ":".join(map(str, jars))


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (no browser download)."""
    from bench.chromium import EXECUTABLE, FLAGS

    require_tool(None if Path(EXECUTABLE).exists() else EXECUTABLE, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)
        yield instance
        instance.close()
