"""Is a division's name in the text a place, or part of another word? jieba's segmentation decides.

Official names are often common words or pieces of them: 和县 in 乡村振兴和县域经济,
平安区 in 平安区域, 新市 in 新市民, 合作市 in 合作市场. A name counts as a mention
only where jieba's segmentation of the few characters around it puts word
boundaries at both its ends (江北区委 → 江北 | 区委 also counts: the suffix of a
name may open an organ's word, as 区 does in 区委 — but not 县 in 县域). Names that jieba's own
dictionary lists as ordinary words (城区, 矿区, 平安) are flagged too: such a
mention needs a named parent before it counts.

Only short names (three characters or fewer) are checked; a window of a few
characters is segmented, not the report, so the cost stays small.

>>> is_place("在揭西交通运输领域", 1, 3, suffixed=False), is_place("新市民服务中心", 0, 2, suffixed=False)
(True, False)
>>> is_place("乡村振兴和县域经济", 4, 6), is_place("江北区委全面依法治区委员会", 0, 3)
(False, True)
>>> common_word("城区"), common_word("绍兴")
(True, False)
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

_WINDOW = 6  # characters segmented on each side of a name
_CHECKED = 3  # names this long or shorter are checked; longer ones are distinctive
_SUFFIX = set("省市州县区旗盟镇乡")  # may begin the next word: 江北区委 → 江北 | 区委


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def ordinary_words() -> dict[str, int]:
    """jieba's own dictionary: word → frequency (the words of general Chinese, none of kg's)."""
    return _tokenizer().FREQ


# what follows a name's suffix character when jieba glues it to the next word: 江北 | 区委, 渠 | 县政府
_GLUED = ("委", "政府", "人民政府", "人大", "政协", "长", "党委", "级", "直")


def _crossed(text: str, pos: int) -> bool:
    """Whether a word of jieba's dictionary (two to four characters) straddles ``pos``."""
    freq = _tokenizer().FREQ
    for i in range(max(0, pos - 3), pos):
        for j in range(pos + 1, min(len(text), i + 4) + 1):
            if freq.get(text[i:j]):
                return True
    return False


def tokens(text: str) -> list[str]:
    """jieba's tokens of ``text`` (its own dictionary, no HMM: the same words on every run)."""
    return list(_tokenizer().cut(text, HMM=False))


def _tokens(text: str) -> dict[int, str]:
    """jieba's tokens of ``text`` by where they start."""
    starts, pos = {}, 0
    for token in tokens(text):
        starts[pos] = token
        pos += len(token)
    starts[pos] = ""
    return starts


def warm_up() -> None:
    """Load jieba's dictionary now (the build engine does, before it freezes its lexicons out of the collector's sight)."""
    _tokenizer()
    _common_words()


def is_place(text: str, start: int, end: int, suffixed: bool = True) -> bool:
    """Whether ``text[start:end]`` stands as a word (a place name) rather than inside another word.

    ``suffixed``: the name ends in its generic suffix (江北区, not the bare 江北), which may
    begin the next word (区委).
    """
    if end - start > _CHECKED:
        return True
    left = max(0, start - _WINDOW)
    return _stands(text[left : end + _WINDOW], start - left, end - left, suffixed)


@lru_cache(maxsize=8192)  # the same few characters around a name recur: 区委、区政府, 全市
def _stands(window: str, head: int, tail: int, suffixed: bool) -> bool:
    """:func:`is_place` on the window of characters around a name (``window[head:tail]``)."""
    if not _crossed(window, head) and not _crossed(window, tail):
        return True  # no word of the dictionary straddles either end: nothing to ask jieba
    tokens = _tokens(window)
    if head not in tokens:
        return False
    glued = tokens.get(tail - 1, "")
    return tail in tokens or (suffixed and window[tail - 1] in _SUFFIX and glued[:1] == window[tail - 1] and glued[1:] in _GLUED)


def is_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is whole words, not part of one (送法 in 推送法治 is not).

    >>> is_word("推送法治学习资料", 1, 3), is_word("开展送法进企业活动", 2, 4)
    (False, True)
    """
    return is_place(text, start, end, suffixed=False)


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Words of jieba's dictionary tagged as something other than a place name (ns)."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    words = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3 and parts[2] != "ns" and len(parts[0]) <= _CHECKED and int(parts[1]) >= 100:
                words.add(parts[0])
    return frozenset(words)


def common_word(name: str) -> bool:
    """Whether jieba's dictionary knows ``name`` as an ordinary word (城区, 平安), not as a place."""
    return name in _common_words()
