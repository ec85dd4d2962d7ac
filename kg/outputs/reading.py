"""The reading page of one report: its text as kg read it, every evidence sentence marked and addressable.

Each sentence that is the evidence of a statement is a ``<mark id="e<start>">``,
``start`` being the offset in the file that the graph's evidence carries (the
``fz:start`` of an evidence node, the ``#e…`` of the views' links), so any
evidence in the graph, the views or the analysis opens the report at its
sentence, highlighted. Section headings are anchors too (``#s<id>``) and make
the table of contents. The text is escaped; the page is self-contained.
"""

from __future__ import annotations

import bisect
import html
from dataclasses import dataclass, field

from kg.model import Evidence, Report
from kg.outputs import site
from kg.text.normalize import CleanText

# what a mark says it is the evidence of, in the order the page's legend lists them
MARK_KINDS = (
    ("measure", "措施 measure", "#d9ecd3"),
    ("instrument", "法律文件 instrument", "#fde3c8"),
    ("problem", "问题 problem", "#f8d4d4"),
    ("indicator", "指标 indicator", "#dde6f3"),
    ("organ", "机关 unit named", "#ece4f2"),
)
_KIND_LABELS = {kind: label for kind, label, _ in MARK_KINDS}
_KIND_ORDER = [kind for kind, _, _ in MARK_KINDS]


@dataclass
class Mark:
    """A span of the clean text that is the evidence of one or more statements."""

    start: int
    end: int
    anchors: list[int]  # the file offsets the statements' evidence starts at: the page's #e… ids
    notes: list[tuple[str, str]] = field(default_factory=list)  # (kind, what was found)


def _clean_start(evidence: Evidence, clean: CleanText) -> int | None:
    """Where the evidence sentence starts in the clean text (its file offset mapped back)."""
    at = bisect.bisect_left(clean.aligned.starts, evidence.start)
    if clean.text.startswith(evidence.sentence, at):
        return at
    found = clean.text.find(evidence.sentence)  # a span the alignment merged: the sentence itself is exact
    return found if found >= 0 else None


def marks(report: Report, clean: CleanText) -> list[Mark]:
    """The evidence spans of a report, merged where they overlap, in text order."""
    found: dict[tuple[int, int], Mark] = {}

    def add(evidence: Evidence, kind: str, note: str) -> None:
        start = _clean_start(evidence, clean)
        if start is None or not evidence.sentence:
            return
        span = (start, start + len(evidence.sentence))
        mark = found.setdefault(span, Mark(*span, []))
        if evidence.start not in mark.anchors:
            mark.anchors.append(evidence.start)
        if (kind, note) not in mark.notes:
            mark.notes.append((kind, note))

    for measure in report.measures:
        add(measure.evidence, "measure", f"{measure.label} ({measure.status.value})")
    for instrument in report.instruments:
        add(instrument.evidence, "instrument", f"{instrument.label} ({instrument.relation})")
    for problem in report.problems:
        add(problem.evidence, "problem", problem.label + (f" [{problem.category}]" if problem.category else ""))
    for indicator in report.indicators:
        add(indicator.evidence, "indicator", f"{indicator.metric} {indicator.value}{indicator.unit}")
    for organ in report.organs:
        add(organ.evidence, "organ", organ.unit.name)
    merged: list[Mark] = []
    for mark in sorted(found.values(), key=lambda m: (m.start, -m.end)):
        if merged and mark.start < merged[-1].end:  # nested or overlapping: one mark, every anchor kept
            last = merged[-1]
            last.end = max(last.end, mark.end)
            last.anchors += [a for a in mark.anchors if a not in last.anchors]
            last.notes += [n for n in mark.notes if n not in last.notes]
        else:
            merged.append(mark)
    return merged


def _mark_html(text: str, mark: Mark) -> str:
    kinds = sorted({kind for kind, _ in mark.notes}, key=_KIND_ORDER.index)
    title = "\n".join(f"{_KIND_LABELS[kind]}: {note}" for kind, note in mark.notes)
    anchors = sorted(mark.anchors)
    extra = "".join(f'<span id="e{a}"></span>' for a in anchors[1:])
    return (
        f'<mark id="e{anchors[0]}" class="{" ".join(kinds)}" title="{html.escape(title)}" data-span="{anchors[0]}">'
        f"{extra}{html.escape(text)}</mark>"
    )


