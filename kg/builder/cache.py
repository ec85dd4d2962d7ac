"""The build cache: per-report results in append-only pack files, and the merged graph of the last build.

A record holds what the outputs need of one report — its RDF block, its
documents.jsonl line, its pickled graph delta, its reading page and the RDF blocks of
its sentences — under the report's cache key. Each worker process appends records to a pack file of its own with one
write per record (creating a file per report costs more than extracting it on
a busy disk); opening the cache scans the record headers to index them, and a
record cut short by a killed build is simply not indexed. When most of the
packs is stale, or there are many small packs, the live records are copied to
one new pack.

**Nothing is unpickled that this machine did not write.** Every record, the
merged graph's snapshot, its journal and the list of input files carry an
HMAC-SHA256 made with a secret kept outside the output folder (``KG_CACHE_KEY``
names its file; by default ``~/.cache/kg/cache.key``, created on first use,
readable by its owner only). A record that fails the check — garbled on disk,
cut short, copied from another machine, or crafted — is set aside with a
warning and the report is built again; a snapshot that fails it is ignored
and the graph merged again from the records. A cache folder shared with
others is therefore never a way to run code in a build.

**Opening the cache reads what changed, not every record.** A build saves the
index of the packs it leaves (:data:`INDEX_FILE`, signed as the rest): where
each record lies, which ones were checked, and each pack's size and
modification time — again only once more than a thousand records were added,
moved or checked since: an edit's one record is found by the next build in the
small pack its worker wrote. The next build takes a pack's records from that index when
the pack's size and time are the ones saved — packs are written once, by one
build's workers, and never appended to later — and scans (and checks again, as
they are used) the records of any other pack: one made since, or one written to
in any way. A record checked once is then not read again until it is used: a
bit flipped on disk later, with neither size nor time changing, is found only
by a build that merges the report again (``--no-cache`` rebuilds everything).
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import os
import pickle
import struct
import time
import uuid
from array import array
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import compress, repeat
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kg.files.assemble import Range
from kg.files.atomic import atomic_path

STATE_FILE = "state.pkl"
INDEX_FILE = "index.pkl"
PACKS = "packs"  # the folder of the pack files, in the cache folder
JOURNAL_FILE = "state.journal"
FILES_FILE = "files.pkl"
_KEY, _MAC = 32, 32  # the bytes of a record's key (ASCII: 32 hex digits) and of its MAC
_HEADER = struct.Struct("<32sIIIII32s")  # key, the lengths of the record's five parts, then their MAC
PACK_MAGIC = b"KGPACK05"  # a pack's first bytes: the record layout it holds (packs of another layout are never read, and go)
_SIGNED = struct.Struct("<32sQ")  # a MAC and the length of what it signs (snapshot, journal and file list)
_INDEX_LAYOUT = (PACK_MAGIC, "columns")  # what the saved index's first item names: the records' layout and its own
MAX_PACKS = 16
UNSAVED_RECORDS = 1000  # records added since the saved index, past which it is written again (see Cache.save_index)
SENTENCES = 4  # the record part of the sentence blocks


@lru_cache(maxsize=1)
def secret() -> bytes:
    """The key of this machine's (this user's) caches: created once, kept outside every output folder."""
    path = Path(os.environ.get("KG_CACHE_KEY") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kg" / "cache.key")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = os.urandom(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(key)
        return key
    except FileExistsError:  # another build created it meanwhile
        return path.read_bytes()
    except OSError:  # nowhere to keep it: a key for this process alone (the cache is then not reused)
        return key


def mac(*parts: bytes) -> bytes:
    signer = hmac.new(secret(), digestmod=hashlib.sha256)
    for part in parts:
        signer.update(len(part).to_bytes(8, "little"))
        signer.update(part)
    return signer.digest()


def sign(data: bytes) -> bytes:
    """``data`` preceded by its MAC and length."""
    return _SIGNED.pack(mac(data), len(data)) + data


def read_signed(handle: BinaryIO) -> bytes | None:
    """The next signed piece of a file, if it is whole and its MAC is right (None otherwise)."""
    head = handle.read(_SIGNED.size)
    if len(head) < _SIGNED.size:
        return None
    signature, length = _SIGNED.unpack(head)
    if length > os.fstat(handle.fileno()).st_size - handle.tell():
        return None  # longer than what is left of the file: cut short, or a length made up
    data = handle.read(length)
    return data if len(data) == length and hmac.compare_digest(signature, mac(data)) else None


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


class Location(NamedTuple):
    pack: str
    offset: int  # of the record header
    sizes: tuple[int, ...]  # of the record's parts
    signature: bytes = b""  # the record's MAC


class Record(NamedTuple):
    """One report's results."""

    block: bytes  # its RDF block, in the build's format
    jsonl: bytes  # its documents.jsonl line
    entry: bytes  # pickled (report id, triple count, Stats, GraphDelta)
    page: bytes  # its reading page (kg.outputs.reading)
    sentences: bytes  # the RDF blocks of its sentences (see :func:`pack_sentences`)


