"""kg: knowledge graphs from Chinese rule-of-law government (法治政府建设) annual reports.

>>> import kg
>>> corpus = kg.build(["seeds/000_5cc3c28cd58ae867.txt"])
>>> corpus.reports[0].unit.name
'七里街道'
"""

__version__ = "0.1.0"


def build(paths, jobs=1, progress=None):
    """Build a :class:`kg.corpus.Corpus` from report files and folders (see :func:`kg.corpus.build`)."""
    from kg.corpus import build as _build

    return _build(paths, jobs=jobs, progress=progress)


__all__ = ["__version__", "build"]
