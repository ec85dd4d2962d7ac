"""Measures: concepts of the measure scheme a report implements or plans, and named local practices."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from ahocorasick_rs import AhoCorasick

from kg.extract.base import Document, Sentence
from kg.knowledge.anchors import fixed_strings, requirements
from kg.knowledge.resources import cue_alternation, read_tsv
from kg.knowledge.vocab import measures
from kg.link.divisions import gazetteer
from kg.link.words import is_word
from kg.model import MeasureMention, Report, SectionType, Status

# Future cues that make a sentence outside a plans section a plan (the words: ontology/lexicon/cues.tsv).
# 将 + an adverb, a verb or 对 is the future (街道将对…进行督促检查); 将 + a noun is the object marker
# (将习近平法治思想列入学习内容): done, not planned
_PLAN_CUE = re.compile(f"{cue_alternation('plan')}|将(?:{cue_alternation('plan_after_jiang')})")
_DONE_CUE = re.compile(cue_alternation("done"))
# 根据《…》, 贯彻落实国务院办公厅印发的《…》: the cue, maybe an issuer, then the title
_BASED_ON = re.compile(f"(?:{cue_alternation('basis')})(?:[^《》。;,]{{0,30}}?(?:{cue_alternation('issuing_verb')})的)?《")
_TITLE = re.compile(r"《[^《》\n]*》")
# 全面依法治县委员会 in a street's report is the county's committee, not the street's own
_LEVELLED = re.compile(r"依法治(省|市|州|县|区|旗|镇|乡|街)")
_LIST_GAP = re.compile(r"(?:\(以下简称[^)]*\))?(?:[、,]|和|及|与|以及)?(?=《)")
# issuing a document, or carrying out one that defines a practice (认真执行《…第一责任人职责规定》)
_ISSUES = re.compile(
    r"(印发|制定|出台|编制|修订|起草|实施|执行|贯彻落实|严格落实|审议通过|审议|通过|下发|发布|制发|研究制定)(了)?(?:[^《》,。;]{0,12}的)?$"
)
# a title in a list of titles (制定《A》《B》, 印发《A》和《B》): the verb stands before the first
_TITLE_BEFORE = re.compile(r"《[^《》\n]*》(?:\([^()\n]{0,40}\))?(?:[、,和及与]|以及)?$")
_QUOTED = re.compile(r"[“\"]([^“”\"\n]{2,22})[”\"]")


@dataclass(frozen=True)
class _Contexts:
    """The patterns of ``ontology/lexicon/statement_contexts.tsv``, by kind."""

    framing: re.Pattern
    clauses: tuple[tuple[re.Pattern, tuple[frozenset[int], ...]], ...]  # each with the literal ids a match needs, set by set
    spans: tuple[tuple[re.Pattern, tuple[frozenset[int], ...]], ...]
    heading: re.Pattern
    literals: AhoCorasick  # every literal the clause and span patterns need, found in one pass


@lru_cache(maxsize=1)
def _contexts() -> _Contexts:
    rows: dict[str, list[str]] = {}
    for row in read_tsv("lexicon", "statement_contexts.tsv"):
        rows.setdefault(row["kind"], []).append(row["pattern"])

    def joined(kind: str) -> re.Pattern:
        return re.compile("|".join(f"(?:{p})" for p in rows.get(kind, [])) or "(?!)")

    needs = {kind: [(p, requirements(p)) for p in rows.get(kind, [])] for kind in ("clause", "span")}
    literals = sorted({literal for found in needs.values() for _, sets in found for literal in set().union(*sets)} or {"\0"})
    ids = {literal: i for i, literal in enumerate(literals)}

    def compiled(kind: str) -> tuple:
        return tuple((re.compile(p), tuple(frozenset(ids[x] for x in need) for need in sets)) for p, sets in needs[kind])

    return _Contexts(joined("framing"), compiled("clause"), compiled("span"), joined("heading"), AhoCorasick(literals))


_CLAUSE_END = re.compile(r"[,;:。!?]")


def not_statements(text: str, sentence: Sentence, body_start: int, bare: bool) -> list[tuple[int, int]]:
    """Spans of a sentence (offsets into ``text``, the sentence) whose words state no practice of the unit.

    >>> text = "2025年,在区委和区法治政府建设领导小组指导下,街道成立法治建设领导小组。"
    >>> [text[a:b] for a, b in not_statements(text, Sentence(0, len(text), text, None), 0, False)]
    ['在区委和区法治政府建设领导小组指导下']
    """
    contexts = _contexts()
    whole = [(0, len(text))]
    if bare:
        return whole  # a heading with nothing under it
    if sentence.section is None and sentence.start >= body_start and contexts.framing.search(text):
        return whole  # the opening formula
    if sentence.section is not None and sentence.start == sentence.section.start and contexts.heading.search(sentence.section.heading):
        return whole
    spans: list[tuple[int, int]] = []
    present = {i for i, _start, _end in contexts.literals.find_matches_as_indexes(text, overlapping=True)}
    for pattern, needs in contexts.spans:
        if not all(present & need for need in needs):
            continue  # a literal every match holds is missing: the pattern cannot match here
        group = "topics" if "topics" in pattern.groupindex else 0
        spans.extend((match.start(group), match.end(group)) for match in pattern.finditer(text))
    for pattern, needs in contexts.clauses:
        if not all(present & need for need in needs):
            continue
        for match in pattern.finditer(text):
            before = [m.end() for m in _CLAUSE_END.finditer(text, 0, match.start())]
            after = _CLAUSE_END.search(text, match.end())
            spans.append((before[-1] if before else 0, after.start() if after else len(text)))
    return spans


@dataclass(frozen=True)
class _PracticeCues:
    """The cues of ``ontology/lexicon/practice_cues.tsv``, compiled."""

    name_end: re.Pattern
    founding: Callable[[str], Iterator[re.Match]]
    slogans: tuple[re.Pattern, ...]
    tail: re.Pattern
    carry: re.Pattern
    kind: re.Pattern
    channel: re.Pattern


def carried_as_practice(text: str, start: int, end: int) -> bool:
    """Whether the quoted name ``text[start:end]`` is carried as a practice: a verb that carries one right before
    its opening quote (开展“…”), a practice word right after its closing quote (“…”机制), or a practice suffix.

    >>> text = "推行“好差评”制度,落实“十四五”规划。"
    >>> carried_as_practice(text, 3, 6), carried_as_practice(text, 12, 15)
    (True, False)
    """
    cues = _practice_cues()
    return bool(
        cues.carry.search(text, max(0, start - 9), max(0, start - 1))
        or cues.tail.match(text, end + 1)
        or cues.name_end.search(text[start:end])
    )


@lru_cache(maxsize=1)
def _practice_cues() -> _PracticeCues:
    rows = read_tsv("lexicon", "practice_cues.tsv")

    def values(kind: str) -> str:
        return "|".join(r["value"] for r in rows if r["kind"] == kind)

    suffix, verb = values("suffix"), values("verb")
    slogans = tuple(re.compile(r["value"]) for r in rows if r["kind"] == "slogan")
    name_end = re.compile(rf"(?:{suffix})$")
    tail = re.compile(f"(?:{values('tail')})")
    carry = re.compile(f"(?:{values('carry')})(?:了)?$")
    # after the quoted name and any other quoted names of the same list: 等 and the kind
    kind = re.compile(rf"(?:[、和及]?[“\"][^“”\"\n]{{2,22}}[”\"])*等(?:{values('kind')})")
    channel = re.compile(rf"(?:{values('channel')})(?P<items>[^。;:,]{{4,80}}?)等(?:形式|方式|载体|平台|渠道|途径)")
    # the verb must start a word: 建设 in 法治建设专项提升行动 founds nothing
    word_start = (
        "(?:(?<![\u4e00-\u9fff])|"
        + "|".join(
            f"(?<={w})"
            for w in ("积极", "大力", "先后", "率先", "成功", "全面", "着力", "重点", "探索", "联合", "已", "还", "并", "共", "新")
        )
        + ")"
    )
    name = r"(?P<{}>[\u4e00-\u9fff]{{2,14}}(?:" + suffix + r"))(?![\u4e00-\u9fff])"
    founded = re.compile(
        rf"(?:{verb})(?:了)?[^,。;“”《》]{{0,12}}?(?:首家|首个|第一家|一批|一个|一座|一处)"
        + name.format("name")
        + rf"|{word_start}(?:{verb})(?:了)?"
        + name.format("name2")
    )
    verbs = fixed_strings(verb)
    if verbs is None:
        return _PracticeCues(name_end, founded.finditer, slogans, tail, carry, kind, channel)

    def founding(text: str) -> Iterator[re.Match]:
        """``founded.finditer``, tried only where a verb starts: every match starts with one."""
        reach = 0
        for start in sorted({i for v in verbs for i in _occurrences(text, v)}):
            if start >= reach:
                match = founded.match(text, start)
                if match:
                    reach = match.end()
                    yield match

    return _PracticeCues(name_end, founding, slogans, tail, carry, kind, channel)


def _occurrences(text: str, word: str) -> Iterator[int]:
    start = text.find(word)
    while start >= 0:
        yield start
        start = text.find(word, start + 1)


def _follows(text: str, citation_end: int, measure_start: int) -> bool:
    """根据《规定》开展督察: the measure comes after the citation, in its clause or the next."""
    between = text[citation_end:measure_start]
    return citation_end <= measure_start and len(re.findall(r"[,;:]", between)) <= 1 and len(between) <= 40


def _mask_titles(text: str, own: str | None = None) -> str:
    """Blank out 《》 titles, except those of documents the unit itself issues.

    《法治政府建设与责任落实督察工作规定》 names a regulation, not a measure of the
    unit; but 印发《2023年法治政府建设工作要点》 is the unit making its work plan.
    A document that opens with another place's name (a street carrying out
    《朝阳区法治政府建设实施方案》) is that place's, not the unit's: blanked too.
    """

    def blank(match: re.Match) -> str:
        start = match.start()
        while True:  # back over the titles listed before this one
            before = _TITLE_BEFORE.search(text, max(0, start - 200), start)
            if not before:
                break
            start = before.start()
        if _ISSUES.search(text[max(0, start - 24) : start]) and not _issued_elsewhere(match.group(0)[1:-1], own):
            return match.group(0)
        return "《" + "\u3000" * (len(match.group(0)) - 2) + "》"

    return _TITLE.sub(blank, text)


def _issued_elsewhere(title: str, own: str | None) -> bool:
    """The title opens with a division other than the reporting unit's own."""
    places = gazetteer().title_places(title)
    return own is not None and bool(places) and own not in {code for codes in places for code in codes}


