"""A module of this package run in a helper process, its failure raised in the parent as the error it was.

A build hands work that needs no more of it than files to a fresh interpreter (:class:`Helper`): the graph file's
copying, the analysis of the committed graph. A fresh process, not a fork: a forked child would make the parent
copy every page it writes while both live, and SQLite connections must not cross a fork. The child ends through
:func:`run`, which reports an error on stderr in a form :meth:`Helper.wait` turns back into the same ``OSError``
(a full disk is named as such in the parent).

>>> helper = Helper("kg.builder.graphfile", "/nonexistent/work.pkl")  # the graph file of work that is not there
>>> try:
...     helper.wait()
... except OSError as err:
...     print(err.errno, err.strerror, err.filename)
2 No such file or directory /nonexistent/work.pkl
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


class Helper:
    """``python -m module args…`` started now; :meth:`wait` for it (raises its failure) or :meth:`stop` it."""

    def __init__(self, module: str, *args: str) -> None:
        # the helper imports this package from where this process found it, installed or not
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
        )
        self.said: tuple[bytes, bytes] | None = None  # its stdout and stderr, once it ended

    def _end(self) -> tuple[bytes, bytes]:
        if self.said is None:
            self.said = self.process.communicate()
        return self.said

    def wait(self) -> bytes:
        """Wait for the helper to end; returns what it printed. Its failure is raised here (an ``OSError`` with the
        child's errno when it had one)."""
        output, errors = self._end()
        if self.process.returncode:
            message = errors.decode("utf-8", "replace").strip() or f"the helper process ended with code {self.process.returncode}"
            number, _, rest = message.partition("\t")
            if number.isdigit() and "\t" in rest:
                reason, _, filename = rest.partition("\t")
                raise OSError(int(number), reason, filename or None)
            raise OSError(f"writing the outputs failed: {message}")
        return output

    def stop(self) -> None:
        """End the helper if it still runs (the build failed elsewhere: what it writes is thrown away)."""
        if self.process.poll() is None:
            self.process.kill()
        self._end()


def run(job: Callable[[], object]) -> int:
    """The exit code of a helper process doing ``job``: 0, or 1 with the error on stderr for :meth:`Helper.wait`."""
    try:
        job()
    except Exception as err:  # noqa: BLE001 - the parent raises it, named, as an OSError
        if isinstance(err, OSError) and err.errno:  # errno, reason and file, for the parent to raise the same error
            print(f"{err.errno}\t{err.strerror}\t{err.filename or ''}", file=sys.stderr)
        else:
            print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0
