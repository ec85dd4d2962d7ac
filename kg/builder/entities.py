"""The last graph file's entity blocks, kept in the build's graph database: what an edit redraws, a store update swaps.

A graph file is the vocabulary, the entity blocks (units, instruments, local
practices and the document numbers, each subject once, in subject order), the
sentences and the report blocks. A build redraws only the entities its reports
touched; the others are kept here from the build that drew them, in the same
transaction as the merged graph (:class:`kg.graph.facts.Facts`), so that the two
never disagree and neither is held in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import BinaryIO

from kg.rdf.write import EntityBlocks

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entity_block (key TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL,"
    " triples INTEGER NOT NULL, PRIMARY KEY (key, subject)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS entity_block_by_subject ON entity_block (subject)",
)


class EntityTable:
    """Entity blocks by node: (subject, text, triples) for each subject a node's triples are about."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        for statement in _SCHEMA:  # one by one: executescript would commit the build's open transaction first
            db.execute(statement)

    def clear(self) -> None:
        self.db.execute("DELETE FROM entity_block")

    def get(self, key: str) -> EntityBlocks | None:
        """A node's blocks, or None when it has none."""
        rows = self.db.execute("SELECT subject, text, triples FROM entity_block WHERE key = ? ORDER BY subject", (key,)).fetchall()
        return tuple(rows) or None

    def put(self, blocks: Iterable[tuple[str, EntityBlocks]]) -> None:
        """Nodes' blocks (each node's replacing what it had)."""
        for key, node_blocks in blocks:
            self.remove(key)
            self.db.executemany("INSERT INTO entity_block VALUES (?, ?, ?, ?)", ((key, *block) for block in node_blocks))

    def remove(self, key: str) -> EntityBlocks | None:
        """Take a node's blocks out; returns them."""
        old = self.get(key)
        if old is not None:
            self.db.execute("DELETE FROM entity_block WHERE key = ?", (key,))
        return old

    def subjects_of(self, keys: Iterable[str]) -> set[str]:
        """The subjects of some nodes' blocks."""
        found: set[str] = set()
        for key in keys:
            found.update(subject for (subject,) in self.db.execute("SELECT subject FROM entity_block WHERE key = ?", (key,)))
        return found

    def texts(self, subjects: Iterable[str]) -> dict[str, str]:
        """The block of each of ``subjects`` that has one (two nodes sharing a subject give it the same text)."""
        found: dict[str, str] = {}
        for subject in subjects:
            row = self.db.execute("SELECT text FROM entity_block WHERE subject = ? LIMIT 1", (subject,)).fetchone()
            if row is not None:
                found[subject] = row[0]
        return found

    def write(self, handle: BinaryIO, separator: str) -> int:
        """Every subject's block once, in subject order, ``separator`` between them; returns the number of triples."""
        triples, first, joint = 0, True, separator.encode()
        rows = self.db.execute("SELECT subject, min(text), min(triples) FROM entity_block GROUP BY subject ORDER BY subject")
        for _subject, text, count in rows:
            if not first:
                handle.write(joint)
            handle.write(text.encode())
            first = False
            triples += count
        return triples
