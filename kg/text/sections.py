"""Clean text to structure: title, addressee, signature, year, the unit as written, typed sections."""

from __future__ import annotations

import bisect
import heapq
import re
from dataclasses import dataclass, field
from functools import lru_cache

from kg.knowledge.resources import read_tsv
from kg.model import Section, SectionType

CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "[一二三四五六七八九十]{1,3}"

# Outline markers, from the outermost kind to the innermost; a heading's parent
# is the nearest open heading of an outer kind.
_MARKERS = (
    ("part", re.compile(rf"^第(?P<num>{_CN_NUM})(?:部分|章|篇)[、:.\s]?")),
    ("cn", re.compile(rf"^(?P<num>{_CN_NUM})[、.]")),
    ("cn_paren", re.compile(rf"^\((?P<num>{_CN_NUM})\)[、.]?")),
    ("arabic", re.compile(r"^(?P<num>\d{1,2})(?:[、.](?!\d)|\s+(?=\D))")),
    ("arabic_paren", re.compile(r"^\((?P<num>\d{1,2})\)[、.]?")),
    ("circled", re.compile(r"^(?P<num>[①-⑳])")),
)
_RANK = {kind: rank for rank, (kind, _) in enumerate(_MARKERS)}

_ORG_END = r"(?:人民政府|政府|办事处|街道|镇|乡|局|厅|委|委员会|部|办公室|中心|所|院)"
_ADDRESSEE = re.compile(rf"^[^。,]{{2,50}}(?:委|{_ORG_END}|人大常委会)[^。,]{{0,6}}:$")
_DATE_LINE = re.compile(
    r"^(?P<y>\d{4}|[〇○零一二三四五六七八九]{4})年(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})月(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})日$"
)
_SIGNATURE_ORG = re.compile(rf"^[^\s。,;:]{{2,40}}{_ORG_END}$")
_YEAR = re.compile(r"(?<![\d.])(20[0-4]\d|19[89]\d)\s*年")
_TITLE_UNIT = re.compile(
    r"^(?:关于)?(?P<unit>.*?)(?:关于)?(?:(?:20|19)\d{2}\s*年|上年度|本年度|年度|推进法治|法治政府|依法行政|法治建设|全面依法)"
)
_REPORT_PHRASE = re.compile(r"现将(?P<unit>[^,。;:]{0,30}?)(?P<year>20\d{2})\s*年(?:度)?[^。]{0,40}?(?:报告|汇报|总结|情况)")
# the subject of an opening sentence, after the time words and the adverbial clauses that precede it:
# "2025年,在区委、区政府的坚强领导下,在区司法局的悉心指导下,荔枝街道坚持…", "根据《…》有关规定,市应急局对照…"
_OPENING_TIME = re.compile(r"^(?:(?:20\d{2})\s*年(?:度|以来|全年)?|今年以来|一年来|过去一年|近年来|\d{4}年以来)[,]?")
_OPENING_CLAUSE = re.compile(
    r"^(?:(?:在|根据|按照|依据|遵照|为)[^。;]{2,100}?(?:下|中|要求|规定|部署|精神|安排|意见|通知|方案|目标)[,]|在[^,。;]{2,60}?下[,]?)"
)
_OPENING_SUBJECT = re.compile(
    r"^(?P<unit>(?:(?!在)[\u4e00-\u9fff]){2,25}?)(?:党组|党委|党工委)?"
    r"(?:坚持|深入|认真|始终|按照|以|紧扣|扎实|全面|紧紧|锚定|围绕|立足|持续|切实|牢牢|聚焦|忠诚|坚定|在|积极|不断|高度|对照|严格|大力|主动|全力|统筹|狠抓|秉持|着力)"
)
# a cover letter's signature above the report it sends: the unit on one line, the date on the next
_COVER_SCAN = 20


@dataclass
class Line:
    """A line of the clean text and where it sits."""

    start: int
    end: int
    text: str


