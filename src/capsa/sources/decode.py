"""Bytes to text for the manifest reader, as (text, problem) pairs so one unreadable file
never stops the others. The reading itself — regular files only, size caps before and
while reading, UTF-8 with or without BOM, binary refused — is `capsa.reader`'s."""

from __future__ import annotations

from typing import BinaryIO, TextIO

from capsa import reader
from capsa.errors import InputError, Problem


def _first(error: InputError) -> Problem:
    problem = error.problems[0]
    message = problem.message
    if message.startswith(("binary", "not UTF-8", "file too large")):
        message = message.split("; save the")[0] + "; skipped"
    return Problem(problem.path, problem.line, problem.column, message)


def read_file(path: str, max_bytes: int, shown: str) -> tuple[str | None, Problem | None]:
    try:
        return reader.read_text(path, what="file", limit=max_bytes, display=shown), None
    except InputError as error:
        return None, _first(error)


def read_stdin(stream: TextIO | BinaryIO, max_bytes: int) -> tuple[str | None, Problem | None]:
    try:
        return reader.read_stream(stream, limit=max_bytes), None
    except InputError as error:
        return None, _first(error)
