"""Indicators: quantities stated as results — metric, value, unit of measure, approximate, year."""

from __future__ import annotations

import re
from functools import lru_cache

from kg.extract.base import Document
from kg.model import Indicator, Report, SectionType
from kg.resources import read_tsv

_APPROX_BEFORE = re.compile(r"(约|近|超过|超|逾|达到?近|将近|大约)$")
_APPROX_AFTER = ("余", "多", "左右", "以上")
# what stands between a metric and its number: verbs of reaching and quantity words
_METRIC_TRAIL = re.compile(r"(达到了|达到|达|为|是|共计|共|累计|合计|总计|约|近|超过|超|逾|了|分别|均)+$")
_METRIC_LEAD = re.compile(
    r"^(?:(?:20\d{2}年(?:度|以来|全年|底)?|截至目前|截止目前|截至\S{0,8}底|全年|今年以来|年内|目前|其中|同时|此外|另外"
    r"|共计|共|累计|合计|先后|已|全镇|全街|全县|全区|全市|全省|我[街镇乡县区市省局委厅]|本年度|一年来)[,]?)+"
)
_FREQUENCY = re.compile(r"(每|每年|每月|每周|每季度|每半年|连续|第|前|近)$")
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
        rf"(?<![\d.〔\[])(?P<value>\d+(?:\.\d+)?)(?P<approx>余|多)?(?P<unit>(?:万|亿)?(?:{alternation}))(?P<after>余|多|左右|以上)?"
    )


class IndicatorExtractor:
    """Finds the quantities of a report's work sections."""

    name = "indicators"

    def __call__(self, doc: Document, report: Report) -> None:
        pattern = _pattern()
        for sentence in doc.sentences:
            if sentence.type in (SectionType.PROBLEMS, SectionType.PLANS):
                continue
            # numbers inside titles and quoted names (“提信心28条”) are not results
            text = _MASKED.sub(lambda m: m.group(0)[0] + "※" * (len(m.group(0)) - 2) + m.group(0)[-1], sentence.text)
            previous_metric = ""
            previous_end = 0
            for match in pattern.finditer(text):
                before = text[: match.start()]
                # the masked text finds the numbers; the metric is read from the words as written
                clause_text = sentence.text[previous_end: match.start()]
                previous_end = match.end()
                if _FREQUENCY.search(before) or re.search(r"[〔\[]\d{4}[〕\]]$|第$|\d[.:]$", before):
                    continue
                if text[match.end(): match.end() + 1] in ("年", "月", "日", "号", "届", "周", "岁"):
                    continue
                clause = _CLAUSE_BREAK.split(clause_text)[-1].lstrip("、")
                if _EVERY.search(clause):
                    continue  # 每季度集体学法不少于1次: a rule of frequency, not a result
                metric = _metric(clause)
                after = _noun_after(text, match.end())
                if not metric:
                    metric = after or previous_metric
                elif len(metric) <= 3:
                    metric += after  # 建立25项制度: the verb alone says too little
                elif clause.rstrip().endswith("等") and after:
                    # 实施政务、法治、市场、要素等4个环境建设工程: the list names kinds, the noun after says what was counted
                    metric = _leading_verb(clause) + after
                if not metric:
                    continue
                previous_metric = metric
                approximate = bool(match.group("approx") or match.group("after") or _APPROX_BEFORE.search(clause))
                years = _YEAR_IN.findall(before)
                # 答复率和答复及时率均达100%: one value, several metrics
                metrics = _BOTH.split(metric) if _ALL_OF.search(clause) else [metric]
                for part in (m for m in metrics if len(m) >= 2):
                    report.indicators.append(Indicator(
                        metric=part,
                        value=match.group("value"),
                        unit=match.group("unit"),
                        approximate=approximate,
                        year=int(years[-1]) if years else report.year,
                        evidence=doc.sentence_evidence(sentence),
                    ))


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
    match = re.match(r"(实施|开展|建成|建设|设立|打造|推出|组织|举办|召开|制定|出台|发布|培育|创建|评选|命名|清理|梳理|审查|办理|受理)", clause)
    return match.group(1) if match else ""


def _noun_after(text: str, end: int) -> str:
    """For 由3名法制员…: the noun after the quantity."""
    match = re.match(r"([\u4e00-\u9fff()]{2,12}?)(?:专门|负责|参加|参与|进行|开展|对|的|,|。|、|;|$)", text[end:])
    return match.group(1) if match else ""
