"""Practice discovery: what reports name that the measure scheme does not, ranked for a person to decide on.

Candidates come from three places in the reports' text (as kg reads it):

- **quoted phrases** — reports put the names of practices in quotation marks
  (“放管服”, “好差评”, “一规划两纲要”);
- **named practices** — a name (not an ordinary word) followed by 工作法, 工作室 or
  品牌, and numbered formulas such as 1+N or 1+4+X;
- **terms that stand out** — jieba's tokens scored by TF-IDF against the corpus
  itself (the measure scheme's phrases in jieba's dictionary), kept when they are
  among the top terms of several units' reports.

Each candidate carries its mentions, units, years and first evidence sentences.
A candidate the scheme already names is marked with the concept (``covered``);
one the user's vocabulary decided on (:mod:`kg.knowledge.user`), that
``ontology/lexicon/discovery_ignore.tsv`` rules out (political formulas, goals,
targets, planning periods), that is a place's name, or a quoted word of jieba's
ordinary dictionary (quoted for emphasis), is not proposed. The rest is ranked: the names
reports give themselves first, by the number of units that name them, then
mentions; the keywords after them.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.extract.measures import carried_as_practice
from kg.extract.pipeline import process_text
from kg.files.atomic import write_text
from kg.graph.merged import province_city
from kg.knowledge.resources import read_tsv
from kg.knowledge.user import Vocabulary
from kg.knowledge.vocab import Scheme, measures
from kg.link.divisions import gazetteer
from kg.link.words import ordinary_words
from kg.model import Report
from kg.outputs.similarity import BOILERPLATE_SHARE
from kg.text.read import ReadError, read

QUOTED = re.compile(r"[“\"「『]([^”\"」』\n《》]{2,16})[”\"」』]")
NAMED = re.compile(r"([\u4e00-\u9fff·]{2,8}?)(工作法|工作室|品牌)(?!治)")  # not 工作法治化; 模式 names a way, seldom a practice
FORMULA = re.compile(
    r"(?<![0-9.])((?:[0-9]{1,2}|[一二三四五六七八九十])\+(?:[0-9]{1,2}|[一二三四五六七八九十N])(?:\+(?:[0-9]{1,2}|[一二三四五六七八九十NX]))*)"
)
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
CJK = re.compile(r"[\u4e00-\u9fff]")
# a named practice's name does not begin with what only says what happens to it (创新“…”工作法 → the name)
_VERB_PREFIX = re.compile(
    r"^(?:打造|创建|创新|推行|推广|探索|形成|建立|健全|完善|实施|开展|深化|推进|总结|运用|采取|采用|构建|以|的|和|与|及)+"
)
KEYWORDS_PER_REPORT = 20
TERMS_PER_GROUP = 10  # distinctive terms listed per unit and per province
EVERYDAY_FREQUENCY = 1000  # a word this frequent in jieba's dictionary is everyday Chinese (进一步 10588, 知识产权 716)
EVIDENCE = 3


@dataclass
class Candidate:
    term: str
    kinds: set[str] = field(default_factory=set)  # quoted | named | keyword
    mentions: int = 0
    units: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (sentence, report file)
    covered_by: str = ""  # the concept of the scheme that names it ("id 标签"), or "" for none
    carried: bool = False  # some report carries it as a practice (开展“…”, “…”机制): ontology/lexicon/practice_cues.tsv

    def row(self, rank: int) -> dict:
        return {
            "rank": rank,
            "term": self.term,
            "units": len(self.units),
            "mentions": self.mentions,
            "kinds": " ".join(sorted(self.kinds)),
            "carried": "yes" if self.carried else "",
            "years": " ".join(str(y) for y in sorted(self.years)),
            "covered_by": self.covered_by,
            "unit_names": " ".join(sorted(self.units)[:8]) + (" …" if len(self.units) > 8 else ""),
            "evidence": self.evidence[0][0] if self.evidence else "",
            "source": self.evidence[0][1] if self.evidence else "",
        }


@dataclass
class Discovery:
    candidates: list[Candidate]  # proposed, ranked
    covered: list[Candidate]  # found, and named by the scheme already
    reports: int = 0
    unit_terms: list[dict] = field(default_factory=list)  # what sets each unit's reports apart (jieba TF-IDF)
    province_terms: list[dict] = field(default_factory=list)  # what sets each province's reports apart
    failures: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _ignore_rules() -> tuple[frozenset[str], re.Pattern | None]:
    rows = read_tsv("lexicon", "discovery_ignore.tsv")
    patterns = [row["value"] for row in rows if row["kind"] == "pattern"]
    return frozenset(row["value"] for row in rows if row["kind"] == "term"), re.compile("|".join(patterns)) if patterns else None


def ignored(term: str) -> bool:
    """Whether ontology/lexicon/discovery_ignore.tsv rules ``term`` out (political formulas, goals, periods).

    >>> ignored("十四五"), ignored("七个强省"), ignored("好差评")
    (True, True, False)
    """
    terms, pattern = _ignore_rules()
    return term in terms or (pattern is not None and pattern.search(term) is not None)


def _place_name(term: str, places: set[str]) -> bool:
    """A term that is a place's name, or one with two characters or fewer besides it (东莞东城, 东城普法)."""
    for length in range(len(term), 1, -1):
        for start in range(len(term) - length + 1):
            if term[start : start + length] in places:
                return len(term) - length <= 2
    return False


