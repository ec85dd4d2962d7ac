"""One node per thing: no two nodes of the seed graph denote the same instrument, measure or division."""

from __future__ import annotations

from collections import defaultdict

from kg.link.instruments import canonical, fold, tidy


def _duplicates(pairs):
    groups = defaultdict(set)
    for key, node in pairs:
        groups[key].add(node)
    return {k: v for k, v in groups.items() if len(v) > 1}


def test_instruments_are_one_node_each(seed_corpus):
    g = seed_corpus.graph.graph
    nodes = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == "instrument"]
    assert nodes
    assert _duplicates((fold(d["label"]), n) for n, d in nodes) == {}
    assert _duplicates((d["label"], n) for n, d in nodes) == {}
    # 《宪法》 and a bare 宪法, 《民法典》 and 民法典: one node each
    labels = [d["label"] for _, d in nodes]
    assert labels.count("中华人民共和国宪法") == 1 and labels.count("中华人民共和国民法典") == 1


def test_variant_titles_fold_together():
    assert canonical("民法典").key == canonical("中华人民共和国民法典").key
    assert canonical("法治政府建设实施纲要(2021年—2025年)").key == canonical("法治政府建设实施纲要(2021-2025)").key
    assert canonical("法治政府建设实施纲要(2021—2025 年)").label == "法治政府建设实施纲要(2021—2025年)"
    assert tidy("重庆市法治政府建设实施方案（2021年—2025年）") == "重庆市法治政府建设实施方案(2021—2025年)"


def test_alias_of_a_report_resolves_to_the_full_title(seed_reports):
    written = {m.as_written: m.label for m in seed_reports["004"].instruments}
    assert written["实施纲要"] == "法治政府建设实施纲要(2021—2025年)"
    assert written["重庆市实施方案"] == "重庆市法治政府建设实施方案(2021—2025年)"
    labels = {m.label for m in seed_reports["004"].instruments}
    assert "实施纲要" not in labels and "重庆市实施方案" not in labels


def test_measures_are_one_node_per_concept(seed_corpus):
    g = seed_corpus.graph.graph
    assert _duplicates((d["label"], n) for n, d in g.nodes(data=True) if d["kind"] == "measure") == {}


def test_divisions_are_one_node_per_code(seed_corpus):
    g = seed_corpus.graph.graph
    divisions = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == "unit" and d.get("unit_kind") == "division"]
    assert _duplicates((d.get("code") or d["label"], n) for n, d in divisions) == {}
    assert _duplicates((d["label"], n) for n, d in divisions if d.get("linked")) == {}
