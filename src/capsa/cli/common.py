"""Small helpers every command shares: printing problems and exiting with the contract codes."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import NoReturn

import typer

from capsa.errors import InputError, Problem

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2


def print_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        sys.stderr.write(f"error: {problem}\n")


def fail_input(error: InputError) -> NoReturn:
    """Report every problem of an unusable input and exit 2 (never a traceback)."""
    print_problems(error.problems)
    raise typer.Exit(EXIT_UNUSABLE)


def write_output(text: str, output: str | None) -> None:
    """Write to a file when asked, else to stdout."""
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
