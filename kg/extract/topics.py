"""What a sentence is about: jieba's tokens without the genre's function words (ontology/lexicon/problem_words.tsv).

Problem items are compared with each other and with plan sentences by these words. Words that
say how much (不足, 薄弱, 不够) are left out with the function words: "执法力量不足" and "执法队伍
薄弱" are one problem, and what it is about is the enforcement staff.

>>> sorted(content_words("依法行政持证力量相对薄弱"))
['依法行政', '持证', '队伍']
"""

from __future__ import annotations

import re
from functools import lru_cache

from kg.knowledge.resources import read_tsv
from kg.link.words import tokens

_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")


@lru_cache(maxsize=1)
def _rules() -> tuple[frozenset[str], dict[str, str]]:
    rows = read_tsv("lexicon", "problem_words.tsv")
    return frozenset(r["value"] for r in rows if r["kind"] == "stop"), {r["value"]: r["as"] for r in rows if r["kind"] == "same"}


def content_words(text: str) -> list[str]:
    """The words of ``text`` that say what it is about, in order, with repeats (two Chinese characters or more)."""
    return list(_content_words(text))


@lru_cache(maxsize=1 << 16)
def _content_words(text: str) -> tuple[str, ...]:
    # the same sentences come again and again (a unit's problems year after year, one template in many reports)
    stop, same = _rules()
    return tuple(same.get(w, w) for w in tokens(text) if _WORD.match(w) and w not in stop)
