"""The files a build reads: paths given, folders walked, names the outputs give them."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.model import Failure
from kg.text.read import SUPPORTED_SUFFIXES


@dataclass
class Inputs:
    """The files a build will read, and problems found while collecting them."""

    files: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # path → the name the outputs give it (see :func:`input_name`)


_SUFFIXES = tuple(sorted(SUPPORTED_SUFFIXES))  # for str.endswith: a national folder's names, without splitting each
# files of a folder that document it rather than being reports
_DOCUMENTATION = re.compile(r"^(README|LICENSE|LICENCE|CHANGELOG|CHANGES|NOTICE|COPYING|CONTRIBUTING)([._-].*)?$", re.I)


def as_paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[str]:
    """The inputs of a build as a list of paths: one path (a ``str`` is one path, never its characters) or several.

    >>> as_paths("a.txt"), as_paths(["a.txt", Path("b")])
    (['a.txt'], ['a.txt', 'b'])
    """
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    if isinstance(paths, bytes) or not isinstance(paths, Iterable):
        raise TypeError(f"paths must be a path or an iterable of paths, not {type(paths).__name__}")
    out = []
    for path in paths:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"each path must be a str or os.PathLike, not {type(path).__name__}: {path!r}")
        out.append(os.fspath(path))
    return out


def shown(path: str) -> str:
    """A path as it can be printed on one line: undecodable bytes and control characters escaped.

    >>> shown("a\\nb.txt"), shown("r\\udcffport.txt")
    ('a\\\\nb.txt', 'r\\\\xffport.txt')
    """
    if path.isprintable():  # most names: no control character, no undecodable byte (a lone surrogate is not printable)
        return path
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


def collect(paths: str | os.PathLike | Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = ()) -> Inputs:
    """Expand files and folders (recursively, supported suffixes only) in a stable order.

    A file named explicitly is always attempted, whatever its suffix; a missing
    path is a failure, not an exception. In folders, README, LICENSE and the
    like are not reports and are left out; so are the folders in ``exclude``
    (a build's own output and cache). FIFOs, devices and sockets are never read:
    named explicitly they are a failure, met in a folder they are skipped. A
    folder that cannot be listed is a failure.
    """
    inputs = Inputs()
    seen: set[str] = set()
    excluded = {os.path.realpath(p) for p in exclude}
    for raw in as_paths(paths):
        path = Path(raw)
        if path.is_dir():
            found = _reports_under(str(path), excluded, inputs.failures)
            new = [f for f in sorted(found) if f not in seen]
            inputs.names.update(_names_under(str(path), new))
        elif path.exists():
            if not _regular(str(path)):
                inputs.failures.append(Failure(str(path), "not a regular file (a FIFO, device or socket): not read"))
                continue
            new = [str(path)] if str(path) not in seen else []
            inputs.names.update((f, input_name(f)) for f in new)
        else:
            inputs.failures.append(Failure(str(path), "no such file or folder"))
            continue
        seen.update(new)
        inputs.files.extend(new)
    return inputs


def input_name(path: str, folder: str | None = None) -> str:
    """The name the outputs give an input file: relative to the folder given to the build, that folder's own name
    first (``reports/2023/a.txt``); a file given alone by its name. Never an absolute path of the machine that
    built it; bytes that are not UTF-8 and control characters escaped (:func:`shown`).

    >>> input_name("/home/ana/reports/2023/a.txt", "/home/ana/reports"), input_name("/home/ana/a.txt")
    ('reports/2023/a.txt', 'a.txt')
    """
    if folder is None:
        return shown(os.path.basename(path))
    root = os.path.dirname(os.path.abspath(folder).rstrip(os.sep)) or os.sep
    return shown(os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/"))


def _names_under(folder: str, files: list[str]) -> Iterator[tuple[str, str]]:
    """(file, :func:`input_name`) of files os.walk found under ``folder``: its path is the folder's then the names
    walked (no ``..``), so the name is the folder's own name and that rest — without resolving each path again.

    >>> dict(_names_under("/home/ana/reports/", ["/home/ana/reports/2023/a.txt"]))
    {'/home/ana/reports/2023/a.txt': 'reports/2023/a.txt'}
    """
    top = os.path.basename(os.path.abspath(folder).rstrip(os.sep))
    for path in files:
        rest = path[len(folder) :].lstrip(os.sep)
        yield path, shown(f"{top}/{rest}" if top else rest).replace(os.sep, "/")


def _reports_under(top: str, excluded: set[str], failures: list[Failure]) -> list[str]:
    """The report files under the folder ``top``, not in order: what :func:`collect` takes from a folder.

    Read from the folders' listings (``os.scandir``: the kind of each entry comes with its name, a national folder's
    files are not each asked for it); hidden and ``excluded`` folders are not entered, nor linked ones (as ``os.walk``).
    """
    found, folders = [], [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as err:
            failures.append(Failure(err.filename or folder, f"folder cannot be listed ({err.strerror or err})"))
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir():
                if not entry.is_symlink() and os.path.realpath(entry.path) not in excluded:
                    folders.append(entry.path)
            elif name.lower().endswith(_SUFFIXES) and not _DOCUMENTATION.match(name) and entry.is_file():
                found.append(entry.path)  # is_file: a regular file, or a link to one (no FIFO, device or socket)
    return found


def _regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
