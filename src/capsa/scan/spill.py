"""Parsed files kept on disk between the scan's two passes, so memory holds one group.

The first pass parses every file once and writes its resources here (pickled, one
record per file, Secret values already redacted); the second loads the records a group
needs, which costs a fraction of parsing again. The store is a private temporary file
this process creates, writes and deletes: it is never an input, and nothing outside
the process reads it.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from types import TracebackType

from capsa.sources.resource import Resource


class Spill:
    """An append-only store of resource lists by key, in one unlinked temporary file."""

    def __init__(self) -> None:
        handle, path = tempfile.mkstemp(prefix="capsa-spill-")
        os.unlink(path)  # gone from the file system at once; the descriptor keeps it
        self._fd = handle
        self._end = 0
        self._where: dict[object, tuple[int, int]] = {}

    def put(self, key: object, resources: list[Resource]) -> None:
        blob = pickle.dumps(resources, protocol=pickle.HIGHEST_PROTOCOL)
        os.pwrite(self._fd, blob, self._end)
        self._where[key] = (self._end, len(blob))
        self._end += len(blob)

    def get(self, key: object) -> list[Resource]:
        """The resources stored under `key` (an empty list for an unknown key)."""
        where = self._where.get(key)
        if where is None:
            return []
        offset, size = where
        loaded: list[Resource] = pickle.loads(os.pread(self._fd, size, offset))  # noqa: S301 - our own record
        return loaded

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
