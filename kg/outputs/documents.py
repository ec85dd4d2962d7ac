"""documents.jsonl: one JSON line per report, a stable public format (documented in docs/documents.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from kg.files.atomic import write_text
from kg.model import Report, Unit

FORMAT_VERSION = 2  # 2: instruments' relations, indicators' number/kind/measure, the page url


def unit_record(unit: Unit | None) -> dict | None:
    if unit is None:
        return None
    return {
        "name": unit.name,
        "kind": "division" if unit.kind == "division" else "department",
        "organ": unit.organ,
        "code": unit.code,
        "level": unit.level,
        "parents": [{"name": name, "code": code} for name, code in unit.parents],
        "linked": unit.linked,
        "candidates": list(unit.candidates),
        "as_written": unit.as_written,
    }


def record(report: Report) -> dict:
    """The documents.jsonl record of one report."""
    instruments: dict[str, dict] = {}
    for mention in report.instruments:
        entry = instruments.setdefault(
            mention.key,
            {
                "label": mention.label,
                "as_written": mention.as_written,
                "type": mention.type,
                "doc_number": mention.doc_number,
                "relations": [],
            },
        )
        if mention.relation not in entry["relations"]:
            entry["relations"].append(mention.relation)
    measures, seen = [], set()
    for stated in report.measures:
        key = (stated.concept or stated.label, stated.status.value)
        if key not in seen:
            seen.add(key)
            measures.append({"id": stated.concept, "label": stated.label, "status": stated.status.value, "local": stated.concept is None})
    return {
        "format": FORMAT_VERSION,
        "id": report.id,
        "file": report.file,
        "title": report.title,
        "url": report.url,
        "year": report.year,
        "unit": unit_record(report.unit),
        "instruments": list(instruments.values()),
        "measures": measures,
        "problems": [
            {"label": p.label, "text": p.text, "category": p.category, "categories": p.categories, "addressed_by": p.addressed_by}
            for p in report.problems
        ],
        "indicators": [
            {
                "metric": i.metric,
                "value": i.value,
                "unit": i.unit,
                "approximate": i.approximate,
                "year": i.year,
                "number": i.number,
                "kind": i.kind,
                "measure": i.measure,
            }
            for i in report.indicators
        ],
        "warnings": list(report.warnings),
    }


def dumps(report: Report) -> str:
    return json.dumps(record(report), ensure_ascii=False, sort_keys=False, separators=(",", ":"))


def write(reports: Iterable[Report], path: str | Path) -> None:
    """Write the records, one per line, in file order, atomically."""
    lines = [dumps(r) for r in sorted(reports, key=lambda r: r.file)]
    write_text(path, "".join(line + "\n" for line in lines))


def read(path: str | Path) -> list[dict]:
    """The records of a documents.jsonl file."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
