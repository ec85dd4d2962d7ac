"""Raw report text to clean text, keeping an offset map back to the original file.

The steps run in a fixed order because each relies on the previous one:
word-processor artefacts and pinyin glosses go first (nothing else may read
``規(guī)范``), then full-width folding and traditional→simplified conversion (so
every later pattern is written once, in simplified half-width form), then
navigation lines (recognised by their spaced-out menu items), then spaces
between Chinese characters, metadata tables, page chrome and page numbers.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from kg.knowledge.resources import read_tsv
from kg.text.aligned import AlignedText

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile("[\u4e00-\u9fff]")
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# Patterns whose match is checked against the character before it consume their first character
# before looking behind (x(?<=[…]x) rather than (?<=[…])x): the regex engine then skips ahead to
# candidate characters instead of trying the lookbehind at every position, four times faster.
# A gloss sits right after a Han character: 規(guī)范, 創(chuàng)新, 數(shù)據(jù).
_PINYIN_GLOSS = re.compile(rf"[(（](?<=[{HAN}][(（])((?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}})[)）]")
# Some mirrors mangle the glossed character itself (建設?,F(xiàn)將): the stray letter goes with the gloss.
_GLOSS_AFTER_GARBAGE = re.compile(rf"[A-Za-z](?<=[?,][A-Za-z])[(（](?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}[)）]")
_ARTEFACTS = re.compile(
    r"\[(?:bookmark|image|footnote ?ref|comment|annotation)[:：][^\]\n]{0,80}\]|[\u200b-\u200f\u2060\ufeff\u00ad]", re.I
)
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_PUNCTUATION_OR_HAN = rf"{HAN}，。、；：！？“”《》（）()"
_SPACE_BETWEEN_HAN = re.compile(rf"[ \t](?<=[{_PUNCTUATION_OR_HAN}][ \t])[ \t]*(?=[{_PUNCTUATION_OR_HAN}])")
_SPACE_AROUND_NUMBER = re.compile(rf"[ \t](?:(?<=[{HAN}][ \t])[ \t]*(?=[\d.%]+[ \t]*[{HAN}%])|(?<=[\d%][ \t])[ \t]*(?=[{HAN}]))")
_LINE_EDGES = re.compile(r"[ \t•](?:(?<=^[ \t•])[ \t•]*|(?<=[ \t])[ \t]*$)", re.M)
_BLANK_LINES = re.compile(r"\n{2,}")
_MARKDOWN = re.compile(r"^#{1,6}[ \t]+|^>[ \t]?|\*\*|__|(?<=\S)\*(?=\S)", re.M)
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_NAV_WORDS = ("首页", "网站首页", "返回首页", "政务公开", "信息公开", "新闻中心", "互动交流", "政务服务", "专题专栏", "办事服务", "走进")

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0xFF5F: 0x28, 0xFF60: 0x29, 0xFE50: 0x2C, 0xFE52: 0x2E, 0xFE54: 0x3B, 0xFE55: 0x3A})
# Chinese punctuation without an ASCII twin stays: 。、《》“”‘’— …


@dataclass
class CleanText:
    """The cleaned text of one report, aligned to the original file."""

    aligned: AlignedText
    metadata: dict[str, str] = field(default_factory=dict)
    traditional: bool = False
    removed: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.aligned.text


def normalize(body: AlignedText, markdown: bool = False) -> CleanText:
    """Clean report text; see the module docstring for the order of the steps.

    >>> from kg.text.aligned import AlignedText
    >>> clean = normalize(AlignedText.identity("陸渡街道規(guī)范執(zhí)法，創(chuàng)新管理。\\n— 5 —"))
    >>> clean.text, clean.traditional
    ('陆渡街道规范执法,创新管理。', True)
    """
    removed: list[str] = []
    text = body.sub(_NEWLINES, "\n")
    text = text.sub(_ARTEFACTS, "")
    text = text.sub(_PINYIN_GLOSS, "").sub(_GLOSS_AFTER_GARBAGE, "")
    text = text.translate(_FULLWIDTH)
    if markdown:
        text = text.sub(_MD_LINK, lambda m: m.group(1)).sub(_MARKDOWN, "")
    text, traditional = _to_simplified(text)
    text = text.sub(_LINE_EDGES, "")
    text = _drop_lines(text, _is_navigation, removed)
    text = text.sub(_SPACE_BETWEEN_HAN, "").sub(_SPACE_AROUND_NUMBER, "")
    metadata: dict[str, str] = {}
    text = _drop_lines(text, lambda line: _read_metadata_line(line, metadata), removed)
    text = _drop_chrome(text, removed)
    text = text.sub(_BLANK_LINES, "\n")
    text = text.slice(len(text.text) - len(text.text.lstrip("\n")), len(text.text.rstrip("\n")))
    return CleanText(text, metadata, traditional, removed)


def _to_simplified(text: AlignedText) -> tuple[AlignedText, bool]:
    """Convert with OpenCC when the text is traditional (≥2% of Han characters change)."""
    converter = _opencc()
    converted = converter.convert(text.text)
    han = len(_HAN_CHAR.findall(text.text))
    if converted == text.text:
        changed = 0
    elif len(converted) == len(text.text):
        changed = sum(map(str.__ne__, text.text, converted))
    else:
        changed = han
    if not han or changed < 0.02 * han:
        return text, False
    if len(converted) == len(text.text):
        return text.replace_aligned(converted), True
    # Phrase conversions that change length: align line by line.
    edits = []
    pos = 0
    for line in text.text.split("\n"):
        new = converter.convert(line)
        if new != line:
            matcher = difflib.SequenceMatcher(None, line, new, autojunk=False)
            for op, a1, a2, b1, b2 in matcher.get_opcodes():
                if op != "equal":
                    edits.append((pos + a1, pos + a2, new[b1:b2]))
        pos += len(line) + 1
    return text.edit(edits), True


@lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


def _drop_lines(text: AlignedText, should_drop, removed: list[str]) -> AlignedText:
    edits = []
    pos = 0
    for line in text.text.split("\n"):
        if line and should_drop(line):
            edits.append((pos, pos + len(line), ""))
            removed.append(line)
        pos += len(line) + 1
    return text.edit(edits)


def _is_navigation(line: str) -> bool:
    """A menu line: many short space-separated items, no sentence punctuation."""
    if any(p in line for p in "。,，;；:："):
        return False
    tokens = re.split(r"[\s|>»/]+", line.strip(" |"))
    if len(tokens) < 4 or max(len(t) for t in tokens) > 8:
        return False
    return len(tokens) >= 7 or any(t in _NAV_WORDS or t.startswith("走进") for t in tokens) or "首" in tokens


@lru_cache(maxsize=1)
def _metadata_keys() -> tuple[dict[str, str], re.Pattern]:
    keys = {row["key"]: row["canonical"] for row in read_tsv("lexicon", "metadata_keys.tsv")}
    alternation = "|".join(sorted(map(re.escape, keys), key=len, reverse=True))
    return keys, re.compile(rf"({alternation})\s*:\s*")


_URL_LINE = re.compile(r"^https?://[^\s，。]+\s*$")
_TIMESTAMP = re.compile(r"\d{4}(?:-\d{1,2}-\d{1,2}|年\d{1,2}月\d{1,2}日)(?:\s*\d{1,2}[:时]\d{1,2}(?:[:分]\d{1,2})?(?:秒)?)?\s*")


def _read_metadata_line(line: str, metadata: dict[str, str]) -> bool:
    """Parse a line of ``key: value`` pairs with known keys into ``metadata``.

    Sites run the pairs together (``发布机构: 海东市人民政府主题分类: 公安``) or
    lead with a bare timestamp (``2022-03-29 17:13:17来源: 海口市司法局``).
    """
    stripped = line.lstrip("|-•·* \t")
    if len(stripped) > 200:
        return False
    if _URL_LINE.match(stripped):  # a page address on a line of its own: where the report was saved from
        metadata.setdefault("url", stripped.strip())
        return True
    keys, pattern = _metadata_keys()
    timestamp = _TIMESTAMP.match(stripped)
    first = pattern.match(stripped, timestamp.end() if timestamp else 0)
    if not first:
        return False
    if timestamp:
        metadata.setdefault("发布日期", timestamp.group(0).strip())
    matches = list(pattern.finditer(stripped, first.start()))
    for match, following in zip(matches, matches[1:] + [None]):
        value = stripped[match.end() : following.start() if following else len(stripped)]
        value = value.strip(" |\t-")
        canonical = keys[match.group(1)]
        if value and canonical != "-" and canonical not in metadata:
            metadata[canonical] = value
    return True


@lru_cache(maxsize=1)
def _chrome_patterns() -> tuple[re.Pattern, re.Pattern]:
    by_scope: dict[str, list[str]] = {"line": [], "tail": []}
    for row in read_tsv("lexicon", "chrome.tsv"):
        by_scope[row["scope"]].append(f"(?:{row['pattern']})")
    line, tail = (re.compile(r"\A(?:" + "|".join(by_scope[s]) + r")\Z") for s in ("line", "tail"))
    return line, tail


def _drop_chrome(text: AlignedText, removed: list[str]) -> AlignedText:
    line_pattern, tail_pattern = _chrome_patterns()
    edits = []
    pos = 0
    total = len(text.text)
    for line in text.text.split("\n"):
        end = pos + len(line)
        if line and tail_pattern.match(line) and pos >= 0.6 * total:
            edits.append((pos, total, ""))
            removed.append(text.text[pos:total])
            break
        if line and line_pattern.match(line):
            edits.append((pos, end, ""))
            removed.append(line)
        pos = end + 1
    return text.edit(edits)
