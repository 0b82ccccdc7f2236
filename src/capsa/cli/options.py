"""Options every command spells the same way: `--fail-on`, `-o/--output`, and the checks
that keep a flag's stray value (`--strict true`) from being read as an input path.

One `FailOn` scale serves scan, assess and diff: `none` never fails, a severity fails on an
open finding at or above it. Values are matched without regard to case (`HIGH` = `high`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import typer

from capsa.cli.common import EXIT_UNUSABLE, err
from capsa.display import display_path


class FailOn(StrEnum):
    """When a command exits 1: `none` never; a severity: an open finding at or above it."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class DiffFailOn(StrEnum):
    """`capsa diff --fail-on`: the shared scale, plus `new` (any new finding)."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NEW = "new"


FAIL_ON_METAVAR = "none|low|medium|high|critical"


_FLAG_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})


def refuse_flag_values(paths: Sequence[str] | None) -> None:
    """Exit 2 when an input path is a flag's value in disguise: `--strict true` makes `true`
    a PATH to Click, and scanning a missing file named `true` would hide the mistake."""
    for raw in paths or ():
        if raw.lower() in _FLAG_WORDS and not Path(raw).exists():
            err(
                f"error: {raw!r} is not a file or directory; flags such as --strict take no "
                "value (write --strict, or --no-strict to turn it off)"
            )
            raise typer.Exit(EXIT_UNUSABLE)


def missing_paths(paths: list[str] | None) -> None:
    """Exit 2 before anything is printed when a named input does not exist."""
    refuse_flag_values(paths)
    unusable = False
    for path in paths or ():
        if path == "-":
            continue
        try:
            os.lstat(path)
        except FileNotFoundError:
            reason = "no such file or directory"
        except OSError as error:
            reason = f"cannot read: {error.strerror or type(error).__name__}"
        except ValueError:
            reason = "cannot read: invalid path"
        else:
            continue
        err(f"error: {display_path(path)}: {reason}")
        unusable = True
    if unusable:
        raise typer.Exit(EXIT_UNUSABLE)
