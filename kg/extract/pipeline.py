"""One report file through every stage: read → normalise → sections → link → extract."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from kg.extract import PIPELINE, Document
from kg.knowledge.vocab import measures
from kg.link.hosts import read_address
from kg.link.reporting import Evidence as UnitEvidence
from kg.link.reporting import link_reporting_unit
from kg.model import Report, SourceHint
from kg.text.normalize import CleanText, normalize
from kg.text.read import ReadError, Source, read
from kg.text.sections import parse


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
    return process_text(source, clock, hint)[0]


def process_text(source: Source, clock: StageClock | None = None, hint: SourceHint | None = None) -> tuple[Report, CleanText]:
    """Extract everything from a file already read; also the clean text the evidence offsets map into."""
    lap = clock.lap if clock else (lambda stage: None)
    clean = normalize(source.body, markdown=source.format == "markdown")
    lap("normalise")
    metadata = {**source.metadata, **clean.metadata}
    structure = parse(clean.text, metadata)
    lap("sections")
    if (
        structure.title is None
        and structure.year is None
        and not structure.sections
        and not structure.unit_phrases
        and not reads_like_report(clean.text)
    ):
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
    report.opening = opening(clean.text[structure.body_start : structure.body_start + 400])
    report.unit, unit_warnings = link_reporting_unit(
        UnitEvidence(
            phrases=structure.unit_phrases,
            text=clean.text,
            addressee=structure.addressee,
            signature=structure.signature.get("unit"),
            hint=read_address(report.url) if report.url else None,
            stated=hint.unit if hint else None,
        )
    )
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
    return report, clean


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