def _other_level(phrase: str, report: Report, before: str = "") -> bool:
    """The phrase names a body of another government level than the reporting unit's.

    依法治县委员会 in a street's report is the county's; so is 县法治政府建设领导小组
    (a level word right before the body). A department's own group has no level word.
    """
    unit = report.unit
    if unit is None or not unit.linked:
        return False
    levelled = _LEVELLED.search(phrase)
    prefix = _LEVEL_BEFORE.search(before) if "领导小组" in phrase or "委员会" in phrase else None
    if not levelled and not prefix:
        return False
    if prefix and unit.kind != "division":
        return True
    own = unit.name if unit.kind == "division" else (unit.parents[0][0] if unit.parents else "")
    cue = levelled or prefix
    assert cue is not None  # one of them, as tested above
    word = cue.group(1)
    return not (own.endswith(word) or (word == "街" and own.endswith("街道")))


_LEVEL_BEFORE = re.compile(r"(?<![\u4e00-\u9fff])(?:[与和及、在由])?(省|市|州|县|区|旗|镇|乡|街)$")


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= offset < b for a, b in spans)


def _cited_from_the_body(measures: list[MeasureMention], headings: dict[int, str]) -> list[MeasureMention]:
    """Without the statements made from a heading line whose section states the same measure in its body.

    A heading (（四）深入开展法治宣传) names what the sentences under it tell; the evidence a reader wants
    is one of those sentences. A heading whose section never says it again stays: it is the only statement.
    """
    if not headings:
        return measures
    in_body = {(m.concept, m.label, m.status, m.evidence.section) for m in measures if id(m) not in headings}

    def stated_below(mention: MeasureMention, section: str) -> bool:
        return any(
            key[:3] == (mention.concept, mention.label, mention.status)
            and key[3] is not None
            and (key[3] == section or key[3].startswith(section + "."))
            for key in in_body
        )

    return [m for m in measures if id(m) not in headings or not stated_below(m, headings[id(m)])]


