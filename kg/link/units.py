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

from kg.knowledge.resources import read_tsv
from kg.link.divisions import LEVEL_NAMES, Division, Gazetteer, gazetteer
from kg.link.words import common_word
from kg.model import Unit

_GOVERNMENT = re.compile(r"(人民政府|政府|办事处|党工委|党委|党组|管委会|管理委员会)$")
_GOVERNMENT_INFIX = ("人民政府", "政府")
_LEVEL_OF_PREFIX = {
    "省": (1,),
    "自治区": (1,),
    "市": (2, 1, 3),
    "州": (2,),
    "盟": (2,),
    "地区": (2,),
    "县": (3,),
    "区": (3,),
    "旗": (3,),
    "镇": (4,),
    "乡": (4,),
    "街道": (4,),
    "街": (4,),
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


_HINT = 2.0  # a place the page address names counts as much as two mentions in the text


@dataclass
class Context:
    """Which divisions a report names, weighted, for choosing among candidates."""

    weight: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    anchors: set[str] = field(default_factory=set)  # divisions named by addressee or signature
    titled: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # places that open 《》 titles
    hints: dict[str, float] = field(default_factory=dict)  # places the page address names, with weights
    text: str = ""

    def support(self, gaz: Gazetteer, code: str) -> float:
        """Votes for ``code`` from its named ancestors, and from the page address."""
        chain = gaz.chain(code)
        score = 0.0
        for ancestor in chain[1:]:
            score += self.weight.get(ancestor.code, 0.0) * (3.0 if ancestor.code in self.anchors else 1.0) + self.titled.get(
                ancestor.code, 0.0
            )
        if self.hints:
            own = {d.code for d in chain}
            for hinted, weight in self.hints.items():
                if hinted in own:  # the address names the unit or a parent (a county's page on its city's site)
                    score += _HINT * weight
                elif code in {d.code for d in gaz.chain(hinted)[1:]}:  # the address is below it (a province's report on a county site)
                    score += 0.5 * _HINT * weight
        return score


def build_context(texts: list[tuple[str, float]], gaz: Gazetteer | None = None) -> Context:
    """Weigh every division mention in the given texts (text, weight)."""
    gaz = gaz or gazetteer()
    context = Context(text=texts[0][0] if texts else "")
    for text, factor in texts:
        for _start, _end, form, codes in gaz.places(text):
            codes = codes or tuple(gaz.stem_codes(form))
            # a short name is weaker than a full one; a name that is also a common word (城区, 平安) weaker still
            strength = (1.0 if form in gaz.forms else 0.4) * (0.25 if common_word(form) else 1.0)
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
            form = phrase[pos : pos + length]
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
                level_prefix, rest = prefix, rest[len(prefix) :]
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


def organ_unit(
    owner: Division | None, organ: Organ, as_written: str, kind: str, level: str | None = None, candidates: list[str] | None = None
) -> Unit:
    """A department or organ of ``owner``'s government (unlinked when the owner is unknown)."""
    gaz = gazetteer()
    if owner is None:
        # a central organ is linked to the central level; any other without an owner is not linked
        return Unit(
            name=organ.name if level == "central" else as_written,
            kind=kind,
            as_written=as_written,
            level=level,
            organ=organ.name,
            category=organ.category,
            candidates=candidates or [],
            linked=level == "central",
        )
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


def resolve_phrase(phrase: str, context: Context) -> Unit | None:
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
            return Unit(
                name=_division_name(cut.divisions[-1][0], considered, gaz),
                kind="division",
                as_written=phrase,
                level=_common_level(considered, gaz),
                candidates=considered,
            )
        return organ_unit(gaz.by_code[chosen] if chosen else None, organ, phrase, kind, candidates=considered)
    if organ is None:
        return None
    if organ.category == "department" and organ.name.endswith("部") and cut.level_prefix is None:
        return Unit(name=organ.name, kind=kind, as_written=phrase, level="central", organ=organ.name, category=organ.category, linked=True)
    owner, considered = owner_by_context(cut.level_prefix, context, gaz)
    levels = _LEVEL_OF_PREFIX.get(cut.level_prefix or "", ())
    level = LEVEL_NAMES[levels[0]] if levels else None
    return organ_unit(owner, organ, phrase, kind, level=level, candidates=considered)


def owner_by_context(
    level_word: str | None, context: Context, gaz: Gazetteer, townships: bool = False
) -> tuple[Division | None, list[str]]:
    """The division called a ``level_word`` (市, 县, 街道 …) that the report's evidence clearly points to.

    Each division of that level scores by its mentions (an addressee or signature
    counts three times), the 《》 titles it opens, its named parents and the page
    address. The best must reach one full mention (or be the only division of the
    level named at all, if only by a short name) and twice the runner-up's score.
    Returns it (or None) and the five best candidates.
    """
    levels = _LEVEL_OF_PREFIX.get(level_word or "", ())
    if not levels:
        return None, []
    assert level_word is not None  # "" names no level
    if level_word == "街":
        level_word = "街道"
    suffixes = ("省", "自治区") if level_word == "省" else (level_word,)
    scored: dict[str, float] = defaultdict(float)
    for code in set(context.weight) | set(context.titled) | set(context.hints):
        division = gaz.by_code.get(code)
        if division and division.level in levels and (division.name.endswith(suffixes) or _autonomous(division, level_word)):
            scored[code] += (
                context.weight.get(code, 0.0) * (3.0 if code in context.anchors else 1.0)
                + context.titled.get(code, 0.0)
                + context.support(gaz, code) * 0.5
            )
    if townships and levels == (4,) and not scored:
        # 郭家沱 for 郭家沱街道: a town or street by its short name, when the report speaks of itself as one
        for _start, _end, short, found in gaz.township_short_names(context.text):
            for code in found:
                support = context.support(gaz, code)
                # two characters are often a word (民生, 建设): they need a named parent
                if gaz.by_code[code].name.endswith(suffixes) and (len(short) >= 3 or support):
                    scored[code] += 1.0 / len(found) + support * 0.5
    ranked = sorted(scored.items(), key=lambda x: (-x[1], x[0]))
    if not ranked:
        return None, []
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    clear = score >= 1.0 or (len(ranked) == 1 and score > 0)
    if clear and score >= _MARGIN * runner_up:
        return gaz.by_code[best], [c for c, _ in ranked[:5]]
    return None, [c for c, _ in ranked[:5]]


def _autonomous(division: Division, level_word: str) -> bool:
    """三都水族自治县 is a 县; 黔南布依族苗族自治州, 喀什地区 and 兴安盟 are 市-level units."""
    return division.name.endswith("自治" + level_word) or (
        level_word == "市" and division.level == 2 and division.name.endswith(("自治州", "地区", "盟"))
    )


def _division_name(form: str, codes: list[str], gaz: Gazetteer) -> str:
    names = {gaz.by_code[c].name for c in codes}
    return names.pop() if len(names) == 1 else form


def _common_level(codes: list[str], gaz: Gazetteer) -> str | None:
    levels = {gaz.by_code[c].level for c in codes}
    return LEVEL_NAMES[levels.pop()] if len(levels) == 1 else None
