"""The pages of one build and the header that links them: overview, views, analysis and the reading pages.

>>> [link["href"] for link in links("reports/0a1b.html")][:2]
['../graph.html', '../views/shared-practices.html']
>>> report_page("0a1b", 120, here="views/problems.html")
'../reports/0a1b.html#e120'
"""

from __future__ import annotations

import posixpath

# (page id, path inside the output folder, label in the header), in the order the header shows them
PAGES = (
    ("overview", "graph.html", "总览 overview"),
    ("shared-practices", "views/shared-practices.html", "共享措施 shared practices"),
    ("problems", "views/problems.html", "问题 problems"),
    ("instruments", "views/instruments.html", "法律文件 instruments"),
    ("analysis", "analysis/analysis.html", "分析 analysis"),
)
PATHS = {page: path for page, path, _label in PAGES}
REPORTS = "reports"  # the folder of the reading pages, one per report: reports/<report id>.html


def relative(target: str, here: str) -> str:
    """The address of ``target`` from the page at ``here`` (both paths inside the output folder)."""
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def links(here: str) -> list[dict]:
    """The header's links from the page at ``here``: {label, href, current}."""
    return [{"label": label, "href": relative(path, here), "current": path == here} for _page, path, label in PAGES]


def report_path(report_id: str) -> str:
    return f"{REPORTS}/{report_id}.html"


def report_page(report_id: str, start: int | None = None, here: str = "graph.html") -> str:
    """The reading page of a report, at the evidence that starts at ``start`` in its file when given."""
    address = relative(report_path(report_id), here)
    return address if start is None else f"{address}#e{start}"
