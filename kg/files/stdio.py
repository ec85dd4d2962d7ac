"""``-`` for standard input or output wherever kg takes or writes a file.

Readers need a path (a report's format and a graph's syntax are found from
the file), so standard input is saved to a private temporary folder for the
length of the command and removed afterwards.

>>> is_stdio("-"), is_stdio("graph.ttl")
(True, False)
>>> graph_suffix(b'  {"@context": {}}'), graph_suffix(b"@prefix fz: <https://w3id.org/fzkg/ontology#> .")
('.jsonld', '.trig')
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

STDIO = "-"


def is_stdio(path: str | Path | None) -> bool:
    return path is not None and str(path) == STDIO


def graph_suffix(data: bytes) -> str:
    """The suffix that names a graph's syntax: JSON-LD for JSON, else TriG (which reads Turtle and N-Triples too)."""
    return ".jsonld" if data.lstrip()[:1] in (b"{", b"[") else ".trig"


@contextlib.contextmanager
def readable(path: Path, graph: bool = False) -> Iterator[Path]:
    """``path`` itself, or for ``-`` standard input saved as a file (``stdin``, with a graph's suffix when ``graph``)."""
    if not is_stdio(path):
        yield path
        return
    data = sys.stdin.buffer.read()
    with tempfile.TemporaryDirectory(prefix="kg-stdin-") as folder:
        saved = Path(folder) / ("stdin" + (graph_suffix(data) if graph else ""))
        saved.write_bytes(data)
        yield saved


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, or to standard output for ``-``."""
    if is_stdio(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from kg.files.atomic import write_text

    write_text(path, text)
