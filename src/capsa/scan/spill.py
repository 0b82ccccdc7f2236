"""Parsed files kept between the scan's two passes, so memory holds one group.

The first pass parses every file once and stores its resources here (one record per
file, Secret values already redacted); the second loads the records a group needs. A
serial scan of a small input holds them in memory as they are (pickling cost a seventh
of a grouped scan of the corpus x5) and releases each record once its last group is
done. Otherwise each record is pickled and compressed (LZ4: a pickled record shrinks to
about a third); a scan on one process keeps compressed records in its memory (memory
maps outside the allocator's heap, `_Arena`) up to `MEMORY_BYTES` and writes the rest,
as a scan on several processes writes them all, to a private temporary directory (mode
0700) this process creates and removes. It is never an input: nothing outside the scan
reads it.
"""

from __future__ import annotations

import mmap
import os
import pickle
import shutil
import tempfile
from types import TracebackType

import lz4.block

from capsa.sources.resource import Resource

MEMORY_BYTES = 64 * 2**20
"""Compressed records a scan on one process keeps in memory before it writes further
ones to disk. Writing was the costliest part of spilling: the corpus x20's 84 MB of
pickled records took 3 s of CPU time to write (kernel work included) against 2 s to
pickle, and compressed they are 30 MB, which this keeps whole. Pass one's skeleton
blocks share the bound (`grouped._store`). Larger inputs spill the rest, so the memory
this adds stays bounded whatever the input's size."""


CHUNK_BYTES = 4 * 2**20
"""Size of each anonymous memory map the compressed records kept in memory are copied
into (`_Arena`)."""


_FIELD = 40
"""Bits for a record's offset and for its length (a terabyte each)."""


def _place(number: int, offset: int, length: int) -> int:
    return (number << 2 * _FIELD) | (offset << _FIELD) | length


def _placed(place: int) -> tuple[int, int, int]:
    mask = (1 << _FIELD) - 1
    return place >> 2 * _FIELD, (place >> _FIELD) & mask, place & mask


_PRIVATE = {"flags": mmap.MAP_PRIVATE} if hasattr(mmap, "MAP_PRIVATE") else {}
"""Maps copied on write across fork, not shared: a forked worker that stores a record
(its own bookkeeping starting a map again from its start) must never write over a
record the scan or another worker still reads."""


class _Arena:
    """Compressed records side by side in anonymous memory maps, outside the allocator's
    heap. Kept as bytes objects, they sat in the heap between the short-lived buffers
    each file's reading makes (pickles, marshal blocks, lists of parsed nodes), and the
    heap could never shrink: at the corpus x40 it held 117 MB for 73 MB in use. A map
    whose records are all released is unmapped at once (the one being filled is
    filled again from its start); room freed in a map still in use is not reused."""

    def __init__(self) -> None:
        self._maps: list[mmap.mmap | None] = []
        self._live: list[int] = []  # bytes still used, per map
        # key: map, offset and length in one int (a tuple of three cost 150 bytes a key)
        self._where: dict[str, int] = {}
        self._cursor = 0  # next free offset in the last map
        self.mapped = 0  # bytes mapped in all

    def fits(self, length: int, bound: int) -> bool:
        """Whether storing `length` more bytes keeps the maps within `bound`."""
        last = self._maps[-1] if self._maps else None
        if last is not None and self._cursor + length <= len(last):
            return True
        return self.mapped + max(length, CHUNK_BYTES) <= bound

    def add(self, key: str, blob: bytes) -> None:
        last = self._maps[-1] if self._maps else None
        if last is None or self._cursor + len(blob) > len(last):
            last = mmap.mmap(-1, max(len(blob), CHUNK_BYTES), **_PRIVATE)
            self._maps.append(last)
            self._live.append(0)
            self.mapped += len(last)
            self._cursor = 0
        number = len(self._maps) - 1
        last[self._cursor : self._cursor + len(blob)] = blob
        self._where[key] = _place(number, self._cursor, len(blob))
        self._live[number] += len(blob)
        self._cursor += len(blob)

    def __contains__(self, key: str) -> bool:
        return key in self._where

    def get(self, key: str) -> bytes | None:
        """A copy of the record (a view would keep its map from being unmapped)."""
        found = self._where.get(key)
        if found is None:
            return None
        number, offset, length = _placed(found)
        held = self._maps[number]
        assert held is not None  # a map is closed only once none of its records is kept
        return held[offset : offset + length]

    def drop(self, key: str) -> None:
        found = self._where.pop(key, None)
        if found is None:
            return
        number, _, length = _placed(found)
        self._live[number] -= length
        if self._live[number] == 0:
            if number == len(self._maps) - 1:
                self._cursor = 0  # the map being filled: filled again from its start
            else:
                self._unmap(number)

    def _unmap(self, number: int) -> None:
        held = self._maps[number]
        if held is not None:
            self.mapped -= len(held)
            held.close()
            self._maps[number] = None

    def clear(self) -> None:
        for number in range(len(self._maps)):
            self._unmap(number)
        self._maps.clear()
        self._live.clear()
        self._where.clear()
        self._cursor = 0


