"""What every command shares: the exit-code contract and the only ways text reaches the
terminal or an output file.

Everything shown passes through `capsa.display.terminal_safe`, so a resource name, file
name or server message cannot carry terminal escape sequences: `err` for messages on
standard error, `write_output` for reports, and `console()` (`capsa.terminal`) for rich
tables, whose strings are never read as rich markup (`[/bold]` in a name is just text).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

import typer

from capsa.display import display_path, one_line, terminal_safe
from capsa.errors import InputError, Problem

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2
DEFAULT_IGNORE_FILE = ".capsa-ignore.yaml"  # read by scan and assess when present in ./
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Verbosity:
    """How much goes to standard error besides errors: set once by the root command's
    `-q/--quiet` (errors only) and `-v/--verbose` (details too)."""

    level = 0


def err(message: str) -> None:
    """One line on standard error, made safe for the terminal."""
    _write(sys.stderr, terminal_safe(message) + "\n")


def note(message: str) -> None:
    """A line worth knowing that is not an error (hidden by -q)."""
    if Verbosity.level >= 0:
        err(message)


def detail(message: str) -> None:
    """A line only -v asks for."""
    if Verbosity.level > 0:
        err(message)


def print_problems(problems: Iterable[Problem]) -> None:
    """Errors always; notes (a skipped file that is not a Kubernetes object) unless -q."""
    for problem in problems:
        if problem.is_note:
            note(f"note: {problem}")
        else:
            err(f"error: {problem}")


def fail_input(error: InputError) -> NoReturn:
    """Report every problem of an unusable input and exit 2 (never a traceback)."""
    print_problems(error.problems)
    raise typer.Exit(EXIT_UNUSABLE)


def _write(stream: Any, text: str) -> None:
    """Write and flush, so a full disk or a closed pipe is met here, not at exit."""
    stream.write(text)
    stream.flush()


def write_output(text: str, output: str | None) -> None:
    """Write to a file when asked, else to stdout; an unwritable file exits 2, never a
    traceback. Control characters from inputs are escaped (JSON stays valid JSON)."""
    safe = terminal_safe(text)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(safe)
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            err(f"error: {display_path(output)}: cannot write: {reason}")
            raise typer.Exit(EXIT_UNUSABLE) from None
    else:
        _write(sys.stdout, safe if safe.endswith("\n") else safe + "\n")


def live_timeout(value: float | None) -> float | None:
    """--timeout: a finite number of seconds, at least 1 (`nan` or `inf` would never end)."""
    if value is not None and not (math.isfinite(value) and value >= 1):
        raise typer.BadParameter("give a number of seconds, at least 1")
    return value


def parse_vars(pairs: Iterable[str]) -> dict[str, str]:
    """--var NAME=VALUE pairs (the value may contain '='); a malformed one exits 2."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            # all of it may be a value, a secret: never shown
            err("error: a --var has no '=' (not shown, in case it is a value): write NAME=value")
            raise typer.Exit(EXIT_UNUSABLE)
        if not _VAR_NAME.match(name):
            # the value may be a secret: name only what is before the `=`, never after it
            err(
                f"error: --var {one_line(name[:60])}=…: expected NAME=value, NAME made of "
                "letters, digits and _ (not starting with a digit)"
            )
            raise typer.Exit(EXIT_UNUSABLE)
        out[name] = value
    return out
