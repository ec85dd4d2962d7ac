"""Indicators: quantities stated as results — metric, value, unit of measure, approximate, year."""

from __future__ import annotations

import re
from functools import lru_cache

from kg.extract.base import Document
from kg.knowledge.resources import cue_alternation, read_tsv
from kg.knowledge.vocab import Concept, measures, metrics
from kg.model import Indicator, Report, SectionType

_APPROX_BEFORE = re.compile(r"(约|近|超过|超|逾|达到?近|将近|大约)$")
_APPROX_AFTER = ("余", "多", "左右", "以上")
# what stands between a metric and its number: verbs of reaching and quantity words
_METRIC_TRAIL = re.compile(r"(达到了|达到|达|为|是|共计|共|累计|合计|总计|约|近|超过|超|逾|了|分别|均)+$")
_METRIC_LEAD = re.compile(
    r"^(?:(?:20\d{2}年(?:度|以来|全年|底)?|截至目前|截止目前|截至\S{0,8}底|全年|今年以来|年内|目前|其中|同时|此外|另外"
    r"|共计|共|累计|合计|先后|已|全镇|全街|全县|全区|全市|全省|我[街镇乡县区市省局委厅]|本年度|一年来)[,]?)+"
)
_FREQUENCY = re.compile(r"(每|每年|每月|每周|每季度|每半年|连续|第|前)$")
_EVERY = re.compile(r"每(?:年|月|周|季度?|半年|天|日|次|人)")
_MASKED = re.compile(r"《[^》\n]*》|“[^”\n]{1,30}”")
_YEAR_IN = re.compile(r"(20\d{2})年")
_ALL_OF = re.compile(r"(均|都)(达到?|为|是|在)?(了)?$")
_BOTH = re.compile(r"和|、|与|及(?!时)")
_CLAUSE_BREAK = re.compile(r"[,;:。!?()]")


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    units = sorted((row["unit"] for row in read_tsv("lexicon", "units.tsv")), key=len, reverse=True)
    alternation = "|".join(re.escape(u) for u in units)
    return re.compile(
        rf"(?<![\d.〔\[])(?P<value>\d+(?:\.\d+)?)(?P<approx>余|多)?(?P<scale>万|亿)?(?P<approx2>余|多)?(?P<unit>{alternation})"
        r"(?P<after>余|多|左右|以上)?"
    )


_SCALE = {"万": 1e4, "亿": 1e8}
# a change: 审批时限由原来的30个工作日压缩至3个工作日 — both numbers count what the subject before 由 counts
_CHANGE_TO = re.compile(f"({cue_alternation('change_to')})$")
_CHANGE_FROM = re.compile(f"({cue_alternation('change_from')})$")
_CHANGES_AFTER = re.compile(f"[^,。;]{{0,8}}?({cue_alternation('change_verb')})")
# a rank or a comparison base is no result: 在全国49个较大城市中排名第四, 最快10分钟
_RANK_AFTER = re.compile(f"^[^,。;]{{0,10}}?(中)?({cue_alternation('rank')})")
_BOUND_BEFORE = re.compile(f"({cue_alternation('bound')})$")
# verbs whose object is counted with the quantity before it: 聘请4名法律顾问, 召开3次常务会、2次专题会
_COUNTING_VERB = re.compile(f"({cue_alternation('counting_verb')})$")


