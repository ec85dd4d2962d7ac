"""``python -m kg``: the command line, as the ``kg`` program."""

from kg.cli import entry

entry()
