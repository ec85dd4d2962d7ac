"""Time against input size: one long report and one page of unmatched tags, at growing sizes.

A report is a seed repeated to 2, 8 and 32 MB; a saved page is a seed behind 5,000,
20,000, 80,000 and 320,000 unclosed ``<div><span><p>`` tags. For each, the time to read and
extract it is printed beside a floor measured in the same run on the same bytes
(decoding them and one pass of a regular expression over the text), and
the growth per byte relative to the smallest size: about 1.0 when the time is linear,
4.0 and more when it is quadratic (a 5 MB report used to take 49 s).

    python -m bench.scaling
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_5cc3c28cd58ae867.txt"
_ANY_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？\n]")


def long_report(text: str, megabytes: int) -> bytes:
    copies = megabytes * 1_000_000 // len(text.encode("utf-8")) + 1
    return "\n".join([text] * copies).encode("utf-8")


def unmatched_tags(text: str, tags: int) -> bytes:
    body = text.replace("\n", "<br>")
    return f"<html><body>{'<div><span><p>' * tags}{body}</body></html>".encode()


def _seconds(job) -> float:
    clock = time.perf_counter()
    job()
    return time.perf_counter() - clock


def measure(name: str, data: bytes, file_name: str) -> tuple[float, float]:
    """(seconds to read and extract, seconds of the floor) for one input."""
    from kg.extract.pipeline import process_source
    from kg.text.read import decode, read_bytes

    floor = _seconds(lambda: sum(1 for _ in _ANY_SENTENCE.finditer(decode(data)[0])))
    total = _seconds(lambda: process_source(read_bytes(data, file_name)))
    return total, floor


def main() -> int:
    from kg.extract.pipeline import process

    text = SEED.read_text(encoding="utf-8")
    process(SEED)  # load the lexicons once, outside the figures
    print("time against input size (growth: seconds per byte relative to the smallest input; 1.0 is linear)")
    print(f"{'input':<34}{'bytes':>12}{'seconds':>9}{'floor s':>9}{'× floor':>9}{'growth':>8}")
    for kind, sizes, make, file_name in (
        ("report of {} MB", (2, 8, 32), long_report, "long.txt"),
        ("page with {:,} unmatched tags", (5_000, 20_000, 80_000, 320_000), unmatched_tags, "tags.html"),
    ):
        first = None
        for size in sizes:
            data = make(text, size)
            seconds, floor = measure(kind.format(size), data, file_name)
            per_byte = seconds / len(data)
            first = first or per_byte
            print(
                f"{kind.format(size):<34}{len(data):>12,}{seconds:>9.2f}{floor:>9.2f}{seconds / floor:>9.1f}{per_byte / first:>8.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
