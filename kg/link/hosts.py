"""Page addresses to divisions: a gov.cn host names its place in pinyin or initials (jiexi.gov.cn → 揭西县).

Host labels are read against the pinyin forms of every province, prefecture and
county of the official table — the full reading of the name with and without its
generic suffix (jiexi, jiexixian, yueyangxian) and the initials (jx, jxx, yyx; zh/ch/sh
may stay two letters: bjchy → 北京 + 朝阳) — and may chain down the table
(tjnh → 天津 + 宁河区, cqjlp → 重庆 + 九龙坡区). Folders of the path may then name a
division below the host's (…/jz/lzjd/ → 荔枝街道). ``ontology/lexicon/hosts.tsv``
says which labels name a department (sfj → 司法局), a ministry (moa → 农业农村部) or
nothing (www, xxgk). Initials are short and shared by many places (sz: 深圳, 苏州, 随州 …),
so a hint is never a link by itself: it is one more clue, weighed with the text.

>>> hint = read_address("http://www.jiexi.gov.cn/jyjxjtj/gkmlpt/content/0/914/post_914503.html")
>>> [gazetteer().by_code[c].name for c in hint.divisions]
['揭西县']
>>> hint = read_address("https://gaj.yichun.gov.cn/a.html")
>>> sorted(gazetteer().by_code[c].name for c in hint.divisions), hint.organ
(['伊春市', '宜春市'], '公安局')
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from kg.knowledge.resources import read_tsv
from kg.link.divisions import Division, Gazetteer, gazetteer

_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "街道",
    "地区",
    "林区",
    "特区",
    "省",
    "市",
    "州",
    "县",
    "区",
    "旗",
    "盟",
    "镇",
    "乡",
)
_DIGRAPHS = ("zh", "ch", "sh")
_MAX_VARIANTS = 16  # spellings of initials kept per name (zh/ch/sh as one or two letters)


@dataclass
class AddressHint:
    """What a page address says about the reporting unit."""

    url: str
    divisions: dict[str, float] = field(default_factory=dict)  # code → weight (the weights of a host add up to 1)
    below: dict[str, float] = field(default_factory=dict)  # divisions the path names under the host's
    organ: str | None = None  # a department named by the host (sfj → 司法局)
    central: str | None = None  # a central ministry named by the host (moa → 农业农村部)

    def __bool__(self) -> bool:
        return bool(self.divisions or self.below or self.organ or self.central)


@lru_cache(maxsize=1)
def _labels() -> dict[str, tuple[str, str]]:
    return {row["label"]: (row["kind"], row.get("organ", "")) for row in read_tsv("lexicon", "hosts.tsv")}


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _readings(name: str) -> list[list[str]]:
    """Syllables of a name: pypinyin's phrase dictionary knows place readings (六安 lu'an, 重庆 chongqing)."""
    from pypinyin import Style, lazy_pinyin  # imported only when an address is read

    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="ignore")
    return [syllables] if syllables else []


def forms(name: str) -> set[str]:
    """The ways a host may spell a division's name.

    >>> sorted(forms("九龙坡区"))
    ['jiulongpo', 'jiulongpoqu', 'jlp', 'jlpq']
    >>> "chy" in forms("朝阳区") and "cy" in forms("朝阳区")
    True
    """
    out: set[str] = set()
    stem = _stem(name)
    for reading in _readings(name):  # the stem's reading is read in the full name's context: 朝阳区 chaoyang, not zhaoyang
        for syllables in {tuple(reading), tuple(reading[: len(stem)]) if len(reading) == len(name) else ()}:
            if not syllables:
                continue
            out.add("".join(syllables))
            heads = [[s[:2], s[0]] if s[:2] in _DIGRAPHS else [s[0]] for s in syllables]
            for initials in itertools.islice(itertools.product(*heads), _MAX_VARIANTS):
                out.add("".join(initials))
    return {f for f in out if len(f) >= 2}


class HostIndex:
    """Pinyin and initial forms of divisions, for reading host names and folders."""

    def __init__(self, gaz: Gazetteer):
        self.gaz = gaz
        self.upper: dict[str, set[str]] = defaultdict(set)  # forms of provinces, prefectures, counties
        for division in gaz.by_code.values():
            if division.level <= 3:
                for form in forms(division.name):
                    self.upper[form].add(division.code)
        self._children: dict[str, list[Division]] | None = None
        self._below: dict[str, dict[str, set[str]]] = {}

    def children(self, code: str) -> list[Division]:
        if self._children is None:
            self._children = defaultdict(list)
            for division in self.gaz.by_code.values():
                self._children[division.parent].append(division)
        return self._children.get(code, [])

    def below(self, code: str) -> dict[str, set[str]]:
        """Forms of every division under ``code`` (folders name them: lzjd → 荔枝街道)."""
        if code not in self._below:
            index: dict[str, set[str]] = defaultdict(set)
            todo = list(self.children(code))
            while todo:
                division = todo.pop()
                for form in forms(division.name):
                    index[form].add(division.code)
                todo += self.children(division.code)
            self._below[code] = index
        return self._below[code]

    def parses(self, label: str, under: str | None = None) -> list[list[str]]:
        """Chains of codes whose forms spell ``label`` exactly, each a descendant of the one before."""
        if not label:
            return [[]]
        out = []
        for cut in range(len(label), 1, -1):
            head, tail = label[:cut], label[cut:]
            for code in sorted(self.upper.get(head, ())):
                if under and not self._descends(code, under):
                    continue
                for rest in self.parses(tail, code):
                    out.append([code, *rest])
        return out

    def _descends(self, code: str, ancestor: str) -> bool:
        return any(d.code == ancestor for d in self.gaz.chain(code)[1:])


@lru_cache(maxsize=1)
def host_index() -> HostIndex:
    return HostIndex(gazetteer())


def _strip_noise(label: str, noise: set[str]) -> str:
    """cnlongxi → longxi, wfqzf → wfq: noise words before or after a place."""
    for word in sorted(noise, key=len, reverse=True):
        if len(word) >= 2 and label.startswith(word) and len(label) > len(word) + 1:
            label = label[len(word) :]
        if len(word) >= 2 and label.endswith(word) and len(label) > len(word) + 1:
            label = label[: -len(word)]
    return label


def read_address(url: str) -> AddressHint:
    """The divisions, department or ministry a government page address names (nothing for other sites)."""
    hint = AddressHint(url)
    parts = urlsplit(url if "//" in url else "//" + url)
    host = (parts.hostname or "").lower()
    if not host.endswith(".gov.cn"):
        return hint  # mirrors and news sites say nothing about the unit
    labels = _labels()
    noise = {label for label, (kind, _) in labels.items() if kind == "noise"}
    index = host_index()
    chains: list[list[list[str]]] = []  # per label, its readings (each a chain of codes)
    for label in host.split(".")[:-2]:  # without gov.cn
        kind, organ = labels.get(label, ("", ""))
        if kind == "noise":
            continue
        if kind == "organ":
            hint.organ = organ
            continue
        if kind == "central":
            hint.central = organ
            continue
        found = index.parses(label) or index.parses(_strip_noise(label, noise))
        if not found:  # jnssfj: a place fused with a department (jns + sfj)
            for tail in sorted((t for t, (k, _) in labels.items() if k == "organ"), key=len, reverse=True):
                if label.endswith(tail) and len(label) > len(tail) + 1:
                    found = index.parses(label[: -len(tail)])
                    if found:
                        hint.organ = labels[tail][1]
                        break
        if found:
            # the most specific reading of this label; a higher label (city) then narrows a lower one (county)
            chains.append(found)
    hint.divisions = _combine(chains, index)
    if len(hint.divisions) == 1:
        (code,) = hint.divisions
        below = index.below(code)
        for folder in re.split(r"[/_.\-]+", parts.path.lower()):
            if folder.isalpha() and len(folder) >= 3 and folder in below:
                for child in below[folder]:
                    hint.below[child] = 1.0 / len(below[folder])
    return hint


def _combine(chains: list[list[list[str]]], index: HostIndex) -> dict[str, float]:
    """Weights of the most specific divisions the labels name together (gaj.yichun: 宜春市 or 伊春市)."""
    if not chains:
        return {}
    finals: set[str] = set()
    for parses in chains:
        ends = {parse[-1] for parse in parses}
        if not finals:
            finals = ends
            continue
        # two labels (jnssfj.jinan): keep the readings that agree, the more specific of a pair
        agree = {a for a in ends for b in finals if a == b or index._descends(a, b)} | {
            b for b in finals for a in ends if index._descends(b, a)
        }
        finals = agree or finals
    return {code: 1.0 / len(finals) for code in sorted(finals)}
