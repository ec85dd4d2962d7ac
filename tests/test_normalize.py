"""Normalising: glosses, traditional characters, chrome and metadata go; the offset map holds."""

from __future__ import annotations

import re

import opencc
import pytest

from conftest import SEED
from kg.text.aligned import AlignedText
from kg.text.normalize import normalize
from kg.text.read import read


@pytest.fixture(scope="module")
def seed_003():
    source = read(SEED["003"])
    return source, normalize(source.body)


def test_pinyin_glosses_go_and_traditional_becomes_simplified(seed_003):
    source, clean = seed_003
    assert "規(guī)范" in source.original
    assert clean.traditional
    assert "规范依法行政" in clean.text and "创新管理模式" in clean.text
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+\)", clean.text)
    assert "陆渡街道" in clean.text and "陸" not in clean.text


def test_every_clean_character_maps_back_to_what_produced_it(seed_003):
    source, clean = seed_003
    t2s = opencc.OpenCC("t2s")
    aligned = clean.aligned
    for i, char in enumerate(clean.text):
        original = source.original[aligned.starts[i] : aligned.ends[i]]
        if "\u4e00" <= char <= "\u9fff":
            assert t2s.convert(original) == char, (i, char, original)


def test_evidence_quotes_the_original_file_before_simplification(seed_reports):
    report = seed_reports["003"]
    original = SEED["003"].read_text(encoding="utf-8")
    assert report.measures and report.instruments
    for mention in report.measures + report.instruments + report.indicators:
        assert original[mention.evidence.start : mention.evidence.end] == mention.evidence.quote
    quoted = [m.evidence for m in report.measures if "规范" in m.evidence.sentence]
    assert any("規(guī)范" in e.quote for e in quoted)


def test_page_chrome_is_dropped():
    texts = {key: normalize(read(path).body).text for key, path in SEED.items()}
    assert "走进汉台" not in texts["000"] and "相关稿件" not in texts["000"]
    assert "[bookmark" not in texts["001"]
    assert "扫一扫" not in texts["003"]
    assert "— 5 —" not in texts["004"] and not texts["004"].endswith("5")


def test_metadata_table_becomes_metadata():
    clean = normalize(read(SEED["002"]).body)
    assert clean.metadata["索引号"] == "000014349/2022-1843313"
    assert clean.metadata["成文日期"] == "2022-05-30"
    assert "索引号" not in clean.text and "成文日期" not in clean.text


def test_full_width_punctuation_is_folded():
    clean = normalize(read(SEED["001"]).body)
    assert "，" not in clean.text and "（" not in clean.text and "(一)" in clean.text


def test_length_changing_edits_map_to_the_whole_replaced_span():
    text = AlignedText.identity("甲乙丙丁")
    edited = text.edit([(1, 3, "X")])
    assert edited.text == "甲X丁"
    assert edited.original_span(1, 2) == (1, 3)
    assert edited.original_span(0, 3) == (0, 4)
