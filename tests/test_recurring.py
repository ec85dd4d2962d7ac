"""Problems of several categories, recurring problems across reports, and problem → planned measure links."""

from __future__ import annotations

from kg.extract.problems import classify
from kg.extract.topics import content_words
from kg.knowledge.vocab import problem_categories
from kg.outputs.analysis import analyze
from kg.outputs.recurring import Item, recurring


def _problem(reports, key, start):
    return next(p for p in reports[key].problems if p.label.startswith(start))


def test_a_problem_may_be_of_several_categories(seed_reports):
    # 西营门 (001): "法治队伍建设滞后于实际工作需要，案卷公示存在延时现象" names two problems in one item
    two = _problem(seed_reports, "001", "法治队伍建设滞后")
    assert two.categories == ["informatization", "enforcement-capacity"] and two.category == "informatization"
    # the others of the seeds have one category each: a weaker cue elsewhere in the text adds none
    assert all(len(p.categories) == 1 for r in seed_reports.values() for p in r.problems if p is not two)
    assert classify("", "", problem_categories()) == ["other"]


def test_planned_measures_answer_a_problem_only_where_the_plan_speaks_of_it(seed_reports):
    # 001 plans 加强法治工作人员的配备和培训: it answers the shortage of enforcement staff (执法力量配备不足), not the
    # turnover of mediators (调解员队伍不稳定), though training answers staff problems of both categories
    assert "law-training" in _problem(seed_reports, "001", "法治队伍建设滞后").addressed_by
    assert "law-training" not in _problem(seed_reports, "001", "调解员队伍").addressed_by
    # 000 plans 全面推行行政执法公示制度、执法全过程记录制度、重大执法决定法制审核制度 against 行政执法行为还不够规范
    irregular = _problem(seed_reports, "000", "行政执法行为还不够规范")
    assert {"enforcement-publicity", "enforcement-recording", "enforcement-legal-review"} <= set(irregular.addressed_by)


def test_a_plan_in_other_words_of_the_same_thing_still_answers():
    # 意识 and 观念 say the same for recurring problems; the plan is searched for the problem's words as written
    from kg.extract.pipeline import process_text
    from kg.text.read import read_bytes

    text = (
        "某街道2023年法治政府建设工作报告\n一、主要工作\n2023年，我街举办法治讲座12场。\n二、存在的问题\n"
        "一是居民法治意识淡薄。部分居民遇事不找法。\n三、2024年工作打算\n"
        "（一）加强法治宣传教育。深入开展“八五”普法，增强全社会法治意识。\n"
    )
    report, _ = process_text(read_bytes(text.encode("utf-8"), "x.txt"))
    problem = report.problems[0]
    assert problem.category == "public-awareness" and "legal-publicity" in problem.addressed_by


def test_content_words_leave_out_the_genre():
    assert content_words("执法队伍建设需要进一步加强") == ["执法", "队伍"]
    assert content_words("基层执法力量不足") == ["基层", "执法", "队伍"]  # 力量 and 队伍: the same staff


def test_recurring_problems_of_the_real_reports(dev_corpus):
    # 七里街道 (seed 000): 依法行政持证力量相对薄弱; 前进区教育局 (corpus2 e-file): 执法队伍建设需要进一步加强 —
    # both say their enforcement staff is too few or too weak
    rows = analyze(dev_corpus.graph).recurring
    groups = {}
    for row in rows:
        groups.setdefault(row["recurring"], set()).add(row["unit"].split(" (")[0])
    assert {"七里街道", "前进区教育局"} in groups.values()
    staff = next(r for r in rows if r["unit"].startswith("七里街道"))
    assert staff["categories"].startswith("执法力量与持证人员不足") and staff["units"] >= 2
    assert "队伍" in staff["words"].split()


def _item(n, unit, headline, categories=("enforcement-capacity",), text=""):
    return Item(f"problem:r{unit}:p{n}", f"u{unit}", 2023, headline, text or headline, categories)


def test_recurring_groups_what_several_reports_say_and_nothing_else():
    items = [
        _item(1, 1, "基层执法力量不足"),
        _item(2, 2, "执法队伍薄弱"),
        _item(3, 3, "执法力量偏少,人少案多"),
        _item(4, 4, "普法形式单一", ("publicity-uneven",)),
        _item(5, 5, "普法宣传形式比较单一", ("publicity-uneven",)),
        _item(6, 6, "执法力量不足", ("other",)),  # same words, no shared category: another problem
        _item(7, 7, "调解员队伍不稳定", ("mediation-team",)),
    ]
    groups = recurring(items)
    assert [sorted(g.units) for g in groups] == [["u1", "u2", "u3"], ["u4", "u5"]]
    assert groups[0].categories == ["enforcement-capacity"] and "执法" in groups[0].words
    # one report saying a thing twice is not a recurring problem, nor are items that say nothing but how much
    assert recurring([_item(1, 1, "执法力量不足"), _item(2, 1, "执法力量不足")]) == []
    assert recurring([_item(1, 1, "存在不足", ("other",)), _item(2, 2, "有待加强", ("other",))]) == []


def test_recurring_compares_a_template_once_whatever_the_number_of_reports(monkeypatch):
    import networkx as nx

    from kg.outputs import recurring as module

    compared: list[nx.Graph] = []

    class Seen(nx.Graph):  # the graph of the items compared, as the function makes it
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            compared.append(self)

    monkeypatch.setattr(module.nx, "Graph", Seen)
    items = [_item(n, n, "执法力量不足") for n in range(3000)] + [
        _item(n, n, "普法形式单一", ("publicity-uneven",)) for n in range(3000, 3500)
    ]
    groups = recurring(items)
    assert [len(g.units) for g in groups] == [3000, 500]
    assert [g.number_of_nodes() for g in compared] == [2]  # 3,500 items, two points compared
