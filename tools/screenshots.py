"""Screenshots of the pages one build writes, for the docs (docs/*.png, shown in docs/views.md).

The site is what ``kg build`` writes for the five seeds and the 113 real report beginnings copied into
tests/data/: every view, the shared-practices view again with the "who" table of its most adopted measure
open and in table mode, the reading page that table's first evidence opens, and the analysis. Groups only
appear beyond 150 reporting units, so the opened group is shot on 2,000 generated reports.

Run: .venv/bin/python tools/screenshots.py  (needs Debian's chromium)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chromium import EXECUTABLE, FLAGS  # noqa: E402
from bench.generate import generate  # noqa: E402
from kg.builder.engine import build  # noqa: E402
from kg.outputs import pages as viz  # noqa: E402
from kg.outputs import site, views  # noqa: E402

CLICK = "(id) => { window.kgNetwork.selectNodes([id]); window.kgNetwork.body.emitter.emit('click', {nodes: [id], edges: []}); }"
TOP_MEASURE = """() => { const data = window.kgNetwork.body.data.nodes;
    return data.getIds().filter(id => id.startsWith('measure:')).sort((a, b) => data.get(b).value - data.get(a).value)[0]; }"""


def settled(page) -> None:
    page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized", timeout=120_000)


def main() -> None:
    work = Path(tempfile.mkdtemp())
    out = work / "site"
    result = build([ROOT / "seeds", ROOT / "tests" / "data" / "corpus", ROOT / "tests" / "data" / "corpus2"], out, use_cache=False)
    unit = out / "views" / "unit.html"
    viz.write(views.build_view(result.graph, "unit", "610702008"), unit, site.links("views/unit.html"), "../reports/")
    generate(2000, work / "generated")
    generated = work / "generated-site"
    build([work / "generated"], generated, use_cache=False)
    shots = {name: out / path for name, path, _ in site.PAGES if name != "analysis"} | {"unit": unit}
    docs = ROOT / "docs"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)
        for name, path in shots.items():
            page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
            page.goto(path.as_uri())
            settled(page)
            page.screenshot(path=str(docs / f"view-{name}.png"))
            if name == "shared-practices":
                page.evaluate(CLICK, page.evaluate(TOP_MEASURE))
                page.screenshot(path=str(docs / "view-who.png"))
                page.click("#matrix-toggle")
                page.screenshot(path=str(docs / "view-table.png"))
                page.click("#matrix-toggle")
                page.locator("#who td.evidence a").first.click()
                page.wait_for_load_state()
                page.screenshot(path=str(docs / "view-reading.png"))
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page.goto((generated / "views" / "shared-practices.html").as_uri())
        settled(page)
        largest = page.evaluate(
            """() => { const data = window.kgNetwork.body.data.nodes;
            return data.getIds().filter(id => id.startsWith('group:')).sort((a, b) => data.get(b).value - data.get(a).value)[0]; }"""
        )
        page.evaluate(CLICK, largest)
        page.evaluate("(id) => window.kgOpen(id)", largest)
        page.wait_for_timeout(300)
        page.screenshot(path=str(docs / "view-open-group.png"))
        page.close()
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto((out / site.PATHS["analysis"]).as_uri())
        page.screenshot(path=str(docs / "analysis.png"))
        browser.close()
    print("wrote", ", ".join(sorted(p.name for p in docs.glob("*.png"))))


if __name__ == "__main__":
    main()
