"""Files assembled from pieces — bytes, or ranges of other files — atomically, here or in a helper process.

The graph file and documents.jsonl are mostly ranges of the cache's pack
files, which the kernel copies (``copy_file_range``) without passing them
through Python. With a second core a helper process does the copying while
the build draws its views: a thread would wait for Python's lock after each
of ten thousand copies, and a forked child would make the views copy every
page of the graph they touch.

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
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kg.files.atomic import atomic_path

_copy_file_range = getattr(os, "copy_file_range", None)  # Linux


CHUNK = 10_000  # pieces the helper process reads at a time: a national graph file has millions


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


class Assembly:
    """Files being assembled by a helper process, which reads its work from a pickle file.

    The helper reports a failure on stderr; :meth:`wait` raises it as an
    :class:`OSError`.
    """

    def __init__(self, files: Mapping[Path, Sequence[Piece]]):
        folder = next(iter(files)).parent
        folder.mkdir(parents=True, exist_ok=True)
        handle, self.work = tempfile.mkstemp(prefix=".kg-assemble-", suffix=".pkl", dir=folder)
        with os.fdopen(handle, "wb") as stream:  # a file's pieces in chunks, so the helper holds one chunk at a time
            for path, pieces in files.items():
                chunks = range(0, len(pieces), CHUNK)
                pickle.dump((str(path), len(chunks)), stream, protocol=pickle.HIGHEST_PROTOCOL)
                for start in chunks:
                    pickle.dump(list(pieces[start : start + CHUNK]), stream, protocol=pickle.HIGHEST_PROTOCOL)
        # the helper imports this package from where this process found it, installed or not
        package_root = str(Path(__file__).resolve().parent.parent.parent)
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
        self.process = subprocess.Popen([sys.executable, "-m", "kg.files.assemble", self.work], stderr=subprocess.PIPE, env=environment)

    def wait(self) -> None:
        _, errors = self.process.communicate()
        Path(self.work).unlink(missing_ok=True)
        if self.process.returncode:
            message = errors.decode("utf-8", "replace").strip() or f"the helper process ended with code {self.process.returncode}"
            number, _, rest = message.partition("\t")
            if number.isdigit() and "\t" in rest:
                reason, _, filename = rest.partition("\t")
                raise OSError(int(number), reason, filename or None)
            raise OSError(f"writing the outputs failed: {message}")


def main(argv: list[str]) -> int:
    """The helper process: assemble the files described in the pickle file ``argv[0]``."""
    try:
        with open(argv[0], "rb") as handle:
            while handle.peek(1):
                path, chunks = pickle.load(handle)
                assemble(path, (piece for _ in range(chunks) for piece in pickle.load(handle)))
    except Exception as err:  # noqa: BLE001 - the parent raises it, named, as an OSError
        if isinstance(err, OSError) and err.errno:  # errno, reason and file, for the parent to raise the same error
            print(f"{err.errno}\t{err.strerror}\t{err.filename or ''}", file=sys.stderr)
        else:
            print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