class IndicatorExtractor:
    """Finds the quantities of a report's work sections."""

    name = "indicators"

    def __call__(self, doc: Document, report: Report) -> None:
        pattern = _pattern()
        stated: dict[int, set[str]] = {}  # evidence start → the concepts of the measures stated there
        for measure in report.measures:
            if measure.concept:
                stated.setdefault(measure.evidence.start, set()).add(measure.concept)
        for sentence in doc.sentences:
            if sentence.type in (SectionType.PROBLEMS, SectionType.PLANS):
                continue
            # numbers inside titles and quoted names (“提信心28条”) are not results
            text = _MASKED.sub(lambda m: m.group(0)[0] + "※" * (len(m.group(0)) - 2) + m.group(0)[-1], sentence.text)
            previous_metric, previous_verb = "", ""
            in_sentence, here = None, set()
            previous_end = 0  # where the words of the last quantity (its number and the noun after it) end
            for match in pattern.finditer(text):
                before = text[: match.start()]
                # the masked text finds the numbers; the metric is read from the words as written
                clause_text = sentence.text[previous_end : match.start()]
                previous_end = match.end()
                if _FREQUENCY.search(before) or re.search(r"[〔\[]\d{4}[〕\]]$|第$|\d[.:]$", before) or _BOUND_BEFORE.search(before):
                    continue
                if text[match.end() : match.end() + 1] in ("年", "月", "日", "号", "届", "周", "岁") or _RANK_AFTER.match(
                    text[match.end() :]
                ):
                    continue
                broken = _CLAUSE_BREAK.split(clause_text)
                clause = broken[-1].lstrip("、")
                listed = len(broken) == 1 and clause_text.startswith("、")  # 召开3次常务会、2次专题会: the list goes on
                if _EVERY.search(clause):
                    continue  # 每季度集体学法不少于1次: a rule of frequency, not a result
                after, after_end = _noun_after(sentence.text, match.end())
                change = _CHANGE_TO.search(clause) or (_CHANGE_FROM.search(clause) if _CHANGES_AFTER.match(text, match.end()) else None)
                metric = _metric(clause[: change.start()] if change else clause)
                verb = _COUNTING_VERB.search(clause.rstrip())
                if change and not metric:
                    metric = previous_metric  # 压缩至3个工作日: the same subject as the number before
                elif verb and after and (len(metric) <= len(verb.group(1)) + 8 or clause.rstrip().endswith(verb.group(1))):
                    metric = (metric if len(metric) <= 3 else verb.group(1)) + after  # 聘请4名法律顾问
                    previous_verb = verb.group(1)
                elif not metric and listed and previous_verb and after:
                    metric = previous_verb + after  # …、2次专题会: the verb of the list
                elif not metric:
                    metric = after or previous_metric
                elif len(metric) <= 3:
                    metric += after  # 建立25项制度: the verb alone says too little
                elif clause.rstrip().endswith("等") and after:
                    # 实施政务、法治、市场、要素等4个环境建设工程: the list names kinds, the noun after says what was counted
                    metric = _leading_verb(clause) + after
                if after and metric.endswith(after):
                    previous_end = max(previous_end, after_end)  # 40个市直部门3507项…: the next count starts after this noun
                if not metric:
                    continue
                previous_metric = metric
                approximate = bool(match.group("approx") or match.group("approx2") or match.group("after") or _APPROX_BEFORE.search(clause))
                years = _YEAR_IN.findall(before)
                scale = _SCALE.get(match.group("scale") or "", 1.0)
                unit = (match.group("scale") or "") + match.group("unit")
                # 答复率和答复及时率均达100%: one value, several metrics
                metrics = _BOTH.split(metric) if _ALL_OF.search(clause) else [metric]
                evidence = doc.sentence_evidence(sentence)
                if in_sentence is None:  # what the sentence states, for the measures the numbers count: found once
                    here = stated.get(evidence.start, set())
                    in_sentence = doc.concepts.get(sentence.start, []) if here else []
                for part in (m for m in metrics if len(m) >= 2):
                    kind = metric_kind(part, unit)
                    report.indicators.append(
                        Indicator(
                            metric=part,
                            value=match.group("value"),
                            unit=unit,
                            approximate=approximate,
                            year=int(years[-1]) if years else report.year,
                            evidence=evidence,
                            number=_number(match.group("value"), scale),
                            kind=kind.id if kind else None,
                            measure=_counted_measure(here, in_sentence, match.start(), part, kind),
                        )
                    )


@lru_cache(maxsize=1)
def _unit_kinds() -> dict[str, str]:
    return {row["unit"]: row["kind"] for row in read_tsv("lexicon", "units.tsv")}


def metric_kind(metric: str, unit: str) -> Concept | None:
    """The typed metric (ontology/metrics.ttl) an indicator's words and unit of measure fit, if one does.

    >>> metric_kind("行政机关负责人出庭应诉率", "%").id, metric_kind("受理行政复议案件", "件").id
    ('court-appearance-rate', 'reconsideration-cases')
    >>> metric_kind("出庭应诉率", "件") is None
    True
    """
    kind = _unit_kinds().get(unit.lstrip("万亿"))
    scheme = metrics()
    for concept_id in _metric_concepts(metric):
        concept = scheme[concept_id]
        if concept.unit_kind == kind:
            return concept
    return None


