"""The interactive views at scale, in headless Chromium: page weight, load to a stable layout, interactions.

For generated corpora of 2,000 and 10,000 reports (``bench/generate.py``), the
views ``kg build`` writes are opened in Debian's Chromium through Playwright
and timed as a user meets them: load until the layout is stable, then a click
on the most adopted measure (its "who" table), a year filter, the table mode,
the same filter again with the table open, closing the table after a filter
(the graph is brought up to date then), a group opened in place and closed,
and a zoom step (the labels placed again). Each interaction is timed from
the call to the page being updated (the page works synchronously), best of
three. The floor beside it, measured in the same browser, is an empty page's
load.

    python -m bench.views                 # 2,000 and 10,000 reports
    python -m bench.views --sizes 500
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.chromium import EXECUTABLE, FLAGS

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("graph.html", "views/shared-practices.html", "views/problems.html", "views/instruments.html")
TARGETS = {"stable_s": 3.0, "interaction_s": 0.2}


def build(size: int, work: Path) -> Path:
    """The outputs of a generated corpus of ``size`` reports."""
    from bench.generate import generate

    folder, out = work / f"views-corpus-{size}", work / f"views-out-{size}"
    if not folder.is_dir():
        generate(size, folder)
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "kg.cli", "build", str(folder), "-o", str(out), "-q", "--no-cache"], check=True, cwd=ROOT)
    return out


def _best(page, script: str, argument=None, runs: int = 3) -> float:
    """The fastest of ``runs`` evaluations of ``script``, in seconds."""
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        page.evaluate(script, argument)
        times.append(time.perf_counter() - clock)
    return min(times)


def measure(browser, path: Path) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    clock = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized", timeout=300_000)
    stable = time.perf_counter() - clock
    top = page.evaluate("""() => { const ids = window.kgNetwork.body.data.nodes.getIds().filter(i => !i.startsWith('group:') && !i.startsWith('unit:'));
                                   return ids.sort((a, b) => window.kgNetwork.body.data.nodes.get(b).value - window.kgNetwork.body.data.nodes.get(a).value)[0]; }""")
    click = _best(
        page, "(id) => { window.kgNetwork.selectNodes([id]); window.kgNetwork.body.emitter.emit('click', {nodes: [id], edges: []}); }", top
    )
    rows = page.evaluate("() => window.kgWho().rows.length")
    years = page.eval_on_selector_all("#facet-year option", "options => options.map(o => o.value).filter(v => v)")
    year = years[len(years) // 2] if years else ""

    def choose(value):
        return f"() => {{ const s = document.getElementById('facet-year'); s.value = {value!r}; s.dispatchEvent(new Event('change')); }}"

    filtering = min(_best(page, choose(year), runs=1) + _best(page, choose(""), runs=1) for _ in range(3)) / 2 if year else 0.0
    table = _best(page, "() => { document.getElementById('matrix-toggle').click(); document.getElementById('matrix-toggle').click(); }") / 2
    page.evaluate("() => document.getElementById('matrix-toggle').click()")
    filtering_table = min(_best(page, choose(year), runs=1) + _best(page, choose(""), runs=1) for _ in range(3)) / 2 if year else 0.0
    toggle = "() => document.getElementById('matrix-toggle').click()"

    def close_after_filter() -> float:  # the graph, out of sight under the table, is brought up to date as it closes
        page.evaluate(choose(year))
        seconds = _best(page, toggle, runs=1)
        page.evaluate(toggle)
        page.evaluate(choose(""))
        return seconds

    closing = min(close_after_filter() for _ in range(3)) if year else 0.0
    page.evaluate(toggle)
    group = page.evaluate("() => window.kgNetwork.body.data.nodes.getIds().filter(i => i.startsWith('group:'))[0] || ''")
    opening = _best(page, "(id) => { window.kgOpen(id); window.kgClose(id); }", group) / 2 if group else 0.0
    zoom = (
        _best(
            page,
            """() => { const n = window.kgNetwork; n.moveTo({scale: n.getScale() * 1.25}); window.kgLabels();
                         n.moveTo({scale: n.getScale() / 1.25}); window.kgLabels(); }""",
        )
        / 2
    )
    context.close()
    return {
        "bytes": path.stat().st_size,
        "stable": stable,
        "click": click,
        "rows": rows,
        "filter": filtering,
        "table": table,
        "filter_table": filtering_table,
        "close_table": closing,
        "open": opening,
        "zoom": zoom,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.views", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.work.mkdir(parents=True, exist_ok=True)
    empty = args.work / "empty.html"
    empty.write_text("<!DOCTYPE html><title>floor</title><script>window.kgStatus = {stabilized: true};</script>", encoding="utf-8")
    print("views in headless Chromium (seconds; interactions best of three; floor: an empty page's load)")
    print(
        f"{'reports':>8} {'page':<30}{'MB':>7}{'stable':>8}{'click':>8}{'who rows':>10}{'filter':>8}{'table':>8}{'filter+table':>14}"
        f"{'close table':>12}{'open group':>12}{'zoom':>8}"
    )
    worst = {"stable": 0.0, "interaction": 0.0}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)
        floor = min(measure_floor(browser, empty) for _ in range(3))
        for size in args.sizes:
            out = build(size, args.work)
            for name in PAGES:
                m = measure(browser, out / name)
                worst["stable"] = max(worst["stable"], m["stable"])
                worst["interaction"] = max(
                    worst["interaction"], *(m[k] for k in ("click", "filter", "table", "filter_table", "open", "zoom"))
                )
                print(
                    f"{size:>8} {name:<30}{m['bytes'] / 1e6:>7.1f}{m['stable']:>8.2f}{m['click']:>8.3f}{m['rows']:>10,}{m['filter']:>8.3f}"
                    f"{m['table']:>8.3f}{m['filter_table']:>14.3f}{m['close_table']:>12.3f}{m['open']:>12.3f}{m['zoom']:>8.3f}",
                    flush=True,
                )
        browser.close()
    print(f"floor (empty page load): {floor:.3f} s")
    for key, limit, word in (
        ("stable", TARGETS["stable_s"], "load to a stable layout"),
        ("interaction", TARGETS["interaction_s"], "slowest interaction"),
    ):
        print(f"{'✓' if worst[key] <= limit else '✗'} {word}: {worst[key]:.2f} s (at most {limit})")
    return 0


def measure_floor(browser, path: Path) -> float:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    clock = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized")
    seconds = time.perf_counter() - clock
    context.close()
    return seconds


if __name__ == "__main__":
    sys.exit(main())
