"""Unit phrases and organ mentions to linked units: division code, level, parents; never by guess.

A phrase such as 垫江县人民政府桂溪街道办事处 is cut into division names
(垫江县, 桂溪街道) and what remains (an organ name, or nothing for the
government itself). The last division named is the one meant; the earlier ones
must be its ancestors. When a name still fits several divisions (15 towns are
called 大河镇), the divisions named anywhere else in the report — the
addressee, the signature, 太仓市委 in the first sentence, 重庆 in a slogan —
vote for the candidates whose parents they are; a candidate is chosen only if
it clearly wins. Otherwise the unit stays unlinked, with its candidates.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from ahocorasick_rs import AhoCorasick, MatchKind

from kg.link.divisions import LEVEL_NAMES, Division, Gazetteer, gazetteer
from kg.model import Unit
from kg.resources import read_tsv

_GOVERNMENT = re.compile(r"(人民政府|政府|办事处|党工委|党委|党组|管委会|管理委员会)$")
_GOVERNMENT_INFIX = ("人民政府", "政府")
_SELF_REFERENCE = re.compile(r"(?:我|本)(省|市|州|盟|县|区|旗|镇|乡|街道|街)(?![长委])")
_LEVEL_OF_PREFIX = {
    "省": (1,), "自治区": (1,), "市": (2, 1, 3), "州": (2,), "盟": (2,), "地区": (2,),
    "县": (3,), "区": (3,), "旗": (3,), "镇": (4,), "乡": (4,), "街道": (4,), "街": (4,),
}
_HAN = re.compile(r"[\u3400-\u9fff]")
# characters that end a word before an organ name: 与区司法局, 向县委, 经市政府
_FUNCTION_CHARS = set("与和及、向在由经请的等对同及配合协调指导支持邀会报按据从为将把被给让到至于")
_MARGIN = 2.0  # the winner must have at least twice the support of the runner-up


@dataclass(frozen=True)
class Organ:
    """A kind of organ from ``ontology/lexicon/organs.tsv``."""

    name: str
    category: str
    english: str


@dataclass
class Context:
    """Which divisions a report names, weighted, for choosing among candidates."""

    weight: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    anchors: set[str] = field(default_factory=set)  # divisions named by addressee or signature

    def support(self, gaz: Gazetteer, code: str) -> float:
        """Votes for ``code`` from its named ancestors and descendants."""
        score = 0.0
        for ancestor in gaz.chain(code)[1:]:
            score += self.weight.get(ancestor.code, 0.0) * (3.0 if ancestor.code in self.anchors else 1.0)
        return score


def build_context(texts: list[tuple[str, float]], gaz: Gazetteer | None = None) -> Context:
    """Weigh every division mention in the given texts (text, weight)."""
    gaz = gaz or gazetteer()
    context = Context()
    for text, factor in texts:
        for _start, _end, form, codes in gaz.mentions(text):
            codes = codes or tuple(gaz.stem_codes(form))
            strength = 1.0 if form in gaz.forms else 0.4
            for code in codes:
                context.weight[code] += factor * strength / len(codes)
    return context


def choose(gaz: Gazetteer, candidates: list[str], context: Context) -> tuple[str | None, list[str]]:
    """Pick one candidate if it is the only one or clearly best supported."""
    if len(candidates) == 1:
        return candidates[0], candidates
    scored = sorted(((context.support(gaz, c), c) for c in candidates), key=lambda x: (-x[0], x[1]))
    if scored and scored[0][0] > 0 and scored[0][0] >= _MARGIN * (scored[1][0] if len(scored) > 1 else 0):
        return scored[0][1], candidates
    return None, sorted(candidates)


@dataclass
class Segmented:
    """A unit phrase cut into division names, a bare level prefix and an organ part."""

    divisions: list[tuple[str, list[str]]]
    level_prefix: str | None
    rest: str


def segment(phrase: str, titles: bool = True, gaz: Gazetteer | None = None) -> Segmented:
    """Cut a unit phrase into the divisions it names and what follows.

    >>> s = segment("垫江县人民政府桂溪街道办事处")
    >>> [form for form, _ in s.divisions], s.rest
    (['垫江县', '桂溪街道'], '')
    >>> s = segment("省卫生健康委")
    >>> s.divisions, s.level_prefix, s.rest
    ([], '省', '卫生健康委')
    """
    gaz = gaz or gazetteer()
    phrase = phrase.replace(" ", "")
    divisions: list[tuple[str, list[str]]] = []
    pos = 0
    while pos < len(phrase):
        for length in range(min(20, len(phrase) - pos), 1, -1):
            form = phrase[pos: pos + length]
            codes = gaz.lookup(form, titles=titles)
            if codes:
                divisions.append((form, codes))
                pos += length
                break
        else:
            infix = next((g for g in _GOVERNMENT_INFIX if phrase.startswith(g, pos) and divisions), None)
            if infix and pos + len(infix) < len(phrase):
                pos += len(infix)
                continue
            break
    rest = phrase[pos:]
    level_prefix = None
    if not divisions:
        for prefix in sorted(_LEVEL_OF_PREFIX, key=len, reverse=True):
            if rest.startswith(prefix) and len(rest) > len(prefix):
                level_prefix, rest = prefix, rest[len(prefix):]
                break
    rest = _GOVERNMENT.sub("", rest)
    return Segmented(divisions, level_prefix, rest)


class OrganLexicon:
    """The organ gazetteer: names and aliases to :class:`Organ`, and mention search."""

    def __init__(self, rows: list[dict[str, str]], prefixes: list[dict[str, str]]):
        self.by_form: dict[str, Organ] = {}
        for row in rows:
            organ = Organ(row["name"], row["category"], row.get("english", ""))
            for form in [row["name"], *filter(None, row.get("aliases", "").split("|"))]:
                self.by_form.setdefault(form.strip(), organ)
        self.prefixes = sorted(((r["prefix"], r["level"]) for r in prefixes), key=lambda p: -len(p[0]))
        self._prefix_level = dict(self.prefixes)
        self._prefix_lengths = sorted({len(p) for p, _ in self.prefixes}, reverse=True)
        self._forms = sorted(self.by_form)
        self._matcher = AhoCorasick(self._forms, matchkind=MatchKind.LeftmostLongest)

    def get(self, form: str) -> Organ | None:
        return self.by_form.get(form)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Organ names in ``text``, longest at each place, left to right."""
        return [(start, end, self._forms[index]) for index, start, end in self._matcher.find_matches_as_indexes(text)]

    def level_prefix(self, text: str, end: int) -> tuple[str, str] | None:
        """The level prefix (区, 县, 街道 …) ending at ``end``, if it starts a word.

        区 in 工业园区城管中队 is the end of a place name, not a prefix.
        """
        for length in self._prefix_lengths:
            start = end - length
            if start < 0:
                continue
            prefix = text[start:end]
            level = self._prefix_level.get(prefix)
            # one character (区, 市, 县) may end a place name; longer prefixes (国家, 街道) stand alone
            if level is not None and (length > 1 or start == 0 or not _HAN.match(text[start - 1]) or text[start - 1] in _FUNCTION_CHARS):
                return prefix, level
        return None


