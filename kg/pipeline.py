"""One report file through every stage: read → normalise → sections → link → extract."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.extract import PIPELINE, Document
from kg.link.hosts import read_address
from kg.link.reporting import Evidence as UnitEvidence
from kg.link.reporting import link_reporting_unit
from kg.model import Report, SourceHint
from kg.normalize import normalize
from kg.read import SUPPORTED_SUFFIXES, ReadError, Source, read
from kg.sections import parse
from kg.vocab import measures


def report_id(original: str) -> str:
    """A report's identity: a digest of its decoded text (the same in any encoding)."""
    return hashlib.sha256(original.encode("utf-8")).hexdigest()[:16]


class StageClock:
    """Wall and CPU seconds spent in each stage, summed over reports (for the benchmark)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._mark = (time.perf_counter(), time.process_time())

    def lap(self, stage: str) -> None:
        """Charge the time since the last lap to ``stage``."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[stage] = self.wall.get(stage, 0.0) + wall - self._mark[0]
        self.cpu[stage] = self.cpu.get(stage, 0.0) + cpu - self._mark[1]
        self._mark = (wall, cpu)

    def merge(self, other: StageClock) -> None:
        for stage, seconds in other.wall.items():
            self.wall[stage] = self.wall.get(stage, 0.0) + seconds
        for stage, seconds in other.cpu.items():
            self.cpu[stage] = self.cpu.get(stage, 0.0) + seconds


def process(path: str | Path, clock: StageClock | None = None, hint: SourceHint | None = None) -> Report:
    """Extract everything from one file. Raises :class:`ReadError` if it cannot be read.

    ``hint`` is what the user knows beyond the text: the page address, the unit.
    """
    source = read(path)
    if clock:
        clock.lap("read")
    return process_source(source, clock, hint)


def process_source(source: Source, clock: StageClock | None = None, hint: SourceHint | None = None) -> Report:
    """Extract everything from a file already read."""
    lap = clock.lap if clock else (lambda stage: None)
    clean = normalize(source.body, markdown=source.format == "markdown")
    lap("normalise")
    metadata = {**source.metadata, **clean.metadata}
    structure = parse(clean.text, metadata)
    lap("sections")
    if structure.title is None and structure.year is None and not structure.sections and not structure.unit_phrases \
            and not reads_like_report(clean.text):
        raise ReadError("does not look like a report: no title, year, unit or numbered sections, and hardly a word of rule-of-law work")
    report = Report(
        id=report_id(source.original),
        file=source.path,
        title=structure.title,
        year=structure.year,
        sections=structure.sections,
        metadata=metadata,
        signature=dict(structure.signature),
        warnings=list(source.warnings),
        encoding=source.encoding,
        format=source.format,
        traditional=clean.traditional,
        length=len(source.original),
    )
    if structure.addressee:
        report.metadata.setdefault("addressee", structure.addressee)
    report.url = (hint.url if hint else None) or metadata.get("url")
    report.opening = opening(clean.text[structure.body_start:structure.body_start + 400])
    report.unit, unit_warnings = link_reporting_unit(UnitEvidence(
        phrases=structure.unit_phrases, text=clean.text, addressee=structure.addressee, signature=structure.signature.get("unit"),
        hint=read_address(report.url) if report.url else None, stated=hint.unit if hint else None,
    ))
    lap("link")
    report.warnings += unit_warnings
    if report.year is None:
        report.warnings.append("no year found")
    elif structure.year_source and "minus one" in structure.year_source:
        report.warnings.append(f"year {report.year} inferred from the {structure.year_source.replace(' minus one', '')}")
    if not structure.sections:
        report.warnings.append("no numbered sections found")
    doc = Document(report.id, source.original, clean, structure)
    for component in PIPELINE:
        component(doc, report)
    lap("extract")
    return report


_NOT_WORD = re.compile(r"[^0-9A-Za-z\u3400-\u9fff]+")
OPENING = 40  # characters of the body that, with the unit and the year, tell one report from another


def opening(body: str) -> str:
    """The first letters and digits of a body: a page and its excerpt, or two savings of one report, share them.

    >>> opening("2021年，七里街道坚持以习近平法治思想为指导……") == opening("2021年,七里街道坚持以习近平法治思想为指导")
    True
    """
    return _NOT_WORD.sub("", body)[:OPENING]


def reads_like_report(text: str) -> bool:
    """Whether a text without title, year, unit or outline still speaks of rule-of-law work (three measures or more).

    >>> reads_like_report("今天天气很好。我们去公园散步。"), reads_like_report("成立法治建设领导小组,开展普法宣传,聘请法律顾问。")
    (False, True)
    """
    return len({m.concept for m in measures().find(text)}) >= 3


@dataclass
class Failure:
    """A file that could not be processed, and why."""

    path: str
    reason: str


@dataclass
class Inputs:
    """The files a build will read, and problems found while collecting them."""

    files: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # path → the name the outputs give it (see :func:`input_name`)


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
            found = []

            def unlisted(err: OSError, folder: Path = path) -> None:
                inputs.failures.append(Failure(err.filename or str(folder), f"folder cannot be listed ({err.strerror or err})"))

            for root, dirs, names in os.walk(path, onerror=unlisted):  # os.path, not pathlib: a folder may hold many reports
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and os.path.realpath(os.path.join(root, d)) not in excluded)
                for name in names:
                    if os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES and not name.startswith(".") \
                            and not _DOCUMENTATION.match(name) and _regular(os.path.join(root, name)):
                        found.append(os.path.join(root, name))
            new = [f for f in sorted(found) if f not in seen]
            inputs.names.update((f, input_name(f, str(path))) for f in new)
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


def _regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def process_safely(path: str) -> Report | Failure:
    """:func:`process`, with read problems turned into a :class:`Failure`."""
    try:
        return process(path)
    except ReadError as err:
        return Failure(path, str(err))
