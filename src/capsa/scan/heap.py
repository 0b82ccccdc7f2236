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

EVERY = 64
"""Files read (or carriers expanded) between two collections of the youngest generation
(`now_and_then`). The scan pauses the collector, yet parsing leaves a few reference
cycles per file (the YAML parser's own objects): left alone, the corpus x20 peaked at
615 MB instead of 170. Collecting the youngest generation frees them at a small cost (a
full collection would walk the whole heap each time)."""

TRIM_EVERY = 512
"""Files between two trims of the heap (`now_and_then`; a multiple of `EVERY`). Each trim
hands free pages back, and the next file's reading faults them in again: trimming every
64 files cost the corpus x20 137,000 page faults and 0.44 s of system time, every 512
files 84,000 and 0.25 s, at the same peak (x20: 147 MB, x80: 242 MB). The end of pass
one and of each group trims as well (`release_free_memory`)."""

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


def _hand_back() -> None:
    trim = _trim()
    if trim is not None:
        trim(0)


def release_free_memory() -> None:
    """Collect the youngest generation (the scan pauses the collector, and parsing leaves
    a few cycles per file), then hand the heap's free pages back to the system."""
    gc.collect(0)
    _hand_back()


def now_and_then() -> None:
    """Count one file handled: collect the youngest generation after every `EVERY`th and
    trim the heap after every `TRIM_EVERY`th (counted in this process: each worker counts
    its own)."""
    global _done
    _done += 1
    if _done % EVERY == 0:
        gc.collect(0)
        if _done % TRIM_EVERY == 0:
            _hand_back()
