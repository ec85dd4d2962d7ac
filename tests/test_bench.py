"""bench/national.py: the national bench run end to end at a tiny size, and its Done-when checks."""

from __future__ import annotations

from bench.national import bench_size, checks, report


def _run(size: int, build_s: float, pss: float, edit_s: float, views_s: float) -> dict:
    run = {"process_wall": edit_s, "pss_mb": pss, "main": {"wall": {"html": views_s}}}
    return {
        "size": size,
        "build": {"process_wall": build_s, "pss_mb": pss, "main": {"wall": {}}},
        "edit": run,
        "remove": run,
        "add": run,
        "turtle_bytes": 40_000 * size,
        "output_bytes": 70_000 * size,
        "cache_bytes": 100_000 * size,
    }


def test_the_bounds_are_checked_at_the_national_size_only():
    small, large = _run(10_000, 200.0, 1000.0, 5.0, 2.0), _run(100_000, 1199.0, 1100.0, 4.9, 2.0)
    marks = checks([small, large])
    assert marks == [
        "✓ peak memory at 100,000 is +10% of that at 10,000 (at most +20 %)",
        "✓ peak memory at 100,000: 1,100 MB (at most 1.5 GB)",
        "✓ 100,000 reports built in 20.0 min (at most 20)",
        "✓ edit one of 100,000: 2.9 s besides the views' 2.0 s (at most 3 s)",
        "✓ remove one of 100,000: 2.9 s besides the views' 2.0 s (at most 3 s)",
    ]
    slow = _run(100_000, 1201.0, 1900.0, 9.0, 2.0)
    assert [m[0] for m in checks([small, slow])] == ["✗", "✗", "✗", "✗", "✗"]
    assert not any("built in" in m for m in checks([small]))  # 10,000 reports pass the 20 minutes trivially: not checked
    failed = {"size": 100_000, "failed": "bench: build … failed with exit code -9"}
    assert "✗ 100,000 reports not built" in checks([small, failed])
    assert "| 100,000 | failed: bench: build … failed with exit code -9 |" in report(_machine(), [small, failed])
    large["edit"]["main"]["wall"].update(analysis=1.5, writer=0.4)
    assert "analysis 1.5, serialise 0.0, writer 0.4; the rest (cache, merge, stores, publishing, start): 1.0 s" in report(
        _machine(), [large]
    )


def _machine() -> dict:
    return {"cpu": "test", "cores": 2, "memory_gb": 1.0, "python": "3", "kg": "0"}


def test_a_tiny_national_run_builds_edits_removes_and_adds(tmp_path):
    """The bench as `make bench` runs it, at 12 reports: every build measured, the figures rendered."""
    result = bench_size(12, tmp_path, 1)
    assert "failed" not in result, result.get("failed")
    assert {"build", "edit", "remove", "add"} <= result.keys()
    assert result["build"]["reports"] == 12 and result["remove"]["reports"] == 11 and result["add"]["reports"] == 12
    assert result["edit"]["processed"] == 1 and result["add"]["processed"] == 1
    assert result["turtle_bytes"] > 0 and result["build"]["pss_mb"] > 0
    text = report(_machine(), [result])
    assert text.splitlines()[4].startswith("| 12 | ") and "the edit's main process" in text
    assert not (tmp_path / "national-12").exists() and not (tmp_path / "national-out-12").exists()  # cleaned up
