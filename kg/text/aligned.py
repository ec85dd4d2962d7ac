"""Text that remembers, for every character, the span of the original file it came from."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Mapping

Edit = tuple[int, int, str]
"""Replace ``text[start:end]`` by the string (empty string: delete)."""


class AlignedText:
    """A string plus an offset map back to the original document.

    ``starts[i]`` and ``ends[i]`` delimit the characters of the original that
    produced character ``i``. Characters replaced one-for-one keep their own
    origin; a replacement of a different length maps every new character to the
    whole replaced span, so a span of the clean text always maps to a span of
    the original that covers exactly what produced it.

    >>> t = AlignedText.identity("規(guī)范")
    >>> clean = t.sub(re.compile(r"\\(guī\\)"), "")
    >>> clean.text
    '規范'
    >>> start, end = clean.original_span(0, 2)
    >>> t.text[start:end]
    '規(guī)范'
    """

    __slots__ = ("text", "starts", "ends")

    def __init__(self, text: str, starts: array, ends: array):
        if not (len(text) == len(starts) == len(ends)):
            raise ValueError("text and offset arrays differ in length")
        self.text = text
        self.starts = starts
        self.ends = ends

    @classmethod
    def identity(cls, text: str) -> AlignedText:
        """The original itself: character ``i`` comes from ``[i, i+1)``."""
        n = len(text)
        return cls(text, array("i", range(n)), array("i", range(1, n + 1)))

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"AlignedText({self.text[:30]!r}{'…' if len(self.text) > 30 else ''})"

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original that produced ``text[start:end]``."""
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(f"span {start}:{end} outside text of length {len(self.text)}")
        if start == end:
            at = self.starts[start] if start < len(self.text) else (self.ends[-1] if self.text else 0)
            return at, at
        return self.starts[start], max(self.ends[start:end])

    def _anchor(self, position: int) -> int:
        """Where an insertion at ``position`` sits in the original."""
        if position < len(self.starts):
            return self.starts[position]
        return self.ends[position - 1] if position else 0

    def edit(self, edits: Iterable[Edit]) -> AlignedText:
        """Apply non-overlapping replacements, given in text order, in one pass."""
        text, starts, ends = self.text, self.starts, self.ends
        out: list[str] = []
        new_starts = array("i")
        new_ends = array("i")
        pos = 0
        for a, b, replacement in edits:
            if a < pos or b < a:
                raise ValueError(f"edits overlap or are out of order at {a}:{b}")
            out.append(text[pos:a])
            new_starts.extend(starts[pos:a])
            new_ends.extend(ends[pos:a])
            if replacement:
                if len(replacement) == b - a:
                    new_starts.extend(starts[a:b])
                    new_ends.extend(ends[a:b])
                else:
                    if a < b:
                        s, e = starts[a], max(ends[a:b])
                    else:
                        s = e = self._anchor(a)
                    n = len(replacement)
                    new_starts.extend(array("i", [s]) * n)
                    new_ends.extend(array("i", [e]) * n)
                out.append(replacement)
            pos = b
        out.append(text[pos:])
        new_starts.extend(starts[pos:])
        new_ends.extend(ends[pos:])
        return AlignedText("".join(out), new_starts, new_ends)

    def sub(self, pattern: re.Pattern, replacement: str | Callable[[re.Match], str]) -> AlignedText:
        """Like ``pattern.sub`` but keeping the offset map."""
        if callable(replacement):
            edits = ((m.start(), m.end(), replacement(m)) for m in pattern.finditer(self.text))
        elif "\\" in replacement:
            edits = ((m.start(), m.end(), m.expand(replacement)) for m in pattern.finditer(self.text))
        else:  # a plain string: no template to expand
            edits = ((m.start(), m.end(), replacement) for m in pattern.finditer(self.text))
        return self.edit(edits)

    def translate(self, table: Mapping[int, int | str]) -> AlignedText:
        """Character-for-character replacement (every value must be one character or code point)."""
        return AlignedText(self.text.translate(table), self.starts, self.ends)

    def replace_aligned(self, new_text: str) -> AlignedText:
        """Swap in a same-length text (e.g. a per-character script conversion)."""
        if len(new_text) != len(self.text):
            raise ValueError("replacement text must have the same length")
        return AlignedText(new_text, self.starts, self.ends)

    def slice(self, start: int, end: int) -> AlignedText:
        """The aligned substring ``text[start:end]``."""
        return AlignedText(self.text[start:end], self.starts[start:end], self.ends[start:end])
