"""Markdown table cells and inline code that survive any text (pipes, newlines, backticks),
shared by every Markdown writer (the scan report, the assessment, the FMEA and the
reference pages), so a name like `<script>`, a pipe or a newline in a resource name
cannot break a table or inject HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence


def cell(text: object) -> str:
    """Make any value safe inside a Markdown table cell."""
    raw = "" if text is None else str(text)
    raw = " ".join(raw.split())
    for char in ("\\", "|", "<", ">", "`", "*", "_", "[", "]"):
        raw = raw.replace(char, "\\" + char)
    return raw


def code(text: str) -> str:
    """Inline code that survives backticks and pipes in the text: the fence is longer than
    any run of backticks inside, so no text can close the span early."""
    clean = " ".join(text.split()).replace("|", "¦")
    longest = max((len(run) for run in re.findall(r"`+", clean)), default=0)
    if not longest:
        return f"`{clean}`"
    fence = "`" * (longest + 1)
    return f"{fence} {clean} {fence}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    out.append("")
    return out
