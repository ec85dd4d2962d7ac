"""Problems: one entity per item of a problems section, with a label, its categories and its remedies."""

from __future__ import annotations

import re
from collections import Counter

from kg.extract.base import Document
from kg.extract.topics import content_words
from kg.knowledge.vocab import Scheme, measures, problem_categories
from kg.model import Problem, Report, Section, SectionType, Status
from kg.text.sections import marker_number

_CN = "一二三四五六七八九十"
# inline enumerations: 一是…二是…, 第一,…第二,…, 其一…其二…, (1)…(2)…, ①…②…
_ENUMERATORS = (
    re.compile(rf"(?:^|(?<=[。;:!?\n]))\s*(?P<n>[{_CN}]{{1,3}})是"),
    re.compile(rf"(?:^|(?<=[。;:!?\n]))\s*第(?P<n>[{_CN}]{{1,3}})[,、是]"),
    re.compile(rf"(?:^|(?<=[。;:!?\n]))\s*其(?P<n>[{_CN}])[,、是]"),
    re.compile(r"(?:^|(?<=[。;:!?\n]))\s*\((?P<n>\d{1,2})\)"),
    re.compile(r"(?:^|(?<=[。;:!?\n]))\s*(?P<n>[①-⑳])"),
    re.compile(r"(?:^|(?<=[。;:!?\n]))\s*(?P<n>\d{1,2})[.、](?!\d)"),
)
_PLAN_START = re.compile(
    r"^(下一步|今后|明年|新的一年|下一阶段|针对(以上|上述|这些)问题|(20\d{2}年)?[,]?(我们|我[街镇乡县区市省局委厅])?将)"
)
_INTRO = re.compile(r"(主要表现(在|为)|具体(表现|如下)|如下|存在以下|主要有)[^。]{0,6}[:]?$|[:]$")
_LABEL_STOP = re.compile(r"[。;!?\n]")


class ProblemExtractor:
    """Splits problems sections into items; classifies and links each to planned measures."""

    name = "problems"

    def __call__(self, doc: Document, report: Report) -> None:
        categories = problem_categories()
        # the plan items (the paragraph of each sentence) planning a measure of the scheme
        plans: dict[str, list[str]] = {}
        for m in report.measures:
            if m.concept and m.status is Status.PLANNED:
                plans.setdefault(m.concept, []).append(_paragraph(doc.text, m.evidence.sentence))
        for start, end in self._items(doc):
            text = doc.text[start:end].strip()
            label = headline(text)
            found = classify(text, label, categories)
            answers = {m for category in found for m in categories[category].addressed_by}
            named = measures().phrase_concepts(text)
            # a planned measure answers the problem when the problem names it, or when it answers such problems
            # and its plan item speaks of what the problem does, one of its content words in it (调解员队伍不稳定 is
            # not answered by 加强法治工作人员的培训, though training answers staff problems)
            to_check = {c: items for c, items in plans.items() if c in answers and c not in named}
            # segmented only when a plan is to be checked; the words as written, as the plan's text is searched for them
            words = set(content_words(text, as_written=True)) if to_check else set()
            addressed = sorted((named & plans.keys()) | {c for c, items in to_check.items() if any(w in i for i in items for w in words)})
            report.problems.append(
                Problem(
                    id=f"p{len(report.problems) + 1}",
                    label=label,
                    text=text,
                    categories=found,
                    evidence=doc.evidence(start, end),
                    addressed_by=addressed,
                )
            )

    def _items(self, doc: Document) -> list[tuple[int, int]]:
        """Spans of the clean text, one per problem item."""
        items: list[tuple[int, int]] = []
        sections = doc.structure.sections
        type_of = {s.id: s.type for s in sections}
        children_of: dict[str | None, list[Section]] = {}
        for s in sections:
            children_of.setdefault(s.parent, []).append(s)
        top = [
            s
            for s in sections
            if s.type is SectionType.PROBLEMS and (s.parent is None or type_of.get(s.parent) is not SectionType.PROBLEMS)
        ]
        for section in top:
            children = children_of.get(section.id, [])
            if children:
                for child in children:
                    items.append((child.start + len(child.marker), child.end))
            else:
                items.extend(_split_items(doc.text, section.body_start, section.end))
        return [(a, b) for a, b in (_trim(doc.text, a, b) for a, b in items) if b > a]


