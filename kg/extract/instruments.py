"""Legal instruments: every 《》 title and bare names of well-known laws, with document numbers."""

from __future__ import annotations

import re

from kg.extract.base import Document
from kg.link.instruments import canonical, fold, table, tidy
from kg.model import InstrumentMention, Report

_TITLE = re.compile(r"《([^《》\n]{1,150})》")
_INNER = re.compile(r"〈([^〈〉]{2,120})〉")
_ALIAS = re.compile(r"《([^《》\n]{2,150})》\)?\s*\(以下简称[“\"]?《?([^)”\"》]{1,30})》?[”\"]?\)")
_DOC_NUMBER = re.compile(r"\(?\s*((?:[\u4e00-\u9fff]{1,14})?[〔\[【(]\s*(?:19|20)\d{2}\s*[〕\]】)]\s*第?\s*\d{1,5}\s*号)\s*\)?")
_ISSUED_AS = re.compile(r"^关于印发(.{2,120})的通知$")
_NOTICE_OF = re.compile(r"^(.{4,120})的通知$")


def doc_number(raw: str) -> str:
    """One written form of a document number: 三依治办〔2020〕49号."""
    raw = re.sub(r"\s+", "", raw)
    return re.sub(r"[\[【(](\d{4})[\]】)]", r"〔\1〕", raw).replace("第", "")


class InstrumentExtractor:
    """Finds instruments; one :class:`InstrumentMention` per occurrence."""

    name = "instruments"

    def __call__(self, doc: Document, report: Report) -> None:
        text = doc.text
        year = report.year
        aliases = {fold(short): full for full, short in _ALIAS.findall(text)}
        titles = [(m.start(), m.end(), m.group(1)) for m in _TITLE.finditer(text) if doc.in_body(m.start())]
        known_keys = {fold(t) for _, _, t in titles}
        covered: list[tuple[int, int]] = []
        for start, end, written in titles:
            covered.append((start, end))
            for title in _expand(written, known_keys):
                resolved = aliases.get(fold(title), title)
                found = canonical(resolved, year)
                number = None
                if title == written:
                    following = _DOC_NUMBER.match(text, end, min(len(text), end + 30))
                    number = doc_number(following.group(1)) if following else None
                report.instruments.append(InstrumentMention(
                    key=found.key, label=found.label, as_written=written, type=found.type,
                    evidence=self._evidence(doc, start, end), doc_number=number,
                ))
        for start, end, title, type_ in table().bare_mentions(text):
            if not doc.in_body(start) or any(a <= start < b for a, b in covered):
                continue
            report.instruments.append(InstrumentMention(
                key=fold(title), label=title, as_written=text[start:end], type=type_,
                evidence=self._evidence(doc, start, end), bare=True,
            ))
        report.instruments.sort(key=lambda m: m.evidence.start)

    @staticmethod
    def _evidence(doc: Document, start: int, end: int):
        sentence = doc.sentence_at(start)
        if sentence is None:
            return doc.evidence(start, end)
        return doc.sentence_evidence(sentence)


def _expand(written: str, known_keys: set[str]) -> list[str]:
    """The instruments one title stands for.

    《关于印发〈X〉的通知》 cites the notice and X; so does 《X的通知》 when the
    report also cites 《X》 by its own title.
    """
    inner = _INNER.findall(written)
    if inner:
        return [written] + inner
    notice = _NOTICE_OF.match(tidy(written))
    if notice:
        core = _ISSUED_AS.match(tidy(written))
        subject = core.group(1) if core else notice.group(1)
        if fold(subject) in known_keys:
            return [written, subject]
    return [written]