def _bare_heading(doc: Document, sentence: Sentence) -> bool:
    """A heading sentence whose section holds (almost) nothing: the excerpt stops after it, or it only names topics."""
    section = sentence.section
    if section is None or sentence.start != section.start:
        return False
    return len(doc.text[section.body_start : section.end].strip()) < 20


# 将 + object + one of these verbs is the object marker (将推进法治政府建设列入年度工作报告): done, not planned
_BA_VERB = re.compile(f"将[^。;,]{{1,30}}?(?:{cue_alternation('object_verb')})")


def plan_cue(text: str) -> int:
    """Where the first cue of the future stands in a sentence (len(text) if none): what follows it is planned.

    >>> text = "我镇将法治宣传教育融入全年工作,下一步将加强培训。"
    >>> plan_cue(text) == text.index("下一步")
    True
    """
    for cue in _PLAN_CUE.finditer(text):
        if not (cue.group(0).startswith("将") and _BA_VERB.match(text, cue.start())):
            return cue.start()
    return len(text)


def status_of(sentence: Sentence, position: int, plan_at: int) -> Status | None:
    """Implemented, planned, or None when the sentence states a shortcoming (``plan_at``: see :func:`plan_cue`)."""
    section_type = sentence.type
    if section_type is SectionType.PLANS or plan_at < position:
        return Status.PLANNED
    if section_type is SectionType.PROBLEMS:
        return None
    return Status.IMPLEMENTED


