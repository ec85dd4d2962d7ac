"""kg: knowledge graphs from Chinese rule-of-law government (法治政府建设) annual reports.

>>> import kg
>>> corpus = kg.build(["seeds/000_5cc3c28cd58ae867.txt"])
>>> corpus.reports[0].unit.name
'七里街道'
"""

from kg.version import __version__


def build(paths, jobs=1, progress=None, sources=None):
    """Build a :class:`kg.builder.corpus.Corpus` from report files and folders (see :func:`kg.builder.corpus.build`).

    ``paths`` is one path (``str`` or ``os.PathLike``: never read as its characters) or an iterable of
    paths; ``jobs`` the number of worker processes; ``progress`` an optional ``callable(done, total)``;
    ``sources`` a :class:`kg.text.sources.Sources` (:func:`kg.text.sources.load`). Raises ``TypeError`` for
    anything else.
    """
    from kg.builder.corpus import build as _build

    return _build(paths, jobs=jobs, progress=progress, sources=sources)


__all__ = ["__version__", "build"]
