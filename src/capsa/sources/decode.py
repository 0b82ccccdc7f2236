"""Bytes to text for the manifest reader, as (text, problem) pairs so one unreadable file
never stops the others. The reading itself — regular files only, size caps before and
while reading, UTF-8 with or without BOM, binary refused — is `capsa.reader`'s."""

from __future__ import annotations

import re
from typing import BinaryIO, TextIO

from capsa import reader
from capsa.errors import InputError, Problem


def _first(error: InputError) -> Problem:
    problem = error.problems[0]
    message = problem.message
    if message.startswith(("binary", "not UTF-8", "file too large")):
        message = message.split("; save the")[0] + "; skipped"
    return Problem(problem.path, problem.line, problem.column, message)


_BREAKS = re.compile("\r\n?|\x85")


def lines_as_yaml_reads_them(text: str) -> str:
    """`text` with every CR LF, lone CR and NEL written as LF. The YAML parser breaks
    lines at each of them (and reads them as LF inside a value), where capsa's own line
    counting (resuming after a broken document, the lines of problems found in the
    text, clusterctl defaults) sees LF only: a file saved with CR line ends would have
    them disagree. The Unicode line and paragraph separators are kept: inside a value
    the parser keeps them as they are."""
    if "\r" not in text and "\x85" not in text:
        return text
    return _BREAKS.sub("\n", text)


def read_file(path: str, max_bytes: int, shown: str) -> tuple[str | None, Problem | None]:
    try:
        text = reader.read_text(path, what="file", limit=max_bytes, display=shown)
    except InputError as error:
        return None, _first(error)
    return lines_as_yaml_reads_them(text), None


def read_stdin(stream: TextIO | BinaryIO, max_bytes: int) -> tuple[str | None, Problem | None]:
    try:
        text = reader.read_stream(stream, limit=max_bytes)
    except InputError as error:
        return None, _first(error)
    return lines_as_yaml_reads_them(text), None
