"""`make bench` at national scale: 10,000 and 100,000 generated reports, then one report edited, removed and added.

Each build runs in a fresh process with every core (``bench.run``'s harness: wall
time to exit, peak PSS of the process tree sampled every 250 ms). For each size
it prints the build time per report, peak memory, the bytes written per report
(the Turtle file and the whole output folder), and the time to build again after
one report is edited, after it is removed and after a new one is added — with the
main process's stages of the edit, since the issue's bound (≤ 3 s) leaves out the
views' redraw. The figures are measured, not projected; a size whose build dies
(memory, time) is reported as such and the run goes on.

    python -m bench.national                      # 10,000 and 100,000 reports (about an hour on 2 cores)
    python -m bench.national --sizes 1000 5000    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from bench.run import ROOT, machine, measure

DONE_WHEN = {"memory_growth": 0.20, "memory_mb": 1536, "build_s": 20 * 60, "edit_s": 3.0}
# the main process's stages that write a whole-corpus file again after any change, as the views do: the analysis
# (its global similarity and clusters, a row per problem; with two jobs drawn beside the views, this stage is the
# wait for it after them), the graph file's pieces and its copy (one sorted file)
WHOLE_FILES = ("analysis", "serialise", "writer")
EDITED = "r00001.txt"
EDIT = "\n全年共组织法治专题讲座3场。\n"  # a sentence of the genre: the edited report gains a measure and an indicator


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and ".kg-cache" not in p.parts)


def corpus(size: int, work: Path) -> tuple[Path, Path]:
    """``size`` generated reports, and one more kept aside to add afterwards."""
    from bench.generate import generate

    folder, spare = work / f"national-{size}", work / f"national-extra-{size}"
    for path in (folder, spare):
        shutil.rmtree(path, ignore_errors=True)
    paths = generate(size + 1, folder)
    spare.mkdir()
    extra = paths[-1].rename(spare / paths[-1].name)
    return folder, extra


def bench_size(size: int, work: Path, jobs: int) -> dict:
    """A clean build, then an edit, a removal and an addition, each built again with the cache."""
    folder, extra = corpus(size, work)
    out = work / f"national-out-{size}"
    shutil.rmtree(out, ignore_errors=True)
    result: dict = {"size": size}
    try:
        result["build"] = measure("build", str(folder), str(out), str(jobs), "cache")
        result["turtle_bytes"] = (out / "graph.ttl").stat().st_size
        result["output_bytes"] = folder_bytes(out)
        result["cache_bytes"] = sum(p.stat().st_size for p in (out / ".kg-cache").rglob("*") if p.is_file())
        edited = folder / EDITED
        kept = edited.read_bytes()
        edited.write_bytes(kept + EDIT.encode("utf-8"))
        result["edit"] = measure("build", str(folder), str(out), str(jobs), "cache")
        edited.unlink()
        result["remove"] = measure("build", str(folder), str(out), str(jobs), "cache")
        shutil.copy(extra, folder / extra.name)
        result["add"] = measure("build", str(folder), str(out), str(jobs), "cache")
    except SystemExit as err:  # a build that failed (killed for memory, say): what was measured stands
        result["failed"] = str(err)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(extra.parent, ignore_errors=True)
    return result


def _stages(run: dict) -> str:
    main = run["main"]["wall"]
    return ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in sorted(main.items(), key=lambda kv: -kv[1]) if seconds >= 0.05)


def _split(run: dict) -> str:
    """An edit's time besides the views: the other whole-corpus files drawn again, and the rest."""
    wall = run["main"]["wall"]
    files = {stage: wall.get(stage, 0.0) for stage in WHOLE_FILES}
    rest = run["process_wall"] - wall.get("html", 0.0) - sum(files.values())
    drawn = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in files.items())
    return f"besides the views, files drawn whole again (s): {drawn}; the rest (cache, merge, stores, publishing, start): {rest:.1f} s"


def report(info: dict, results: list[dict]) -> str:
    """The figures as a Markdown table, then the issue's bounds checked."""
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB, Python {info['python']}, kg {info['kg']}",
        "",
        "| reports | build s | ms/report | peak PSS MB | Turtle KB/report | output KB/report | cache KB/report | edit s | remove s | add s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "build" not in r:
            lines.append(f"| {r['size']:,} | failed: {r.get('failed', '?')} |")
            continue
        b, n = r["build"], r["size"]
        cells = [
            f"{n:,}",
            f"{b['process_wall']:,.0f}",
            f"{1000 * b['process_wall'] / n:.1f}",
            f"{max(r[k]['pss_mb'] for k in ('build', 'edit', 'remove', 'add') if k in r):,.0f}",
            f"{r['turtle_bytes'] / n / 1000:.1f}",
            f"{r['output_bytes'] / n / 1000:.1f}",
            f"{r['cache_bytes'] / n / 1000:.1f}",
            *(f"{r[k]['process_wall']:.1f}" if k in r else "—" for k in ("edit", "remove", "add")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for r in results:
        if "edit" in r:
            lines.append(f"- {r['size']:,} reports, the edit's main process (s): {_stages(r['edit'])}")
            for kind in ("edit", "remove"):
                lines.append(f"  - {kind}: {_split(r[kind])}")
    lines += ["", *checks(results)]
    return "\n".join(lines)


def checks(results: list[dict]) -> list[str]:
    """The issue's Done-when bounds, each ✓ or ✗ with the figure."""
    done = [r for r in results if "add" in r]
    out = []
    if not done:
        return ["✗ no size was built through"]
    small, large = done[0], done[-1]

    def pss(r: dict) -> float:
        return max(r[k]["pss_mb"] for k in ("build", "edit", "remove", "add"))

    def mark(ok: bool, text: str) -> None:
        out.append(f"{'✓' if ok else '✗'} {text}")

    if large is not small:
        growth = pss(large) / pss(small) - 1
        mark(
            growth <= DONE_WHEN["memory_growth"],
            f"peak memory at {large['size']:,} is {growth:+.0%} of that at {small['size']:,} (at most +20 %)",
        )
    mark(pss(large) <= DONE_WHEN["memory_mb"], f"peak memory at {large['size']:,}: {pss(large):,.0f} MB (at most 1.5 GB)")
    for r in results:
        if r["size"] >= 100_000:  # the bound is for the national corpus: a smaller size passes it trivially
            minutes = r["build"]["process_wall"] / 60 if "build" in r else None
            mark(
                minutes is not None and minutes * 60 <= DONE_WHEN["build_s"],
                f"{r['size']:,} reports built in {minutes:.1f} min (at most 20)"
                if minutes is not None
                else f"{r['size']:,} reports not built",
            )
    for kind in ("edit", "remove"):
        views = large[kind]["main"]["wall"].get("html", 0.0)
        rest = large[kind]["process_wall"] - views
        mark(rest <= DONE_WHEN["edit_s"], f"{kind} one of {large['size']:,}: {rest:.1f} s besides the views' {views:.1f} s (at most 3 s)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.national", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers (default: all cores)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out", help="folder for corpora, outputs and results")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    results = []
    for size in args.sizes:
        print(f"{size:,} reports …", flush=True)
        results.append(bench_size(size, args.work, args.jobs))
        print(json.dumps({k: v for k, v in results[-1].items() if not isinstance(v, dict)}), flush=True)
    text = report(info, results)
    (args.work / "national.md").write_text(text + "\n", encoding="utf-8")
    (args.work / "national.json").write_text(json.dumps({"machine": info, "results": results}, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
