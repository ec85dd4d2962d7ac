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


def content_words(text: str, as_written: bool = False) -> list[str]:
    """The words of ``text`` that say what it is about, in order, with repeats (two Chinese characters or more);
    words that say the same thing as one (意识, 观念), unless ``as_written``."""
    return list(_written_words(text) if as_written else _content_words(text))


PROBLEM_SENTENCES = 3  # a problem item's text says what the problem is in its first sentences; then causes and cases
_SENTENCE = re.compile(r"[^。！？!?;；\n]+[。！？!?;；\n]?")


def problem_words(headline: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a problem item is about: the distinct content words of its headline, and of the first
    :data:`PROBLEM_SENTENCES` sentences of its text, each in order of first use.

    >>> problem_words("执法队伍薄弱", "执法力量不足,人少案多。")  # 人少案多: four characters jieba does not know as one word
    (('执法', '队伍'), ('执法', '队伍'))
    """
    first = "".join(_SENTENCE.findall(text)[:PROBLEM_SENTENCES])
    return tuple(dict.fromkeys(_content_words(headline))), tuple(dict.fromkeys(_content_words(first)))


# both remembered by text: the same sentences come again and again (a unit's problems year after year, a template)
@lru_cache(maxsize=1 << 16)
def _written_words(text: str) -> tuple[str, ...]:
    stop, _ = _rules()
    return tuple(w for w in tokens(text) if _WORD.match(w) and w not in stop)


@lru_cache(maxsize=1 << 16)
def _content_words(text: str) -> tuple[str, ...]:
    _, same = _rules()
    return tuple(same.get(w, w) for w in _written_words(text))