_SENTENCE = struct.Struct("<10sI")  # a sentence IRI's digest (20 hex digits) and the length of its block


def pack_sentences(blocks: list[tuple[str, bytes]]) -> bytes:
    """Sentence blocks by digest as one record part: their count, a table of digests and lengths, the blocks.

    >>> part = pack_sentences([("ab" * 10, b"s1 "), ("cd" * 10, b"s2")])
    >>> [(d[:4], r.offset, r.size) for d, r in sentence_ranges(part, "pack", 100)]
    [('abab', 132, 3), ('cdcd', 135, 2)]
    """
    table = b"".join(_SENTENCE.pack(bytes.fromhex(digest), len(block)) for digest, block in blocks)
    return len(blocks).to_bytes(4, "little") + table + b"".join(block for _digest, block in blocks)


def sentence_ranges(part: bytes, path: str, offset: int) -> list[tuple[str, Range]]:
    """Where each sentence block of a record part lies, the part being at ``offset`` of the file at ``path``."""
    count = int.from_bytes(part[:4], "little")
    at = offset + 4 + count * _SENTENCE.size
    ranges = []
    for digest, size in _SENTENCE.iter_unpack(part[4 : 4 + count * _SENTENCE.size]):
        ranges.append((digest.hex(), Range(path, at, size)))
        at += size
    return ranges


def first_sentences(parts: Iterable[Range]) -> dict[bytes, Range]:
    """Each sentence of these records' sentence parts once (by its digest's bytes, which sort as its hex), where the
    first part having it holds its block: read from the head of each part — the count and the table of digests and
    lengths, not the blocks (a national graph file lists millions: no hex, no range made twice)."""
    found: dict[bytes, Range] = {}
    handles: dict[str, BinaryIO] = {}
    try:
        for part in parts:
            handle = handles.get(part.path)
            if handle is None:
                handle = handles[part.path] = open(part.path, "rb")  # noqa: SIM115 - closed below
            handle.seek(part.offset)
            head = handle.read(4)
            table = handle.read(int.from_bytes(head, "little") * _SENTENCE.size)
            at = part.offset + 4 + len(table)
            for digest, size in _SENTENCE.iter_unpack(table):
                if digest not in found:
                    found[digest] = Range(part.path, at, size)
                at += size
    finally:
        for handle in handles.values():
            handle.close()
    return found


