"""The concept matcher skips patterns by their required literals: it must find exactly what trying every pattern finds."""

from __future__ import annotations

import re

import pytest

from conftest import CORPUS, SEEDS
from kg.anchors import requirements
from kg.vocab import measures, problem_categories


def sentences():
    paths = sorted(SEEDS.glob("*.txt")) + sorted(CORPUS.glob("*.txt"))
    return [s for path in paths for s in re.split(r"(?<=[。；;\n])", path.read_text(encoding="utf-8")) if s]


def every_match(scheme, text):
    """Each phrase by str.find, each pattern tried everywhere: slow and obviously right."""
    found = set()
    for concept in scheme.concepts.values():
        if concept.theme:
            continue
        for phrase in concept.phrases:
            start = text.find(phrase)
            while start >= 0:
                found.add((start, start + len(phrase), concept.id, phrase))
                start = text.find(phrase, start + 1)
        for pattern in concept.patterns:
            for m in pattern.finditer(text):
                if m.end() > m.start() and "\n" not in m.group(0):
                    found.add((m.start(), m.end(), concept.id, m.group(0)))
    return found


@pytest.mark.parametrize("scheme", [measures, problem_categories], ids=["measures", "problems"])
def test_the_prefiltered_matcher_finds_what_every_pattern_finds(scheme):
    scheme = scheme()
    texts = sentences()
    assert len(texts) > 1000
    wrong = [t for t in texts if {(m.start, m.end, m.concept, m.phrase) for m in scheme.find(t)} != every_match(scheme, t)]
    assert wrong == []


@pytest.mark.parametrize("scheme", [measures, problem_categories], ids=["measures", "problems"])
def test_every_required_literal_occurs_in_every_match(scheme):
    """What the prefilter relies on, checked on the real matches of every pattern."""
    for concept in scheme().concepts.values():
        for pattern in concept.patterns:
            sets = requirements(pattern)
            for text in sentences():
                for m in pattern.finditer(text):
                    assert all(any(s in m.group(0) for s in strings) for strings in sets), (pattern.pattern, m.group(0))


def test_requirements_of_hand_made_patterns():
    assert requirements("行政(复议|应诉|诉讼)") == [{"行政复议", "行政应诉", "行政诉讼"}]
    assert requirements("(?<!裁决、)行政(复议|诉讼)") == [{"行政复议", "行政诉讼"}]
    assert requirements("(行政)?执法[^。]{0,4}监督") == [{"执法"}, {"监督"}]
    assert sorted(map(sorted, requirements("法治(文化)?(公园|广场)"))) == [["公园", "广场"], ["法治"]]
    assert requirements("(?i)law") == [] and requirements("\\d+") == []
    assert requirements("\\d+件") == [{"件"}]  # one character, for want of anything rarer