@dataclass
class Structure:
    """What the layout of a report says, before any entity is extracted."""

    title: str | None = None
    title_span: tuple[int, int] | None = None
    addressee: str | None = None
    signature: dict[str, str] = field(default_factory=dict)
    year: int | None = None
    year_source: str | None = None
    unit_phrases: list[tuple[str, str]] = field(default_factory=list)  # (as written, where)
    sections: list[Section] = field(default_factory=list)
    body_start: int = 0
    body_end: int = 0
    _index: tuple[list[int], list[Section | None]] = field(default=([], []), init=False, repr=False, compare=False)
    _indexed: list[Section] | None = field(default=None, init=False, repr=False, compare=False)  # the list indexed
    _indexed_count: int = field(default=0, init=False, repr=False, compare=False)

    def section_at(self, offset: int) -> Section | None:
        """The innermost section containing a clean-text offset (a binary search: reports can be long)."""
        if self._indexed is not self.sections or self._indexed_count != len(self.sections):
            self._index = _innermost_index(self.sections)
            self._indexed, self._indexed_count = self.sections, len(self.sections)
        bounds, owners = self._index
        at = bisect.bisect_right(bounds, offset) - 1
        return owners[at] if at >= 0 else None


def parse(text: str, metadata: dict[str, str] | None = None) -> Structure:
    """Find the title, addressee, signature, year, unit phrases and sections.

    >>> s = parse("七里街道2021年度法治政府建设工作报告\\n一、主要工作\\n成立领导小组。\\n二、存在的问题\\n一是执法不规范。\\n三、下一步工作打算\\n加强培训。")
    >>> s.title, s.year, [(x.id, x.type.value) for x in s.sections]
    ('七里街道2021年度法治政府建设工作报告', 2021, [('1', 'work'), ('2', 'problems'), ('3', 'plans')])
    """
    metadata = metadata or {}
    lines = _lines(text)
    structure = Structure(body_end=len(text))
    first_body = _find_title(lines, structure)
    if first_body < len(lines) and _ADDRESSEE.match(lines[first_body].text):
        structure.addressee = lines[first_body].text.rstrip(":")
        first_body += 1
    last_body = _find_signature(lines, first_body, structure)
    structure.body_start = lines[first_body].start if first_body < len(lines) else len(text)
    structure.body_end = lines[last_body - 1].end if last_body > first_body else structure.body_start
    if structure.title is None:
        for key in ("标题", "page_title"):
            candidate = metadata.get(key, "")
            if _is_title(candidate):
                structure.title = candidate
                break
    structure.sections = _sections(lines[first_body:last_body], structure.body_end)
    paragraphs = [line.text for line in lines[first_body:last_body]]
    structure.year, structure.year_source = _year(structure, paragraphs, metadata)
    structure.unit_phrases = _unit_phrases(structure, paragraphs, metadata, lines)
    return structure


def _lines(text: str) -> list[Line]:
    lines, pos = [], 0
    raws = text.split("\n")
    flattened = len(raws) <= 3  # a page that lost its line breaks
    for raw in raws:
        if raw.strip():
            line = Line(pos, pos + len(raw), raw)
            lines.extend(_split_long(line) if flattened or len(raw) > _LONG_LINE else [line])
        pos += len(raw) + 1
    return lines


_LONG_LINE = 1500  # a paragraph this long holds more than one section
# A page flattened into one line (a copy from a PDF viewer or a mirror site) still has its outline:
# a marker right after a sentence ends, and a title right before the first marker.
_INLINE_HEADING = re.compile(rf"(?<=[。;:!?])\s*(?=(?:{_CN_NUM}、|\({_CN_NUM}\)|第{_CN_NUM}(?:部分|章)))")
_INLINE_TITLE = re.compile(
    r"[^。,;:\s]{2,60}?(?:法治政府建设|依法行政|法治建设|依法治[省市县区镇乡街])[^。,;:\s]{0,24}?(?:报告|汇报|总结)(?=\S)"
)


