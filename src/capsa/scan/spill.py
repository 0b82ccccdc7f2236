"""Parsed files kept between the scan's two passes, so memory holds one group.

The first pass parses every file once and stores its resources here (one record per
file, Secret values already redacted); the second loads the records a group needs. A
serial scan of a small input holds them in memory as they are (pickling cost a seventh
of a grouped scan of the corpus x5) and releases each record once its last group is
done; otherwise they are pickled to a private temporary directory (mode 0700) this
process creates and removes. It is never an input: nothing outside the scan reads it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from types import TracebackType

from capsa.sources.resource import Resource


class Spill:
    """Resource lists by key (a short name made of letters, digits and dashes). While
    `holding`, records stay in this process's memory; it must be off when other
    processes read or write the store (they could not see what this one holds)."""

    def __init__(self, root: str | None = None) -> None:
        self.root = root if root is not None else tempfile.mkdtemp(prefix="capsa-spill-")
        self._owner = root is None
        self.holding = False
        self._held: dict[str, list[Resource]] = {}

    def put(self, key: str, resources: list[Resource]) -> None:
        """Store `resources` under `key`: held, or written aside and renamed into
        place, so a worker reading the key meanwhile sees the whole record or none.
        Held resources are shared with every reader, who must not change them (a scan
        never does: marking and resolving make new objects)."""
        if self.holding:
            self._held[key] = resources
            return
        blob = pickle.dumps(resources, protocol=pickle.HIGHEST_PROTOCOL)
        final = os.path.join(self.root, key)
        # the directory is this scan's own (0700): a name per process is enough, and
        # cheaper than mkstemp's random names
        temporary = f"{final}.part-{os.getpid()}"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
        os.replace(temporary, final)

    def has(self, key: str) -> bool:
        return key in self._held or os.path.exists(os.path.join(self.root, key))

    def get(self, key: str) -> list[Resource]:
        """The resources stored under `key` (an empty list for an unknown key)."""
        held = self._held.get(key)
        if held is not None:
            return held
        try:
            with open(os.path.join(self.root, key), "rb") as record:
                blob = record.read()
        except FileNotFoundError:
            return []
        loaded: list[Resource] = pickle.loads(blob)  # noqa: S301 - written by this scan
        return loaded

    def release(self, key: str) -> None:
        """Forget a held record no later step reads (one on disk stays)."""
        self._held.pop(key, None)

    def close(self) -> None:
        self._held.clear()
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
