"""Measuring the extractors against hand-made gold (tests/gold/): precision, recall, F1, misses.

Each gold file names a report; the report is built and what the tool found is
compared with the gold, kind by kind and relation by relation. Matching is
exact where identity is exact (division codes, measure ids with status,
canonical instrument titles after folding punctuation) and tolerant where
wording varies (problem items by text overlap, indicators by value, unit and
a similar metric, local practices by name containment).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.extract.pipeline import process
from kg.knowledge.vocab import measures as measure_scheme
from kg.link.divisions import gazetteer
from kg.link.instruments import fold
from kg.model import InstrumentMention, Report, Status
from kg.text.sources import beside

ENTITY_KINDS = ("units", "instruments", "measures", "problems", "indicators")
# the scheme the gold files were annotated against: of 2026-12-01 unless a file says otherwise ("annotated": "YYYY-MM-DD")
GOLD_ANNOTATED = "2026-12-01"
RELATION_KINDS = (
    "publishedBy",
    "partOf",
    "mentions",
    "cites",
    "implements",
    "plans",
    "states",
    "addressedBy",
    "basedOn",
    "instrumentRelation",
)
ACCURACY_KINDS = (
    "unit linking",
    "unit code",
    "unit with source",
    "department named",
    "year",
    "instrument type",
    "problem category",
    "problem category among its categories",
    "indicator approximate",
    "indicator measure",
)


@dataclass
class Score:
    """Counts for one kind, with what was missed and what was wrongly found."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_hits: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.misses += other.misses
        self.false_hits += other.false_hits

    def as_dict(self) -> dict:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "misses": self.misses,
            "false_hits": self.false_hits,
        }


@dataclass
class Accuracy:
    """Right answers among the items both sides have (year, category of a matched problem …)."""

    right: int = 0
    total: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0

    def add(self, ok: bool, note: str) -> None:
        self.total += 1
        if ok:
            self.right += 1
        else:
            self.wrong.append(note)

    def merge(self, other: Accuracy) -> None:
        self.right += other.right
        self.total += other.total
        self.wrong += other.wrong

    def as_dict(self) -> dict:
        return {"right": self.right, "total": self.total, "accuracy": round(self.value, 4), "wrong": self.wrong}


@dataclass
class Evaluation:
    """Scores summed over a gold folder."""

    reports: int = 0
    entities: dict[str, Score] = field(default_factory=lambda: {k: Score() for k in ENTITY_KINDS})
    relations: dict[str, Score] = field(default_factory=lambda: {k: Score() for k in RELATION_KINDS})
    accuracy: dict[str, Accuracy] = field(default_factory=lambda: {k: Accuracy() for k in ACCURACY_KINDS})
    wrong_links: list[str] = field(default_factory=list)  # reports linked to another unit than the gold's
    phantoms: list[str] = field(default_factory=list)  # divisions found named that the gold does not list

    def merge(self, other: Evaluation) -> None:
        self.reports += other.reports
        for name, score in other.entities.items():
            self.entities[name].add(score)
        for name, score in other.relations.items():
            self.relations[name].add(score)
        for name, accuracy in other.accuracy.items():
            self.accuracy[name].merge(accuracy)
        self.wrong_links += other.wrong_links
        self.phantoms += other.phantoms

    def as_dict(self) -> dict:
        return {
            "reports": self.reports,
            "entities": {k: v.as_dict() for k, v in self.entities.items()},
            "relations": {k: v.as_dict() for k, v in self.relations.items()},
            "accuracy": {k: v.as_dict() for k, v in self.accuracy.items()},
            "wrong_links": self.wrong_links,
            "phantom_divisions": self.phantoms,
        }


def compare_sets(gold: Iterable, found: Iterable, label: str, show: Callable = str) -> Score:
    """Exact matching of two sets of hashable items."""
    gold, found = set(gold), set(found)
    score = Score(len(gold & found), len(found - gold), len(gold - found))
    score.misses = [f"{label}: {show(x)}" for x in sorted(gold - found, key=str)]
    score.false_hits = [f"{label}: {show(x)}" for x in sorted(found - gold, key=str)]
    return score


