"""The reporting unit from all the evidence a report holds, weighed: phrases, self-references, places named, the address.

A report names its unit in many ways, and often only in part: a title
(垫江县桂溪街道…报告), a signature, a cover letter, the subject of its first
sentence (市应急局对照…), a metadata field, or only words of its level (我局,
全省, 县人民政府) next to places named elsewhere — in the titles of the
documents it issues (《岳阳县人民政府常务会会前学法制度》), in a slogan
(考察绍兴), or by a short name (郭家沱). The page address is one more clue
(jiexi.gov.cn). Each phrase is resolved against the division table; when none
names a unit outright, the unit's *kind* (a government, or a department: 我局,
局党组, a sector's 系统/行业/领域), its *level* and its *division* are
decided apart, each from the clues that speak to it, and a division is chosen
only when it clearly wins. Otherwise the unit stays unlinked, with its
candidates: never a guess.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from kg.knowledge.resources import read_tsv
from kg.link.divisions import Gazetteer, gazetteer
from kg.link.hosts import AddressHint
from kg.link.units import (
    _LEVEL_OF_PREFIX,
    Context,
    Organ,
    build_context,
    division_unit,
    organ_lookup,
    organ_unit,
    owner_by_context,
    resolve_phrase,
    segment,
)
from kg.model import Unit

_TITLE = re.compile(r"《([^《》\n]{2,80})》")
_TITLE_WEIGHT = 1.5  # a place that opens the title of a document the report cites (its issuer, most often)
_DEPTH = {"省": 1, "市": 2, "州": 2, "县": 3, "区": 3, "旗": 3, "镇": 4, "乡": 4, "街道": 4}
_MARGIN = 2.0  # a field must be named twice as often as the next to name the department


@dataclass
class Evidence:
    """Everything a report offers about who wrote it."""

    phrases: list[tuple[str, str]]  # (as written, where), most trustworthy first
    text: str
    addressee: str | None = None
    signature: str | None = None
    hint: AddressHint | None = None
    stated: str | None = None  # the unit as the user states it (kg build --sources)


@dataclass
class Profile:
    """How a report speaks of itself: levels (我县, 全省, 县委、县政府) and department words (我局, 局党组)."""

    levels: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # level word → weighted mentions
    own: int = 0  # 我县, 本镇: the report speaks as a government
    department: int = 0  # 我局, 局党组: as a department
    text: str = ""

    @property
    def sector(self) -> str | None:
        """The field a department works in (生态环境系统 → 生态环境), when one dominates (read when asked)."""
        return sector(self.text) if self.department else None

    def is_department(self) -> bool:
        return self.department > 0 and self.department >= self.own

    def level_word(self) -> str | None:
        """The level most spoken of; on a tie the lower one (a county speaks of 全市 and 全省 as its superiors)."""
        if not self.levels:
            return None
        return max(self.levels.items(), key=lambda x: (x[1], _DEPTH.get(x[0], 0)))[0]


@lru_cache(maxsize=1)
def _self_words() -> dict[str, list[tuple[float, re.Pattern]]]:
    """The patterns of ``ontology/lexicon/self_references.tsv`` by kind; {sector} filled from organs.tsv."""
    stems = sorted(_sectors(), key=len, reverse=True)
    out: dict[str, list[tuple[float, re.Pattern]]] = defaultdict(list)
    for row in read_tsv("lexicon", "self_references.tsv"):
        out[row["kind"]].append((float(row["weight"]), re.compile(row["pattern"].replace("{sector}", "|".join(stems)))))
    return out


@lru_cache(maxsize=1)
def _sectors() -> dict[str, dict[str, str]]:
    """Department stems (交通运输, 生态环境, 人社) → their organ by level word ending (局, 厅, 委员会)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    organs = organ_lookup()
    for form, organ in organs.by_form.items():
        if organ.category != "department":
            continue
        for ending in ("局", "厅", "委员会", "委"):
            if form.endswith(ending) and len(form) - len(ending) >= 2:
                out[form[: -len(ending)]].setdefault(ending[0], organ.name)
                break
    return out


