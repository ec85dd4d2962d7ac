"""Instrument titles to one canonical entity each: official titles, folded variants, types.

《民法典》, 《中华人民共和国民法典》 and a bare 民法典 are one instrument, labelled
with the official title from ``ontology/lexicon/laws.tsv``; year ranges fold
(《…纲要(2021-2025)》 = 《…纲要(2021年—2025年)》); titles the table does not
know are typed by the rules in ``ontology/lexicon/instrument_types.tsv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ahocorasick_rs import AhoCorasick

from kg.knowledge.resources import read_tsv
from kg.link.divisions import gazetteer

_YEAR_RANGE = re.compile(r"(\()?\s*((?:19|20)\d{2})\s*年?\s*(?:[-—–－~〜至到]|——){1,2}\s*((?:19|20)\d{2})\s*年?\s*(\))?")
_QUOTES = str.maketrans({'"': "“", "「": "“", "」": "”", "『": "“", "』": "”", "〈": "〈", "<": "〈", ">": "〉"})
_PRC = "中华人民共和国"
_NOT_KEY = re.compile(r"[^0-9A-Za-z\u3400-\u9fff]")
# a bare law name followed by one of these is another word (安全生产法律, 宪法学)
_LAW_WORD_CONTINUES = set("律规治学院官定人制务庭援理条")
_PLACE_BEFORE = re.compile(r"(?:省|市|州|县|区|自治区|盟|旗)$")

_TABLE_TYPES = {"部门规章": "规章"}


@dataclass(frozen=True)
class Canonical:
    """The canonical form of an instrument title."""

    key: str
    label: str
    type: str
    known: bool  # found in the table of national instruments


def tidy(title: str) -> str:
    """Surface normalisation: no spaces, one form of quotes and of year ranges.

    >>> tidy("法治政府建设实施纲要(2021-2025)")
    '法治政府建设实施纲要(2021—2025年)'
    >>> tidy("法治政府建设实施纲要（2021年—2025年）")
    '法治政府建设实施纲要(2021—2025年)'
    """
    title = title.replace("（", "(").replace("）", ")").translate(_QUOTES)
    title = re.sub(r"\s+", "", title)

    def year_range(match: re.Match) -> str:
        core = f"{match.group(2)}—{match.group(3)}年"
        return f"({core})" if match.group(1) or match.group(4) else core

    return _YEAR_RANGE.sub(year_range, title)


def fold(title: str) -> str:
    """The identity key of a title: tidy, without 中华人民共和国 and punctuation."""
    title = tidy(title)
    if title.startswith(_PRC) and len(title) > len(_PRC) + 1:
        title = title[len(_PRC) :]
    return _NOT_KEY.sub("", title)


def _without_years(key: str) -> str:
    return re.sub(r"(19|20)\d{2}(19|20)\d{2}年$", "", key)


class InstrumentTable:
    """The table of national instruments, by folded title and alias, plus bare-mention search."""

    def __init__(self, rows: list[dict[str, str]]):
        self.by_key: dict[str, tuple[str, str]] = {}  # folded form → (official title, type)
        self.undated: dict[str, list[tuple[str, str, int, int]]] = {}  # key without years → dated titles
        bare: dict[str, tuple[str, str]] = {}  # alias → (official title, type); a later row wins
        for row in rows:
            title = tidy(row["title"])
            type_ = _TABLE_TYPES.get(row["type"], row["type"])
            forms = [title] + [a for a in row["aliases"].split("|") if a]
            for form in forms:
                self.by_key.setdefault(fold(form), (title, type_))
            years = re.search(r"\(((?:19|20)\d{2})—((?:19|20)\d{2})年\)$", title)
            if years:
                self.undated.setdefault(_without_years(fold(title)), []).append((title, type_, int(years.group(1)), int(years.group(2))))
            if row["bare"] == "1":
                for alias in forms[1:] + ([title] if title.startswith(_PRC) else []):
                    if len(alias) >= 2:
                        bare[tidy(alias)] = (title, type_)
                if years:  # 法治政府建设实施纲要 written bare: the version in force is chosen by the report's year
                    bare.setdefault(title[: years.start()], (title[: years.start()], type_))
        self._aliases = sorted(bare)
        self._bare = [bare[alias] for alias in self._aliases]
        self._matcher = AhoCorasick(self._aliases)  # every match, overlapping: bare_mentions chooses

    def lookup(self, title: str, year: int | None = None) -> tuple[str, str] | None:
        """(official title, type) for a title as written, or None."""
        key = fold(title)
        if key in self.by_key:
            return self.by_key[key]
        # no year range, or a wrong one (…纲要(2020—2025年)): the version in force in the report's year
        dated = self.undated.get(key) or self.undated.get(_without_years(key))
        if dated:
            if year is not None:
                for title_, type_, first, last in dated:
                    if first <= year <= last:
                        return title_, type_
            return max(dated, key=lambda d: d[3])[:2]
        return None

    def bare_mentions(self, text: str) -> list[tuple[int, int, str, str]]:
        """(start, end, official title, type) of bare law names in running text."""
        found = sorted(
            ((start, end, *self._bare[index]) for index, start, end in self._matcher.find_matches_as_indexes(text, overlapping=True)),
            key=lambda m: (m[0], -m[1]),
        )
        kept, reach = [], -1
        for start, end, title, type_ in found:
            if start < reach:
                continue
            if text[end - 1] == "法" and end < len(text) and text[end] in _LAW_WORD_CONTINUES and not text.startswith("学习", end):
                continue
            if _PLACE_BEFORE.search(text, max(0, start - 12), start):
                continue  # 广东省法治政府建设实施纲要: a province's own instrument, not the national one
            kept.append((start, end, title, type_))
            reach = end
        return kept


@lru_cache(maxsize=1)
def table() -> InstrumentTable:
    return InstrumentTable(read_tsv("lexicon", "laws.tsv"))


@lru_cache(maxsize=1)
def _type_rules() -> list[tuple[str, bool, re.Pattern]]:
    rules = []
    for row in read_tsv("lexicon", "instrument_types.tsv"):
        pattern = row["pattern"]
        needs_place = pattern.startswith("^{place}")
        if needs_place:
            pattern = "^" + pattern[len("^{place}") :]
        rules.append((row["type"], needs_place, re.compile(pattern)))
    return rules


def _after_place(title: str) -> str | None:
    """The title after a leading province or city name (福建省水资源条例 → 水资源条例), or None.

    Only provinces and cities with districts make local regulations and rules,
    so a county's 办法 is a normative document, not a 规章.
    """
    gaz = gazetteer()
    zone = re.match(r"^(.{2,3})经济特区", title)
    if zone and any(gaz.by_code[c].level == 2 for c in gaz.stem_codes(zone.group(1))):
        return title[zone.end() :]  # 厦门经济特区生态环境分区管控条例: a regulation of the city's congress
    for length in range(min(12, len(title) - 1), 1, -1):
        codes = gaz.lookup(title[:length])
        if codes:
            if min(gaz.by_code[c].level for c in codes) > 2:
                return None
            # 江西省委江西省人民政府…, 重庆市人民政府…: issuer words after the place
            return re.sub(r"^(人民政府|人大常委会|政府|委员会)", "", title[length:])
    for word in ("省", "自治区", "市"):
        if title.startswith(word) and len(title) > len(word) + 2:
            return title[len(word) :]
    return None


# what may follow the kind of a title: (2023版), (草案), (试行), (2021—2025年)
_QUALIFIERS = re.compile(r"(\((?:\d{4}(?:—\d{4})?年?(?:调整|修订|修正)?版?|试行|暂行|草案|修订|修正|征求意见稿|送审稿)\))+$")


def classify(title: str) -> str:
    """The type of a title the table does not know.

    >>> classify("福建省水资源条例"), classify("陆渡街道党工委全面依法治街委员会2023年工作要点")
    ('地方性法规', '内部文件')
    >>> classify("垫江县法治政府建设实施方案(2021—2025年)"), classify("人民日报")
    ('规划纲要方案', '其他')
    >>> classify("北京市法治政府建设实施意见(2021—2025年)"), classify("金平县党政主要负责人述法办法")
    ('规范性文件', '规范性文件')
    """
    core = _QUALIFIERS.sub("", title) or title
    rest = None
    for type_, needs_place, pattern in _type_rules():
        if needs_place:
            if rest is None:
                rest = _after_place(core) or ""
            if rest and pattern.search(rest):
                return type_
        elif pattern.search(core):
            return type_
    return "其他"


def canonical(title: str, year: int | None = None) -> Canonical:
    """The canonical form of a title as written.

    >>> canonical("民法典").label, canonical("《中华人民共和国民法典》".strip("《》")).key
    ('中华人民共和国民法典', '民法典')
    >>> canonical("法治政府建设实施纲要(2021-2025)").label
    '法治政府建设实施纲要(2021—2025年)'
    """
    found = table().lookup(title, year)
    if found:
        label, type_ = found
        return Canonical(fold(label), label, type_, True)
    label = tidy(title)
    return Canonical(fold(label), label, classify(label), False)