def _split_long(line: Line) -> list[Line]:
    """A very long line cut where headings and a title stand inside it (offsets kept).

    >>> [l.text for l in _split_long(Line(0, 0, "首页 七里街道2021年度法治政府建设工作报告一、主要工作。" + "成立领导小组。" * 40 + "二、存在的问题。"))][:2]
    ['首页 ', '七里街道2021年度法治政府建设工作报告']
    """
    if len(line.text) <= 150:
        return [line]
    cuts = {m.start() for m in _INLINE_HEADING.finditer(line.text)}
    title = _INLINE_TITLE.search(line.text, 0, 400)
    if title:
        cuts |= {title.start(), title.end()}
    pieces, last = [], 0
    for cut in sorted(cuts) + [len(line.text)]:
        if cut > last and line.text[last:cut].strip():
            pieces.append(Line(line.start + last, line.start + cut, line.text[last:cut]))
        last = max(last, cut)
    return pieces or [line]


@lru_cache(maxsize=1)
def _title_cues() -> tuple[re.Pattern, re.Pattern]:
    rows = read_tsv("lexicon", "title_cues.tsv")
    topic = "|".join(r["pattern"] for r in rows if r["kind"] == "topic")
    genre = "|".join(r["pattern"] for r in rows if r["kind"] == "genre")
    return re.compile(topic), re.compile(genre)


def _is_title(line: str) -> bool:
    topic, _ = _title_cues()
    return 4 <= len(line) <= 90 and bool(topic.search(line)) and not line.endswith(("。", ":", ",", ";"))


def _find_title(lines: list[Line], structure: Structure) -> int:
    """Locate the title among the opening lines; returns the index of the first body line."""
    topic, genre = _title_cues()
    for i, line in enumerate(lines[:12]):
        if _heading_kind(line.text) or len(line.text) > 120:
            return _skip_front_matter(lines, i)
        if not _is_title(line.text):
            continue
        start, end, title = line.start, line.end, line.text
        j = i + 1
        # "长春市人民政府关于" / "大河乡人民政府" + "关于…报告": the unit on the line before
        if i > 0:
            prev = lines[i - 1].text
            if (
                len(prev) <= 30
                and not _heading_kind(prev)
                and (prev.endswith("关于") or (title.startswith("关于") and re.search(_ORG_END + "$", prev)))
            ):
                start, title = lines[i - 1].start, prev + title
        # "…法治政府" + "建设情况的报告": a title broken over two lines
        if not genre.search(title) and j < len(lines) and len(lines[j].text) <= 30 and genre.search(lines[j].text):
            end, title = lines[j].end, title + lines[j].text
            j += 1
        # pages repeat the unit and the title under it
        while j < len(lines) and len(lines[j].text) <= 90 and _repeats_title(lines[j].text, title):
            j += 1
        structure.title, structure.title_span = title, (start, end)
        return j
    return 0


def _skip_front_matter(lines: list[Line], first_heading: int) -> int:
    """Without a title, the body starts at the first substantial line."""
    for i, line in enumerate(lines[: first_heading + 1]):
        if len(line.text) >= 40 or _heading_kind(line.text) or _ADDRESSEE.match(line.text):
            return i
    return first_heading


def _repeats_title(line: str, title: str) -> bool:
    compact = title.replace(" ", "")
    return line.replace(" ", "") in compact


def _find_signature(lines: list[Line], first: int, structure: Structure) -> int:
    """Take the closing unit and date off the end; returns the end of the body (exclusive)."""
    end = len(lines)
    date = _DATE_LINE.match(lines[end - 1].text) if end > first else None
    if date:
        structure.signature["date"] = _iso_date(date)
        end -= 1
    if end > first + 1 and _SIGNATURE_ORG.match(lines[end - 1].text) and not _heading_kind(lines[end - 1].text):
        structure.signature["unit"] = lines[end - 1].text
        end -= 1
    return end


def _iso_date(match: re.Match) -> str:
    def number(s: str) -> int:
        if s.isdigit():
            return int(s)
        if len(s) == 4:
            return int("".join(str(CN_DIGITS[c]) for c in s))
        return cn_number(s)

    return f"{number(match['y']):04d}-{number(match['m']):02d}-{number(match['d']):02d}"


def cn_number(s: str) -> int:
    """Chinese numeral up to 99 to int.

    >>> [cn_number(s) for s in ("三", "十", "十二", "二十", "二十三")]
    [3, 10, 12, 20, 23]
    """
    if "十" not in s:
        return CN_DIGITS[s[-1]] if s else 0
    tens, _, units = s.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)