def _paragraph(text: str, sentence: str) -> str:
    """The paragraph (line) of the clean text holding ``sentence``; the sentence itself if it is not found."""
    at = text.find(sentence)
    if at < 0:
        return sentence
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at + len(sentence))
    return text[start : end if end >= 0 else len(text)]


def _split_items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a problems section body into items by its enumerators, else by paragraphs."""
    body = text[start:end]
    for pattern in _ENUMERATORS:
        marks = [m for m in pattern.finditer(body)]
        numbers = [marker_number(m.group("n")) for m in marks]
        # keep a run that counts up from one
        run, expected = [], 1
        for mark, number in zip(marks, numbers):
            if number == expected:
                run.append(mark)
                expected += 1
        if len(run) >= 2 or (len(run) == 1 and len(marks) == 1 and marker_number(marks[0].group("n")) == 1):
            spans = []
            for mark, following in zip(run, run[1:] + [None]):
                item_end = following.start() if following else len(body)
                spans.append((start + mark.start() + len(mark.group(0)) - len(mark.group(0).lstrip()), start + item_end))
            return [(a, _cut_plans(text, a, b)) for a, b in spans]
    paragraphs, pos = [], start
    for line in body.split("\n"):
        if line.strip() and not _INTRO.search(line.strip()) and not _PLAN_START.match(line.strip()):
            paragraphs.append((pos, pos + len(line)))
        pos += len(line) + 1
    return paragraphs


def _cut_plans(text: str, start: int, end: int) -> int:
    """An item ends where the section turns to what will be done about it."""
    for line_match in re.finditer(r"\n", text[start:end]):
        rest = text[start + line_match.end() : end].strip()
        if _PLAN_START.match(rest):
            return start + line_match.start()
    return end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \n;,。":
        start += 1
    while end > start and text[end - 1] in " \n;,":
        end -= 1
    return start, end


def headline(text: str) -> str:
    """The item's headline clause: its first sentence, without the enumerator.

    >>> headline("一是行政执法行为还不够规范。虽然行政职权下放,但是……")
    '行政执法行为还不够规范'
    """
    text = re.sub(rf"^(?:[{_CN}]{{1,3}}是|第[{_CN}]{{1,3}}[,、]|\(\d{{1,2}}\)|\d{{1,2}}[.、]|[①-⑳])", "", text.strip())
    stop = _LABEL_STOP.search(text)
    label = text[: stop.start()] if stop else text
    if len(label) > 40:
        comma = label.find(",")
        label = label[:comma] if 6 <= comma <= 40 else label[:40]
    return label.strip(" ,:")


SECOND_CATEGORY = 0.5  # a further category needs at least this share of the main one's points (and two points)


def classify(text: str, label: str, categories: Scheme) -> list[str]:
    """The item's categories, the main one first: each cue hit scores a point, in the headline two, in its first
    clause four; the category with most points is the main one, and any other with at least
    :data:`SECOND_CATEGORY` of its points (two or more) is one too — "法治队伍建设滞后, 案卷公示存在延时现象"
    is a problem of information and publicity and of enforcement staff. ``["other"]`` if no cue is found."""
    scores: Counter[str] = Counter()
    for match in categories.find(text):
        scores[match.concept] += 1
    for match in categories.find(label):
        scores[match.concept] += 1
    # the headline's first clause says what the problem is; the rest often gives causes
    for match in categories.find(re.split(r"[,;]", label)[0]):
        scores[match.concept] += 2
    if not scores:
        return ["other"] if "other" in categories else []
    ranked = sorted(scores, key=lambda c: (-scores[c], categories.order[c]))
    top = scores[ranked[0]]
    return [ranked[0]] + [c for c in ranked[1:] if scores[c] >= max(2, SECOND_CATEGORY * top)]
