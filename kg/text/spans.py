"""Sets of text spans that answer "is this offset inside one of them?" by binary search."""

from __future__ import annotations

import bisect
from collections.abc import Iterable


class Spans:
    """Half-open spans ``[start, end)``; ``offset in spans`` is O(log n), so long reports stay linear.

    >>> titles = Spans([(10, 20), (12, 14), (30, 35)])
    >>> [x in titles for x in (9, 10, 19, 20, 31)]
    [False, True, True, False, True]
    >>> titles.strictly_inside(10), titles.strictly_inside(11)
    (False, True)
    """

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        ordered = sorted(spans)
        self._starts = [start for start, _ in ordered]
        self._reach: list[int] = []  # the furthest end of the spans starting at or before each one
        furthest = -1
        for _, end in ordered:
            furthest = max(furthest, end)
            self._reach.append(furthest)

    def __contains__(self, offset: int) -> bool:
        """Some span has ``start <= offset < end``."""
        at = bisect.bisect_right(self._starts, offset) - 1
        return at >= 0 and self._reach[at] > offset

    def strictly_inside(self, offset: int) -> bool:
        """Some span has ``start < offset < end``."""
        at = bisect.bisect_left(self._starts, offset) - 1
        return at >= 0 and self._reach[at] > offset

    def __len__(self) -> int:
        return len(self._starts)
