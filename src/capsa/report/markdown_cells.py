"""Escaping for text from inputs placed in Markdown: one function for every Markdown
writer (the scan report and the assessment), so a name like `<script>`, a pipe or a
newline in a resource name cannot break a table or inject HTML."""

from __future__ import annotations

_SPECIAL = ("\\", "|", "<", ">", "`", "*", "_", "[", "]")


def cell(text: object) -> str:
    """Make any value safe inside a Markdown table cell (or a line of prose)."""
    raw = "" if text is None else str(text)
    raw = " ".join(raw.split())
    for char in _SPECIAL:
        raw = raw.replace(char, "\\" + char)
    return raw