def body_html(report: Report, clean: CleanText) -> tuple[str, list[tuple[str, int, str]]]:
    """The text as paragraphs and headings with the evidence marked; and the contents (anchor, level, heading)."""
    text = clean.text
    headings = {s.start: s for s in report.sections}
    spans = marks(report, clean)
    out: list[str] = []
    contents: list[tuple[str, int, str]] = []
    index = 0
    position = 0
    for line in text.split("\n"):
        line_end = position + len(line)
        pieces: list[str] = []
        cursor = position
        while index < len(spans) and spans[index].start < line_end:
            mark = spans[index]
            start, end = max(mark.start, cursor), min(mark.end, line_end)
            pieces.append(html.escape(text[cursor:start]))
            pieces.append(_mark_html(text[start:end], mark))
            cursor = end
            if mark.end > line_end:  # a span that goes on in the next line (rare): marked there too
                mark.start = line_end + 1
                break
            index += 1
        pieces.append(html.escape(text[cursor:line_end]))
        content = "".join(pieces)
        section = headings.get(position)
        if section is not None and line.strip():
            anchor, level = f"s{section.id}", min(section.level, 3)
            contents.append((anchor, level, section.heading or line.strip()))
            if section.body_start >= line_end:  # a heading on its own line
                out.append(f'<h{level + 1} id="{html.escape(anchor)}">{content}</h{level + 1}>')
            else:  # a run-in heading: the paragraph it opens is the anchor
                out.append(f'<p id="{html.escape(anchor)}">{content}</p>')
        elif line.strip():
            out.append(f"<p>{content}</p>")
        position = line_end + 1
    return "\n".join(out), contents


def page(report: Report, clean: CleanText) -> str:
    """The complete reading page of ``report`` (written to ``reports/<id>.html``)."""
    here = site.report_path(report.id)
    body, contents = body_html(report, clean)
    unit = report.unit
    facts = [
        ("单位 unit", f"{unit.name}" + (f" ({unit.code}, {unit.level})" if unit and unit.code else "") if unit else "—"),
        ("年度 year", str(report.year) if report.year else "—"),
        ("文件 file", report.file),
    ]
    if report.url:
        facts.append(("网址 address", report.url))
    nav = "".join(
        f'<a href="{html.escape(link["href"])}">{html.escape(link["label"])}</a>' for link in site.links(here) if not link["current"]
    )
    toc = "".join(
        f'<li class="l{level}"><a href="#{html.escape(anchor)}">{html.escape(heading)}</a></li>' for anchor, level, heading in contents
    )
    legend = "".join(f'<span><mark class="{kind}">{html.escape(label)}</mark></span>' for kind, label, _ in MARK_KINDS)
    # a sentence that is the evidence of several kinds takes the colour of the first in MARK_KINDS (the last rule wins)
    colours = "\n".join(f"mark.{kind} {{ background: {colour}; }}" for kind, _, colour in reversed(MARK_KINDS))
    title = report.title or report.file
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0 auto; max-width: 980px; color: #1d2530;
  padding: 0 16px 40px; line-height: 1.75; font-size: 15px; }}
nav {{ display: flex; gap: 14px; flex-wrap: wrap; font-size: 13px; padding: 10px 0; border-bottom: 1px solid #d9dee5; }}
a {{ color: #2f4b68; }} h1 {{ font-size: 21px; line-height: 1.4; }} h2, h3, h4 {{ font-size: 16px; margin: 22px 0 6px; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; color: #5b6573; }} dd {{ margin: 0; overflow-wrap: anywhere; }}
details {{ font-size: 13px; margin: 10px 0; }} details ul {{ margin: 4px 0; padding-left: 18px; }} li.l2 {{ margin-left: 14px; }} li.l3 {{ margin-left: 28px; }}
.legend {{ font-size: 12px; display: flex; gap: 8px; flex-wrap: wrap; }}
mark {{ border-radius: 2px; padding: 0 1px; }}
{colours}
mark:target {{ outline: 3px solid #e8a317; background: #ffe08a; scroll-margin-top: 30vh; }}
p {{ margin: 6px 0; }}
</style></head><body>
<nav aria-label="页面 pages">{nav}</nav>
<h1>{html.escape(title)}</h1>
<dl>{"".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)}</dl>
<div class="legend">证据 evidence: {legend}</div>
{f"<details><summary>目录 contents</summary><ul>{toc}</ul></details>" if toc else ""}
<article>
{body}
</article>
</body></html>
"""
