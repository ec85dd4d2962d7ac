"""The analysis written into a build's folder: by the build, or by a helper process beside the views.

The analysis reads the whole graph (rarity weights over every unit, communities of the similarity graph): after a
one-report edit it is drawn again whole, as the views are. With a second core it need not wait for them — a
fresh process opens the graph database read-only and writes ``analysis/`` into the build's staging folder while
the build draws the views; its memory is its own, given back when it ends. The build starts it when it began
from the last build's graph (an edit): one that merged every report holds that memory still, which the analysis
reuses when drawn in the build's own process after the views.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from kg.files.helper import Helper, run
from kg.graph.facts import Facts
from kg.graph.reading import GraphReader
from kg.outputs import analysis, site


def write_analysis(graph: GraphReader, out_dir: Path) -> dict[str, Path]:
    """analysis/analysis.html (with its Markdown and CSV tables), linked with the views as one site."""
    folder = out_dir / Path(site.PATHS["analysis"]).parent
    analysis.write(analysis.analyze(graph), folder, site=out_dir)
    return analysis_written(out_dir)


def analysis_written(out_dir: Path) -> dict[str, Path]:
    """What :func:`write_analysis` names among the files it wrote under ``out_dir``."""
    return {"analysis": out_dir / site.PATHS["analysis"]}


def start(database: Path, out_dir: Path) -> Helper:
    """The analysis of the committed graph in ``database``, written under ``out_dir`` (as :func:`write_analysis`)."""
    return Helper("kg.builder.analysis_job", str(database), str(out_dir))


def _job(database: str, out_dir: str) -> None:
    gc.disable()  # as in the build's own process: millions of long-lived objects, no cycles
    graph = Facts(database, read_only=True)
    try:
        write_analysis(graph, Path(out_dir))
    finally:
        graph.close()


def main(argv: list[str]) -> int:
    """The helper process: ``DATABASE OUT_DIR``."""
    return run(lambda: _job(*argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