@lru_cache(maxsize=1)
def organ_lookup() -> OrganLexicon:
    return OrganLexicon(read_tsv("lexicon", "organs.tsv"), read_tsv("lexicon", "organ_prefixes.tsv"))


def division_unit(division: Division, as_written: str, gaz: Gazetteer | None = None) -> Unit:
    gaz = gaz or gazetteer()
    chain = gaz.chain(division.code)
    return Unit(
        name=division.name,
        kind="division",
        as_written=as_written,
        code=division.code,
        level=division.level_name,
        parents=[(d.name, d.code) for d in chain[1:]],
        linked=True,
    )


def organ_unit(owner: Division | None, organ: Organ, as_written: str, kind: str, level: str | None = None, candidates: list[str] | None = None) -> Unit:
    """A department or organ of ``owner``'s government (unlinked when the owner is unknown)."""
    gaz = gazetteer()
    if owner is None:
        # a central organ is linked to the central level; any other without an owner is not linked
        return Unit(name=organ.name if level == "central" else as_written, kind=kind, as_written=as_written, level=level,
                    organ=organ.name, category=organ.category, candidates=candidates or [], linked=level == "central")
    chain = gaz.chain(owner.code)
    return Unit(
        name=owner.name + organ.name,
        kind=kind,
        as_written=as_written,
        code=owner.code,
        level=owner.level_name,
        parents=[(d.name, d.code) for d in chain],
        linked=True,
        organ=organ.name,
        category=organ.category,
    )


