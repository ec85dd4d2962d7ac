"""Where each report came from, as the user knows it: a sources.jsonl beside the reports (file, url, unit).

Analysts keep the address of every page they save. A JSON-lines file gives it
to the build, one object per report::

    {"file": "2023/e001.txt", "url": "http://www.jiexi.gov.cn/…/post_914503.html", "unit": "揭西县交通运输局"}

``file`` is the report's path relative to the sources file (or its name, or its
name without the suffix, as ``id``); ``url`` and ``unit`` are both optional.
The address is read like the text's own clues (:mod:`kg.link.hosts`); a stated
unit is tried first, as the most trusted phrase, and still has to resolve in
the division table. Lines that cannot be read are reported, not fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from kg.model import SourceHint


@dataclass
class Sources:
    """Hints by file, and the problems met reading the sources file."""

    by_path: dict[str, SourceHint] = field(default_factory=dict)  # resolved path → hint
    by_name: dict[str, SourceHint] = field(default_factory=dict)  # file name or stem → hint
    problems: list[str] = field(default_factory=list)
    digest: str = ""  # of the file's content: part of the build's input version

    def get(self, path: str | Path) -> SourceHint | None:
        """The hint for a report file, by its path, then by its name, then by its stem."""
        resolved = os.path.realpath(path)
        if resolved in self.by_path:
            return self.by_path[resolved]
        name = os.path.basename(str(path))
        return self.by_name.get(name) or self.by_name.get(os.path.splitext(name)[0])


def load(path: str | Path, urls_only: bool = False) -> Sources:
    """Read a sources.jsonl file. ``urls_only`` drops the stated units (for scoring the extractors).

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "sources.jsonl"), "w", encoding="utf-8") as f:
    ...     _ = f.write('{"id": "e001", "url": "http://www.jiexi.gov.cn/a.html"}\\nnot json\\n')
    >>> sources = load(os.path.join(folder, "sources.jsonl"))
    >>> sources.get(os.path.join(folder, "e001.txt")).url, sources.problems
    ('http://www.jiexi.gov.cn/a.html', ['line 2: not a JSON object'])
    """
    path = Path(path)
    data = path.read_bytes()
    sources = Sources(digest=hashlib.sha256(data + (b"urls" if urls_only else b"")).hexdigest()[:16])
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict):
            sources.problems.append(f"line {number}: not a JSON object")
            continue
        name = item.get("file") or item.get("id")
        url, unit = item.get("url"), None if urls_only else item.get("unit")
        if not isinstance(name, str) or not name or not (isinstance(url, str) or isinstance(unit, str)):
            sources.problems.append(f'line {number}: needs a "file" (or "id") and a "url" or "unit"')
            continue
        hint = SourceHint(url if isinstance(url, str) else None, unit if isinstance(unit, str) else None)
        sources.by_path[os.path.realpath(path.parent / name)] = hint
        sources.by_name.setdefault(os.path.basename(name), hint)
    return sources


def beside(report: str | Path, urls_only: bool = True) -> SourceHint | None:
    """The hint for a report from a sources.jsonl in its own folder, if there is one (used by ``kg eval --sources``)."""
    candidate = Path(report).parent / "sources.jsonl"
    return _cached(str(candidate), urls_only).get(report) if candidate.is_file() else None


_LOADED: dict[tuple[str, bool], Sources] = {}


def _cached(path: str, urls_only: bool) -> Sources:
    if (path, urls_only) not in _LOADED:
        _LOADED[(path, urls_only)] = load(path, urls_only)
    return _LOADED[(path, urls_only)]