def compare_greedy(
    gold: list, found: list, same: Callable, label: str, show_gold: Callable, show_found: Callable
) -> tuple[Score, list[tuple[int, int]]]:
    """One-to-one matching where ``same(gold_item, found_item)`` decides; returns the pairs too."""
    pairs, used = [], set()
    for i, g in enumerate(gold):
        for j, f in enumerate(found):
            if j not in used and same(g, f):
                pairs.append((i, j))
                used.add(j)
                break
    matched_gold = {i for i, _ in pairs}
    score = Score(len(pairs), len(found) - len(pairs), len(gold) - len(pairs))
    score.misses = [f"{label}: {show_gold(g)}" for i, g in enumerate(gold) if i not in matched_gold]
    score.false_hits = [f"{label}: {show_found(f)}" for j, f in enumerate(found) if j not in used]
    return score, pairs


def _overlap(a: str, b: str) -> float:
    """Share of the shorter string's characters (as a multiset of bigrams) found in the longer."""

    def grams(s: str) -> list[str]:
        s = "".join(c for c in s if not c.isspace())
        return [s[i : i + 2] for i in range(len(s) - 1)] or [s]

    ga, gb = grams(a), grams(b)
    if len(ga) > len(gb):
        ga, gb = gb, ga
    pool = list(gb)
    hits = 0
    for g in ga:
        if g in pool:
            pool.remove(g)
            hits += 1
    return hits / len(ga) if ga else 0.0


