"""kg build --scheduler on a real dask.distributed LocalCluster (two worker processes on loopback)."""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CORPUS, SEEDS, require_corpus
from kg.builder.engine import BuildError, build
from kg.cli import main

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0") as local:
        with distributed.Client(local) as client:
            yield local, client


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    require_corpus()
    folder = tmp_path_factory.mktemp("inputs")
    shutil.copytree(SEEDS, folder / "seeds")
    shutil.copytree(CORPUS, folder / "corpus")
    return folder


@pytest.fixture(scope="module")
def local_build(tmp_path_factory, inputs):
    out = tmp_path_factory.mktemp("local")
    build([inputs], out, jobs=2)
    return out


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and ".kg-cache" not in p.parts)


def _same(a: Path, b: Path) -> None:
    assert _files(a) == _files(b)
    different = [name for name in _files(a) if not filecmp.cmp(a / name, b / name, shallow=False)]
    assert not different


def test_a_build_on_the_cluster_is_byte_for_byte_the_local_build(cluster, inputs, local_build, tmp_path):
    local, _ = cluster
    done = CliRunner().invoke(main, ["build", str(inputs), "-o", str(tmp_path / "out"), "--scheduler", local.scheduler_address, "-q"])
    assert done.exit_code == 0, done.output
    _same(local_build, tmp_path / "out")
    assert len(_files(local_build)) > 60  # graph, documents, views, analysis, a reading page per report


def test_a_worker_killed_mid_build_loses_nothing(cluster, inputs, local_build, tmp_path):
    local, client = cluster
    workers = client.run(os.getpid)  # address → pid of each worker process
    victim = sorted(workers.values())[0]
    killed = []

    def progress(done: int, total: int) -> None:
        if done == 8 and not killed:  # the first reports are in; the others are queued on both workers
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    result = build([inputs], tmp_path / "out", scheduler=local.scheduler_address, progress=progress)
    assert killed and not result.failures
    _same(local_build, tmp_path / "out")
    client.wait_for_workers(2, timeout=60)  # the nanny started another in its place
    assert victim not in client.run(os.getpid).values()


def test_local_n_starts_its_own_cluster_and_a_wrong_address_is_a_clear_error(inputs, local_build, tmp_path):
    build([inputs / "seeds"], tmp_path / "seeds", scheduler="local:2")
    build([inputs / "seeds"], tmp_path / "seeds-here", jobs=1)
    _same(tmp_path / "seeds-here", tmp_path / "seeds")
    with pytest.raises(BuildError, match="local:N"):
        build([inputs / "seeds"], tmp_path / "bad", scheduler="local:none")
    with pytest.raises(BuildError, match="cannot reach the Dask scheduler"):
        build([inputs / "seeds"], tmp_path / "bad", scheduler="tcp://127.0.0.1:9")


def test_the_same_cluster_builds_again_after_the_cache_is_gone(cluster, inputs, tmp_path):
    local, _ = cluster
    build([inputs / "seeds"], tmp_path / "out", scheduler=local.scheduler_address)
    shutil.rmtree(tmp_path / "out")  # the workers' pack files with it: each build sets them up again
    result = build([inputs / "seeds"], tmp_path / "out", scheduler=local.scheduler_address)
    assert not result.failures and result.processed == 5
