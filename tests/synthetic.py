"""A large graph made directly, without text: 5,000 reporting units with realistic measure profiles."""

from __future__ import annotations

import random
from functools import lru_cache

from kg.graph.merged import KnowledgeGraph
from kg.knowledge.vocab import measures
from kg.link.divisions import gazetteer
from kg.link.units import division_unit
from kg.model import Evidence, MeasureMention, Report, Status


@lru_cache(maxsize=1)
def five_thousand_units(count: int = 5000, seed: int = 7) -> KnowledgeGraph:
    rng = random.Random(seed)
    gaz = gazetteer()
    towns = sorted((d for d in gaz.by_code.values() if d.level == 4), key=lambda d: d.code)
    scheme = measures()
    concepts = sorted(c.id for c in scheme.concepts.values() if not c.theme)
    # popularity falls off: a few measures nearly everyone reports, a long tail few do
    weights = [1 / (1 + i) ** 0.8 for i in range(len(concepts))]
    graph = KnowledgeGraph()
    for i, town in enumerate(rng.sample(towns, count)):
        report_id = f"r{i:05d}"
        evidence = Evidence(report_id, "1", "成立了法治建设领导小组。", 0, 12, "成立了法治建设领导小组。")
        report = Report(id=report_id, file=f"r{i:05d}.txt", year=rng.randint(2020, 2025), unit=division_unit(town, town.name, gaz))
        chosen = set(rng.choices(concepts, weights, k=rng.randint(15, 35)))
        for concept in sorted(chosen):
            status = Status.PLANNED if rng.random() < 0.15 else Status.IMPLEMENTED
            report.measures.append(MeasureMention(concept, scheme[concept].label, status, evidence))
        graph.add(report)
    return graph