def _similar(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    return bool(a and b) and (a in b or b in a or _overlap(a, b) >= 0.5)


def _unit_ok(gold: dict, report: Report) -> bool:
    unit = report.unit
    if not gold.get("linked", True):
        return unit is None or not unit.linked
    if unit is None or not unit.linked:
        return False
    if (gold.get("code") or None) != unit.code:
        return False
    if gold.get("kind") == "department":
        return unit.kind == "department" and (gold.get("organ") in (None, unit.organ))
    return unit.kind == "division"


def _show_unit(report: Report) -> str:
    unit = report.unit
    if unit is None:
        return "none"
    return f"{unit.name} {unit.code if unit.linked else 'unlinked'} ({unit.kind}{', ' + unit.organ if unit.organ else ''})"


def evaluate_report(gold: dict, report: Report) -> Evaluation:
    """Scores of one report against its gold."""
    name = Path(gold["file"]).name
    result = Evaluation(reports=1)
    acc = result.accuracy
    ent = result.entities
    rel = result.relations

    gold_unit = gold.get("unit") or {}
    unit_right = _unit_ok(gold_unit, report) if gold_unit else report.unit is None
    found_unit = _show_unit(report)
    note = f"{name}: gold {gold_unit.get('name')} {gold_unit.get('code') or gold_unit.get('actual')}, found {found_unit}"
    acc["unit linking"].add(unit_right, note)
    if gold_unit.get("linked", True) and gold_unit:
        acc["unit code"].add(unit_right, note)
    true_code = gold_unit.get("code") or gold_unit.get("actual")
    if true_code or gold_unit.get("level") == "central":
        acc["unit with source"].add(_unit_ok({**gold_unit, "code": true_code, "linked": True}, report), note)
    if (
        report.unit is not None
        and report.unit.linked
        and gold_unit
        and not _unit_ok({**gold_unit, "code": true_code, "linked": True}, report)
    ):
        if true_code or gold_unit.get("linked", True):
            result.wrong_links.append(note)
    if gold_unit.get("kind") == "department":
        acc["department named"].add(_unit_ok({**gold_unit, "code": true_code, "linked": True}, report), note)
    acc["year"].add(gold.get("year") == report.year, f"{name}: gold {gold.get('year')}, found {report.year}")
    gold_code = (gold.get("unit") or {}).get("code") if (gold.get("unit") or {}).get("linked", True) else None
    rel["publishedBy"] = compare_sets(
        [gold_code] if gold_code else [], [report.unit.code] if report.unit and report.unit.linked and report.unit.code else [], name
    )

    # partOf: the reporting unit's chain of divisions
    gaz = gazetteer()

    def chain_links(code):
        chain = gaz.chain(code) if code else []
        return {(a.code, b.code) for a, b in zip(chain, chain[1:])}

    found_code = report.unit.code if report.unit and report.unit.linked else None
    rel["partOf"] = compare_sets(chain_links(gold_code), chain_links(found_code), name)

    # units and organs named in the body
    def unit_item(u: dict):
        # 区政府 is the district itself: an organ 人民政府 of a division counts as the division
        if "division" in u or (u.get("organ") == "人民政府" and u.get("owner")):
            return ("division", u.get("division") or u.get("owner"))
        return ("organ", u["organ"], u.get("owner"))

    found_units: set[tuple[str | None, ...]] = set()  # ("division", code) or ("organ", organ, owner code)
    for mention in report.organs:
        unit = mention.unit
        if unit.kind == "division":
            if unit.linked:
                found_units.add(("division", unit.code))
        else:
            found_units.add(("organ", unit.organ, unit.code if unit.linked else None))
    gold_units = {unit_item(u) for u in gold.get("units", [])}
    ent["units"] = compare_sets(gold_units, found_units, name)
    rel["mentions"] = ent["units"]
    # a phantom: a division found named that the gold neither lists, nor has as an organ's owner or the unit's parent
    shown = {item[-1] for item in gold_units} | {d.code for d in gaz.chain(true_code or "")}
    for mention in report.organs:
        unit = mention.unit
        if unit.kind == "division" and unit.linked and unit.code not in shown:
            shown.add(unit.code)
            result.phantoms.append(f"{name}: {unit.as_written} → {unit.name} {unit.code} in {mention.evidence.sentence[:60]}")

    # instruments: canonical titles after folding
    gold_instruments = {fold(i["label"]): i for i in gold.get("instruments", [])}
    found_instruments: dict[str, InstrumentMention] = {}
    for instrument in report.instruments:
        found_instruments.setdefault(instrument.key, instrument)
    ent["instruments"] = compare_sets(
        gold_instruments, found_instruments, name, show=lambda k: (gold_instruments.get(k) or {}).get("label") or found_instruments[k].label
    )
    rel["cites"] = ent["instruments"]
    gold_relations, found_relations = set(), set()
    for key in sorted(gold_instruments.keys() & found_instruments.keys()):
        g, instrument = gold_instruments[key], found_instruments[key]
        acc["instrument type"].add(g["type"] == instrument.type, f"{name}: {g['label']}: gold {g['type']}, found {instrument.type}")
        if "relations" in g:
            gold_relations |= {(g["label"], r) for r in g["relations"]}
            found_relations |= {(g["label"], m.relation) for m in report.instruments if m.key == key}
    rel["instrumentRelation"] = compare_sets(gold_relations, found_relations, name, show=lambda x: f"{x[0]} {x[1]}")

    # measures with status; local practices by name
    gold_concepts = {(m["id"], m["status"]) for m in gold.get("measures", []) if "id" in m}
    # a concept that joined the scheme after the gold was annotated is one the annotator could not name: left out
    annotated, scheme = gold.get("annotated", GOLD_ANNOTATED), measure_scheme()
    named = {concept for concept, _ in gold_concepts}
    found_concepts = {
        (m.concept, m.status.value)
        for m in report.measures
        if m.concept and (m.concept in named or m.concept not in scheme or not scheme[m.concept].created > annotated)
    }
    concepts = compare_sets(gold_concepts, found_concepts, name, show=lambda x: f"{x[0]} ({x[1]})")
    gold_local = [m for m in gold.get("measures", []) if "local" in m]
    found_local = list({(m.label, m.status.value) for m in report.measures if not m.concept})
    found_local.sort()
    local, _ = compare_greedy(
        gold_local,
        found_local,
        lambda g, f: g["status"] == f[1] and _similar(g["local"], f[0]),
        name,
        lambda g: f"local {g['local']} ({g['status']})",
        lambda f: f"local {f[0]} ({f[1]})",
    )
    measures = Score()
    measures.add(concepts)
    measures.add(local)
    ent["measures"] = measures
    for status, relation in ((Status.IMPLEMENTED.value, "implements"), (Status.PLANNED.value, "plans")):
        rel[relation] = compare_sets({c for c, s in gold_concepts if s == status}, {c for c, s in found_concepts if s == status}, name)

    # problems by text overlap; categories and remedies of matched items
    gold_problems = gold.get("problems", [])
    found_problems = report.problems
    problems, pairs = compare_greedy(
        gold_problems,
        found_problems,
        lambda g, f: _similar(g["label"], f.label) or _overlap(g["text"], f.text) >= 0.6,
        name,
        lambda g: g["label"],
        lambda f: f.label,
    )
    ent["problems"] = problems
    rel["states"] = problems
    gold_pairs, found_pairs = set(), set()
    for g in gold_problems:
        gold_pairs |= {(g["label"], m) for m in g.get("addressed_by", [])}
    for i, j in pairs:
        g, f = gold_problems[i], found_problems[j]
        acc["problem category"].add(g["category"] == f.category, f"{name}: {g['label']}: gold {g['category']}, found {f.category}")
        acc["problem category among its categories"].add(
            g["category"] in f.categories, f"{name}: {g['label']}: gold {g['category']}, found {', '.join(f.categories)}"
        )
        found_pairs |= {(g["label"], m) for m in f.addressed_by}
    matched = {j for _, j in pairs}
    for j, f in enumerate(found_problems):
        if j not in matched:
            found_pairs |= {(f.label, m) for m in f.addressed_by}
    rel["addressedBy"] = compare_sets(gold_pairs, found_pairs, name, show=lambda x: f"{x[0]} → {x[1]}")

    # based-on pairs
    gold_based = {(b["measure"], fold(b["instrument"])) for b in gold.get("based_on", [])}
    found_based = {(m.concept, key) for m in report.measures if m.concept for key in m.based_on}
    rel["basedOn"] = compare_sets(gold_based, found_based, name)

    # indicators: same value and unit of measure, similar metric
    gold_indicators = gold.get("indicators", [])
    found_indicators = report.indicators
    indicators, pairs = compare_greedy(
        gold_indicators,
        found_indicators,
        lambda g, f: str(g["value"]) == f.value and g["unit"] == f.unit and _similar(g["metric"], f.metric),
        name,
        lambda g: f"{g['metric']} {g['value']}{g['unit']}",
        lambda f: f"{f.metric} {f.value}{f.unit}",
    )
    ent["indicators"] = indicators
    for i, j in pairs:
        g, indicator = gold_indicators[i], found_indicators[j]
        acc["indicator approximate"].add(bool(g.get("approximate")) == indicator.approximate, f"{name}: {g['metric']} {g['value']}")
        if "measure" in g:
            acc["indicator measure"].add(
                g["measure"] == indicator.measure, f"{name}: {g['metric']} {g['value']}: gold {g['measure']}, found {indicator.measure}"
            )
    return result


def gold_files(gold_dir: str | Path) -> list[Path]:
    return sorted(Path(gold_dir).rglob("*.json"))


def locate(gold_path: Path, file: str) -> Path:
    """The report a gold file names: relative to the working folder or to a folder above the gold file."""
    for base in (Path.cwd(), *gold_path.resolve().parents):
        candidate = base / file
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{gold_path}: report {file} not found")


def evaluate(gold_dir: str | Path, with_sources: bool = False) -> Evaluation:
    """Build every report the gold names and score it.

    ``with_sources``: give each report the page address listed for it in a
    sources.jsonl of its folder (never the unit listed there: that is the answer).
    """
    total = Evaluation(reports=0)
    for path in gold_files(gold_dir):
        gold = json.loads(path.read_text(encoding="utf-8"))
        report_path = locate(path, gold["file"])
        report = process(report_path, hint=beside(report_path, urls_only=True) if with_sources else None)
        total.merge(evaluate_report(gold, report))
    return total


# the figures compared across gold sets: (label, how to read it off an Evaluation)
SUMMARY_ROWS: tuple[tuple[str, Callable[[Evaluation], str]], ...] = (
    ("reports", lambda e: str(e.reports)),
    ("unit code right (text determines)", lambda e: _ratio(e.accuracy["unit code"])),
    ("unit right, unlinked where the text is silent", lambda e: _ratio(e.accuracy["unit linking"])),
    ("unit right with source hints", lambda e: _ratio(e.accuracy["unit with source"])),
    ("wrong links", lambda e: str(len(e.wrong_links))),
    ("departments named with their division", lambda e: _ratio(e.accuracy["department named"])),
    ("year", lambda e: _ratio(e.accuracy["year"])),
    ("instruments F1", lambda e: f"{e.entities['instruments'].f1:.3f}"),
    ("instrument type", lambda e: _ratio(e.accuracy["instrument type"])),
    ("instrument relation F1", lambda e: _f1(e.relations["instrumentRelation"])),
    ("measures P / R / F1", lambda e: _prf(e.entities["measures"])),
    ("indicators P / R / F1", lambda e: _prf(e.entities["indicators"])),
    ("indicator tied to its measure", lambda e: _ratio(e.accuracy["indicator measure"])),
    ("units and organs F1", lambda e: f"{e.entities['units'].f1:.3f}"),
    ("phantom divisions", lambda e: str(len(e.phantoms))),
)


def _ratio(a: Accuracy) -> str:
    return f"{a.value:.3f} ({a.right}/{a.total})" if a.total else "—"


def _prf(s: Score) -> str:
    return f"{s.precision:.3f} / {s.recall:.3f} / {s.f1:.3f}" if s.tp + s.fp + s.fn else "—"


def _f1(s: Score) -> str:
    return f"{s.f1:.3f}" if s.tp + s.fp + s.fn else "—"


def format_summary(results: dict[str, Evaluation]) -> str:
    """The key figures of several gold sets side by side (one column per set)."""
    names = list(results)
    rows = [[label] + [read(results[n]) for n in names] for label, read in SUMMARY_ROWS]
    widths = [max(len(r[i]) for r in rows + [["", *names]]) for i in range(len(names) + 1)]
    lines = ["  ".join(["".ljust(widths[0])] + [n.rjust(w) for n, w in zip(names, widths[1:])])]
    lines += ["  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]) for r in rows]
    return "\n".join(lines)


def format_table(evaluation: Evaluation, misses: int = 20) -> str:
    """A readable report: scores per kind, accuracies, then misses and false hits."""
    lines = [f"reports: {evaluation.reports}", "", f"{'entity kind':<22}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}"]
    for name, s in evaluation.entities.items():
        lines.append(f"{name:<22}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.tp:>6}{s.fp:>6}{s.fn:>6}")
    lines += ["", f"{'relation kind':<22}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}"]
    for name, s in evaluation.relations.items():
        lines.append(f"{name:<22}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.tp:>6}{s.fp:>6}{s.fn:>6}")
    lines += ["", f"{'accuracy':<22}{'':>7}{'':>7}{'acc':>7}{'right':>6}{'of':>6}"]
    for name, a in evaluation.accuracy.items():
        lines.append(f"{name:<22}{'':>7}{'':>7}{a.value:>7.3f}{a.right:>6}{a.total:>6}")
    if misses:
        for title, picker in (("misses", lambda s: s.misses), ("false hits", lambda s: s.false_hits)):
            lines += ["", f"{title} (first {misses} per kind):"]
            for name, s in evaluation.entities.items():
                for item in picker(s)[:misses]:
                    lines.append(f"  {name:<12} {item}")
        for title, items in (("wrong links", evaluation.wrong_links), ("phantom divisions", evaluation.phantoms)):
            if items:
                lines += ["", f"{title}:"] + [f"  {item}" for item in items[:misses]]
        wrong = [(name, w) for name, a in evaluation.accuracy.items() for w in a.wrong]
        if wrong:
            lines += ["", f"wrong answers (first {misses} per kind):"]
            shown: dict[str, int] = {}
            for name, w in wrong:
                shown[name] = shown.get(name, 0) + 1
                if shown[name] <= misses:
                    lines.append(f"  {name:<22} {w}")
    return "\n".join(lines)