def marker_number(num: str) -> int:
    """The number of an outline marker: 3, 三, ③ → 3."""
    if num.isdigit():
        return int(num)
    if "①" <= num <= "⑳":
        return ord(num) - ord("①") + 1
    return cn_number(num)


def _heading_kind(text: str) -> tuple[str, re.Match] | None:
    for kind, pattern in _MARKERS:
        match = pattern.match(text)
        if match:
            return kind, match
    return None


def _split_heading(text: str, marker_end: int) -> tuple[str, int]:
    """The heading of a heading line, and where the body starts on that line."""
    rest = text[marker_end:]
    stop = rest.find("。")
    if 0 <= stop <= 60:
        return rest[:stop].strip(), marker_end + stop + 1
    if stop < 0 and len(rest) <= 80:
        return rest.strip(), len(text)
    # long line without an early full stop: the first clause is the heading
    clause = re.search(r"[,;:]", rest)
    cut = clause.start() if clause and clause.start() <= 40 else min(len(rest), 40)
    return rest[:cut].strip(), marker_end + cut


@lru_cache(maxsize=1)
def _type_patterns() -> list[tuple[SectionType, re.Pattern]]:
    return [(SectionType(r["type"]), re.compile(r["pattern"])) for r in read_tsv("lexicon", "section_types.tsv")]


def heading_type(heading: str, top_level: bool) -> SectionType | None:
    """The type a heading announces, or None if it announces none."""
    for section_type, pattern in _type_patterns():
        if section_type is SectionType.WORK:
            continue
        if section_type in (SectionType.PROBLEMS, SectionType.PLANS) and not top_level:
            continue
        if pattern.search(heading):
            return section_type
    return None


def _sections(lines: list[Line], body_end: int) -> list[Section]:
    sections: list[Section] = []
    open_stack: list[tuple[int, Section]] = []  # (rank, section)
    last_number: dict[tuple[str | None, str], int] = {}
    children: dict[str | None, int] = {}  # sections so far under each parent (None: top level)
    for line in lines:
        found = _heading_kind(line.text)
        if not found:
            continue
        kind, match = found
        rank = _RANK[kind]
        stack = list(open_stack)
        while stack and stack[-1][0] >= rank:
            stack.pop()
        parent = stack[-1][1] if stack else None
        number = marker_number(match.group("num"))
        previous = last_number.get((parent.id if parent else None, kind), 0)
        if not (number == 1 or previous < number <= previous + 2):
            continue  # a numbered sentence, not a heading
        heading, body_at = _split_heading(line.text, match.end())
        if not heading:
            continue
        last_number[(parent.id if parent else None, kind)] = number
        for _, closed in open_stack[len(stack) :]:
            closed.end = line.start
        open_stack = stack
        parent_id = parent.id if parent else None
        siblings = children[parent_id] = children.get(parent_id, 0) + 1
        section_id = f"{parent.id}.{siblings}" if parent else str(siblings)
        own_type = heading_type(heading, top_level=parent is None)
        section_type = own_type or (parent.type if parent else SectionType.WORK)
        if parent and parent.type in (SectionType.PROBLEMS, SectionType.PLANS):
            section_type = parent.type  # items of a problems or plans section stay there
        section = Section(
            id=section_id,
            marker=match.group(0).strip(),
            level=len(stack) + 1,
            heading=heading,
            type=section_type,
            start=line.start,
            end=body_end,
            body_start=line.start + body_at,
            parent=parent.id if parent else None,
        )
        sections.append(section)
        open_stack.append((rank, section))
    return sections


def _year(structure: Structure, paragraphs: list[str], metadata: dict[str, str]) -> tuple[int | None, str | None]:
    """The year the report covers: title, then the report's own words, then dates."""
    for text, source in ((structure.title, "title"), (metadata.get("标题"), "metadata title"), (metadata.get("page_title"), "page title")):
        if text:
            match = _YEAR.search(text)
            if match:
                return int(match.group(1)), source
    for paragraph in paragraphs[:4]:
        match = _REPORT_PHRASE.search(paragraph)
        if match:
            return int(match.group("year")), "report phrase"
    for paragraph in paragraphs[:3]:
        match = re.match(r"^(20\d{2})\s*年", paragraph)
        if match:
            return int(match.group(1)), "opening sentence"
    for section in structure.sections[:2]:
        match = _YEAR.search(section.heading)
        if match and section.type in (SectionType.WORK, SectionType.LEADERSHIP):
            return int(match.group(1)), "first heading"
    for key in ("成文日期", "发布日期"):
        match = re.match(r"(20\d{2})", metadata.get(key, ""))
        if match:
            return int(match.group(1)) - 1, f"{key} minus one"
    if "date" in structure.signature:
        return int(structure.signature["date"][:4]) - 1, "signature date minus one"
    return None, None


