"""The HTML views in a real browser: Debian's Chromium, driven by Playwright (no browser download).

Each view is opened from disk; the test checks that the network drew every node
and edge of the view, that the page logged no error and asked for nothing
outside its own file, that tooltips show evidence as text, and that report
text carrying markup executes nothing. Under CI=true a missing Chromium is a
failure, not a skip (``make test`` installs Debian's chromium and fonts-noto-cjk).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import SEEDS
from kg.builder.corpus import build
from kg.outputs import views
from kg.outputs.pages import write

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
HOSTILE = f"""汉中市汉台区七里街道办事处2022年度法治政府建设工作报告
2022年,七里街道在区委、区政府的领导下推进法治政府建设。
一、主要工作情况
成立了法治建设领导小组{SCRIPT},全面落实行政执法公示制度{IMAGE}。
二、存在的问题
一是执法行为不规范{SCRIPT}{IMAGE}。二是普法宣传形式单一。
三、下一步工作计划
继续推行行政执法公示制度{IMAGE},加强普法宣传{SCRIPT}。
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Every view of the seeds plus a hostile report, written to disk: {name: (path, view)}."""
    out = tmp_path_factory.mktemp("views")
    hostile = out / "hostile.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    corpus = build([SEEDS, hostile])
    made = {name: views.build_view(corpus.graph, name) for name in ("overview", "shared-practices", "problems", "instruments")}
    made["unit"] = views.build_view(corpus.graph, "unit", "610702008")
    result = {}
    for name, view in made.items():
        path = out / f"{name}.html"
        write(view, path)
        result[name] = (path, view)
    return result


def open_page(browser, path: Path | str):
    """Open a page; collect console errors, page errors, dialogs and requests; wait until the layout settles."""
    # Playwright's own probes need eval, which the page's CSP forbids: the test context bypasses CSP,
    # so escaping is tested on its own, without the CSP's help.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    events = {"errors": [], "dialogs": [], "requests": []}
    page.on("console", lambda message: events["errors"].append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: events["errors"].append(str(error)))
    page.on("dialog", lambda dialog: (events["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: events["requests"].append(request.url))
    page.goto(path if isinstance(path, str) else path.as_uri())  # a str: an address, with its #state
    page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized", timeout=120_000)
    return page, events


@pytest.mark.parametrize("name", ["overview", "shared-practices", "problems", "instruments", "unit"])
def test_view_draws_every_node_without_errors_or_outside_requests(browser, pages, name):
    path, view = pages[name]
    page, events = open_page(browser, path)
    drawn = page.evaluate("() => Object.keys(window.kgNetwork.getPositions()).length")
    assert drawn == len(view.nodes) > 0
    assert page.evaluate("() => window.kgNetwork.body.data.edges.length") == len(view.edges)
    painted = page.evaluate("""() => { const c = document.querySelector('#network canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert painted > 1000, "the canvas stayed empty"
    assert events["errors"] == []
    assert events["requests"] == [path.as_uri()], "the page asked for something outside itself"
    assert events["dialogs"] == []
    page.context.close()


def _hover(page, node_id: str) -> str:
    """Move the mouse onto a node and return the tooltip's text."""
    point = page.evaluate(
        """(id) => { const n = window.kgNetwork; const p = n.canvasToDOM(n.getPositions([id])[id]);
        const r = document.getElementById('network').getBoundingClientRect(); return {x: p.x + r.left, y: p.y + r.top}; }""",
        node_id,
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector("div.vis-tooltip", state="visible", timeout=10_000)
    return page.evaluate("() => document.querySelector('div.vis-tooltip').innerText")


def test_tooltip_shows_evidence_as_text(browser, pages):
    path, view = pages["overview"]
    node = next(n for n in view.nodes if n["kind"] == "problem" and SCRIPT in n["fullLabel"])
    page, events = open_page(browser, path)
    text = _hover(page, node["id"])
    assert "执法行为不规范" in text and SCRIPT in text and IMAGE in text  # shown, as text
    inside = page.evaluate("() => document.querySelector('div.vis-tooltip').querySelectorAll('img, script').length")
    assert inside == 0
    page.context.close()


@pytest.mark.parametrize("name", ["overview", "shared-practices", "problems", "unit"])
def test_markup_in_report_text_executes_nothing(browser, pages, name):
    path, view = pages[name]
    page, events = open_page(browser, path)
    for node in [n for n in view.nodes if any(SCRIPT in e["sentence"] or IMAGE in e["sentence"] for e in n.get("evidence", []))][:3]:
        _hover(page, node["id"])
    page.mouse.click(10, 10)
    assert events["dialogs"] == []
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    assert page.evaluate("() => document.querySelectorAll('script').length") == 3  # data, vis-network, the page's own
    assert events["errors"] == []
    page.context.close()


def test_search_filters_and_details(browser, pages):
    path, view = pages["shared-practices"]
    page, _ = open_page(browser, path)
    page.fill("#search", "桂溪")
    assert page.evaluate("() => window.kgNetwork.getSelectedNodes()") == ["unit:division:500231001"]
    visible = "() => window.kgNetwork.body.nodeIndices.length"
    everything = page.evaluate(visible)
    page.select_option("#facet-province", "重庆市")
    assert 1 < page.evaluate(visible) < everything  # the unit and the measures it is linked to
    page.select_option("#facet-province", "")
    assert page.evaluate(visible) == everything
    page.uncheck("#legend input[data-kind=measure]")
    assert page.evaluate(visible) == sum(1 for n in view.nodes if n["kind"] == "unit")
    page.context.close()


def test_clicking_a_node_shows_its_evidence(browser, pages):
    path, view = pages["problems"]
    page, _ = open_page(browser, path)
    category = next(n for n in view.nodes if n["kind"] == "category")
    page.evaluate(
        "(id) => { window.kgNetwork.selectNodes([id]); window.kgNetwork.body.emitter.emit('click', {nodes: [id], edges: []}); }",
        category["id"],
    )
    details = page.inner_text("#details")
    assert category["fullLabel"] in details
    page.context.close()


def test_a_view_of_five_thousand_units_is_grouped_and_settles(browser, tmp_path):
    from synthetic import five_thousand_units

    from kg.outputs.views import MAX_MEASURES, MAX_UNIT_NODES

    view = views.shared_practices(five_thousand_units())
    assert len(view.nodes) <= MAX_UNIT_NODES + MAX_MEASURES
    path = tmp_path / "large.html"
    write(view, path)
    page, events = open_page(browser, path)
    assert page.evaluate("() => Object.keys(window.kgNetwork.getPositions()).length") == len(view.nodes)
    assert events["errors"] == []
    page.context.close()


def _click(page, node_id: str) -> None:
    page.evaluate(
        "(id) => { window.kgNetwork.selectNodes([id]); window.kgNetwork.body.emitter.emit('click', {nodes: [id], edges: []}); }", node_id
    )


def test_who_lists_every_unit_behind_a_measure_sorts_filters_and_downloads(browser, pages):
    path, view = pages["shared-practices"]
    page, events = open_page(browser, path)
    rows = view.who["rows"]
    measure = max((n for n in view.nodes if n["kind"] == "measure"), key=lambda n: (len(rows.get(n["id"], [])), n["id"]))
    units = [view.who["units"][r[0]][1] for r in rows[measure["id"]]]
    _click(page, measure["id"])
    assert sorted(r[0] for r in page.evaluate("() => window.kgWho().rows")) == sorted(units)
    assert page.locator("#who tr").count() == len(units) + 1  # the header and one row per unit (under a page of 50)
    page.click("#who th >> nth=0")
    ascending = page.locator("#who tr td:first-child").all_inner_texts()
    page.click("#who th >> nth=0")  # again: descending
    descending = page.locator("#who tr td:first-child").all_inner_texts()
    assert sorted(ascending) == sorted(units) and len(set(units)) > 2  # a unit that implements and plans has two rows
    assert descending == ascending[::-1] and ascending != descending
    chosen = units[0]
    page.fill("#who-filter", chosen)
    kept = page.evaluate("() => window.kgWho().rows")
    assert kept and all(chosen in " ".join(r) for r in kept) and len(kept) <= len(units)
    with page.expect_download() as download:
        page.click("#who-csv")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("单位 unit,") and len(lines) == len(kept) + 1 and all(chosen in line for line in lines[1:])
    assert not events["dialogs"] and not events["errors"] and all(u.startswith(("file:", "data:")) for u in events["requests"])
    page.context.close()


def test_who_shows_report_text_as_text(browser, pages):
    path, view = pages["problems"]
    page, events = open_page(browser, path)
    hostile = [
        n["id"] for n in view.nodes if any(len(r) > 3 and (SCRIPT in r[3] or IMAGE in r[3]) for r in view.who["rows"].get(n["id"], []))
    ]
    assert hostile  # the hostile report's sentences are in the table
    for node_id in hostile:
        _click(page, node_id)
        assert SCRIPT in page.inner_text("#who") or IMAGE in page.inner_text("#who")
    assert not events["dialogs"] and page.locator("#who img").count() == 0 and page.locator("#who script").count() == 0
    page.context.close()


def _positions(page) -> dict:
    return page.evaluate("() => window.kgNetwork.getPositions()")


def test_a_year_filters_the_statements_recounts_and_keeps_every_position(browser, pages):
    path, view = pages["shared-practices"]
    page, events = open_page(browser, path)
    before = _positions(page)
    rows = view.who["rows"]
    measure = max((n for n in view.nodes if n["kind"] == "measure"), key=lambda n: (len(rows.get(n["id"], [])), n["id"]))
    _click(page, measure["id"])
    everyone = len(page.evaluate("() => window.kgWho().rows"))
    year = "2021"
    page.select_option("#facet-year", year)
    edges = page.evaluate("() => window.kgNetwork.body.data.edges.get().map(e => e.raw.years || [])")
    assert edges and all(int(year) in years for years in edges)  # only statements of that year are drawn
    that_year = page.evaluate("() => window.kgWho().rows")
    assert 0 < len(that_year) < everyone and all(year in r[6].split() for r in that_year)
    assert "#" in page.url and "year=2021" in page.url
    page.select_option("#facet-year", "")
    after = _positions(page)
    assert set(after) == set(before)
    assert all(abs(after[n]["x"] - before[n]["x"]) < 1 and abs(after[n]["y"] - before[n]["y"]) < 1 for n in before)
    assert not events["errors"]
    page.context.close()


def test_the_view_reloads_from_its_address(browser, pages):
    path, view = pages["shared-practices"]
    page, _ = open_page(browser, path)
    measure = next(n for n in view.nodes if n["kind"] == "measure")
    page.select_option("#facet-year", "2021")
    page.fill("#search", "街道")
    _click(page, measure["id"])
    address, shown = page.url, page.evaluate("() => window.kgWho()")
    assert "node=" in address and "q=" in address
    page.context.close()
    again, events = open_page(browser, address)  # a new browser page, opened at the shared address
    assert again.input_value("#facet-year") == "2021" and again.input_value("#search") == "街道"
    assert again.evaluate("() => window.kgWho()") == shown
    assert again.evaluate("() => window.kgNetwork.getSelectedNodes()")
    assert not events["dialogs"] and not events["errors"]
    again.context.close()
    hostile = address.split("#")[0] + "#node=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&year=%3Cscript%3E&q=%3Cscript%3Ealert(1)%3C/script%3E"
    hostile += "&open=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E,group:province:%3Cscript%3E,measure:x"
    crafted, events = open_page(browser, hostile)  # a crafted address: values that are no facet or node are ignored
    assert crafted.input_value("#facet-year") == "" and crafted.evaluate("() => window.kgWho().rows.length") == 0
    assert crafted.locator("img").count() == 0 and not events["dialogs"] and not events["errors"]
    assert crafted.evaluate("() => window.kgNetwork.body.data.nodes.length === window.kgStatus.nodes")  # nothing was opened
    crafted.context.close()


def test_on_a_phone_the_graph_takes_the_width_and_the_panel_opens_on_demand(browser, pages):
    path, _ = pages["overview"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized", timeout=120_000)
    assert page.evaluate("() => document.getElementById('network').getBoundingClientRect().width") >= 0.8 * 390
    assert not page.is_visible("#sidebar")
    page.click("#panel-toggle")
    assert page.is_visible("#sidebar") and page.evaluate("() => document.activeElement.id") == "search"
    context.close()


def test_the_table_mode_counts_the_units_behind_each_cell_under_the_filters(browser, pages):
    path, view = pages["shared-practices"]
    page, events = open_page(browser, path)
    page.click("#matrix-toggle")
    assert page.is_visible("#matrix")
    units, rows = view.who["units"], view.who["rows"]
    columns = [n for n in view.nodes if n["id"] in rows and n["kind"] != "unit"]

    def expected(year=None):
        cells = {}
        for node in columns:
            for r in rows[node["id"]]:
                years = r[2] if isinstance(r[2], list) else [r[2]]
                if year is None or year in years:
                    cells.setdefault((units[r[0]][4] or "—", node["fullLabel"]), set()).add(r[0])
        return {key: len(v) for key, v in cells.items()}

    def shown():  # by column label: under a filter the table keeps the columns the graph still draws
        data = page.evaluate("() => window.kgMatrix()")
        return {(row[0], data["columns"][c]): v for row in data["rows"] for c, v in enumerate(row[1:]) if v}

    assert shown() == expected() and len({k[0] for k in expected()}) > 2  # provinces × measures
    page.select_option("#facet-year", "2021")
    assert shown() == expected(2021) != expected()
    with page.expect_download() as download:
        page.click("#matrix-csv")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("省份 province,") and len(lines) == 1 + len({k[0] for k in expected(2021)})
    page.select_option("#matrix-by", "unit")
    assert page.locator("#matrix tr").count() > 1 and not events["errors"]
    page.context.close()


@pytest.fixture(scope="module")
def site_build(tmp_path_factory):
    """What ``kg build`` writes for the seeds and the hostile report: views, analysis, reading pages."""
    from click.testing import CliRunner

    from kg.cli import main

    folder = tmp_path_factory.mktemp("site") / "reports"
    shutil.copytree(SEEDS, folder)
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    out = folder.parent / "out"
    done = CliRunner().invoke(main, ["build", str(folder), "-o", str(out), "-q"])
    assert done.exit_code == 0, done.output
    return out


def test_pages_of_one_build_link_to_each_other(browser, site_build):
    from kg.outputs import site

    pages = [site_build / path for _, path, _ in site.PAGES]
    everything = {p.resolve().as_uri() for p in pages}
    for path in pages + sorted((site_build / site.REPORTS).glob("*.html"))[:1]:
        page, events = open_page_plain(browser, path)
        hrefs = set(page.eval_on_selector_all("nav a", "links => links.map(a => a.href)"))
        assert everything - {path.resolve().as_uri()} <= hrefs <= everything, path
        current = page.eval_on_selector_all("nav a[aria-current]", "links => links.map(a => a.href)")
        assert current in ([path.resolve().as_uri()], [])
        assert not events["errors"], path
        page.context.close()


def test_evidence_opens_the_report_at_its_sentence_highlighted(browser, site_build):
    page, events = open_page(browser, site_build / "views" / "shared-practices.html")
    top = page.evaluate(
        """() => { const n = window.kgNetwork, ids = n.body.data.nodes.getIds().filter(i => i.startsWith('measure:'));
        const id = ids.sort((a, b) => n.body.data.nodes.get(b).value - n.body.data.nodes.get(a).value)[0];
        n.selectNodes([id]); n.body.emitter.emit('click', {nodes: [id], edges: []}); return id; }"""
    )
    assert top
    link = page.locator("#who td.evidence a").first
    sentence = link.inner_text().rstrip("…")
    link.click()
    page.wait_for_load_state()
    assert "/reports/" in page.url and "#e" in page.url
    target = page.evaluate(
        """() => { const m = document.querySelector(':target'); const r = m.getBoundingClientRect();
        return {tag: m.tagName, text: m.textContent, color: getComputedStyle(m).outlineStyle, top: r.top, bottom: r.bottom,
                height: window.innerHeight}; }"""
    )
    assert target["tag"] == "MARK" and sentence in target["text"]
    assert target["color"] == "solid" and 0 <= target["top"] and target["bottom"] <= target["height"]  # highlighted, in view
    assert not events["errors"]
    page.context.close()


def test_searching_a_unit_inside_a_group_opens_the_group_at_that_unit(browser, tmp_path):
    from synthetic import five_thousand_units

    graph = five_thousand_units()
    view = views.build_view(graph, "shared-practices")
    group = next(n for n in view.nodes if n["id"].startswith("group:"))
    member = view.who["units"][view.who["rows"][group["id"]][0][0]]
    path = tmp_path / "grouped.html"
    write(view, path)
    page, _ = open_page(browser, path)
    page.fill("#search", member[2] or member[1])  # a division code or name: unique to the unit
    # the province opens in place, then the unit's city, until the unit itself is drawn and selected
    assert page.evaluate("() => window.kgNetwork.getSelectedNodes()") == [member[0]]
    assert member[0] in page.evaluate("() => Object.keys(window.kgNetwork.getPositions())")
    assert group["id"] not in page.evaluate("() => Object.keys(window.kgNetwork.getPositions())")
    who = page.evaluate("() => window.kgWho()")  # the innermost group's table, at the unit's row
    assert who["rows"] and all(member[1] == r[0] for r in who["rows"])
    assert who["title"] == group["fullLabel"] or who["title"].startswith(member[5])
    assert "open=" in page.url
    again, _ = open_page(browser, page.url)  # the opened groups come back from the address
    assert member[0] in again.evaluate("() => Object.keys(window.kgNetwork.getPositions())")
    again.context.close()
    page.context.close()


def test_legend_swatches_are_shaped_and_coloured_as_drawn(browser, pages):
    from kg.outputs.pages import KINDS, RELATIONS

    path, view = pages["problems"]
    page, _ = open_page(browser, path)
    swatches = page.eval_on_selector_all(
        "#legend .swatch", "s => s.map(e => [e.dataset.shape, getComputedStyle(e).clipPath, getComputedStyle(e).borderRadius])"
    )
    shapes = {k["id"]: k["shape"] for k in KINDS}
    drawn = {n["kind"] for n in view.nodes}
    assert sorted(s[0] for s in swatches) == sorted(shapes[k] for k in drawn)
    for shape, clip, radius in swatches:
        assert (clip != "none") == (shape in ("triangle", "triangleDown", "diamond")) and (radius == "50%") == (shape == "dot")
    colours = page.eval_on_selector_all("#edge-legend .edge-swatch", "s => s.map(e => getComputedStyle(e).borderTopColor)")
    drawn_relations = [r for r in RELATIONS if any(e["relation"] == r["id"] for e in view.edges)]
    expected = ["rgb({}, {}, {})".format(*(int(r["color"][i : i + 2], 16) for i in (1, 3, 5))) for r in drawn_relations]
    assert colours == expected
    page.context.close()


def test_analysis_rows_open_the_view_filtered_to_them(browser, tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(SEEDS), "-o", str(out), "-q"]).exit_code == 0
    done = runner.invoke(main, ["analyze", str(out / "graph.ttl"), "-o", str(out / "analysis"), "--site", str(out)])
    assert done.exit_code == 0, done.output
    page, events = open_page_plain(browser, out / "analysis" / "analysis.html")
    link = page.locator('td a[href*="shared-practices.html#node="]').first
    measure = link.inner_text()
    link.click()
    page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized", timeout=120_000)
    assert page.evaluate("() => window.kgWho().title") == measure and page.evaluate("() => window.kgWho().rows.length") > 0
    page.go_back()
    province = page.locator('td a[href*="problems.html#province="]').first
    name = province.inner_text()
    province.click()
    page.wait_for_function("() => window.kgStatus && window.kgStatus.stabilized", timeout=120_000)
    assert page.input_value("#facet-province") == name
    assert not events["errors"] and not events["dialogs"]
    page.context.close()


def open_page_plain(browser, path: Path):
    """Open a page that is not a view (no layout to wait for), collecting errors and dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    events = {"errors": [], "dialogs": []}
    page.on("pageerror", lambda error: events["errors"].append(str(error)))
    page.on("dialog", lambda dialog: (events["dialogs"].append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    return page, events


def test_the_keyboard_reaches_search_results_filters_and_the_who_table(browser, pages):
    path, view = pages["shared-practices"]
    page, events = open_page(browser, path)
    page.click("header h1")  # the focus anywhere but in a field
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "search"
    page.keyboard.type("法治")
    results = page.eval_on_selector_all("#results button", "buttons => buttons.map(b => b.dataset.node)")
    expected = [n["id"] for n in view.nodes if "法治" in n["fullLabel"] + " " + n.get("search", "")]
    assert results and results == expected[:30]  # every match, in the view's order, the first 30 listed
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.dataset.node") == results[1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.kgNetwork.getSelectedNodes()") == [results[0]]
    chosen = next(n for n in view.nodes if n["id"] == results[0])
    assert page.inner_text("#details strong") == chosen["fullLabel"]
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.id") == "search"
    page.keyboard.press("Tab")  # from the search into the results, the legend and the filters, by Tab alone
    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.id || document.activeElement.tagName"))
    assert {"facet-province", "facet-year"} <= reached
    assert not events["errors"]
    page.context.close()
