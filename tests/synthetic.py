"""A large graph made directly, without text: 5,000 reporting units with realistic measure profiles."""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import lru_cache

from kg.graph.merged import KnowledgeGraph
from kg.knowledge.vocab import measures
from kg.link.divisions import Division, gazetteer
from kg.link.units import division_unit
from kg.model import Evidence, InstrumentMention, MeasureMention, Report, Status


def _reports(count: int, rng: random.Random, sentence: str) -> Iterator[tuple[Report, Evidence, Division]]:
    """``count`` empty reports of towns drawn at random, each with an evidence sentence and its town."""
    gaz = gazetteer()
    towns = sorted((d for d in gaz.by_code.values() if d.level == 4), key=lambda d: d.code)
    for i, town in enumerate(rng.sample(towns, count)):
        report_id = f"r{i:05d}"
        evidence = Evidence(report_id, "1", sentence, 0, 12, sentence)
        yield (
            Report(id=report_id, file=f"r{i:05d}.txt", year=rng.randint(2020, 2025), unit=division_unit(town, town.name, gaz)),
            evidence,
            town,
        )


def _concepts() -> list[str]:
    return sorted(c.id for c in measures().concepts.values() if not c.theme)


@lru_cache(maxsize=1)
def five_thousand_units(count: int = 5000, seed: int = 7) -> KnowledgeGraph:
    rng = random.Random(seed)
    scheme, concepts = measures(), _concepts()
    # popularity falls off: a few measures nearly everyone reports, a long tail few do
    weights = [1 / (1 + i) ** 0.8 for i in range(len(concepts))]
    graph = KnowledgeGraph()
    for report, evidence, _ in _reports(count, rng, "成立了法治建设领导小组。"):
        chosen = set(rng.choices(concepts, weights, k=rng.randint(15, 35)))
        for concept in sorted(chosen):
            status = Status.PLANNED if rng.random() < 0.15 else Status.IMPLEMENTED
            report.measures.append(MeasureMention(concept, scheme[concept].label, status, evidence))
        graph.add(report)
    return graph


@lru_cache(maxsize=1)
def cited_and_practised(count: int = 2000, seed: int = 11) -> KnowledgeGraph:
    """Units that also cite instruments (200 shared, of falling popularity, and one of their own each) and run one
    practice of their own each: what a national graph has most of, and no view draws."""
    rng = random.Random(seed)
    scheme, concepts = measures(), _concepts()
    shared = [f"通用条例{i:03d}" for i in range(200)]
    weights = [1 / (1 + i) ** 0.8 for i in range(len(shared))]
    graph = KnowledgeGraph()
    for report, evidence, town in _reports(count, rng, "依据《通用条例》开展工作。"):
        for concept in sorted(set(rng.choices(concepts, k=rng.randint(10, 20)))):
            report.measures.append(MeasureMention(concept, scheme[concept].label, Status.IMPLEMENTED, evidence))
        report.measures.append(MeasureMention(None, f"{town.name}特色做法", Status.IMPLEMENTED, evidence))
        for title in sorted(set(rng.choices(shared, weights, k=rng.randint(3, 8)))) + [f"{town.name}工作办法"]:
            report.instruments.append(InstrumentMention(title, title, title, "regulation", evidence))
        graph.add(report)
    return graph
