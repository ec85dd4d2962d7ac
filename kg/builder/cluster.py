"""Reading and extraction as tasks of a dask.distributed cluster: ``kg build --scheduler ADDRESS`` (or ``local:N``).

Each input is one task; a worker process sets itself up on its first task (lexicons, the RDF writer, its
own pack file in the shared cache) exactly as a local worker does, and answers with the same
:class:`~kg.builder.engine.Done`. The main process takes the answers in input order, so the outputs are
byte for byte those of a local build. A task whose worker dies is run again on another (Dask's
``distributed.scheduler.allowed-failures``); what the dead worker half wrote to its pack is never read
(each record is checked by its length and signature). The cache folder must be the same path on every
worker: a shared file system.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kg.knowledge import user

LOCAL = "local:"
WINDOW = 512  # tasks in flight ahead of the one the main process waits for: memory stays bounded


class ClusterError(Exception):
    """The scheduler cannot be reached, or dask.distributed is not installed."""


@dataclass(frozen=True)
class Setup:
    """What a worker needs to process inputs as the main process would: formats, cache, the user's vocabulary."""

    fmt: str
    base: str
    cache_root: str | None
    keep: bool
    vocabulary: user.Vocabulary | None
    build: str = field(default_factory=lambda: uuid.uuid4().hex)  # each build sets the workers up again (a new pack file)

    @property
    def key(self) -> tuple:
        """What tells one setup from another: the build, and the vocabulary by its digest."""
        return self.build, self.fmt, self.base, self.cache_root, self.keep, self.vocabulary.digest if self.vocabulary else None


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A client of the cluster at ``address`` (``tcp://host:8786``), or of a new local cluster for ``local:N``
    (N worker processes, one thread each, on loopback), closed at the end."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("kg build --scheduler needs dask.distributed (pip install 'kg[cluster]')") from None
    cluster = None
    try:
        if address.startswith(LOCAL):
            count = address[len(LOCAL) :]
            if not count.isdigit() or int(count) < 1:
                raise ClusterError(f"{address!r}: say local:N with N worker processes, as local:2")
            cluster = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0")
            client = Client(cluster)
        else:
            client = Client(address, timeout=30)
    except ClusterError:
        raise
    except (OSError, TimeoutError, ValueError) as err:  # ValueError: an address Dask cannot read (foo:bar, tcp://[::1)
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {err}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run(client: Any, work: Callable, tasks: list, setup: Setup) -> Iterator:
    """``work(task, setup)`` of each task on the cluster, the answers in task order, with at most :data:`WINDOW`
    tasks submitted ahead. ``work`` is a module-level function: the workers import it by name."""
    submitted: list = []
    position = 0
    for task in tasks:
        submitted.append(client.submit(work, task, setup, pure=False))
        if len(submitted) - position >= WINDOW:
            yield submitted[position].result()
            submitted[position] = None  # released: the cluster forgets it
            position += 1
    for future in submitted[position:]:
        yield future.result()