def profile(text: str) -> Profile:
    """Self-references of a report.

    >>> p = profile("2024年,我局认真贯彻县委、县政府部署,推动交通运输行业依法行政,交通运输系统…我局")
    >>> p.department, p.level_word(), p.sector
    (2, '县', '交通运输')
    """
    words = _self_words()
    result = Profile()
    for kind in ("own", "level"):
        for weight, pattern in words[kind]:
            for match in pattern.finditer(text):
                result.levels[_level_word(match.group("level"))] += weight
                result.own += kind == "own"
    result.department = sum(1 for _, pattern in words["department"] for _ in pattern.finditer(text))
    result.text = text
    return result


def sector(text: str) -> str | None:
    """The field a department's report works in, when one clearly dominates (生态环境系统, 省生态环境厅 → 生态环境)."""
    sectors: Counter[str] = Counter()
    for weight, pattern in _self_words()["sector"]:
        for match in pattern.finditer(text):
            # typeshed has Counter count in ints; the weights are floats, which Counter and most_common take
            sectors[match.group("sector")] += weight  # type: ignore[assignment]
    ranked = sectors.most_common(2)
    if ranked and ranked[0][1] >= 2 and (len(ranked) == 1 or ranked[0][1] >= _MARGIN * ranked[1][1]):
        return ranked[0][0]
    return None


def _level_word(word: str) -> str:
    return "街道" if word in ("街", "街道") else word


def sector_organ(sector: str, level_word: str | None) -> Organ | None:
    """The department of a field at a level: 生态环境 + 省 → 生态环境厅, + 市 → 生态环境局."""
    forms = _sectors().get(sector, {})
    order = ("厅", "局", "委") if level_word == "省" else ("局", "委", "厅")
    for ending in order:
        if ending in forms:
            return organ_lookup().get(forms[ending])
    return None


def link_reporting_unit(evidence: Evidence) -> tuple[Unit | None, list[str]]:
    """The reporting unit (possibly unlinked, with candidates) and warnings."""
    gaz = gazetteer()
    context = _context(evidence, gaz)
    own_text = evidence.text.replace(evidence.addressee, "", 1) if evidence.addressee else evidence.text
    me = profile(own_text)
    warnings: list[str] = []
    phrases = ([(evidence.stated, "stated")] if evidence.stated else []) + list(evidence.phrases)
    fallback: Unit | None = None
    for phrase, _source in phrases:
        unit = resolve_phrase(phrase, context)
        if unit is None:
            # page furniture glued in front (页走进汉台新闻中心…七里街道办事处): from the first place it names
            for start, _end, _form, codes in gaz.places(phrase):
                if start > 0 and codes:
                    unit = resolve_phrase(phrase[start:], context)
                    if unit is not None:
                        break
        if unit is None:
            cut = segment(phrase)
            if cut.level_prefix and not cut.rest and not cut.divisions:  # 县人民政府, 区政府: a level and nothing else
                me.levels[_level_word(cut.level_prefix)] += 10
            continue
        unit = _as_reporting_unit(unit, me)
        if unit.linked:
            return unit, warnings
        fallback = fallback or unit
    inferred = _infer(fallback, me, context, evidence, gaz)
    if inferred is not None and (inferred[0].linked or fallback is None or fallback.kind != "division"):
        unit, reason = inferred
        if unit.linked:
            warnings.append(f"reporting unit inferred from {reason}: {unit.name}")
            return unit, warnings
        fallback = unit
    if fallback is not None:
        if fallback.candidates:
            names = ", ".join(f"{c} {'/'.join(d.name for d in gaz.chain(c)[:3])}" for c in fallback.candidates[:6])
            warnings.append(f"unit {fallback.as_written!r} not linked: {len(fallback.candidates)} candidates ({names})")
        else:
            warnings.append(f"unit {fallback.as_written!r} not linked: the text does not say which one")
        return fallback, warnings
    warnings.append("no reporting unit found")
    return None, warnings


