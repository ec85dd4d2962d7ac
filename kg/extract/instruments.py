"""Legal instruments: every 《》 title and bare names of well-known laws, with document numbers."""

from __future__ import annotations

import re
from functools import lru_cache

from kg.extract.base import Document
from kg.knowledge.resources import read_tsv
from kg.link.instruments import canonical, fold, table, tidy
from kg.link.units import organ_lookup
from kg.model import InstrumentMention, Report
from kg.text.spans import Spans

_TITLE = re.compile(r"《([^《》\n]{1,150})》")
_INNER = re.compile(r"[〈<]([^〈〉<>]{2,120})[〉>]")
_ALIAS = re.compile(r"《([^《》\n]{2,150})》\)?\s*\(以下简称[“\"]?《?([^)”\"》]{1,30})》?[”\"]?\)")
_DOC_NUMBER = re.compile(r"\(?\s*((?:[\u4e00-\u9fff]{1,14})?[〔\[【(]\s*(?:19|20)\d{2}\s*[〕\]】)]\s*第?\s*\d{1,5}\s*号)\s*\)?")
_ISSUED_AS = re.compile(r"^关于印发(.{2,120})的通知$")
_NOTICE_OF = re.compile(r"^(.{4,120})的通知$")


def doc_number(raw: str) -> str:
    """One written form of a document number: 三依治办〔2020〕49号."""
    raw = re.sub(r"\s+", "", raw)
    return re.sub(r"[\[【(](\d{4})[\]】)]", r"〔\1〕", raw).replace("第", "")


@lru_cache(maxsize=1)
def _relation_cues() -> tuple[re.Pattern, list[tuple[str, re.Pattern]]]:
    """One pattern of every cue before a title (named groups by relation), and the patterns after it."""
    before, after = [], []
    for row in read_tsv("lexicon", "instrument_relations.tsv"):
        if row["where"] == "before":
            before.append(f"(?P<{row['relation']}>{row['pattern']})")
        else:
            after.append((row["relation"], re.compile(row["pattern"])))
    return re.compile("|".join(before)), after


_CLAUSE_START = re.compile(r"[,;:。!?\n]")
_LIST_BEFORE = re.compile(r"《[^《》\n]*》(?:\([^()\n]{0,40}\))?(?:[、,和及与]|以及)?$")
_LIST_AFTER = re.compile(r"(?:[、和及与]|以及)?《[^《》\n]*》")


def relation_of(text: str, start: int, end: int) -> str:
    """What the unit does with the instrument whose title (or bare name) spans ``text[start:end]``.

    >>> relation_of("组织学习《宪法》《民法典》。", 9, 14), relation_of("认真贯彻落实中共中央、国务院制定的《纲要》", 17, 21)
    ('studied', 'applied')
    >>> relation_of("根据《规定》开展督察", 2, 6), relation_of("印发《2023年工作要点》", 2, 14), relation_of("在《甘肃日报》刊发", 1, 7)
    ('basis', 'issued', 'cited')
    """
    before_cues, after_cues = _relation_cues()
    first = start
    while True:  # the verb of a list stands before its first title
        listed = _LIST_BEFORE.search(text, max(0, first - 200), first)
        if not listed:
            break
        first = listed.start()
    clause = max((m.end() for m in _CLAUSE_START.finditer(text, max(0, first - 40), first)), default=max(0, first - 40))
    best: tuple[tuple[int, int], str] | None = None
    for match in before_cues.finditer(text, clause, first):
        if text.startswith("的", match.end()):
            continue  # 制定的《…》: someone else's act
        key = (match.end(), match.end() - match.start())
        if best is None or key > best[0]:
            assert match.lastgroup is not None  # every cue is a named group
            best = (key, match.lastgroup)
    last = end
    while True:
        listed = _LIST_AFTER.match(text, last)
        if not listed or listed.end() == last:
            break
        last = listed.end()
    for relation, pattern in after_cues:
        if pattern.match(text[last : last + 60]):
            return relation
    if best is None:
        return "cited"
    if best[1] == "basis" and not _PRACTICE_AFTER.search(text, last, _sentence_end(text, last)):
        return "applied"
    return best[1]


_PRACTICE_AFTER = re.compile(r"开展|组织|实施|建立|推行|进行|落实|制定|推进")


def _sentence_end(text: str, pos: int) -> int:
    end = text.find("。", pos)
    return end if end >= 0 else len(text)


@lru_cache(maxsize=1)
def _not_instruments() -> dict[str, re.Pattern]:
    rows: dict[str, list[str]] = {}
    for row in read_tsv("lexicon", "not_instruments.tsv"):
        rows.setdefault(row["where"], []).append(row["pattern"])
    return {where: re.compile("|".join(f"(?:{p})" for p in patterns)) for where, patterns in rows.items()}


def is_instrument(text: str, start: int, end: int, title: str) -> bool:
    """Whether the 《》 title at ``text[start:end]`` names a document, not a newspaper, programme or organ.

    >>> is_instrument("在《甘肃日报》学习专栏", 1, 7, "甘肃日报"), is_instrument("在甘肃卫视《法治伴你行》栏目播出", 5, 12, "法治伴你行")
    (False, False)
    >>> is_instrument("学习《民法典》", 2, 7, "民法典")
    True
    """
    rules = _not_instruments()
    if (
        rules["title"].search(title)
        or rules["after"].match(text[end : end + 12])
        or rules["before"].search(text[max(0, start - 12) : start])
    ):
        return False
    return organ_lookup().get(title) is None


class InstrumentExtractor:
    """Finds instruments; one :class:`InstrumentMention` per occurrence."""

    name = "instruments"

    def __call__(self, doc: Document, report: Report) -> None:
        text = doc.text
        year = report.year
        aliases = {fold(short): full for full, short in _ALIAS.findall(text)}
        titles = [(m.start(), m.end(), m.group(1)) for m in _TITLE.finditer(text) if doc.in_body(m.start())]
        known_keys = {fold(t) for _, _, t in titles}
        covered = Spans((start, end) for start, end, _ in titles)
        for start, end, written in titles:
            if not is_instrument(text, start, end, tidy(written)):
                continue
            for title in _expand(written, known_keys):
                resolved = aliases.get(fold(title), title)
                found = canonical(resolved, year)
                number = None
                if title == written:
                    following = _DOC_NUMBER.match(text, end, min(len(text), end + 30))
                    number = doc_number(following.group(1)) if following else None
                report.instruments.append(
                    InstrumentMention(
                        key=found.key,
                        label=found.label,
                        as_written=written,
                        type=found.type,
                        evidence=self._evidence(doc, start, end),
                        doc_number=number,
                        relation=relation_of(text, start, end),
                    )
                )
        for start, end, title, type_ in table().bare_mentions(text):
            if not doc.in_body(start) or start in covered or _not_instruments()["bare"].match(text[end : end + 12]):
                continue
            if not title.endswith(")"):  # an undated bare name (法治政府建设实施纲要): the version of the report's year
                found = canonical(title, year)
                title, type_ = found.label, found.type
            report.instruments.append(
                InstrumentMention(
                    key=fold(title),
                    label=title,
                    as_written=text[start:end],
                    type=type_,
                    evidence=self._evidence(doc, start, end),
                    bare=True,
                    relation=relation_of(text, start, end),
                )
            )
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
