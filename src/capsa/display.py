"""Text that came from inputs, made safe to show: on a terminal, in a file name, in JSON.

Resource names, file names and API server messages are chosen by whoever wrote the
input. Shown raw they can move the cursor, recolour or clear the terminal (ESC and the
C1 controls), hide text (carriage return, backspace) or reorder what the reader sees
(bidirectional overrides, "Trojan Source"). `terminal_safe` is the one function that
neutralises them; every path to a terminal (`capsa.cli.output`) goes through it. Each
such character becomes its `\\uXXXX` escape, which keeps JSON output valid JSON.

`display_path` turns a file name holding bytes that are not UTF-8 (Python keeps them as
lone surrogates) into text any encoder accepts, writing those bytes as `\\xNN`.

`shown` turns the marker capsa puts where a clusterctl variable had no value
(`__CAPSA_UNRESOLVED_<VAR>__`, made by `capsa.sources.clusterctl_vars`) back into the
`${VAR}` the user wrote. The records every writer reads apply it as they are made
(`errors.Problem`, `sources.resource.Origin`, `checks.findings.ResourceRef`, `Location`
and `CheckResult`), so no report, message or file needs to remember it: the marker is
never shown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

_KEEP = frozenset({"\n", "\t"})
_UNSAFE = (
    [chr(c) for c in range(0x00, 0x20)]
    + [chr(0x7F)]
    + [chr(c) for c in range(0x80, 0xA0)]
    + ["\u061c", "\u200e", "\u200f", "\u2028", "\u2029"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_TABLE = {ord(ch): f"\\u{ord(ch):04x}" for ch in _UNSAFE if ch not in _KEEP}
_SURROGATE = re.compile("[\ud800-\udfff]")

UNRESOLVED_PREFIX = "__CAPSA_UNRESOLVED_"
"""How the marker for a clusterctl variable without a value begins (`shown`)."""
MARKER_SUFFIX = "__"
UNRESOLVED_RE = re.compile(r"__CAPSA_UNRESOLVED_(\w+?)__")
_MARKER = "__CAPSA_"


def shown(text: str) -> str:
    """`text` as the user wrote it: each marker for an unresolved clusterctl variable
    reads `${VAR}` again. Cheap when there is none (the usual case)."""
    if _MARKER not in text:
        return text
    return UNRESOLVED_RE.sub(lambda m: "${" + m.group(1) + "}", text)


def shown_or_none(text: str | None) -> str | None:
    """`shown` for an optional text."""
    return None if text is None else shown(text)


def terminal_safe(text: str) -> str:
    """`text` with every control, bidirectional-override and lone-surrogate character
    replaced by its visible `\\uXXXX` escape; newlines and tabs are kept."""
    safe = text.translate(_TABLE)
    if not safe.isascii() and _SURROGATE.search(safe):
        safe = _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", safe)
    return safe


def one_line(text: str) -> str:
    """`terminal_safe`, with newlines and tabs escaped too (for a value inside a message)."""
    return terminal_safe(text).replace("\n", "\\n").replace("\t", "\\t")


NAMES_SHOWN = 3
"""Names a report line gives before it counts the rest (clusters of a path, scopes of an
FMEA profile): a repository of templates has hundreds per line (the corpus x20: `capsa
paths` printed 10 MB); JSON, and the detail documents, name every one."""


def listed(items: Sequence[str], limit: int) -> str:
    """The first `limit` of `items` joined with commas, the rest counted ("a, b and 3
    more"): a message stays one readable line however many items an input holds."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def display_path(path: str | Path | os.PathLike[str]) -> str:
    """A path as text every encoder accepts, on one line: bytes that are not UTF-8
    become `\\xNN`, and controls (a newline, a tab) their escapes (`one_line`). A file
    name may hold a newline; shown raw, the rest of the name would print as a line of
    its own (a CI workflow command such as `::error ::all clear`, say)."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        else:
            text = raw.decode("utf-8", "backslashreplace")
    return text if text.isprintable() else one_line(text)
