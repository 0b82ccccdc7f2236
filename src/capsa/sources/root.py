"""The scan root: the folder every location a scan reports is relative to, so a report
(and every finding's place in it) reads the same after the scanned folder is moved,
renamed or scanned from another working directory.

The root is the folder the path arguments name: one directory, that directory; one file,
the folder it is in; several, the deepest folder that holds them all (a file counts by
its folder). `--root DIR` (or `root:` in the configuration file) sets it instead, for
example to the repository's top so code scanning finds each file. Standard input (`-`)
and cluster or cloud origins (`cluster://…`) are not files and stay as they are, and so
does a file outside the root (only possible with `--root`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from capsa.display import display_path


def is_file_path(path: str) -> bool:
    """True for a file's path; false for standard input and for a live cluster's or a
    cloud account's locations (`cluster://`, `aws://`)."""
    return bool(path) and path != "-" and "://" not in path


def scan_root(paths: Sequence[str], explicit: str | None = None) -> Path | None:
    """The absolute root for these path arguments (None: no file was named)."""
    if explicit is not None:
        return Path(os.path.abspath(explicit))
    folders = []
    for raw in paths:
        if not is_file_path(raw):
            continue
        absolute = os.path.abspath(raw)
        folders.append(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    if not folders:
        return None
    return Path(os.path.commonpath(folders))


def relative_to_root(path: str, root: Path | None) -> str:
    """`path` relative to `root` in `/` form; unchanged when it is not a file below it."""
    if root is None or not is_file_path(path):
        return path
    absolute = Path(os.path.abspath(path))
    if not absolute.is_relative_to(root):
        return path
    relative = absolute.relative_to(root)
    return PurePosixPath(*relative.parts).as_posix() if relative.parts else absolute.name


def shown_path(path: Path) -> str:
    """How a path is named to people: relative to the working directory when it is inside
    it (`.`, `clusters`), else as given; bytes that are not UTF-8 escaped."""
    absolute = path.absolute()
    here = Path.cwd()
    return display_path(absolute.relative_to(here) if absolute.is_relative_to(here) else path)