@lru_cache(maxsize=8192)  # metrics recur from report to report (受理各类纠纷, 参考率)
def _metric_concepts(metric: str) -> tuple[str, ...]:
    scheme = metrics()
    return tuple(m.concept for m in sorted(scheme.find(metric), key=lambda m: scheme.order[m.concept]))


@lru_cache(maxsize=8192)
def _named_measure(metric: str) -> str | None:
    """The measure a metric's own words name, nearest its end (开展专题学法 → leaders-study-law)."""
    scheme = measures()
    named = [m for m in scheme.find(metric) if not scheme[m.concept].theme]
    return max(named, key=lambda m: (m.end, m.end - m.start)).concept if named else None


def _counted_measure(stated: set[str], in_sentence: list, number_at: int, metric: str, kind: Concept | None) -> str | None:
    """The measure an indicator counts.

    The one its metric's words name (开展专题学法 → leaders-study-law); else the
    measure the report states in the same sentence nearest before the number
    (组织宪法宣誓…11名 → constitution-oath); else the one its kind counts.
    ``stated`` are the concepts the report states in this sentence, ``in_sentence``
    the scheme's matches in it.
    """
    named = _named_measure(metric)
    if named:
        return named
    near = [m for m in in_sentence if m.end <= number_at and m.concept in stated]
    if near:
        return max(near, key=lambda m: (m.end, m.end - m.start)).concept
    return kind.counts if kind else None


def _number(value: str, scale: float) -> float:
    """The value with 万/亿 applied, rounded to the digits written (1.3万 → 13000.0).

    >>> _number("1.3", 1e4), _number("98.6", 1.0)
    (13000.0, 98.6)
    """
    decimals = len(value.partition(".")[2])
    return round(float(value) * scale, max(0, decimals - len(str(int(scale))) + 1))


def _metric(clause: str) -> str:
    """The words of a clause that say what was counted.

    >>> _metric("2021年受理各类纠纷"), _metric("调处成功率"), _metric("成功率达到了")
    ('受理各类纠纷', '调处成功率', '成功率')
    """
    clause = re.sub(r"《※*》", "", clause).strip()
    clause = _METRIC_LEAD.sub("", clause)
    clause = _METRIC_TRAIL.sub("", clause)
    clause = re.sub(r"^(等|和|及|与|并|对|在|由|向|为)+", "", clause).rstrip("、和及与")
    if "等" in clause:  # "…等法治学习、专题学法培训": what follows 等 names the thing counted
        head, _, tail = clause.rpartition("等")
        if len(tail) >= 2:
            clause = tail
    if len(clause) > 24:
        parts = clause.split("、")
        clause = parts[-1] if len(parts[-1]) >= 2 else clause[-24:]
    return clause if len(clause) >= 2 and re.search(r"[\u4e00-\u9fff]", clause) else ""


def _leading_verb(clause: str) -> str:
    """The verb that opens a clause (实施, 开展, 建成), if it is one of the usual ones."""
    clause = _METRIC_LEAD.sub("", clause.strip())
    match = re.match(
        r"(实施|开展|建成|建设|设立|打造|推出|组织|举办|召开|制定|出台|发布|培育|创建|评选|命名|清理|梳理|审查|办理|受理)", clause
    )
    return match.group(1) if match else ""


_NOUN_END = re.compile(
    r"专门|负责|参加|参与|进行|开展|对|的|实现|完成|达到|覆盖|在|向|被|得到|获得|纳入|列入|上线|办理|,|。|、|;|:|“|《|\d|$"
)


def _noun_after(text: str, end: int) -> tuple[str, int]:
    """For 由3名法制员…, 43项惠企政策实现…: the noun after the quantity, and where it ends."""
    match = re.match(r"([\u4e00-\u9fff()]{2,14}?)(?=" + _NOUN_END.pattern + ")", text[end:])
    return (match.group(1), end + match.end(1)) if match else ("", end)