def _strip_opening(paragraph: str) -> str:
    """An opening sentence without its time words and leading adverbial clauses.

    >>> _strip_opening("2025年,在区委、区政府的坚强领导下,在区司法局的悉心指导下,荔枝街道坚持以…")
    '荔枝街道坚持以…'
    """
    text = _OPENING_TIME.sub("", paragraph, count=1)
    text = re.sub(r"^(?:[一二三四五六七八九十]是|首先|其次)[,]?", "", text)
    for _ in range(4):
        match = _OPENING_CLAUSE.match(text)
        if not match:
            break
        text = text[match.end() :]
    return text


def _cover_signatures(lines: list[Line]) -> list[str]:
    """Units that sign a cover letter near the top: a unit line followed by a date line."""
    found = []
    for line, following in zip(lines[:_COVER_SCAN], lines[1 : _COVER_SCAN + 1]):
        if _SIGNATURE_ORG.match(line.text) and _DATE_LINE.match(following.text) and not _heading_kind(line.text):
            found.append(line.text)
    return found


def _unit_phrases(structure: Structure, paragraphs: list[str], metadata: dict[str, str], lines: list[Line]) -> list[tuple[str, str]]:
    """Phrases that name the reporting unit, most trustworthy first."""
    phrases: list[tuple[str, str]] = []
    for text, source in ((structure.title, "title"), (metadata.get("标题"), "metadata title")):
        if text:
            text = re.sub(r"^附件\d*[:]?", "", text)
            match = _TITLE_UNIT.match(text.replace(" ", ""))
            if match and len(match.group("unit")) >= 2:
                phrases.append((match.group("unit"), source))
    if structure.signature.get("unit"):
        phrases.append((structure.signature["unit"], "signature"))
    for paragraph in paragraphs[:4]:
        if _heading_kind(paragraph):
            continue
        for match in (_REPORT_PHRASE.search(paragraph), _OPENING_SUBJECT.match(_strip_opening(paragraph))):
            if match and len(match.group("unit")) >= 2 and not match.group("unit").startswith(("我", "本", "全")):
                phrases.append((match.group("unit"), "opening sentence"))
    phrases += [(unit, "cover letter") for unit in _cover_signatures(lines)]
    if metadata.get("发布机构"):
        phrases.append((metadata["发布机构"], "metadata publisher"))
    seen, unique = set(), []
    for phrase, source in phrases:
        if phrase not in seen:
            seen.add(phrase)
            unique.append((phrase, source))
    return unique


def _innermost_index(sections: list[Section]) -> tuple[list[int], list[Section | None]]:
    """Boundaries and, from each, the innermost section: the latest in list order that contains it.

    One sweep over the starts and ends with a heap of the open sections (O(n log n)), so that
    :meth:`Structure.section_at` costs a binary search instead of a scan of every section.
    """
    events = sorted({point for s in sections for point in (s.start, s.end)})
    starts = sorted(range(len(sections)), key=lambda i: sections[i].start)
    open_sections: list[int] = []  # negated list positions: the heap's top is the latest opened
    bounds: list[int] = []
    owners: list[Section | None] = []
    next_start = 0
    for point in events:
        while next_start < len(starts) and sections[starts[next_start]].start <= point:
            heapq.heappush(open_sections, -starts[next_start])
            next_start += 1
        while open_sections and sections[-open_sections[0]].end <= point:
            heapq.heappop(open_sections)  # closed; the ones below it are checked when they reach the top
        owner = sections[-open_sections[0]] if open_sections else None
        bounds.append(point)
        owners.append(owner)
    return bounds, owners
