"""The build cache: per-report results in append-only pack files, and the merged graph of the last build.

A record holds what the outputs need of one report — its RDF block, its
documents.jsonl line and its pickled graph delta — under the report's cache
key. Each worker process appends records to a pack file of its own with one
write per record (creating a file per report costs more than extracting it on
a busy disk); opening the cache scans the record headers to index them, and a
record cut short by a killed build is simply not indexed. When most of the
packs is stale, or there are many small packs, the live records are copied to
one new pack.
"""

from __future__ import annotations

import pickle
import struct
import time
import uuid
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kg.assemble import Range
from kg.output import atomic_path

STATE_FILE = "state.pkl"
JOURNAL_FILE = "state.journal"
FILES_FILE = "files.pkl"
_HEADER = struct.Struct("<32sIII")  # key, then the lengths of the block, the JSON line and the entry
MAX_PACKS = 16


class Location(NamedTuple):
    pack: str
    offset: int  # of the record header
    sizes: tuple[int, int, int]


class Record(NamedTuple):
    """One report's results."""

    block: bytes  # its RDF block, in the build's format
    jsonl: bytes  # its documents.jsonl line
    entry: bytes  # pickled (report id, triple count, Stats, GraphDelta)


class PackWriter:
    """Appends records to a new pack file (one per process)."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.name = f"{uuid.uuid4().hex}.pack"
        self.handle = open(directory / self.name, "ab", buffering=0)  # noqa: SIM115 - lives as long as the worker
        self.offset = 0

    def append(self, key: str, record: Record) -> Location:
        sizes = (len(record.block), len(record.jsonl), len(record.entry))
        self.handle.write(_HEADER.pack(key.encode("ascii"), *sizes) + record.block + record.jsonl + record.entry)
        location = Location(self.name, self.offset, sizes)
        self.offset += _HEADER.size + sum(sizes)
        return location


class Cache:
    """Records by cache key, read from the packs under ``root``; the last build's state beside them."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.packs = self.root / "packs"  # created by the first writer: a build that reads nothing writes nothing
        self.index: dict[str, Location] = {}
        self._handles: dict[str, BinaryIO] = {}
        for pack in sorted(self.packs.glob("*.pack")):
            self._scan(pack)

    def _scan(self, pack: Path) -> None:
        size = pack.stat().st_size
        with open(pack, "rb") as handle:
            offset = 0
            while offset + _HEADER.size <= size:
                handle.seek(offset)
                raw_key, *sizes = _HEADER.unpack(handle.read(_HEADER.size))
                end = offset + _HEADER.size + sum(sizes)
                if end > size:
                    break  # cut short by a killed build
                self.index[raw_key.decode("ascii")] = Location(pack.name, offset, tuple(sizes))
                offset = end

    def __contains__(self, key: str) -> bool:
        return key in self.index

    def add(self, key: str, location: Location) -> None:
        self.index[key] = location

    def writer(self) -> PackWriter:
        return PackWriter(self.packs)

    def _read(self, key: str, part: int) -> bytes:
        location = self.index[key]
        handle = self._handles.get(location.pack)
        if handle is None:
            handle = self._handles[location.pack] = open(self.packs / location.pack, "rb")  # noqa: SIM115 - closed in close()
        handle.seek(location.offset + _HEADER.size + sum(location.sizes[:part]))
        return handle.read(location.sizes[part])

    def range(self, key: str, part: int) -> Range:
        """Where one part of a record (0 the RDF block, 1 the JSON line) lies in its pack file."""
        location = self.index[key]
        return Range(str(self.packs / location.pack), location.offset + _HEADER.size + sum(location.sizes[:part]), location.sizes[part])

    def block(self, key: str) -> bytes:
        return self._read(key, 0)

    def jsonl(self, key: str) -> bytes:
        return self._read(key, 1)

    def entry(self, key: str) -> bytes:
        return self._read(key, 2)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def compact(self, live: set[str]) -> None:
        """Drop the records of files no longer built: copy the live ones to one pack when that saves much."""
        self.close()
        packs = sorted(self.packs.glob("*.pack"))
        total = sum(p.stat().st_size for p in packs)
        kept = sum(_HEADER.size + sum(self.index[k].sizes) for k in live if k in self.index)
        if len(packs) <= MAX_PACKS and total <= 2 * kept:
            return
        writer = self.writer()
        for key in sorted(k for k in live if k in self.index):
            record = Record(self.block(key), self.jsonl(key), self.entry(key))
            self.index[key] = writer.append(key, record)
        writer.handle.close()
        self.close()
        for pack in packs:
            pack.unlink()
        self.index = {k: v for k, v in self.index.items() if k in live}

    # -------------------------------------------------------------- the last build's merged graph

    def load_state(self, version: str) -> tuple[dict, list[dict]] | None:
        """The last snapshot of the merged graph and the journal of builds since, if the same code wrote them.

        The snapshot's version is read before its graph, so that a stale one
        costs nothing. Journal records of another snapshot, or cut short, are
        left out.
        """
        path = self.root / STATE_FILE
        if not path.exists():
            return None
        try:
            with open(path, "rb") as handle:
                header = pickle.load(handle)
                if not isinstance(header, tuple) or header[0] != version:
                    return None
                state = pickle.load(handle)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError, IndexError):
            return None  # damaged, or written by other code: merge again from the records
        return {**state, "snapshot": header[1]}, list(self._journal(header[1]))

    def _journal(self, snapshot: str):
        path = self.root / JOURNAL_FILE
        if not path.exists():
            return
        with open(path, "rb") as handle:
            while True:
                try:
                    record = pickle.load(handle)
                except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
                    return  # the end, or a record cut short
                if isinstance(record, dict) and record.get("snapshot") == snapshot:
                    yield record

    def save_state(self, version: str, state: dict) -> str:
        """Write a new snapshot (and drop the journal of the old one); returns its id."""
        snapshot = uuid.uuid4().hex
        with atomic_path(self.root / STATE_FILE) as temporary:
            with open(temporary, "wb") as handle:
                pickle.dump((version, snapshot), handle, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
        (self.root / JOURNAL_FILE).unlink(missing_ok=True)
        return snapshot

    def append_journal(self, snapshot: str, record: dict) -> None:
        """Add what a build merged on top of the snapshot, instead of writing the whole graph again."""
        data = pickle.dumps({**record, "snapshot": snapshot}, protocol=pickle.HIGHEST_PROTOCOL)
        with open(self.root / JOURNAL_FILE, "ab") as handle:
            handle.write(data)

    # -------------------------------------------------------------- what each input file was, last time

    def load_files(self, version: str) -> dict[str, tuple[int, int, str]]:
        """path → (size, modification time, cache key) of the last build's inputs, if written by the same code.

        Only files last modified well before that build finished are listed: a
        file changed in the same clock tick as the listing must be read again.
        """
        path = self.root / FILES_FILE
        try:
            with open(path, "rb") as handle:
                written_version, written_at, files = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return {}
        if written_version != version:
            return {}
        settled = written_at - 2_000_000_000  # two seconds: coarser than any file system's clock
        return {p: entry for p, entry in files.items() if entry[1] < settled}

    def save_files(self, version: str, files: dict[str, tuple[int, int, str]]) -> None:
        with atomic_path(self.root / FILES_FILE) as temporary:
            with open(temporary, "wb") as handle:
                pickle.dump((version, time.time_ns(), files), handle, protocol=pickle.HIGHEST_PROTOCOL)
