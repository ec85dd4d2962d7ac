"""Units and organs the text names (区司法局, 城管执法大队, 太仓市人民法院), each tied to its division."""

from __future__ import annotations

import re

from kg.extract.base import Document
from kg.link.divisions import LEVEL_NUMBERS, Division, gazetteer
from kg.link.units import Context, build_context, choose, division_unit, organ_lookup, organ_unit
from kg.model import OrganMention, Report, Unit
from kg.text.spans import Spans

_TITLE = re.compile(r"《[^《》\n]*》")
# a place-like name glued to an organ is not ours when it is a generic word
_NOT_AFTER = re.compile(r"[各本该此其某]$")
_NOT_BEFORE = re.compile(r"^[员长]")  # 政法委员, 委员长: a post, not the organ
# an organ of a place the table does not hold (嘉定工业园区城管中队) is left out
_UNLISTED_PLACE = re.compile(r"(园区|开发区|新区|工业园|高新区|保税区|景区|片区|管委会)$")
_CENTRAL = re.compile(r"^(中共中央|中国共产党中央|党中央|中央|国务院|全国|最高人民|国家)")
_OWN_LEVEL = re.compile(r"依法治(省|市|州|县|区|旗|镇|乡|街)")


class UnitExtractor:
    """Finds organ mentions and other divisions named in the body."""

    name = "units"

    def __call__(self, doc: Document, report: Report) -> None:
        gaz = gazetteer()
        organs = organ_lookup()
        text = _TITLE.sub(lambda m: "《" + "\u3000" * (len(m.group(0)) - 2) + "》", doc.text)
        context = build_context([(doc.text, 1.0)], gaz)
        chain = _reporting_chain(report.unit)
        division_ends = {}  # place names (stems too: 太仓人民法院) by where they end
        named = []  # full division names, for the mentions of other divisions
        titles = Spans((m.start(), m.end()) for m in _TITLE.finditer(doc.text))
        for start, end, form, codes in gaz.places(doc.text):  # the same search as the linker's: remembered
            if titles.strictly_inside(start):
                continue
            division_ends[end] = (start, form, list(codes or gaz.stem_codes(form)))
            if codes:
                named.append((start, form, list(codes)))
        seen: set[tuple[str, int]] = set()
        for start, end, form in organs.find(text):
            if not doc.in_body(start) or _NOT_AFTER.search(text[max(0, start - 1) : start]) or _NOT_BEFORE.match(text[end : end + 1]):
                continue
            organ = organs.get(form)
            assert organ is not None  # find gives the lexicon's own forms
            owner, as_written_start = self._owner(
                text, start, form, organ, chain, division_ends, context, gaz, report.unit.kind if report.unit else None
            )
            if owner is _SKIP or (owner is None and not (_CENTRAL.match(organ.name) or _CENTRAL.match(text[as_written_start:end]))):
                continue
            kind = "department" if organ.category == "department" else "organ"
            if organ.category == "government" and owner is not None:
                unit = division_unit(owner, text[as_written_start:end], gaz)
            else:
                unit = organ_unit(owner, organ, text[as_written_start:end], kind, level=None if owner else "central")
            if report.unit is not None and unit.key == report.unit.key:
                continue
            self._add(doc, report, unit, as_written_start, seen)
        for start, form, named_codes in named:
            if not doc.in_body(start) or _inside_word(text, start, form):
                continue
            chosen, _ = choose(gaz, named_codes, context)
            if chosen is None or (report.unit is not None and report.unit.code == chosen):
                continue  # the reporting unit itself, or a department's own government
            # a town or street name can be an ordinary word (联合街道): it needs a named parent; so does a county far
            # from the reporting unit (江北区委 in a Chongqing street's report is not Ningbo's 江北区)
            level = gaz.by_code[chosen].level
            if (level == 4 or (level == 3 and not _same_province(chosen, chain))) and not context.support(gaz, chosen):
                continue
            if _ADDRESS.search(text, max(0, start - 12), start):
                continue  # a postal address (地址:天津市和平区建设路18号) is not a mention of the district
            self._add(doc, report, division_unit(gaz.by_code[chosen], form, gaz), start, seen)
        report.organs.sort(key=lambda m: (m.evidence.start, m.unit.name))

    @staticmethod
    def _add(doc: Document, report: Report, unit: Unit, start: int, seen: set) -> None:
        sentence = doc.sentence_at(start)
        if sentence is None:
            return
        marker = (unit.key, sentence.start)
        if marker in seen:
            return
        seen.add(marker)
        report.organs.append(OrganMention(unit, doc.sentence_evidence(sentence)))

    @staticmethod
    def _owner(text, start, form, organ, chain, division_ends, context: Context, gaz, report_kind=None):
        """The division an organ belongs to, and where its written name starts."""
        organs = organ_lookup()
        if start in division_ends:
            place_start, _place, codes = division_ends[start]
            chosen, _ = choose(gaz, codes, context)
            division = gaz.by_code[chosen] if chosen else None
            # a town name glued to an organ may be a word (联合街道新时代文明实践点): needs support
            if division is None or division.level < 4 or context.support(gaz, division.code) or (chain and chain[0].code == chosen):
                return division, place_start
        if _UNLISTED_PLACE.search(text[max(0, start - 3) : start]):
            return _SKIP, start
        level_word = None
        prefix = organs.level_prefix(text, start)
        written_start = start
        if prefix:
            level_word, written_start = prefix[0], start - len(prefix[0])
        elif _CENTRAL.match(form) or _CENTRAL.match(organ.name):
            return None, start
        elif form != organ.name:
            own_prefix = next((p for p, _ in organs.prefixes if form.startswith(p) and len(form) > len(p)), None)
            level_word = own_prefix
        own_level = _OWN_LEVEL.search(organ.name)
        if level_word in ("各", "有关"):
            return _SKIP, start
        if prefix and prefix[1] == "central":
            return None, written_start
        if level_word is None and own_level:
            level_word = own_level.group(1)
        if level_word is None and report_kind == "department":
            return _SKIP, start  # a department's own 党组, 中心组, 处室: internal, not another unit
        if level_word is None:
            # townships have no bureaus or brigades: an unprefixed one is the county's
            county_body = organ.category == "department" or (
                organ.category == "enforcement_team" and organ.name.endswith(("大队", "支队", "总队"))
            )
            if county_body and len(chain) > 1 and chain[0].level == 4:
                return chain[1], written_start
            return (chain[0] if chain else None), written_start
        return _by_level_word(level_word, prefix[1] if prefix else None, chain), written_start


