"""Encoding detection, kg against charset-normalizer, on the bundled reports written in the encodings users meet.

Every seed and dev-corpus report (118 texts) is encoded in UTF-8 (with and
without a byte-order mark), GB18030, Big5 (after conversion to traditional
characters), UTF-16 with a mark and without one in either byte order; whole,
cut to its first 300 and 60 characters, and (in UTF-8) with one damaged byte.
A reading is right when it gives back the text exactly (for the damaged file:
the text with one U+FFFD). Prints one row per case with the count each
detector gets right.

    python -m bench.encodings
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = (ROOT / "seeds", ROOT / "tests" / "data" / "corpus", ROOT / "tests" / "data" / "corpus2")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "big5", "utf-16", "utf-16-le", "utf-16-be")


def cases(texts: list[str]):
    """(case name, bytes, the text a right reading gives)."""
    import opencc

    traditional = opencc.OpenCC("s2t")
    for text in texts:
        for length in (None, 300, 60):
            part = text[:length] if length else text
            for encoding in ENCODINGS:
                source = traditional.convert(part) if encoding == "big5" else part
                data = source.encode(encoding, errors="ignore")  # Big5 lacks a few characters: left out of both sides
                yield f"{encoding} {length or 'whole'}", data, data.decode(encoding)
        middle = len(text[: len(text) // 2].encode("utf-8"))
        raw = text.encode("utf-8")
        yield "utf-8, one damaged byte", raw[:middle] + b"\xff" + raw[middle:], text[: len(text) // 2] + "\ufffd" + text[len(text) // 2 :]


def main() -> int:
    from kg.text.read import ReadError, decode

    try:
        from charset_normalizer import from_bytes
    except ImportError:
        from_bytes = None
    texts = [path.read_text(encoding="utf-8") for folder in SETS for path in sorted(folder.glob("*.txt"))]
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    seconds = [0.0, 0.0]
    for name, data, expected in cases(texts):
        row = right[name]
        row[0] += 1
        clock = time.perf_counter()
        try:
            row[1] += decode(data)[0] == expected
        except ReadError:
            pass
        seconds[0] += time.perf_counter() - clock
        if from_bytes is not None:
            clock = time.perf_counter()
            best = from_bytes(data).best()
            seconds[1] += time.perf_counter() - clock
            row[2] += best is not None and str(best) == expected
    print(
        f"encoding detection on {len(texts)} reports (right readings; charset-normalizer "
        f"{'not installed' if from_bytes is None else 'for comparison'})"
    )
    print(f"{'case':<28}{'files':>6}{'kg':>6}{'charset-normalizer':>20}")
    for name, (count, ours, theirs) in right.items():
        print(f"{name:<28}{count:>6}{ours:>6}{'' if from_bytes is None else theirs:>20}")
    total = [sum(row[i] for row in right.values()) for i in range(3)]
    print(f"{'all':<28}{total[0]:>6}{total[1]:>6}{'' if from_bytes is None else total[2]:>20}")
    print(f"time: kg {seconds[0]:.2f} s" + ("" if from_bytes is None else f", charset-normalizer {seconds[1]:.2f} s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
