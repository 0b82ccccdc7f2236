"""The one way capsa reads a file: regular files only, never more than a size cap, UTF-8.

Every input file goes through here — manifests, models and their `extends`, the ignore
file, baselines, vars files, tracking files, `report --from`, kubeconfigs (and the token
and certificate files they name), repository files. A device (`/dev/zero`,
`/dev/urandom`), a FIFO, a socket or a directory is refused before a byte is read: the
file is opened non-blocking (a FIFO without a writer cannot hang the open) and checked
with `fstat` on the open descriptor, so swapping the path after a check changes nothing.
At most `limit + 1` bytes are ever read, so a file that grows (or lies about its size,
as `/proc` files do) is still bounded. Problems name the file and, for bad bytes, the line.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TextIO

from capsa.display import display_path
from capsa.errors import InputError, Problem

MAX_FILE_BYTES = 20_000_000
"""Default cap for any file (generous for a multi-megabyte provider components file)."""
MAX_DATA_FILE_BYTES = 5_000_000
"""Cap for capsa's own configuration-like files (models, ignore files, tracking, vars)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _problem(shown: str, message: str, line: int | None = None) -> InputError:
    return InputError([Problem(shown, line, None, message)])


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def read_bytes(
    path: str | Path, *, what: str = "file", limit: int = MAX_FILE_BYTES, display: str | None = None
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; InputError otherwise."""
    shown = display if display is not None else display_path(path)
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        dangling = isinstance(exc, FileNotFoundError) and os.path.islink(path)
        raise _problem(
            shown, f"cannot read {what}: {'dangling symlink' if dangling else _reason(exc)}"
        ) from None
    try:
        info = os.fstat(fd)
        kind = _kind_of(info.st_mode)
        if kind is not None:
            raise _problem(shown, f"cannot read {what}: {kind}, not a regular file")
        if info.st_size > limit:
            raise _problem(
                shown, f"{what} too large ({info.st_size} bytes, over the {limit}-byte limit)"
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(limit + 1)
    except OSError as exc:
        raise _problem(shown, f"cannot read {what}: {_reason(exc)}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise _problem(shown, f"{what} too large (over the {limit}-byte limit)")
    return data


def line_at(data: bytes, offset: int) -> int:
    """1-based line of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def decode_utf8(data: bytes, shown: str, *, what: str = "file") -> str:
    """UTF-8 text (a BOM is dropped); an invalid sequence or a NUL byte (binary data) is an
    InputError naming the line of the first bad byte, never the bytes around it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        byte = data[start : start + 1].hex()
        message = f"not UTF-8 text (byte 0x{byte}); save the {what} as UTF-8"
        raise _problem(shown, message, line_at(data, start)) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _problem(shown, f"binary {what} (NUL byte)", line_at(data, nul))
    return text


def read_text(
    path: str | Path, *, what: str = "file", limit: int = MAX_FILE_BYTES, display: str | None = None
) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; InputError otherwise."""
    shown = display if display is not None else display_path(path)
    return decode_utf8(read_bytes(path, what=what, limit=limit, display=shown), shown, what=what)


def read_stream(stream: TextIO | BinaryIO, *, limit: int = MAX_FILE_BYTES, shown: str = "-") -> str:
    """Standard input (or any stream) as UTF-8 text, at most `limit` bytes. Bytes are read
    from the binary buffer when there is one, so the terminal's encoding plays no part."""
    what = "standard input"
    buffer = getattr(stream, "buffer", None)
    reader: Callable[[int], bytes | str] = buffer.read if buffer is not None else stream.read
    try:
        chunk = reader(limit + 1)
    except UnicodeDecodeError:
        raise _problem(shown, f"{what} is not UTF-8 text") from None
    except (OSError, ValueError) as exc:
        raise _problem(shown, f"cannot read {what}: {type(exc).__name__}") from None
    if len(chunk) > limit:
        raise _problem(shown, f"{what} too large (over the {limit}-byte limit)")
    if isinstance(chunk, bytes):
        return decode_utf8(chunk, shown, what=what)
    if "\x00" in chunk:
        raise _problem(shown, f"binary {what} (NUL byte)")
    if _SURROGATE.search(chunk):  # bytes a text stream could not decode, smuggled through
        raise _problem(shown, f"{what} is not UTF-8 text")
    return chunk
