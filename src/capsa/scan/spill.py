"""Parsed files kept on disk between the scan's two passes, so memory holds one group.

The first pass parses every file once and writes its resources here (pickled, one
record per file, Secret values already redacted); the second loads the records a group
needs, which costs a fraction of parsing again. The store is a private temporary
directory (mode 0700) this process creates and removes; worker processes of the same
scan read and write it. It is never an input: nothing outside the scan reads it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from types import TracebackType

from capsa.sources.resource import Resource


class Spill:
    """Resource lists by key (a short name made of letters, digits and dashes)."""

    def __init__(self, root: str | None = None) -> None:
        self.root = root if root is not None else tempfile.mkdtemp(prefix="capsa-spill-")
        self._owner = root is None

    def put(self, key: str, resources: list[Resource]) -> None:
        """Store `resources` under `key`; written aside and renamed into place, so a
        worker reading the key meanwhile sees the whole record or none."""
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
        return os.path.exists(os.path.join(self.root, key))

    def get(self, key: str) -> list[Resource]:
        """The resources stored under `key` (an empty list for an unknown key)."""
        try:
            with open(os.path.join(self.root, key), "rb") as record:
                blob = record.read()
        except FileNotFoundError:
            return []
        loaded: list[Resource] = pickle.loads(blob)  # noqa: S301 - written by this scan
        return loaded

    def close(self) -> None:
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
