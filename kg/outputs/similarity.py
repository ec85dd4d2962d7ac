"""Fair comparison of units: measures weighted by rarity (IDF), cosine similarity, boilerplate flagged.

Plain Jaccard over measure sets lets what nearly every report says (第一责任人,
领导干部学法用法) decide who resembles whom, and punishes an excerpt for being
short. Here a measure weighs its inverse document frequency over units,
``log(N / df)`` (Spärck Jones 1972), so a measure every unit states weighs
nothing and one of few units weighs most; units are compared by the cosine of
their weighted vectors (Salton & McGill 1983), which divides by the length of
both profiles: an excerpt naming five of a full report's twenty measures scores
``sqrt(5/20) = 0.5`` against it, where Jaccard gives 0.25. Measures at least
:data:`BOILERPLATE_SHARE` of units state are *boilerplate*: listed, but never
what makes a unit or a cluster distinctive.

>>> p = Profiles({"a": {"x", "y"}, "b": {"x", "z"}, "c": {"x", "z"}})
>>> p.boilerplate("x"), round(p.weight("z"), 3)
(True, 0.405)
>>> round(p.cosine("b", "c"), 3), p.cosine("a", "b")
(1.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

BOILERPLATE_SHARE = 0.5  # a measure this share of units states or more is boilerplate
DIGITS = 6  # similarities are rounded before ranking: the order cannot depend on the last bits of a sum
SCORE_CELLS = 1 << 22  # similarity scores computed at once (32 MB): a block of rows of a units × units product
MAX_BLOCK = 1024  # rows of a block, at most


class Profiles:
    """The measures of each unit, with the rarity of each measure across these units.

    A profile may be any collection of measures without repeats: a national analysis passes tuples of strings
    held once each (a set of 30 measures costs three times its tuple, and there are 40,000 units).
    """

    def __init__(self, profiles: Mapping[str, Collection[str]]) -> None:
        self.profiles = profiles
        self.units = len(profiles)
        self.frequency: dict[str, int] = {}
        for measures in profiles.values():
            for m in measures:
                self.frequency[m] = self.frequency.get(m, 0) + 1
        # asked millions of times at national scale (every pair of similar units, every row): worked out once
        self._weights = {m: math.log(self.units / df) for m, df in self.frequency.items()}
        self._boilerplate = {m for m, df in self.frequency.items() if df > 1 and df / self.units >= BOILERPLATE_SHARE}

    def share(self, measure: str) -> float:
        """The share of units stating ``measure``."""
        return self.frequency.get(measure, 0) / self.units if self.units else 0.0

    def boilerplate(self, measure: str) -> bool:
        """Stated by at least :data:`BOILERPLATE_SHARE` of units (and by more than one)."""
        return measure in self._boilerplate

    def weight(self, measure: str) -> float:
        """Inverse document frequency over units: ``log(N / df)``; 0 for a measure every unit states."""
        return self._weights.get(measure, 0.0)

    def shared(self, a: str, b: str) -> set[str]:
        """The measures units ``a`` and ``b`` both implement."""
        return set(self.profiles[a]).intersection(self.profiles[b])

    def cosine(self, a: str, b: str) -> float:
        """Cosine of the IDF-weighted measure vectors of units ``a`` and ``b``."""
        pa, pb = self.profiles[a], self.profiles[b]
        dot = sum(self.weight(m) ** 2 for m in self.shared(a, b))
        norm = math.sqrt(sum(self.weight(m) ** 2 for m in pa) * sum(self.weight(m) ** 2 for m in pb))
        return round(dot / norm, DIGITS) if norm else 0.0

    def shared_distinctive(self, a: str, b: str, limit: int = 3) -> list[str]:
        """What two units share that is not boilerplate, rarest first."""
        shared = [m for m in self.shared(a, b) if not self.boilerplate(m)]
        return sorted(shared, key=lambda m: (-self.weight(m), m))[:limit]

    def neighbours(self, wanted: int, cells: int = SCORE_CELLS) -> dict[str, list[tuple[float, str]]]:
        """Each unit's ``wanted`` most similar units by :meth:`cosine`, best first (ties by key).

        The weighted vectors form a matrix; the similarities of all pairs are its product with its
        transpose, taken a block of rows at a time — as many rows as make ``cells`` scores — so memory stays
        bounded whatever the number of units (five thousand units: about a second).
        Only measures two units or more state are columns: one unit's own practices change the lengths of
        its vector (counted in the norms) but no product, and they are most of the measures (a dense matrix of
        every practice would need gigabytes at a national corpus).
        """
        import numpy as np

        keys = sorted(self.profiles)
        shared = sorted(m for m, df in self.frequency.items() if df > 1)
        wanted = min(wanted, len(keys) - 1)
        if not keys or not shared or wanted < 1:
            return {k: [] for k in keys}
        column = {m: i for i, m in enumerate(shared)}
        weights = np.array([self.weight(m) for m in shared])
        norms = np.array([math.sqrt(sum(self.weight(m) ** 2 for m in self.profiles[key])) for key in keys])
        matrix = np.zeros((len(keys), len(shared)), dtype=np.float64)
        for row, key in enumerate(keys):
            columns = [column[m] for m in self.profiles[key] if m in column]
            matrix[row, columns] = weights[columns]
        np.divide(matrix, norms[:, None], out=matrix, where=norms[:, None] > 0)  # in place: a unit without measures stays 0
        best: dict[str, list[tuple[float, str]]] = {}
        block = max(1, min(MAX_BLOCK, cells // len(keys)))
        for start in range(0, len(keys), block):
            scores = matrix[start : start + block] @ matrix.T
            np.round(scores, DIGITS, out=scores)
            for offset in range(scores.shape[0]):
                row = start + offset
                line = scores[offset]
                line[row] = -1.0  # not similar to itself
                # the best few: a partition, then an exact order (score down, then key) among them and their ties
                kth = np.partition(line, len(line) - wanted)[len(line) - wanted]
                candidates = np.nonzero(line >= kth)[0]
                order = candidates[np.lexsort((candidates, -line[candidates]))][:wanted]
                best[keys[row]] = [(float(line[j]), keys[j]) for j in order if line[j] > 0]
        return best