def resolve_phrase(phrase: str, context: Context, self_level: int | None = None) -> Unit | None:
    """The unit a phrase names, linked if the evidence allows; None if it names no unit."""
    gaz = gazetteer()
    organs = organ_lookup()
    cut = segment(phrase)
    organ = organs.get(cut.rest) if cut.rest else None
    if cut.rest and organ is None:
        return None  # something that is neither a division nor a known organ
    if organ is not None and organ.category == "government":
        organ = None
    kind = "department" if organ is not None and organ.category == "department" else "organ"
    if cut.divisions:
        candidates = list(cut.divisions[-1][1])
        for _form, ancestor_codes in cut.divisions[:-1]:
            wanted = set(ancestor_codes)
            candidates = [c for c in candidates if wanted & {d.code for d in gaz.chain(c)[1:]}]
        chosen, considered = choose(gaz, candidates, context) if candidates else (None, list(cut.divisions[-1][1]))
        if organ is None:
            if chosen:
                return division_unit(gaz.by_code[chosen], phrase, gaz)
            return Unit(name=_division_name(cut.divisions[-1][0], considered, gaz), kind="division", as_written=phrase,
                        level=_common_level(considered, gaz), candidates=considered)
        return organ_unit(gaz.by_code[chosen] if chosen else None, organ, phrase, kind, candidates=considered)
    if organ is None:
        return None
    if organ.category == "department" and organ.name.endswith("部") and cut.level_prefix is None:
        return Unit(name=organ.name, kind=kind, as_written=phrase, level="central", organ=organ.name,
                    category=organ.category, linked=True)
    owner, considered = owner_by_context(cut.level_prefix, context, gaz)
    levels = _LEVEL_OF_PREFIX.get(cut.level_prefix or "", ())
    level = LEVEL_NAMES[levels[0]] if levels else None
    return organ_unit(owner, organ, phrase, kind, level=level, candidates=considered)


def owner_by_context(level_word: str | None, context: Context, gaz: Gazetteer) -> tuple[Division | None, list[str]]:
    """The division called a ``level_word`` (市, 县, 街道 …) the report names most, if one clearly dominates."""
    levels = _LEVEL_OF_PREFIX.get(level_word or "", ())
    if not levels:
        return None, []
    suffixes = ("省", "自治区") if level_word == "省" else ("街道",) if level_word == "街" else (level_word,)
    scored = defaultdict(float)
    for code, weight in context.weight.items():
        division = gaz.by_code.get(code)
        if division and division.level in levels and division.name.endswith(suffixes):
            scored[code] += weight * (3.0 if code in context.anchors else 1.0) + context.support(gaz, code) * 0.5
    ranked = sorted(scored.items(), key=lambda x: (-x[1], x[0]))
    if ranked and ranked[0][1] >= 1.0 and (len(ranked) == 1 or ranked[0][1] >= _MARGIN * ranked[1][1]):
        return gaz.by_code[ranked[0][0]], [c for c, _ in ranked[:5]]
    return None, [c for c, _ in ranked[:5]]


def _division_name(form: str, codes: list[str], gaz: Gazetteer) -> str:
    names = {gaz.by_code[c].name for c in codes}
    return names.pop() if len(names) == 1 else form


def _common_level(codes: list[str], gaz: Gazetteer) -> str | None:
    levels = {gaz.by_code[c].level for c in codes}
    return LEVEL_NAMES[levels.pop()] if len(levels) == 1 else None


def link_reporting_unit(phrases: list[tuple[str, str]], text: str, addressee: str | None, signature: str | None) -> tuple[Unit | None, list[str]]:
    """The reporting unit from its phrases (most trustworthy first) and the whole text.

    Returns the unit (possibly unlinked) and warnings.
    """
    gaz = gazetteer()
    texts = [(text, 1.0)]
    context = build_context(texts, gaz)
    for anchor in filter(None, (addressee, signature)):
        for _start, _end, _form, codes in gaz.mentions(anchor):
            context.anchors.update(codes)
    warnings: list[str] = []
    fallback: Unit | None = None
    for phrase, _source in phrases:
        unit = resolve_phrase(phrase, context)
        if unit is None:
            continue
        if unit.linked:
            return unit, warnings
        fallback = fallback or unit
    # 我县 / 县委、县政府: the report speaks of itself by level only; take the division of
    # that level it names most (an addressee or signature naming a parent helps).
    level_word = _self_level(text)
    if level_word and (fallback is None or not fallback.candidates):
        owner, _considered = owner_by_context(level_word, context, gaz)
        if owner is not None:
            warnings.append(f"reporting unit inferred from self-references and the divisions the text names: {owner.name}")
            return division_unit(owner, owner.name, gaz), warnings
    if fallback is not None:
        if fallback.candidates:
            names = ", ".join(f"{c} {'/'.join(d.name for d in gaz.chain(c)[:3])}" for c in fallback.candidates[:6])
            warnings.append(f"unit {fallback.as_written!r} not linked: {len(fallback.candidates)} candidates ({names})")
        else:
            warnings.append(f"unit {fallback.as_written!r} not found in the division table")
        return fallback, warnings
    warnings.append("no reporting unit found")
    return None, warnings


def _self_level(text: str) -> str | None:
    counts: dict[str, int] = defaultdict(int)
    for match in _SELF_REFERENCE.finditer(text):
        counts[match.group(1)] += 1
    for generic in ("县委、县政府", "区委、区政府", "市委、市政府", "镇党委、镇政府", "乡党委、乡政府"):
        if text.startswith(generic, 0) or f"年,{generic}" in text:
            counts[generic[0]] += 3
    if not counts:
        return None
    return max(counts.items(), key=lambda x: (x[1], x[0]))[0]