class PackWriter:
    """Appends records to a new pack file (one per process), made by its first record: a worker given nothing to
    read leaves no empty pack behind."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.name = f"{uuid.uuid4().hex}.pack"
        self.handle: BinaryIO | None = None
        self.offset = len(PACK_MAGIC)

    def append(self, key: str, record: Record) -> Location:
        if self.handle is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.directory / self.name, "ab", buffering=0)  # noqa: SIM115 - lives as long as the worker
            self.handle.write(PACK_MAGIC)
        sizes = tuple(len(part) for part in record)
        signature = mac(key.encode("ascii"), *record)
        self.handle.write(_HEADER.pack(key.encode("ascii"), *sizes, signature) + b"".join(record))
        location = Location(self.name, self.offset, sizes, signature)
        self.offset += _HEADER.size + sum(sizes)
        return location

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def part_range(pack: str, offset: int, sizes: Sequence[int], part: int) -> Range:
    """Where one part (0 the RDF block, 1 the JSON line, 3 the reading page, 4 the sentences) of the record at
    ``offset`` of the pack file ``pack``, its parts of ``sizes``, lies."""
    return Range(pack, _part_offset(offset, sizes, part), sizes[part])


def _length(location: Location) -> int:
    """The bytes of a record in its pack."""
    return _HEADER.size + sum(location.sizes)


def _part_offset(offset: int, sizes: Sequence[int], part: int) -> int:
    return offset + _HEADER.size + sum(sizes[:part])


class Cache:
    """Records by cache key, read from the packs under ``root``; the last build's state beside them."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.packs = self.root / PACKS  # created by the first writer: a build that reads nothing writes nothing
        self.index: dict[str, Location] = {}
        self._handles: dict[str, BinaryIO] = {}
        self._paths: dict[str, str] = {}  # pack name → its path
        self._verified: set[str] = set()  # records checked, by this process or (in the saved index) an earlier one
        self._checked: set[str] = set()  # records this process checked or wrote: the only ones it unpickles
        self.problems: list[str] = []  # what was found damaged, for the build's warnings
        self._unsaved = 0  # records indexed, or moved, since the saved index was written
        saved = self._saved_index()
        for pack in sorted(self.packs.glob("*.pack")):
            known = saved.get(pack.name)
            if known is not None and known[0] == _stamp(pack):
                _, keys, locations, checked = known
                self.index.update(zip(keys, locations))
                self._verified.difference_update(compress(keys, map(operator.not_, checked)))
                self._verified.update(compress(keys, checked))
            else:
                self._scan(pack)

    def _saved_index(self) -> dict[str, tuple[tuple[int, int], list[str], list[Location], list[bool]]]:
        """pack name → (its stamp, its records' keys, locations and whether each was checked, in pack order), as the
        last build left them (see :meth:`save_index`); nothing when the file is missing, damaged or not this
        machine's."""
        try:
            with open(self.root / INDEX_FILE, "rb") as handle:
                data = read_signed(handle)
            if data is None:
                return {}
            layout, packs = pickle.loads(data)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return {}
        if layout != _INDEX_LAYOUT:
            return {}
        saved = {}
        for name, stamp, keys, offsets, sizes, signatures, checked in packs:
            # columns, not a tuple per record: a national index is read in a tenth of the time
            key_list = [keys[at : at + _KEY] for at in range(0, len(keys), _KEY)]
            flat = array("I", sizes).tolist()
            parts = len(Record._fields)
            columns = zip(
                repeat(name),
                array("Q", offsets).tolist(),
                zip(*[iter(flat)] * parts),
                [signatures[at : at + _MAC] for at in range(0, len(signatures), _MAC)],
            )
            locations = list(map(Location._make, columns))
            saved[name] = (tuple(stamp), key_list, locations, list(map(bool, checked)))
        return saved

    def save_index(self) -> None:
        """Keep where every record lies and which ones were checked, for the next build to open the cache without
        reading the packs again (each pack with its size and time: one changed since is scanned again).

        Not written again for a few records added since it was (an edit's): the next build reads their headers in
        the pack a worker wrote, a few milliseconds, where writing the index of a national corpus takes a third of
        a second.
        """
        if self._unsaved <= UNSAVED_RECORDS and (self.root / INDEX_FILE).exists():
            return
        by_pack: dict[str, list[tuple[str, Location]]] = {}
        for key, location in self.index.items():
            by_pack.setdefault(location.pack, []).append((key, location))
        packs = []
        for name, records in sorted(by_pack.items()):
            try:
                stamp = _stamp(self.packs / name)
            except OSError:
                continue
            records.sort(key=lambda record: record[1].offset)
            keys = [key for key, _ in records]
            packs.append(
                (
                    name,
                    stamp,
                    "".join(keys),
                    array("Q", [location.offset for _, location in records]).tobytes(),
                    array("I", [size for _, location in records for size in location.sizes]).tobytes(),
                    b"".join(location.signature for _, location in records),
                    bytes(key in self._verified for key in keys),
                )
            )
        with atomic_path(self.root / INDEX_FILE) as temporary:
            with open(temporary, "wb") as handle:
                handle.write(sign(pickle.dumps((_INDEX_LAYOUT, packs), protocol=pickle.HIGHEST_PROTOCOL)))

    def _scan(self, pack: Path) -> None:
        """Index the records of a pack from their headers (a record of a key found again replaces the earlier one)."""
        size = pack.stat().st_size
        with open(pack, "rb") as handle:
            if handle.read(len(PACK_MAGIC)) != PACK_MAGIC:
                return  # written by another version of kg: its records are made again, and compaction removes it
            offset = len(PACK_MAGIC)
            while offset + _HEADER.size <= size:
                handle.seek(offset)
                raw_key, *sizes, signature = _HEADER.unpack(handle.read(_HEADER.size))
                end = offset + _HEADER.size + sum(sizes)
                if end > size:
                    break  # cut short by a killed build
                try:
                    key = raw_key.decode("ascii")
                except UnicodeDecodeError:
                    self.problems.append(f"{pack.name}: a damaged record header at byte {offset}: the rest of the pack is set aside")
                    break
                self.index[key] = Location(pack.name, offset, tuple(sizes), signature)
                self._unsaved += 1
                self._verified.discard(key)  # not this record: an earlier one of its key, checked in a saved index
                offset = end

    def __contains__(self, key: str) -> bool:
        return key in self.index

    def valid(self, key: str, read: bool = False) -> bool:
        """Whether the record of ``key`` is here and whole, and was written with this machine's key: checked by this
        process, or (unless ``read``: the record is to be unpickled) by an earlier build, in a pack unchanged since.

        A record that fails is dropped from the index (it will be made again) and named in :attr:`problems`.
        """
        if key in self._checked or (not read and key in self._verified):
            return True
        location = self.index.get(key)
        if location is None:
            return False
        parts = [self._read(key, part) for part in range(len(Record._fields))]
        if all(len(p) == n for p, n in zip(parts, location.sizes)) and hmac.compare_digest(
            location.signature, mac(key.encode("ascii"), *parts)
        ):
            if key not in self._verified:
                self._verified.add(key)
                self._unsaved += 1  # checked now: the saved index is to say so
            self._checked.add(key)
            return True
        del self.index[key]
        if key in self._verified:  # the saved index vouched for it: the next build scans every pack again
            self._verified.discard(key)
            (self.root / INDEX_FILE).unlink(missing_ok=True)
        self.problems.append(f"cache record {key[:12]}… damaged or not written on this machine: built again")
        return False

    def add(self, key: str, location: Location) -> None:
        self.index[key] = location
        self._unsaved += 1
        self._verified.add(key)  # written by this build
        self._checked.add(key)

    def writer(self) -> PackWriter:
        return PackWriter(self.packs)

    def _handle(self, pack: str) -> BinaryIO:
        handle = self._handles.get(pack)
        if handle is None:
            handle = self._handles[pack] = open(self.packs / pack, "rb")  # noqa: SIM115 - closed in close()
        return handle

    def _read(self, key: str, part: int) -> bytes:
        location = self.index[key]
        handle = self._handle(location.pack)
        handle.seek(_part_offset(location.offset, location.sizes, part))
        return handle.read(location.sizes[part])

    def range(self, key: str, part: int) -> Range:
        """Where one part of a record (0 the RDF block, 1 the JSON line, 3 the reading page, 4 the sentences) lies in its pack."""
        location = self.index[key]
        path = self._paths.get(location.pack)
        if path is None:  # asked for every record of a national build: the pack's path made once
            path = self._paths[location.pack] = str(self.packs / location.pack)
        return part_range(path, location.offset, location.sizes, part)

    def block(self, key: str) -> bytes:
        return self._read(key, 0)

    def sentences(self, key: str) -> list[tuple[str, Range]]:
        """The digests of a record's sentences and where each one's block lies."""
        whole = self.range(key, SENTENCES)
        return sentence_ranges(self._read(key, SENTENCES), whole.path, whole.offset)

    def first_sentences(self, keys: Iterable[str]) -> dict[bytes, Range]:
        """Each sentence of the records of ``keys`` once (see :func:`first_sentences`)."""
        return first_sentences(self.range(key, SENTENCES) for key in keys)

    def jsonl(self, key: str) -> bytes:
        return self._read(key, 1)

    def entry(self, key: str) -> bytes:
        """The pickled part of a record, once this process has checked the record (LookupError if it fails)."""
        if not self.valid(key, read=True):
            raise LookupError(f"the cache record {key[:12]}… is damaged or was not written on this machine")
        return self._read(key, 2)

    def page(self, key: str) -> bytes:
        return self._read(key, 3)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def compact(self, live: set[str]) -> None:
        """Drop the records of files no longer built: copy the live ones to one pack when that saves much; and keep
        the packs few — every build that reads a file adds one — by copying the live records of the smallest ones
        into one (the work of the few records later builds added, not of the corpus, as a log-structured store does).
        """
        self.close()
        packs = sorted(self.packs.glob("*.pack"))
        sizes = {pack: pack.stat().st_size for pack in packs}
        stale = self.index.keys() - live  # an edit's few: the live records' bytes are those of all but these
        kept = sum(map(_length, self.index.values())) - sum(_length(self.index[k]) for k in stale)
        if sum(sizes.values()) > 2 * kept:
            copied = packs  # mostly records no build uses any more
        elif len(packs) > MAX_PACKS:
            copied = sorted(packs, key=lambda p: (sizes[p], p.name))[: len(packs) - MAX_PACKS // 2]
        else:
            return
        names = {pack.name for pack in copied}
        writer = self.writer()
        for key in sorted(k for k in live if k in self.index and self.index[k].pack in names and self.valid(k)):
            record = Record(*(self._read(key, part) for part in range(len(Record._fields))))
            self.index[key] = writer.append(key, record)
        writer.close()
        self.close()
        for pack in copied:
            pack.unlink()
        self.index = {k: v for k, v in self.index.items() if v.pack not in names}  # the live ones copied have moved
        self._unsaved = UNSAVED_RECORDS + 1  # packs the saved index lists are gone

    # -------------------------------------------------------------- the last build's merged graph

    def load_state(self, version: str) -> tuple[dict, list[dict]] | None:
        """The last snapshot of the merged graph and the journal of builds since, if the same code wrote them.

        The snapshot's version is read (and checked) before its graph, so that
        a stale one costs nothing. A snapshot that fails its MAC is ignored;
        journal records of another snapshot, cut short or failing theirs, end
        the journal.
        """
        path = self.root / STATE_FILE
        if not path.exists():
            return None
        try:
            with open(path, "rb") as handle:
                head = read_signed(handle)
                header = pickle.loads(head) if head is not None else None
                if not isinstance(header, tuple) or header[0] != version:
                    if head is None:
                        self.problems.append("the saved merged graph is damaged or was not written on this machine: merged again")
                    return None
                body = read_signed(handle)
                if body is None:
                    self.problems.append("the saved merged graph is damaged or was not written on this machine: merged again")
                    return None
                state = pickle.loads(body)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError, IndexError):
            return None  # written by other code: merge again from the records
        return {**state, "snapshot": header[1]}, list(self._journal(header[1]))

    def _journal(self, snapshot: str):
        path = self.root / JOURNAL_FILE
        if not path.exists():
            return
        with open(path, "rb") as handle:
            while True:
                data = read_signed(handle)
                if data is None:
                    return  # the end, or a record cut short or not ours
                try:
                    record = pickle.loads(data)
                except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
                    return
                if isinstance(record, dict) and record.get("snapshot") == snapshot:
                    yield record

    def save_state(self, version: str, state: dict) -> str:
        """Write a new snapshot (and drop the journal of the old one); returns its id."""
        snapshot = uuid.uuid4().hex
        with atomic_path(self.root / STATE_FILE) as temporary:
            with open(temporary, "wb") as handle:
                handle.write(sign(pickle.dumps((version, snapshot), protocol=pickle.HIGHEST_PROTOCOL)))
                handle.write(sign(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)))
        (self.root / JOURNAL_FILE).unlink(missing_ok=True)
        return snapshot

    def append_journal(self, snapshot: str, record: dict) -> None:
        """Add what a build merged on top of the snapshot, instead of writing the whole graph again."""
        data = sign(pickle.dumps({**record, "snapshot": snapshot}, protocol=pickle.HIGHEST_PROTOCOL))
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
                data = read_signed(handle)
            if data is None:
                return {}
            written_version, written_at, files = pickle.loads(data)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return {}
        if written_version != version:
            return {}
        settled = written_at - 2_000_000_000  # two seconds: coarser than any file system's clock
        return {p: entry for p, entry in files.items() if entry[1] < settled}

    def save_files(self, version: str, files: dict[str, tuple[int, int, str]]) -> None:
        with atomic_path(self.root / FILES_FILE) as temporary:
            with open(temporary, "wb") as handle:
                handle.write(sign(pickle.dumps((version, time.time_ns(), files), protocol=pickle.HIGHEST_PROTOCOL)))