class Keywords:
    """Terms that stand out in a report against the corpus: jieba's tokens scored by TF-IDF with the corpus's own
    document frequencies, so the genre's common words (贯彻落实, 全会精神) score low and what few reports say
    stands out. The scheme's phrases are in jieba's dictionary: a phrase is one token, never split."""

    def __init__(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        for concept in measures().concepts.values():
            for phrase in concept.phrases:
                if 2 <= len(phrase) <= 12:
                    self.tokenizer.add_word(phrase, freq=2000)
        self.counts: list[tuple[str, dict[str, int]]] = []  # (unit, term counts) per report
        self.provinces: dict[str, str] = {}  # unit → its province, where kg linked the unit

    def add(self, unit: str, text: str, province: str | None = None) -> None:
        counts: dict[str, int] = defaultdict(int)
        for token in self.tokenizer.cut(text, HMM=False):
            if len(token) >= 3 and _ONLY_CJK.match(token) and not token.endswith(_ORGAN_ENDINGS):
                counts[token] += 1
        self.counts.append((unit, counts))
        if province:
            self.provinces[unit] = province

    def distinctive(self, scope: str, places: set[str], limit: int = TERMS_PER_GROUP) -> list[dict]:
        """The terms that set each unit (``scope="unit"``) or province (``"province"``) apart from the others.

        A group's reports are pooled; a term scores its share of the group's tokens times ``log(G / g)``, where
        ``G`` groups are compared and ``g`` of them use the term (TF-IDF with groups as documents). A term must
        recur in the group (twice or more: one mention says little of a unit); a term half the groups use is
        boilerplate (:data:`kg.outputs.similarity.BOILERPLATE_SHARE`), and neither a place name (every
        report names its own places) nor a word of everyday Chinese (进一步, 委员会: frequent in jieba's
        dictionary) is kept.
        """
        words = ordinary_words()
        pooled: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for unit, counts in self.counts:
            group = unit if scope == "unit" else self.provinces.get(unit)
            if group is None:
                continue
            for term, count in counts.items():
                pooled[group][term] += count
        groups = len(pooled)
        if groups < 2:
            return []
        frequency: dict[str, int] = defaultdict(int)
        for counts in pooled.values():
            for term in counts:
                frequency[term] += 1
        rows = []
        for group in sorted(pooled):
            counts = pooled[group]
            total = sum(counts.values()) or 1
            scored = sorted(
                (
                    (round(count / total * math.log(groups / frequency[term]), 6), term)
                    for term, count in counts.items()
                    if count >= 2
                    and term not in group  # 司法部 in 司法部's reports
                    and frequency[term] < BOILERPLATE_SHARE * groups
                    and words.get(term, 0) < EVERYDAY_FREQUENCY
                    and not _place_name(term, places)
                ),
                key=lambda pair: (-pair[0], pair[1]),
            )
            for rank, (score, term) in enumerate(scored[:limit], 1):
                rows.append(
                    {scope: group, "rank": rank, "term": term, "score": score, "count": counts[term], f"{scope}s_using": frequency[term]}
                )
        return rows

    def standing_out(self) -> dict[str, set[str]]:
        """Each term among the top :data:`KEYWORDS_PER_REPORT` of some report, with the units whose reports it tops."""
        documents = len(self.counts)
        frequency: dict[str, int] = defaultdict(int)
        for _, counts in self.counts:
            for term in counts:
                frequency[term] += 1
        tops: dict[str, set[str]] = defaultdict(set)
        for unit, counts in self.counts:
            total = sum(counts.values()) or 1
            scored = sorted(
                ((count / total * math.log(documents / frequency[term]), term) for term, count in counts.items()),
                key=lambda pair: (-pair[0], pair[1]),
            )
            for score, term in scored[:KEYWORDS_PER_REPORT]:
                if score > 0 and frequency[term] <= max(2, documents // 4):
                    tops[term].add(unit)
        return tops


_GENERIC = re.compile(r"^(?:持续|不断|特色|专项|领域|新|本|该|其|各|全|此|这)|(?:专项|特色|领域)$")
_ONLY_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_ORGAN_ENDINGS = (
    "局",
    "委",
    "厅",
    "办",
    "院",
    "所",
    "站",
    "队",
    "中心",
    "政府",
    "党校",
    "街道",
    "社区",
    "村",
    "镇",
    "乡",
    "县",
    "市",
    "区",
    "省",
)


def covering(term: str, scheme: Scheme) -> str:
    """The concept of the scheme whose phrases name ``term`` (or that a phrase of it names), as "id 标签"."""
    found = scheme.find(term)
    if found:
        concept = scheme[found[0].concept]
        return f"{concept.id} {concept.label}"
    for concept in scheme.concepts.values():
        if not concept.theme and any(term in phrase for phrase in concept.phrases if len(term) >= 2):
            return f"{concept.id} {concept.label}"
    return ""


@lru_cache(maxsize=1)
def _places() -> set[str]:
    """Division names and their short forms (东莞市, 东莞) of two characters or more."""
    names = set()
    for division in gazetteer().by_code.values():
        names.add(division.name)
        short = re.sub(r"(?:省|市|自治区|自治州|特别行政区|地区|盟|县|区|旗|镇|乡|街道|街道办事处)$", "", division.name)
        if len(short) >= 2:
            names.add(short)
    return names


def discover(paths: list[Path], vocabulary: Vocabulary | None = None, keywords: bool = True) -> Discovery:
    """Candidates from the reports at ``paths`` (files), ranked; those the scheme names apart."""
    found: dict[str, Candidate] = {}
    failures: list[tuple[str, str]] = []
    extractor = Keywords() if keywords else None
    reports = 0
    for path in paths:
        try:
            report, clean = process_text(read(path))
        except ReadError as err:
            failures.append((str(path), str(err)))
            continue
        reports += 1
        unit = _unit_name(report)
        local = {m.label for m in report.measures if m.concept is None}  # kg's own local practices: named already
        for sentence in SENTENCE.findall(clean.text):
            for term, kind, carried in _terms(sentence):
                if term in local:
                    continue
                candidate = found.setdefault(term, Candidate(term))
                candidate.kinds.add(kind)
                candidate.carried |= carried
                _mention(candidate, report, unit, sentence.strip())
        if extractor is not None:
            code = report.unit.code if report.unit is not None and report.unit.linked else None
            extractor.add(unit, clean.text, province_city(code)[0])
    if extractor is not None:
        for term, units in extractor.standing_out().items():
            if len(units) >= 2 and term not in found:
                found[term] = Candidate(term, {"keyword"}, len(units), set(units))
    scheme = measures()
    places = _places()
    proposed: list[Candidate] = []
    covered: list[Candidate] = []
    words = ordinary_words()
    for candidate in found.values():
        if (
            ignored(candidate.term)
            or _place_name(candidate.term, places)
            or (vocabulary is not None and vocabulary.decided(candidate.term))
        ):
            continue
        if candidate.kinds != {"keyword"} and words.get(candidate.term):
            continue  # a word jieba's dictionary lists (优秀, 一站式, 任务书) is quoted for emphasis: it names no practice
        candidate.covered_by = covering(candidate.term, scheme)
        (covered if candidate.covered_by else proposed).append(candidate)
    result = Discovery(_ranked(proposed), _ranked(covered), reports=reports, failures=failures)
    if extractor is not None:
        result.unit_terms = extractor.distinctive("unit", places)
        result.province_terms = extractor.distinctive("province", places)
    return result


def _ranked(candidates: list[Candidate]) -> list[Candidate]:
    # the names reports give themselves (quoted, named) first, by spread, those carried as practices before the
    # others; then the keywords, by spread
    return sorted(candidates, key=lambda c: (c.kinds == {"keyword"}, -len(c.units), not c.carried, -c.mentions, c.term))


def _unit_name(report: Report) -> str:
    if report.unit is None:
        return report.file
    return report.unit.name + (f"({report.unit.code})" if report.unit.code else "")


def _mention(candidate: Candidate, report: Report, unit: str, sentence: str) -> None:
    candidate.mentions += 1
    candidate.units.add(unit)
    if report.year:
        candidate.years.add(report.year)
    if len(candidate.evidence) < EVIDENCE and (sentence, report.file) not in candidate.evidence:
        candidate.evidence.append((sentence, report.file))


def _terms(sentence: str) -> list[tuple[str, str, bool]]:
    """The candidate names of one sentence, with how each was found and whether it is carried as a practice."""
    terms: list[tuple[str, str, bool]] = []
    for m in QUOTED.finditer(sentence):
        term = m.group(1).strip()
        if len(CJK.findall(term)) >= 2 and not term.endswith(("。", "，", ",")):
            terms.append((term, "quoted", carried_as_practice(sentence, m.start(1), m.end(1))))
    words = ordinary_words()
    for m in NAMED.finditer(sentence):
        name = _VERB_PREFIX.sub("", m.group(1))
        # a name is not an ordinary word (特色品牌, 专项工作法 name nothing) and was not quoted already
        if len(name) >= 2 and not words.get(name) and not _GENERIC.search(name) and not any(name in t for t, _, _ in terms):
            terms.append((name + m.group(2), "named", True))
    for m in FORMULA.finditer(sentence):
        if not any(m.group(1) in t for t, _, _ in terms):
            terms.append((m.group(1), "named", carried_as_practice(sentence, m.start(1), m.end(1))))
    return terms


def write(discovery: Discovery, out_dir: str | Path) -> list[Path]:
    """candidates.tsv (proposed, ranked), covered.tsv (named by the scheme already) and discovery.html."""
    out_dir = Path(out_dir)
    written = []
    tables = [
        (name, [c.row(rank) for rank, c in enumerate(candidates, 1)], list(Candidate("").row(0)))
        for name, candidates in (("candidates", discovery.candidates), ("covered", discovery.covered))
    ]
    tables += [
        (name, rows, list(rows[0]) if rows else [])
        for name, rows in (("unit_terms", discovery.unit_terms), ("province_terms", discovery.province_terms))
    ]
    for name, rows, header in tables:
        path = out_dir / f"{name}.tsv"
        write_text(path, _tsv(rows, header))
        written.append(path)
    path = out_dir / "discovery.html"
    write_text(path, render_html(discovery))
    return written + [path]


def _tsv(rows: list[dict], header: list[str]) -> str:
    """A header line (if any) and a line per row; tabs and line breaks inside a cell become spaces."""
    if not header:
        return ""
    lines = ["\t".join(header)] + ["\t".join(str(row[k]).replace("\t", " ").replace("\n", " ") for k in header) for row in rows]
    return "\n".join(lines) + "\n"


def _terms_table(rows: list[dict], scope: str) -> str:
    """One line per unit (or province): its distinctive terms in rank order."""
    by_group: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_group[row[scope]].append(row["term"])
    body = "".join(f"<tr><td class=term>{html.escape(g)}</td><td>{html.escape('、'.join(t))}</td></tr>" for g, t in by_group.items())
    return f"<table><tr><th>{scope}</th><th>terms</th></tr>{body}</table>" if rows else "<p class=note>none</p>"


def render_html(discovery: Discovery, limit: int = 300) -> str:
    """One self-contained page: the proposed candidates with their evidence, then those the scheme names."""

    def table(candidates: list[Candidate]) -> str:
        head = "<tr><th>#</th><th>term</th><th>units</th><th>mentions</th><th>found as</th><th>years</th><th>covered by</th><th>evidence</th></tr>"
        body = []
        for rank, c in enumerate(candidates[:limit], 1):
            evidence = "".join(f"<li>{html.escape(s)} <span class=src>{html.escape(f)}</span></li>" for s, f in c.evidence)
            body.append(
                f"<tr><td>{rank}</td><td class=term>{html.escape(c.term)}</td><td>{len(c.units)}</td><td>{c.mentions}</td>"
                f"<td>{html.escape(' '.join(sorted(c.kinds)))}</td><td>{html.escape(' '.join(str(y) for y in sorted(c.years)))}</td>"
                f"<td>{html.escape(c.covered_by)}</td><td><ul>{evidence}</ul></td></tr>"
            )
        return f"<table>{head}{''.join(body)}</table>"

    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>发现 Discovery</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 24px auto; max-width: 1200px; color: #1d2530; padding: 0 16px; }}
table {{ border-collapse: collapse; font-size: 13px; }} th, td {{ border: 1px solid #d9dee5; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f5f8; position: sticky; top: 0; }} td.term {{ font-weight: 600; white-space: nowrap; }} ul {{ margin: 0; padding-left: 16px; }}
.src {{ color: #5b6573; font-size: 11px; }} .note {{ color: #5b6573; font-size: 13px; }}
</style></head><body>
<h1>发现 Discovery — {len(discovery.candidates)} candidates in {discovery.reports} reports</h1>
<p class=note>Names the reports give that the measure scheme does not. Decide on each in a vocabulary file
(concept, alias, merge, ignore — docs/discovery.md) and build again.</p>
{table(discovery.candidates)}
<h2>Named by the scheme already ({len(discovery.covered)})</h2>
{table(discovery.covered)}
<h2>按单位 Terms that set each unit apart</h2>
<p class=note>jieba tokens of each unit's reports, scored by TF-IDF against the other units (units_using: how many use the term).</p>
{_terms_table(discovery.unit_terms, "unit")}
<h2>按省份 Terms that set each province apart</h2>
{_terms_table(discovery.province_terms, "province")}
</body></html>
"""
