"""Recurring problems: the problem items of many reports that say the same thing, grouped.

A problem item is read as its content words (:mod:`kg.extract.topics`: jieba's tokens without the
genre's function words): the words of its headline, and at half weight those of its text's first sentences. Words are
weighted by their rarity among all items (IDF), items compared by cosine; two items are linked when their
similarity reaches :data:`THRESHOLD` and they share a category (multi-label: any of theirs; a group may
chain through an item of two categories). Louvain communities of these links, found in at least two reports, are the recurring
problems; each is named by its most central item's headline and the words its items share most.

Items with the same words are one point of the space (a template said by a thousand reports is
compared once), and candidate pairs come from shared words of at most :data:`CANDIDATE_POSTINGS` points,
so the work grows with the variety of what reports say, not with their number.

>>> items = [Item("p1", "u1", 2023, "执法力量不足", "执法力量不足,人少案多。", ("enforcement-capacity",)),
...          Item("p2", "u2", 2023, "执法队伍薄弱", "执法队伍薄弱。", ("enforcement-capacity",)),
...          Item("p3", "u3", 2023, "法治宣传形式单一", "普法形式单一。", ("publicity-uneven",))]
>>> [(g.headline, g.units) for g in recurring(items)]
[('执法力量不足', ['u1', 'u2'])]
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import networkx as nx

from kg.extract.topics import problem_words

THRESHOLD = 0.25  # cosine at which two problem items are linked (set on the real items of the seeds and dev corpora)
TEXT_WEIGHT = 0.5  # a word of the item's text counts half a word of its headline
CANDIDATE_POSTINGS = 2000  # a word shared by more distinct items does not by itself propose pairs
SEED = 42
NAMING_WORDS = 3


@dataclass(frozen=True)
class Item:
    """One problem item: its node, unit, year, headline, text and categories (main first)."""

    key: str
    unit: str
    year: int | None
    headline: str
    text: str
    categories: tuple[str, ...]
    words: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # headline and text words, when already known


@dataclass
class Recurring:
    """A problem said in several reports: its items, and what names it."""

    headline: str
    words: list[str]
    categories: list[str]
    items: list[Item] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        return sorted({i.unit for i in self.items})

    @property
    def years(self) -> list[int]:
        return sorted({i.year for i in self.items if i.year})


def vector(item: Item) -> dict[str, float]:
    """The item's words (:func:`kg.extract.topics.problem_words`, unless given): headline words weigh 1, words of
    the first sentences of its text :data:`TEXT_WEIGHT`."""
    headline, text = item.words if item.words is not None else problem_words(item.headline, item.text)
    return {**dict.fromkeys(text, TEXT_WEIGHT), **dict.fromkeys(headline, 1.0)}


def recurring(items: list[Item], threshold: float = THRESHOLD) -> list[Recurring]:
    """The problems at least two reports state, largest first."""
    # one point per distinct (words, categories): identical items are compared once (and their words are held once,
    # not a vector per item); an item without content words (存在不足, 有待加强) says nothing that could recur
    points: dict[tuple, list[int]] = defaultdict(list)
    for n, item in enumerate(items):
        if v := vector(item):
            points[(tuple(sorted(v.items())), tuple(sorted(item.categories)))].append(n)
    keys = sorted(points)
    frequency: Counter[str] = Counter()
    for key in keys:
        frequency.update({w: len(points[key]) for w, _ in key[0]})
    total = len(items)
    idf = {w: math.log(total / f) + 1.0 for w, f in frequency.items()}  # +1: a word every item has still counts a little
    weighted = []
    for words, _ in keys:
        v = {w: c * idf[w] for w, c in words}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        weighted.append({w: x / norm for w, x in v.items()})

    postings: dict[str, list[int]] = defaultdict(list)
    for p, v in enumerate(weighted):
        for w in v:
            postings[w].append(p)
    links = nx.Graph()
    links.add_nodes_from(range(len(keys)))
    for p, v in enumerate(weighted):
        candidates = {q for w in v if len(postings[w]) <= CANDIDATE_POSTINGS for q in postings[w] if q > p}
        for q in sorted(candidates):
            if not set(keys[p][1]) & set(keys[q][1]):
                continue  # never the same problem when they share no category
            score = sum(x * weighted[q].get(w, 0.0) for w, x in v.items())
            if score >= threshold:
                links.add_edge(p, q, weight=round(score, 6))
    groups = []
    for community in nx.community.louvain_communities(links, weight="weight", seed=SEED):
        members = sorted(community)
        indices = sorted(n for p in members for n in points[keys[p]])
        if len({items[n].key.rsplit(":", 1)[0] for n in indices}) < 2:
            continue  # said by one report only
        groups.append(_named(members, indices, items, weighted, keys, points))
    return sorted(groups, key=lambda g: (-len(g.units), -len(g.items), g.headline))


def _named(members: list[int], indices: list[int], items: list[Item], weighted: list[dict], keys: list, points: dict) -> Recurring:
    """A group named by its most central item (greatest similarity to the others, by items) and the words that weigh
    most in it among those two items or more say."""

    weight: Counter[str] = Counter()  # the items' vectors summed: a word's weight in the group, headline and rare words first
    for p in members:
        for w, x in weighted[p].items():
            weight[w] += x * len(points[keys[p]])
    # an item's similarity to all the group's items is its similarity to their sum
    centre = min(members, key=lambda p: (-round(sum(x * weight[w] for w, x in weighted[p].items()), 6), p))
    said_by = Counter(w for p in members for w, _ in keys[p][0] for _ in points[keys[p]])
    words = [w for w, _ in sorted(weight.items(), key=lambda x: (-round(x[1], 6), x[0])) if said_by[w] >= 2][:NAMING_WORDS]
    categories: Counter[str] = Counter(c for n in indices for c in items[n].categories)
    return Recurring(
        headline=items[points[keys[centre]][0]].headline,
        words=words,
        categories=[c for c, _ in sorted(categories.items(), key=lambda x: (-x[1], x[0]))],
        items=[items[n] for n in indices],
    )
