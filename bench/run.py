"""`make bench`: build generated corpora of 500, 2,000 and 10,000 reports and print what each stage costs.

Every figure stands next to floors measured in the same run on the same
text: one ``jieba.lcut`` pass (the least any Chinese text pipeline does); reading,
decoding and one Aho-Corasick pass of every lexicon term over the text (the least
any dictionary extractor must do); and the jieba pass in two processes at once
(how much a second core gives on this machine). Each build runs in a fresh process; wall time is the process's,
from start to exit; peak memory is the largest proportional set size (PSS:
shared pages counted once) of the whole process tree, sampled every 250 ms,
beside the peak resident size of the main process and of its largest child
(which counts the pages a child shares with the main process when forked:
read PSS). Repeated runs are interleaved and the fastest kept, as timeit
does: the machine's noise only ever adds time. Every build runs at least
twice; then one report is added to the corpus just built, and then another,
and the faster addition is kept. Turtle triples/s are the triples
written over all the CPU time spent serialising them: report blocks in the
workers, entities and the assembly of the file in the main process.

    python -m bench.run                     # 500, 2,000 and 10,000 reports
    python -m bench.run --sizes 200 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("read", "normalise", "sections", "link", "extract", "graph", "serialise", "documents", "html", "cache")
_KEPT: list = []
TARGETS = {"floor": 1.5, "speedup": 1.6, "scale": 5.5, "memory_mb": 2048, "turtle": 300_000, "incremental": 0.10}


# ------------------------------------------------------------------------------ measured in a child process


def floor(folder: str) -> dict:
    """One jieba.lcut pass over every report (its dictionary loaded first, as kg loads its lexicons first)."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    texts = [path.read_text(encoding="utf-8") for path in sorted(Path(folder).glob("*.txt"))]
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        jieba.lcut(text)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "chars": sum(map(len, texts))}


def lexicon_terms() -> list[str]:
    """Every term of kg's lexicons: the measure and problem schemes' phrases, division names, organs, laws."""
    from kg.knowledge.resources import read_tsv
    from kg.knowledge.vocab import measures, problem_categories
    from kg.link.divisions import gazetteer

    terms = {p for scheme in (measures(), problem_categories()) for c in scheme.concepts.values() for p in c.phrases}
    terms |= {d.name for d in gazetteer().by_code.values()}
    for name, columns in (("organs.tsv", ("name", "aliases")), ("laws.tsv", ("title", "aliases"))):
        for row in read_tsv("lexicon", name):
            terms |= {t for column in columns for t in row.get(column, "").split("|") if t}
    return sorted(t for t in terms if len(t) >= 2)


def lexicon_floor(folder: str) -> dict:
    """Reading, decoding and one Aho-Corasick pass of every lexicon term over every report (the automaton built first)."""
    import ahocorasick_rs

    terms = lexicon_terms()
    automaton = ahocorasick_rs.AhoCorasick(terms)
    paths = sorted(Path(folder).glob("*.txt"))
    wall, cpu = time.perf_counter(), time.process_time()
    matches = 0
    for path in paths:
        matches += len(automaton.find_matches_as_indexes(path.read_bytes().decode("utf-8")))
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "terms": len(terms), "matches": matches}


def build(folder: str, out: str, jobs: int, cache: bool) -> dict:
    """One build by the library function ``kg build`` calls, with its stage clocks."""
    from kg.builder.engine import build as run_build

    wall, cpu = time.perf_counter(), time.process_time()
    result = run_build([folder], out, jobs=jobs, use_cache=cache)
    _KEPT.append(result)  # as kg build does: the graph dies with the process, not object by object
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu + children.ru_utime + children.ru_stime,
        "reports": result.stats.reports,
        "processed": result.processed,
        "triples": result.triples,
        "turtle_bytes": (Path(out) / "graph.ttl").stat().st_size,
        "workers": {"wall": result.workers.wall, "cpu": result.workers.cpu},
        "main": {"wall": result.main.wall, "cpu": result.main.cpu},
        "rss_main_mb": own.ru_maxrss / 1024,
        "rss_child_mb": children.ru_maxrss / 1024,
    }