def _context(evidence: Evidence, gaz: Gazetteer) -> Context:
    """Divisions named in the text, the addressee and signature as anchors, titles of issued documents, the address."""
    context = build_context([(evidence.text, 1.0)], gaz)
    for anchor in filter(None, (evidence.addressee, evidence.signature)):
        for _start, _end, _form, codes in gaz.mentions(anchor):
            context.anchors.update(codes)
    for match in _TITLE.finditer(evidence.text):
        for codes in gaz.title_places(match.group(1))[-1:]:  # the last of 泉州市丰泽区…: the issuer
            for code in codes:
                context.titled[code] += _TITLE_WEIGHT / len(codes)
    if evidence.hint:
        context.hints.update(evidence.hint.divisions)
        context.hints.update(evidence.hint.below)
    return context


def _as_reporting_unit(unit: Unit, me: Profile) -> Unit:
    """An office of a government that writes its own report (区政府办) is a department."""
    if unit.kind == "organ" and unit.category == "office" and (me.department or unit.organ):
        unit.kind = "department"
    return unit


def _infer(fallback: Unit | None, me: Profile, context: Context, evidence: Evidence, gaz: Gazetteer) -> tuple[Unit, str] | None:
    """Kind, level and division decided apart when no phrase names the unit outright."""
    if fallback is not None and fallback.kind == "division" and fallback.candidates:
        return None  # a division named by a name several divisions share: choosing was the phrase's job
    hint = evidence.hint
    organs = organ_lookup()
    organ = organs.get(fallback.organ or "") if fallback is not None and fallback.kind != "division" else None
    level_word = (_prefix_of(fallback.as_written) if fallback is not None else None) or me.level_word()
    department = organ is not None or (fallback is None and me.is_department())
    if department and organ is None:
        field = me.sector
        organ = sector_organ(field, level_word) if field else None
        if organ is None and hint is not None and hint.organ:
            organ = organs.get(hint.organ)
        if organ is None and hint is not None and hint.central:
            central = organs.get(hint.central)
            if central is not None:
                return Unit(
                    central.name,
                    "department",
                    as_written=central.name,
                    level="central",
                    organ=central.name,
                    category=central.category,
                    linked=True,
                ), "the page address"
    if organ is not None and organ.name.endswith("厅"):
        level_word = "省"  # 厅 are the departments of a province
    if level_word is None and hint is not None and len(hint.divisions) == 1:
        # the text says what the unit is (我局 in the transport field) but not where; the address names one place
        level_word = _level_word_of(gaz.by_code[next(iter(hint.divisions))].name)
    if level_word is None:
        return None
    owner, considered = owner_by_context(level_word, context, gaz, townships=not department)
    written = fallback.as_written if fallback is not None else ""
    if department and organ is None:
        # a department (我局) whose field the text never makes plain: kept, unlinked, under its division
        return Unit(
            "部门",
            "department",
            as_written=written,
            level=owner.level_name if owner else None,
            candidates=[owner.code] if owner else considered,
        ), "department words"
    if department and organ is not None:  # (a department without an organ returned above)
        return organ_unit(
            owner, organ, written or organ.name, "department", candidates=considered
        ), "its department words and the divisions the text names"
    if owner is None:
        return None
    return division_unit(owner, owner.name, gaz), "self-references and the divisions the text names"


def _level_word_of(name: str) -> str | None:
    """The level word a division's name ends in: 揭西县 → 县, 上海市 → 市, 黔南布依族苗族自治州 → 州."""
    return next((word for word in sorted(_LEVEL_OF_PREFIX, key=len, reverse=True) if name.endswith(word)), None)


def _prefix_of(phrase: str) -> str | None:
    for prefix in sorted(_LEVEL_OF_PREFIX, key=len, reverse=True):
        if phrase.startswith(prefix):
            return _level_word(prefix)
    return None
