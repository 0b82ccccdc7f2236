"""Bytes to text: size caps before reading, UTF-8 (with or without BOM) or a Problem
naming the first bad byte's line; binary files (a NUL byte) are refused."""

from __future__ import annotations

import os
from typing import TextIO

from capsa.errors import Problem


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, path: str) -> tuple[str | None, Problem | None]:
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, Problem(path, _line_at(data, nul), None, "binary file (NUL byte); skipped")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        byte = data[start : start + 1].hex()
        line = _line_at(data, start)
        return None, Problem(path, line, None, f"not UTF-8 text (byte 0x{byte}); skipped")


def read_file(path: str, max_bytes: int) -> tuple[str | None, Problem | None]:
    try:
        info = os.stat(path)
    except OSError as exc:
        reason = "dangling symlink" if os.path.islink(path) else exc.strerror
        return None, Problem(path, None, None, f"cannot read: {reason}")
    if not os.path.isfile(path):
        return None, Problem(path, None, None, "cannot read: not a regular file")
    if info.st_size > max_bytes:
        limit = f"{info.st_size} bytes, over the {max_bytes}-byte limit"
        return None, Problem(path, None, None, f"file too large ({limit}); skipped")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return None, Problem(path, None, None, f"cannot read: {exc.strerror}")
    if len(data) > max_bytes:
        return None, Problem(path, None, None, f"file too large (over {max_bytes} bytes); skipped")
    return _decode(data, path)


def read_stdin(stream: TextIO, max_bytes: int) -> tuple[str | None, Problem | None]:
    try:
        text = stream.read(max_bytes + 1)
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem("-", None, None, f"cannot read standard input: {exc}")
    if len(text) > max_bytes:
        return None, Problem("-", None, None, f"input too large (over {max_bytes} characters)")
    if "\x00" in text:
        return None, Problem("-", None, None, "binary input (NUL byte); skipped")
    return text, None
