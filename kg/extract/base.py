"""What every extractor sees: the clean text, its structure and sentences, and the way back to the file."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Protocol

from kg.model import Evidence, Report, Section, SectionType
from kg.text.normalize import CleanText
from kg.text.sections import Structure

_SENTENCE_END = re.compile(r"[。!?！？]+[”’\"]?|\n")
_LONG_SENTENCE = 240  # beyond this, semicolons also end a sentence


@dataclass(frozen=True)
class Sentence:
    """A sentence of the clean text: offsets, text and the section it sits in."""

    start: int
    end: int
    text: str
    section: Section | None

    @property
    def type(self) -> SectionType:
        return self.section.type if self.section else SectionType.OTHER


class Document:
    """One report during extraction."""

    def __init__(self, report_id: str, original: str, clean: CleanText, structure: Structure):
        self.id = report_id
        self.original = original
        self.clean = clean
        self.text = clean.text
        self.structure = structure
        self.sentences = list(_split_sentences(self.text, structure))
        self._starts = [s.start for s in self.sentences]
        self._evidence: dict[int, Evidence] = {}
        self.concepts: dict[int, list] = {}  # the measure scheme's matches by sentence start, for later components

    def sentence_at(self, offset: int) -> Sentence | None:
        """The sentence containing a clean-text offset."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self.sentences[i].start <= offset < self.sentences[i].end:
            return self.sentences[i]
        return None

    def evidence(self, start: int, end: int, section: Section | None = None) -> Evidence:
        """Evidence for the clean span ``[start, end)``: its text and its span in the original."""
        o_start, o_end = self.clean.aligned.original_span(start, end)
        if section is None:
            section = self.structure.section_at(start)
        return Evidence(
            report=self.id,
            section=section.id if section else None,
            sentence=self.text[start:end],
            start=o_start,
            end=o_end,
            quote=self.original[o_start:o_end],
        )

    def sentence_evidence(self, sentence: Sentence) -> Evidence:
        """The evidence of a whole sentence (made once: several statements rest on one sentence; do not change it)."""
        found = self._evidence.get(sentence.start)
        if found is None:
            found = self._evidence[sentence.start] = self.evidence(sentence.start, sentence.end, sentence.section)
        return found

    def in_body(self, offset: int) -> bool:
        return self.structure.body_start <= offset < self.structure.body_end


def _split_sentences(text: str, structure: Structure):
    """Sentences of the body; headings are sentences of their own."""
    body_start, body_end = structure.body_start, structure.body_end
    heading_ends = sorted({s.body_start for s in structure.sections if s.body_start > s.start})
    pos = body_start
    for match in _SENTENCE_END.finditer(text, body_start, body_end):
        yield from _emit(text, pos, match.end(), structure, heading_ends)
        pos = match.end()
    if pos < body_end:
        yield from _emit(text, pos, body_end, structure, heading_ends)


def _emit(text: str, start: int, end: int, structure: Structure, heading_ends: list[int]):
    # a heading that shares its line with the body ends where the body starts
    for cut in heading_ends[bisect.bisect_right(heading_ends, start) : bisect.bisect_left(heading_ends, end)]:
        yield from _emit(text, start, cut, structure, [])
        start = cut
    while start < end and text[start] in " \n\t":
        start += 1
    stop = end
    while stop > start and text[stop - 1] in " \n\t":
        stop -= 1
    if stop <= start:
        return
    if stop - start > _LONG_SENTENCE:
        pieces = [m.end() for m in re.finditer(r";", text[start:stop])]
        cuts = [start] + [start + p for p in pieces if 0 < p < stop - start] + [stop]
        if len(cuts) > 2:
            for a, b in zip(cuts, cuts[1:]):
                if b > a:
                    yield Sentence(a, b, text[a:b], structure.section_at(a))
            return
    yield Sentence(start, stop, text[start:stop], structure.section_at(start))


class Extractor(Protocol):
    """One pipeline component: reads the document, adds its findings to the report.

    Components run in the order of :data:`kg.extract.PIPELINE`; a component may
    read what earlier ones added (measures read instruments; problems read
    measures).
    """

    name: str

    def __call__(self, doc: Document, report: Report) -> None: ...