class MeasureExtractor:
    """Finds measure concepts (with composites unfolded) and local practices."""

    name = "measures"

    def __call__(self, doc: Document, report: Report) -> None:
        scheme = measures()
        # titles masked once for the whole text; concepts are matched sentence by sentence (their
        # patterns are anchored on literals a short sentence rarely holds), practice names in one pass
        own = report.unit.code if report.unit is not None and report.unit.linked else None
        masked = _mask_titles(doc.text, own)
        practices = _bucket(doc, self._local_practices(masked, scheme))
        headings: dict[int, str] = {}  # id of a mention made from a heading line → its section
        for index, sentence in enumerate(doc.sentences):
            if sentence.section is None and sentence.start < doc.structure.body_start:
                continue
            text = masked[sentence.start : sentence.end]
            cited = self._based_on(doc, sentence, report) if _BASED_ON.search(sentence.text) else []
            found = doc.concepts[sentence.start] = scheme.find(text)
            # the contexts are looked for only where there is something to judge (most sentences hold no measure)
            blocked = (
                not_statements(text, sentence, doc.structure.body_start, _bare_heading(doc, sentence))
                if found or index in practices
                else []
            )
            matches = [
                m
                for m in found
                if not _other_level(m.phrase, report, text[max(0, m.start - 2) : m.start])
                and not _inside(m.start, blocked)
                and (len(m.phrase) > 2 or is_word(text, m.start, m.end))
            ]
            from_heading = False
            if cited and not matches and sentence.section is not None:
                # 贯彻落实《外商投资法》…优化流程 under the heading 优化营商环境: the heading names the measure
                heading = sentence.section.heading
                matches = [m for m in scheme.find(heading) if not _other_level(m.phrase, report)]
                from_heading = True
            seen: set[tuple[str, Status]] = set()
            added: dict[tuple[str, Status], MeasureMention] = {}
            plan_at = plan_cue(text) if matches or index in practices else len(text)
            for match in matches:
                based_on = [
                    key for key, begin, end in cited if from_heading or begin <= match.start < end or _follows(text, end, match.start)
                ]
                status = status_of(sentence, match.start, plan_at)
                if status is None:
                    continue
                if (match.concept, status) in seen:
                    earlier = added.get((match.concept, status))
                    if earlier is not None:
                        earlier.based_on.extend(k for k in based_on if k not in earlier.based_on)
                    continue
                seen.add((match.concept, status))
                evidence = doc.sentence_evidence(sentence)
                concept = scheme[match.concept]
                mention = MeasureMention(match.concept, concept.label, status, evidence, based_on=list(based_on))
                added[(match.concept, status)] = mention
                report.measures.append(mention)
                if sentence.section is not None and sentence.start == sentence.section.start:
                    headings[id(mention)] = sentence.section.id
                for implied in concept.implies:
                    if (implied, status) not in seen:
                        seen.add((implied, status))
                        report.measures.append(
                            MeasureMention(implied, scheme[implied].label, status, evidence, implied_by=match.concept, based_on=based_on)
                        )
            for practice in practices.get(index, ()):
                if _inside(practice.start, blocked):
                    continue
                status = status_of(sentence, practice.start, plan_at)
                if status is not None and (practice.name, status) not in seen:
                    seen.add((practice.name, status))
                    report.measures.append(MeasureMention(None, practice.name, status, doc.sentence_evidence(sentence)))
        report.measures = _cited_from_the_body(report.measures, headings)
        self._compose(report, scheme)

    @staticmethod
    def _compose(report: Report, scheme) -> None:
        """A report that states every part of a composite (the three enforcement systems) states the composite."""
        for concept in scheme.concepts.values():
            if not concept.implies:
                continue
            for status in Status:
                mentions = {m.concept: m for m in report.measures if m.status is status and m.concept}
                if concept.id not in mentions and all(part in mentions for part in concept.implies):
                    first = min((mentions[p] for p in concept.implies), key=lambda m: m.evidence.start)
                    report.measures.append(MeasureMention(concept.id, concept.label, status, first.evidence))

    @staticmethod
    def _based_on(doc: Document, sentence: Sentence, report: Report) -> list[tuple[str, int, int]]:
        """Instruments the sentence names as a basis (根据《A》、《B》和《C》开展…), with where each title stands."""
        start = doc.sentence_evidence(sentence).start
        here = {m.as_written: m.key for m in report.instruments if m.evidence.start == start and not m.bare}
        keys: list[tuple[str, int, int]] = []
        text = sentence.text
        for cue in _BASED_ON.finditer(text):
            pos = cue.end() - 1
            while pos < len(text) and text[pos] == "《":
                close = text.find("》", pos)
                if close < 0:
                    break
                key = here.get(text[pos + 1 : close])
                if key and key not in [k for k, _, _ in keys]:
                    keys.append((key, pos, close + 1))
                follow = _LIST_GAP.match(text, close + 1)
                pos = follow.end() if follow else len(text)
        return keys

    @staticmethod
    def _local_practices(text: str, scheme) -> list[Practice]:
        """Named local practices: quoted names, the objects of founding verbs and named means, in text order."""
        cues = _practice_cues()
        found: list[Practice] = []
        for match in _QUOTED.finditer(text):
            name = match.group(1)
            # “三朵云”综合平台: the word after the quote completes the name
            tail = cues.tail.match(text, match.end())
            if tail:
                name += tail.group(0)
            # a quoted name is a practice when a word says so: its own ending, a tail, the verb that carries it
            # out (开展“利剑护企”), or the kind after a list of such names (“A”“B”等专项活动)
            carried = cues.carry.search(text, max(0, match.start() - 6), match.start()) and not _HAN.match(text, match.end())
            if tail or cues.name_end.search(name) or carried or cues.kind.match(text, match.end()):
                found.append(Practice(match.start(), match.end(), name))
        for match in cues.founding(text):
            group = "name" if match.group("name") else "name2"
            found.append(Practice(match.start(group), match.end(group), match.group(group)))
        for match in cues.channel.finditer(text):  # 通过中心组、生态环境大讲堂、周一夜学等形式
            pos = match.start("items")
            for item in match.group("items").split("、"):
                if len(item) >= 4 and cues.name_end.search(item) and not item.startswith(("“", '"')):
                    found.append(Practice(pos, pos + len(item), item))
                pos += len(item) + 1
        practices = []
        for practice in sorted(found, key=lambda p: p.start):
            name = practice.name
            if not (3 <= len(name) <= 20) or re.search(r"[,、;:。!?\s—\-]", name) or name.startswith("·") or name.endswith("·"):
                continue
            if any(s.search(name) for s in cues.slogans) or _GENERIC_NAME.match(name):
                continue
            if _names_a_concept(name):
                continue  # a known measure under a local name (“法律进校园”): the concept already counts
            practices.append(practice)
        return practices


@lru_cache(maxsize=8192)  # practice names recur (“法治大讲堂”)
def _names_a_concept(name: str) -> bool:
    scheme = measures()
    return bool(scheme.phrase_concepts(name) or scheme.find(name))


_HAN = re.compile(r"[\u4e00-\u9fff]")
_GENERIC_NAME = re.compile(r"^(各类|各项|相关|系列|一系列|多种|多项|专题|主题|各种|有关)")


@dataclass(frozen=True)
class Practice:
    """A local practice's name and where it stands in the text."""

    start: int
    end: int
    name: str


def _bucket(doc: Document, found) -> dict[int, list]:
    """Matches (anything with .start and .end) by the index of the sentence that holds them."""
    buckets: dict[int, list] = {}
    starts = [s.start for s in doc.sentences]
    for item in found:
        index = bisect.bisect_right(starts, item.start) - 1
        if index >= 0 and item.end <= doc.sentences[index].end:
            sentence_start = doc.sentences[index].start
            buckets.setdefault(index, []).append(replace(item, start=item.start - sentence_start, end=item.end - sentence_start))
    return buckets
