"""Screenshots of every view of the real reports and of the analysis report, for the docs (docs/*.png, shown in docs/views.md).

The graph is built from the five seeds and the 113 real report beginnings copied into tests/data/; the
shared-practices view is shot again with the "who" table of its most adopted measure open, and in table mode.

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
from kg.builder.corpus import build  # noqa: E402
from kg.outputs import pages as viz  # noqa: E402
from kg.outputs import views  # noqa: E402
from kg.outputs.analysis import analyze, write  # noqa: E402


def main() -> None:
    corpus = build([ROOT / "seeds", ROOT / "tests" / "data" / "corpus", ROOT / "tests" / "data" / "corpus2"])
    out = Path(tempfile.mkdtemp())
    pages = {}
    for name in ("shared-practices", "problems", "instruments", "overview"):
        pages[name] = out / f"{name}.html"
        viz.write(views.build_view(corpus.graph, name), pages[name])
    pages["unit"] = out / "unit.html"
    viz.write(views.build_view(corpus.graph, "unit", "610702008"), pages["unit"])
    write(analyze(corpus.graph), out / "analysis")
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)
        for name, path in pages.items():
            page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
            page.goto(path.as_uri())
            page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized", timeout=60_000)
            page.screenshot(path=str(docs / f"view-{name}.png"))
            if name == "shared-practices":
                top = max((n for n in views.build_view(corpus.graph, name).nodes if n["kind"] == "measure"), key=lambda n: n["size"])
                page.evaluate(
                    "(id) => { window.kgNetwork.selectNodes([id]); window.kgNetwork.body.emitter.emit('click', {nodes: [id], edges: []}); }",
                    top["id"],
                )
                page.screenshot(path=str(docs / "view-who.png"))
                page.click("#matrix-toggle")
                page.screenshot(path=str(docs / "view-table.png"))
            page.close()
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto((out / "analysis" / "analysis.html").as_uri())
        page.screenshot(path=str(docs / "analysis.png"))
        browser.close()
    print("wrote", ", ".join(sorted(p.name for p in docs.glob("*.png"))))


if __name__ == "__main__":
    main()