_SKIP = object()


_ADDRESS = re.compile(r"(地址|通讯地址|邮寄地址|办公地址|联系地址)[:]?[^,;。]{0,10}$")


def _same_province(code: str, chain: list[Division]) -> bool:
    return not chain or code[:2] == chain[0].code[:2]


def _inside_word(text: str, start: int, form: str) -> bool:
    """A two-character name such as 理县 or 和县 inside 办理县人大…, 乡村振兴和县域…"""
    return (
        len(form) <= 2
        and start > 0
        and bool(re.match(r"[\u4e00-\u9fff]", text[start - 1]))
        and text[start - 1] not in "在与和及、对向由到至从"
    )


def _reporting_chain(unit: Unit | None) -> list[Division]:
    """The reporting unit's own division (or its government's) and its parents."""
    if unit is None or not unit.linked or not unit.code:
        return []
    return gazetteer().chain(unit.code)


def _by_level_word(level_word: str, level_name: str | None, chain: list[Division]) -> Division | None:
    """The division of the reporting unit's chain that a prefix such as 区, 市, 县委 points to."""
    if not chain:
        return None
    word = re.sub(r"(委|政府|人民政府|党委|党工委|级|直)$", "", level_word) or level_word
    for division in chain:  # nearest first: 市 in a county-level city's report is that city
        if division.name.endswith(word) or (word == "街" and division.name.endswith("街道")):
            return division
    wanted = LEVEL_NUMBERS.get(level_name or "")
    return next((d for d in chain if d.level == wanted), None)
