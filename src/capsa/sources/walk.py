"""Which files a list of paths names: files as given, directories walked for YAML.

Directories are walked recursively in name order for `*.yaml`/`*.yml`, following
symlinks but never entering the same directory twice; hidden directories (`.git`,
`.github`) are not entered. A symlink that leads out of the directory being walked is
not followed (a note says so): a repository under review could otherwise have capsa
read files elsewhere on the machine (a CI runner's credentials). Paths named explicitly
are read whatever their extension and wherever they lead; `-` stands for standard
input. A file reached twice is read once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from capsa.display import display_path
from capsa.errors import Problem

_YAML_SUFFIXES = (".yaml", ".yml")


def _inside(entry: os.DirEntry[str], root: str) -> bool:
    """Whether `entry` (a symlink) leads to a place under `root` (a real path)."""
    target = os.path.realpath(entry.path)
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _walk(root: Path, problems: list[Problem]) -> Iterator[Path]:
    """YAML files under `root`, in name order; each real directory is entered once, and
    a symlink leading out of `root` is left with a note."""
    seen: set[tuple[int, int]] = set()
    real_root = os.path.realpath(root)
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(
                Problem(display_path(folder), None, None, f"cannot list directory: {exc.strerror}")
            )
            continue
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        subdirs: list[Path] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            wanted = is_dir and not entry.name.startswith(".")
            wanted = wanted or entry.name.lower().endswith(_YAML_SUFFIXES)
            if wanted and entry.is_symlink() and not _inside(entry, real_root):
                problems.append(
                    Problem(
                        display_path(entry.path),
                        None,
                        None,
                        "a symbolic link leading out of the scanned directory: not followed"
                        " (name the place it leads to on the command line to scan it)",
                        is_note=True,
                    )
                )
                continue
            if is_dir:
                if not entry.name.startswith("."):
                    subdirs.append(Path(entry.path))
            elif entry.name.lower().endswith(_YAML_SUFFIXES):
                yield Path(entry.path)
        stack.extend(reversed(subdirs))


def _what_is(path: Path) -> tuple[bool, str | None]:
    """(is a directory, why it cannot be read at all) — without raising for names the
    system refuses (too long, embedded NUL, a loop of symlinks)."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode), None
    except FileNotFoundError:
        return False, None if os.path.islink(path) else "no such file or directory"
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "invalid path"
        return False, f"cannot read: {reason}"


def expand_paths(paths: Sequence[str], problems: list[Problem]) -> Iterator[str]:
    seen: set[str] = set()
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        is_dir, unreadable = _what_is(path)
        if unreadable is not None:
            problems.append(Problem(display_path(raw), None, None, unreadable))
            continue
        found = _walk(path, problems) if is_dir else iter([path])
        for file in found:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                yield str(file)
