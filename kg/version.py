"""The version of kg: one place, read by the package, the build backend and the cache keys."""

__version__ = "0.1.0"