# ------------------------------------------------------------------------------ the harness


def tree_pss_mb(pid: int) -> float:
    """PSS of a process and all its descendants, in MB (0 once they are gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


def measure(*args: str) -> dict:
    """Run ``python -m bench.run <args>`` in a fresh process: its JSON, wall time to exit, and peak tree PSS."""
    command = [sys.executable, "-m", "bench.run", *args]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_pss_mb(process.pid))
        time.sleep(0.25)  # reading smaps walks the page tables: often enough, it would slow the build down
    elapsed = time.perf_counter() - start
    output = process.stdout.read()
    if process.returncode != 0:
        raise SystemExit(f"bench: {' '.join(args)} failed with exit code {process.returncode}")
    return {**json.loads(output.strip().splitlines()[-1]), "process_wall": elapsed, "pss_mb": peak}


def concurrent(*runs: tuple[str, ...]) -> float:
    """Wall time of several measured commands started together."""
    start = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "bench.run", *args], cwd=ROOT, stdout=subprocess.DEVNULL) for args in runs]
    for process in processes:
        process.wait()
    return time.perf_counter() - start


def machine() -> dict:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    from kg.version import __version__

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "kg": __version__,
    }


def stage_seconds(run: dict, kind: str) -> dict[str, float]:
    """Seconds per stage (wall or cpu), the workers' and the main process's added together."""
    workers, main = run["workers"][kind], run["main"][kind]
    seconds = {stage: workers.get(stage, 0.0) + main.get(stage, 0.0) for stage in STAGES}
    seconds["graph"] += main.get("merge", 0.0)
    return seconds


def corpus(size: int, work: Path, extras: int = 2) -> tuple[Path, list[Path]]:
    """The generated corpus of ``size`` reports, and more reports to add to it afterwards, one at a time."""
    from bench.generate import generate

    folder, spare = work / f"corpus-{size}", work / f"extra-{size}"
    for path in (folder, spare):
        shutil.rmtree(path, ignore_errors=True)
    paths = generate(size + extras, folder)
    spare.mkdir()
    for path in paths[size:]:
        path.rename(spare / path.name)
    return folder, [spare / path.name for path in paths[size:]]


def bench_size(size: int, work: Path, repeat: int, jobs: int) -> dict:
    """The floor (``repeat`` times), one-process and parallel builds (as often, twice at least), then two additions."""
    folder, extras = corpus(size, work)
    out = work / "out"
    floors, lexicon_floors, ones, manys = [], [], [], []
    for run in range(max(repeat, 2)):  # interleaved, so that a slow minute of the machine touches every kind alike
        if run < repeat:
            floors.append(measure("floor", str(folder)))
            lexicon_floors.append(measure("lexicon-floor", str(folder)))
        for runs, count in ((ones, 1), (manys, jobs)):
            shutil.rmtree(out, ignore_errors=True)
            runs.append(measure("build", str(folder), str(out), str(count), "cache"))
    # adding one report to the corpus just built (with every core, as built), and then another
    additions = []
    for extra in extras:
        shutil.copy(extra, folder / extra.name)
        additions.append(measure("build", str(folder), str(out), str(jobs), "cache"))
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    best = min(floors, key=lambda r: r["wall"])
    one, many = min(ones, key=lambda r: r["process_wall"]), min(manys, key=lambda r: r["process_wall"])
    serialise = stage_seconds(one, "cpu")["serialise"]
    return {
        "size": size,
        "chars": best["chars"],
        "floor": best["wall"],
        "lexicon_floor": min(r["wall"] for r in lexicon_floors),
        "lexicon_terms": lexicon_floors[0]["terms"],
        "one": one,
        "many": many,
        "incremental": min(additions, key=lambda r: r["process_wall"]),
        "stages_wall": stage_seconds(one, "wall"),
        "stages_cpu": stage_seconds(one, "cpu"),
        "triples_per_s": one["triples"] / serialise if serialise else 0.0,
        "pss_mb": max(r["pss_mb"] for r in ones + manys + additions),
        "rss_main_mb": max(r["rss_main_mb"] for r in ones + manys),
        "rss_child_mb": max(r["rss_child_mb"] for r in ones + manys),
    }


def report(info: dict, ceiling: float, jobs: int, results: list[dict]) -> str:
    """The figures as Markdown tables, with the targets checked."""
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; Python {info['python']}, {info['system']}; "
        f"kg {info['kg']}. Parallel ceiling measured in this run: two jieba processes at once finish "
        f"{ceiling:.2f}× the work of one in the same time.",
        "",
    ]
    sizes = [r["size"] for r in results]
    lines += [
        "Per stage, one process (`--jobs 1`), seconds wall / CPU:",
        "",
        "| stage | " + " | ".join(f"{s:,} reports" for s in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for stage in STAGES:
        lines.append(f"| {stage} | " + " | ".join(f"{r['stages_wall'][stage]:.2f} / {r['stages_cpu'][stage]:.2f}" for r in results) + " |")
    rows = [
        ("characters", lambda r: f"{r['chars']:,}"),
        ("jieba floor, s", lambda r: f"{r['floor']:.1f}"),
        ("`--jobs 1`, s (build only)", lambda r: f"{r['one']['process_wall']:.1f} ({r['one']['wall']:.1f})"),
        ("`--jobs 1` / floor", lambda r: f"{r['one']['wall'] / r['floor']:.2f}"),
        ("lexicon floor (read, decode, Aho-Corasick of all terms), s", lambda r: f"{r['lexicon_floor']:.2f}"),
        ("`--jobs 1` / lexicon floor", lambda r: f"{r['one']['wall'] / r['lexicon_floor']:.1f}"),
        (f"`--jobs {jobs}`, s", lambda r: f"{r['many']['process_wall']:.1f}"),
        (f"speedup `--jobs {jobs}`", lambda r: f"{r['one']['process_wall'] / r['many']['process_wall']:.2f}×"),
        (
            "reports/s (`--jobs 1` / `--jobs " + str(jobs) + "`)",
            lambda r: f"{r['size'] / r['one']['process_wall']:.0f} / {r['size'] / r['many']['process_wall']:.0f}",
        ),
        ("triples written", lambda r: f"{r['one']['triples']:,}"),
        ("Turtle bytes per report", lambda r: f"{r['one']['turtle_bytes'] / r['size']:,.0f}"),
        ("Turtle, triples/s", lambda r: f"{r['triples_per_s']:,.0f}"),
        ("peak memory, PSS of all processes, MB", lambda r: f"{r['pss_mb']:,.0f}"),
        ("peak RSS main / largest child, MB", lambda r: f"{r['rss_main_mb']:,.0f} / {r['rss_child_mb']:,.0f}"),
        ("add one report, s", lambda r: f"{r['incremental']['process_wall']:.1f}"),
        ("add one report / full build", lambda r: f"{r['incremental']['process_wall'] / r['many']['process_wall']:.1%}"),
    ]
    lines += ["", "| | " + " | ".join(f"{s:,}" for s in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    lines += [f"| {name} | " + " | ".join(cell(r) for r in results) + " |" for name, cell in rows]
    lines += projections(results, jobs)
    lines += ["", "Targets:"] + [f"- {line}" for line in checks(results, jobs)]
    return "\n".join(lines)


PROJECTED = (100_000, 1_000_000)


def project(sizes: list[int], values: list[float], size: int) -> float:
    """A straight line through the measured points (least squares), read at ``size``: the growth measured, not a
    promise — what the line does not see (memory that stops growing, a store that slows down) it cannot tell.

    >>> project([500, 2000, 10000], [5.0, 16.0, 61.8], 100000)  # --jobs 2 seconds of the run in docs/performance.md
    592.5
    """
    n = len(sizes)
    mean_x, mean_y = sum(sizes) / n, sum(values) / n
    spread = sum((x - mean_x) ** 2 for x in sizes)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(sizes, values)) / spread if spread else 0.0
    return round(mean_y + slope * (size - mean_x), 1)


def projections(results: list[dict], jobs: int) -> list[str]:
    """Build time, peak memory and Turtle size at :data:`PROJECTED` sizes, from the sizes measured (two or more)."""
    if len(results) < 2:
        return []
    sizes = [r["size"] for r in results]
    series = [
        (f"`--jobs {jobs}` build, s", [r["many"]["process_wall"] for r in results], "{:,.0f}"),
        ("peak memory (PSS), MB", [r["pss_mb"] for r in results], "{:,.0f}"),
        ("Turtle, GB", [r["one"]["turtle_bytes"] / 1e9 for r in results], "{:,.1f}"),
        ("add one report, s", [r["incremental"]["process_wall"] for r in results], "{:,.1f}"),
    ]
    lines = [
        "",
        f"Projected by a straight line through the {len(sizes)} sizes measured (an extrapolation, not a measurement):",
        "",
        "| | " + " | ".join(f"{s:,}" for s in PROJECTED) + " |",
        "|---|" + "---:|" * len(PROJECTED),
    ]
    for name, values, form in series:
        lines.append(f"| {name} | " + " | ".join(form.format(project(sizes, values, s)) for s in PROJECTED) + " |")
    return lines


def checks(results: list[dict], jobs: int) -> list[str]:
    by_size = {r["size"]: r for r in results}
    out = []

    def check(ok: bool, text: str) -> None:
        out.append(f"{'✓' if ok else '✗'} {text}")

    if 2000 in by_size:
        r = by_size[2000]
        ratio = r["one"]["wall"] / r["floor"]
        check(ratio <= TARGETS["floor"], f"2,000 reports, `--jobs 1`: {ratio:.2f} × the jieba floor (at most {TARGETS['floor']})")
        speedup = r["one"]["process_wall"] / r["many"]["process_wall"]
        check(speedup >= TARGETS["speedup"], f"`--jobs {jobs}`: {speedup:.2f}× faster than `--jobs 1` (at least {TARGETS['speedup']})")
    if 2000 in by_size and 10000 in by_size:
        scale = by_size[10000]["many"]["process_wall"] / by_size[2000]["many"]["process_wall"]
        check(scale <= TARGETS["scale"], f"10,000 reports take {scale:.2f} × the time of 2,000 (at most {TARGETS['scale']})")
    largest = results[-1]
    check(largest["pss_mb"] < TARGETS["memory_mb"], f"peak memory at {largest['size']:,} reports: {largest['pss_mb']:,.0f} MB (under 2 GB)")
    slowest = min(r["triples_per_s"] for r in results)
    check(slowest >= TARGETS["turtle"], f"Turtle written at {slowest:,.0f} triples/s or more ({TARGETS['turtle']:,} wanted)")
    share = largest["incremental"]["process_wall"] / largest["many"]["process_wall"]
    check(share < TARGETS["incremental"], f"adding one report to {largest['size']:,}: {share:.1%} of the full build (under 10 %)")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("floor", "lexicon-floor", "build"):  # a measured child process: print one JSON line
        if argv[0] == "build":
            result = build(argv[1], argv[2], int(argv[3]), argv[4:] == ["cache"])
        else:
            result = (floor if argv[0] == "floor" else lexicon_floor)(argv[1])
        print(json.dumps(result), flush=True)
        os._exit(0)  # as the kg program ends (see kg.cli.entry): the graph is not freed object by object
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per size up to 2,000 reports; larger sizes: the floor once, each build twice"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers of the parallel builds (default: all cores)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out", help="folder for corpora, outputs and results")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"machine: {info}", flush=True)
    probe, _ = corpus(min(args.sizes[0], 500), args.work, extras=0)
    alone = min(measure("floor", str(probe))["process_wall"] for _ in range(2))
    together = concurrent(("floor", str(probe)), ("floor", str(probe)))
    ceiling = 2 * alone / together
    shutil.rmtree(probe, ignore_errors=True)
    results = []
    for size in args.sizes:
        print(f"{size:,} reports …", flush=True)
        results.append(bench_size(size, args.work, args.repeat if size <= 2000 else 1, args.jobs))
    text = report(info, ceiling, args.jobs, results)
    (args.work / "results.md").write_text(text + "\n", encoding="utf-8")
    (args.work / "results.json").write_text(json.dumps({"machine": info, "ceiling": ceiling, "results": results}, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
