"""Benchmarks and synthetic-corpus tools for kg (not part of the installed package)."""
