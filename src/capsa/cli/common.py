"""Small helpers every command shares: printing problems and exiting with the contract codes."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import NoReturn

import typer

from capsa.errors import InputError, Problem

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2
DEFAULT_IGNORE_FILE = ".capsa-ignore.yaml"  # read by scan and assess when present in ./
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def print_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        sys.stderr.write(f"error: {problem}\n")


def fail_input(error: InputError) -> NoReturn:
    """Report every problem of an unusable input and exit 2 (never a traceback)."""
    print_problems(error.problems)
    raise typer.Exit(EXIT_UNUSABLE)


def write_output(text: str, output: str | None) -> None:
    """Write to a file when asked, else to stdout; an unwritable file exits 2, never a traceback."""
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            sys.stderr.write(f"error: {output}: cannot write: {error.strerror or error}\n")
            raise typer.Exit(EXIT_UNUSABLE) from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def parse_vars(pairs: Iterable[str]) -> dict[str, str]:
    """--var NAME=VALUE pairs (the value may contain '='); a malformed one exits 2."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not _VAR_NAME.match(name):
            sys.stderr.write(
                f"error: --var {pair!r}: expected NAME=value, NAME made of letters, digits "
                "and _ (not starting with a digit)\n"
            )
            raise typer.Exit(EXIT_UNUSABLE)
        out[name] = value
    return out
