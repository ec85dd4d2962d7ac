"""Typed records passed between the pipeline stages: one :class:`Report` per input file."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from enum import Enum


class SectionType(str, Enum):
    """What a section of a report is about."""

    WORK = "work"
    LEADERSHIP = "leadership"
    PROBLEMS = "problems"
    PLANS = "plans"
    OTHER = "other"


class Status(str, Enum):
    """Whether a report says a measure was carried out or is intended."""

    IMPLEMENTED = "implemented"
    PLANNED = "planned"


@dataclass
class Evidence:
    """Where a statement comes from: the sentence and its span in the original file.

    ``start``/``end`` are character offsets into the decoded original file (for
    HTML, into the page source); ``quote`` is exactly ``original[start:end]``,
    so it shows the text as the file has it (traditional characters, pinyin
    glosses and all), while ``sentence`` is the cleaned sentence.
    """

    report: str
    section: str | None
    sentence: str
    start: int
    end: int
    quote: str


@dataclass
class Section:
    """A numbered part of a report; offsets are into the clean text."""

    id: str
    marker: str
    level: int
    heading: str
    type: SectionType
    start: int
    end: int
    body_start: int
    parent: str | None = None


@dataclass
class Unit:
    """An administrative unit (division), or a department or organ of one.

    For a division, ``code`` and ``level`` are its own; for a department or
    organ they are those of the division whose government it belongs to.
    ``parents`` run nearest first, as (name, code) pairs.
    """

    name: str
    kind: str  # division | department | organ
    as_written: str = ""
    code: str | None = None
    level: str | None = None  # province | prefecture | county | township
    parents: list[tuple[str, str]] = field(default_factory=list)
    linked: bool = False
    candidates: list[str] = field(default_factory=list)
    organ: str | None = None  # generic organ name (司法局) for departments and organs
    category: str | None = None  # organ category from the gazetteer

    @property
    def key(self) -> str:
        """Identity across reports: the code when linked, else the name."""
        if self.kind == "division":
            return f"division:{self.code}" if self.linked else f"division?{self.name}"
        owner = self.code if self.linked and self.code else ("central" if self.level == "central" else "?")
        return f"{self.kind}:{owner}:{self.organ or self.name}"


@dataclass
class OrganMention:
    """An organ or unit the text names, with the unit it belongs to."""

    unit: Unit
    evidence: Evidence


@dataclass
class InstrumentMention:
    """A legal instrument cited by a report."""

    key: str  # identity: the folded canonical title
    label: str  # canonical title
    as_written: str
    type: str
    evidence: Evidence
    doc_number: str | None = None
    bare: bool = False  # mentioned without 《》
    relation: str = "cited"  # what the unit does with it here: studied | applied | issued | basis | cited


@dataclass
class MeasureMention:
    """A measure a report says its unit carried out or plans."""

    concept: str | None  # concept id in the measure scheme; None for a local practice
    label: str
    status: Status
    evidence: Evidence
    implied_by: str | None = None  # the composite concept this one unfolds from
    based_on: list[str] = field(default_factory=list)  # instrument keys


@dataclass
class Problem:
    """One problem item stated by a report."""

    id: str
    label: str
    text: str
    categories: list[str]  # ids of the problem scheme, the main one first (a problem may be of several)
    evidence: Evidence
    addressed_by: list[str] = field(default_factory=list)  # measure concept ids

    @property
    def category(self) -> str | None:
        """The main category: the one the item's headline says most of."""
        return self.categories[0] if self.categories else None


@dataclass
class Indicator:
    """A quantity stated as a result: 受理纠纷 217 件."""

    metric: str
    value: str  # decimal as written, e.g. "98.6"
    unit: str
    approximate: bool
    year: int | None
    evidence: Evidence
    number: float | None = None  # the value with 万/亿 applied: 1.3万件 → 13000.0
    kind: str | None = None  # the typed metric analysts compare (ontology/metrics.ttl), when one fits
    measure: str | None = None  # the measure concept the quantity counts, when the sentence says so


@dataclass(frozen=True)
class SourceHint:
    """What the user knows of a file beyond its text: the page address it was saved from, the unit as stated."""

    url: str | None = None
    unit: str | None = None


@dataclass
class Report:
    """Everything extracted from one input file."""

    id: str
    file: str
    title: str | None = None
    year: int | None = None
    unit: Unit | None = None
    sections: list[Section] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    signature: dict[str, str] = field(default_factory=dict)
    organs: list[OrganMention] = field(default_factory=list)
    instruments: list[InstrumentMention] = field(default_factory=list)
    measures: list[MeasureMention] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    format: str = ""
    traditional: bool = False
    length: int = 0  # characters of the original file
    url: str | None = None  # the page address, from the file or the user's sources list
    opening: str = ""  # the first words of the body (letters and digits only): with unit and year, what makes two files one report

    def to_dict(self) -> dict:
        """A JSON-ready dict (enums as their values)."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """Inverse of :meth:`to_dict`."""
        return _build(cls, data)


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _build(tp, value):
    """Rebuild a value of type ``tp`` from its plain form."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value]
    if origin is tuple:
        return tuple(_build(a, v) for a, v in zip(typing.get_args(tp), value))
    if origin is dict:
        return dict(value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):  # a dataclass itself, not an instance
        hints = _hints(tp)
        return tp(**{f.name: _build(hints[f.name], value[f.name]) for f in dataclasses.fields(tp) if f.name in value})
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    return value


_HINTS: dict[type, dict] = {}


def _hints(tp: type) -> dict:
    if tp not in _HINTS:
        _HINTS[tp] = typing.get_type_hints(tp)
    return _HINTS[tp]


@dataclass
class Failure:
    """A file that could not be processed, and why."""

    path: str
    reason: str
