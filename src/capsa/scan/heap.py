"""Returning the C allocator's free memory to the system between a scan's steps.

Large temporary buffers (a file's pickle, a marshal block, a parsed document's bigger
lists and dicts) come from the C library's heap, which only shrinks from its top: one
small block still in use above freed ones keeps every freed page resident. Measured on
the corpus x40 after pass one, glibc's heap held 58 MB for 11 MB in use. glibc's
`malloc_trim` hands the free pages back wherever they lie. Other C libraries (musl,
macOS) have no such call, and nothing is done there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache

EVERY = 512
"""Files read (or carriers expanded) between two releases (`now_and_then`). Each trim
hands free pages back, and the next files' reading faults them in again: releasing
every 64 files cost the corpus x20 137,000 page faults and 0.44 s of system time, every
512 files 84,000 and 0.25 s, at the same peak (x20: 147 MB, x80: 242 MB). Parsing
leaves no reference cycles (`yamlio.build_document` empties its helpers' cells), so the
collection in each release is a safety net: when the parser's closures kept every
loader alive until it ran, the corpus x20 peaked at 615 MB without it. The end of pass
one and of each group release as well."""

_done = 0


@cache
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_free_memory() -> None:
    """Collect the youngest generation (the scan pauses the collector: any cycle an input
    still makes is freed here), then hand the heap's free pages back to the system."""
    gc.collect(0)
    trim = _trim()
    if trim is not None:
        trim(0)


def now_and_then() -> None:
    """Count one file handled, and release free memory after every `EVERY`th (counted in
    this process: each worker counts its own)."""
    global _done
    _done += 1
    if _done % EVERY == 0:
        release_free_memory()
