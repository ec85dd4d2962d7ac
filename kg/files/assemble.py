"""Files assembled from pieces — bytes, or ranges of other files — atomically.

The graph file and documents.jsonl are mostly ranges of the cache's pack
files, which the kernel copies (``copy_file_range``) without passing them
through Python. With a second core a helper process (:mod:`kg.files.helper`) does
the copying while the build draws its views: a thread would wait for Python's
lock after each of ten thousand copies.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> source = os.path.join(folder, "source")
>>> with open(source, "wb") as handle:
...     _ = handle.write(b"..block..")
>>> assemble(os.path.join(folder, "out"), [b"head ", Range(source, 2, 5), b" tail"])
>>> open(os.path.join(folder, "out"), "rb").read()
b'head block tail'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kg.files.atomic import atomic_path

_copy_file_range = getattr(os, "copy_file_range", None)  # Linux


class Range(NamedTuple):
    """``size`` bytes of the file at ``path`` from ``offset``."""

    path: str
    offset: int
    size: int


Piece = bytes | Range


def assemble(path: str | Path, pieces: Iterable[Piece]) -> None:
    """Write ``pieces`` one after the other into ``path``, replacing it atomically."""
    sources: dict[str, BinaryIO] = {}
    try:
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as handle:
                for piece in pieces:
                    if isinstance(piece, bytes):
                        handle.write(piece)
                    else:  # a Range (in the helper process, of the module kg.files.assemble rather than __main__)
                        _copy(Range(*piece), sources, handle)
    finally:
        for source in sources.values():
            source.close()


def _copy(piece: Range, sources: dict[str, BinaryIO], handle: BinaryIO) -> None:
    """Append a range of another file, by the kernel when it can."""
    source = sources.get(piece.path)
    if source is None:
        source = sources[piece.path] = open(piece.path, "rb")  # noqa: SIM115 - closed by assemble()
    offset, left = piece.offset, piece.size
    if _copy_file_range is not None:
        handle.flush()
        try:
            while left:
                copied = _copy_file_range(source.fileno(), handle.fileno(), left, offset)
                if not copied:
                    break
                offset, left = offset + copied, left - copied
        except OSError:  # a file system or kernel that cannot: copy through Python
            pass
    if left:
        source.seek(offset)
        data = source.read(left)
        if len(data) != left:
            raise OSError(f"{piece.path}: {left} bytes wanted at {offset}, the file ends before")
        handle.write(data)