class Spill:
    """Resource lists (or bytes: `put_bytes`) by key (a short name made of letters,
    digits and dashes). While `holding`, records stay in this process's memory as they
    are; while `private`, compressed records do, up to `memory_bytes`. Both must be off
    when other processes read or write the store (they could not see what this one
    keeps)."""

    def __init__(self, root: str | None = None, memory_bytes: int | None = None) -> None:
        self.root = root if root is not None else tempfile.mkdtemp(prefix="capsa-spill-")
        self._owner = root is None
        self.holding = False
        self.private = False
        self.memory_bytes = MEMORY_BYTES if memory_bytes is None else memory_bytes
        self._held: dict[str, list[Resource]] = {}
        self._packed = _Arena()

    def put(self, key: str, resources: list[Resource]) -> None:
        """Store `resources` under `key`: held, kept compressed, or written. Held
        resources are shared with every reader, who must not change them (a scan never
        does: marking and resolving make new objects)."""
        if self.holding:
            self._held[key] = resources
            return
        self.put_bytes(key, pickle.dumps(resources, protocol=pickle.HIGHEST_PROTOCOL))

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, compressed: kept in memory within the bound while
        `private`, written otherwise (never held as it is)."""
        blob = lz4.block.compress(data)
        self._packed.drop(key)
        if self.private and self._packed.fits(len(blob), self.memory_bytes):
            self._packed.add(key, blob)
            return
        self._write(key, blob)

    def _write(self, key: str, blob: bytes) -> None:
        """Written aside and renamed into place, so a worker reading the key meanwhile
        sees the whole record or none."""
        final = os.path.join(self.root, key)
        # the directory is this scan's own (0700): a name per process is enough, and
        # cheaper than mkstemp's random names
        temporary = f"{final}.part-{os.getpid()}"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
        os.replace(temporary, final)

    def has(self, key: str) -> bool:
        return (
            key in self._held or key in self._packed or os.path.exists(os.path.join(self.root, key))
        )

    def get(self, key: str) -> list[Resource]:
        """The resources stored under `key` (an empty list for an unknown key)."""
        held = self._held.get(key)
        if held is not None:
            return held
        data = self.get_bytes(key)
        if data is None:
            return []
        loaded: list[Resource] = pickle.loads(data)  # noqa: S301 - written by this scan
        return loaded

    def get_bytes(self, key: str) -> bytes | None:
        """What `put_bytes` (or `put`, pickled) stored under `key`; None if nothing."""
        blob = self._packed.get(key)
        if blob is None:
            try:
                with open(os.path.join(self.root, key), "rb") as record:
                    blob = record.read()
            except FileNotFoundError:
                return None
        data: bytes = lz4.block.decompress(blob)
        return data

    def release(self, key: str) -> None:
        """Forget a record kept in memory that no later step reads (one on disk stays)."""
        self._held.pop(key, None)
        self._packed.drop(key)

    def close(self) -> None:
        self._held.clear()
        self._packed.clear()
        if self._owner:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
