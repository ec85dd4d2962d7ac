"""Access to the knowledge shipped as data: ontology/, its lexicons and the saved queries."""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Graph

_REPO = Path(__file__).resolve().parent.parent.parent  # the source tree: kg/knowledge/ → the project


def data_dir(name: str) -> Path:
    """The folder ``ontology`` or ``queries``.

    A wheel carries them inside the package (hatchling ``force-include``); an
    editable install finds them beside the package in the source tree.
    """
    packaged = resources.files("kg").joinpath(name)
    if packaged.is_dir():
        return Path(str(packaged))
    local = _REPO / name
    if local.is_dir():
        return local
    raise FileNotFoundError(f"kg data folder {name!r} is missing from the installation")


def ontology_path(*parts: str) -> Path:
    """A file under ``ontology/``."""
    return data_dir("ontology").joinpath(*parts)


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """ontology/kg.ttl parsed once: the closed namespace, the labels, the class maps and the JSON-LD context read it."""
    from rdflib import Graph

    return Graph().parse(ontology_path("kg.ttl"), format="turtle")


def read_tsv(*parts: str) -> list[dict[str, str]]:
    """Rows of a tab-separated lexicon under ``ontology/``, ``#`` lines skipped.

    The first non-comment line names the columns; missing trailing cells are
    empty strings.
    """
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    path = ontology_path(*parts)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if header is None:
            header = cells
            continue
        if len(cells) > len(header):
            raise ValueError(f"{path}:{number}: {len(cells)} cells, header has {len(header)}")
        rows.append(dict(zip(header, cells + [""] * (len(header) - len(cells)))))
    return rows


@lru_cache(maxsize=1)
def knowledge_version() -> str:
    """A digest of everything under ``ontology/`` (with the user's vocabulary: :func:`kg.knowledge.user.knowledge_version`)."""
    digest = hashlib.sha256()
    root = data_dir("ontology")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def cue_alternation(kind: str) -> str:
    """The cues of one kind in ontology/lexicon/cues.tsv as one regular-expression alternation, in file order.

    >>> cue_alternation("rank")
    '排名|排位|位列|居'
    """
    patterns = [row["pattern"] for row in read_tsv("lexicon", "cues.tsv") if row["kind"] == kind]
    if not patterns:
        raise KeyError(f"ontology/lexicon/cues.tsv has no cues of kind {kind!r}")
    return "|".join(patterns)
