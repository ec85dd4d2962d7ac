"""The concept matcher skips patterns by their required literals: it must find exactly what trying every pattern finds."""

from __future__ import annotations

import re

import pytest

from conftest import CORPUS, SEEDS
from kg.knowledge.anchors import requirements
from kg.knowledge.vocab import measures, problem_categories


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


def test_the_pattern_reader_knows_the_syntax_and_is_sound_where_it_does_not():
    """kg.knowledge.anchors reads patterns itself (the re module's parser is private): every construct, and fixed strings."""
    from kg.knowledge.anchors import fixed_strings

    assert requirements("(?P<what>复议|诉讼)案件") == [{"复议案件", "诉讼案件"}]  # a named group
    assert requirements("(?:公开){2}") == [{"公开公开"}] and requirements("公开{1,3}") == [{"公开"}]
    assert requirements("(?=法治)法治[\\u4e00-\\u9fff]+?建设") == [{"法治"}, {"建设"}]  # lookahead, a range, lazy
    assert sorted(map(sorted, requirements("(复议)\\1案件"))) == [["复议"], ["案件"]]  # a back-reference requires nothing
    assert requirements("[执司]法\\x41\\u4e00") == [{"执法A一", "司法A一"}]
    assert requirements("(?i:law)执法") == [{"执法"}] and requirements("(?i)执法") == []
    assert requirements("(?#a comment)(执)法(?(1)a|b)") == [{"执法"}]
    assert requirements("[^。]*") == [] and requirements("执法|.*") == []
    assert fixed_strings("(建设|建成)(中|了)") == {"建设中", "建设了", "建成中", "建成了"}
    assert fixed_strings("建设?") is None and fixed_strings("(?i)a|b") is None


def test_requirements_hold_for_random_patterns_on_random_text():
    """Soundness, fuzzed: whatever a generated pattern matches holds one string of each required set."""
    import random

    rnd = random.Random(11)
    atoms = ["法", "治", "执法", "[法治]", "[^。]", ".", "\\d", "(法|治)", "(?:执法|司法)", "(?=法)", "(?<!治)", "\\b"]
    quantifiers = ["", "", "", "?", "*", "+", "{2}", "{0,3}", "{1,2}?"]
    alphabet = "法治执司。1 "
    for _ in range(3000):
        pattern = "".join(rnd.choice(atoms) + rnd.choice(quantifiers) for _ in range(rnd.randint(1, 5)))
        if rnd.random() < 0.2:
            pattern += "|" + rnd.choice(atoms)
        try:
            compiled = re.compile(pattern)
        except re.error:
            continue
        sets = requirements(compiled)
        for _ in range(10):
            text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
            for match in compiled.finditer(text):
                assert all(any(s in match.group(0) for s in strings) for strings in sets), (pattern, match.group(0), sets)


def test_no_private_module_of_the_standard_library_is_used():
    from conftest import ROOT

    for path in (ROOT / "kg").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for private in ("re._parser", "re._constants", "sre_parse", "sre_constants"):
            assert private not in text, f"{path.name} uses {private}"
        assert not re.search(r"^[ \t]*(import|from) _(?!_)", text, re.M), f"{path.name} imports a private module"
