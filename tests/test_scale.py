"""The views of 2,000 and 10,000 generated reports in Chromium, used as an analyst would.

Each corpus is written by ``bench/generate.py`` (recombined from the seeds and
the corpus copy in tests/data) and built by ``kg build``; the pages it wrote are
opened in Debian's headless Chromium. The answers are checked against
documents.jsonl, which the views do not read.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from test_browser import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=[2000, 10000], ids=["2k", "10k"])
def scaled(request, tmp_path_factory):
    """``kg build`` of a generated corpus: (output folder, units behind each measure by year from documents.jsonl)."""
    from bench.generate import generate

    work = tmp_path_factory.mktemp(f"scale{request.param}")
    generate(request.param, work / "reports")
    out = work / "out"
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", str(work / "reports"), "-o", str(out), "-q", "--jobs", "2", "--no-cache"],
        check=True,
        cwd=ROOT,
    )
    adopters: dict[str, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not record["unit"]:
            continue
        unit = (record["unit"]["name"], record["unit"]["code"] or "")
        for measure in record["measures"]:
            if measure["id"]:
                adopters[f"measure:{measure['id']}"][record["year"]].add(unit)
    return out, adopters


def _units(rows) -> set:
    return {(row[0], row[1]) for row in rows}


def _choose_year(page, year: str) -> None:
    page.select_option("#facet-year", year)


def test_every_measure_is_connected_and_the_top_labels_are_readable_without_overlap(browser, scaled):
    out, _ = scaled
    for name in ("graph.html", "views/shared-practices.html"):
        page, events = open_page(browser, out / name)
        loose = page.evaluate(
            """() => window.kgNetwork.body.data.nodes.getIds().filter(id => id.startsWith('measure:'))
                 .filter(id => window.kgNetwork.getConnectedEdges(id).length === 0)"""
        )
        assert loose == [], f"{name}: measures drawn without an edge"
        labels = page.evaluate("() => window.kgLabels()")
        measures = sorted((label for label in labels if label["kind"] == "measure"), key=lambda label: -label["value"])
        assert all(label["shown"] and label["px"] >= 9 for label in measures[:5]), measures[:5]
        shown = [label["box"] for label in labels if label["shown"]]
        assert len(shown) >= 20
        for i, a in enumerate(shown):  # no two labels drawn over each other
            for b in shown[i + 1 :]:
                assert not (a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5), (a, b)
        assert events["errors"] == [] and events["requests"] == [(out / name).as_uri()]
        page.context.close()


def test_who_filters_groups_the_address_and_the_csv_answer_right(browser, scaled, tmp_path):
    out, adopters = scaled
    path = out / "views" / "shared-practices.html"
    page, events = open_page(browser, path)
    top = page.evaluate(
        """() => { const n = window.kgNetwork, data = n.body.data.nodes;
        return data.getIds().filter(id => id.startsWith('measure:')).sort((a, b) => data.get(b).value - data.get(a).value)[0]; }"""
    )
    page.evaluate(
        "(id) => { window.kgNetwork.selectNodes([id]); window.kgNetwork.body.emitter.emit('click', {nodes: [id], edges: []}); }", top
    )
    everyone = set().union(*adopters[top].values())
    assert _units(page.evaluate("() => window.kgWho().rows")) == everyone  # the full list of its units

    before = page.evaluate("() => window.kgNetwork.getPositions()")
    year = max(adopters[top], key=lambda y: (len(adopters[top][y]) < len(everyone), y))
    _choose_year(page, str(year))
    rows = page.evaluate("() => window.kgWho().rows")
    assert _units(rows) == adopters[top][year] and len(adopters[top][year]) < len(everyone)  # the count changed
    address = page.url
    with page.expect_download() as download:
        page.click("#who-csv")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][0] == "单位 unit" and len(table) - 1 == len(rows) and _units(table[1:]) == adopters[top][year]

    again, _ = open_page(browser, address)  # the same view from its address
    assert again.input_value("#facet-year") == str(year)
    assert _units(again.evaluate("() => window.kgWho().rows")) == adopters[top][year]
    again.context.close()

    _choose_year(page, "")
    assert page.evaluate("() => window.kgNetwork.getPositions()") == before  # the reset keeps every position
    assert _units(page.evaluate("() => window.kgWho().rows")) == everyone

    group = page.evaluate("() => window.kgNetwork.body.data.nodes.getIds().filter(id => id.startsWith('group:province:'))[0]")
    members = page.evaluate("(id) => window.kgNetwork.body.data.nodes.get(id).raw.fullLabel", group)
    children = page.evaluate("(id) => window.kgOpen(id)", group)
    assert children and group not in page.evaluate("() => Object.keys(window.kgNetwork.getPositions())")
    city = next((c for c in children if c.startswith("group:city:")), None)
    units = page.evaluate("(id) => window.kgOpen(id)", city) if city else [c for c in children if not c.startswith("group:")]
    assert units and all(u in page.evaluate("() => Object.keys(window.kgNetwork.getPositions())") for u in units)
    member = page.evaluate("(id) => window.kgNetwork.body.data.nodes.get(id).raw", units[0])
    assert member["facets"]["province"] and members.startswith(member["facets"]["province"])
    page.evaluate("(id) => window.kgClose(id)", group)
    assert page.evaluate("() => window.kgNetwork.getPositions()") == before  # closed, the view is as it was
    assert events["errors"] == []
    page.context.close()
