"""Markdown table cells and inline code that survive any text (pipes, newlines, backticks),
shared by every Markdown writer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def cell(text: object) -> str:
    """Make any value safe inside a Markdown table cell."""
    raw = "" if text is None else str(text)
    raw = " ".join(raw.split())
    for char in ("\\", "|", "<", ">", "`", "*", "_", "[", "]"):
        raw = raw.replace(char, "\\" + char)
    return raw


def code(text: str) -> str:
    """Inline code that survives backticks and pipes in the text."""
    clean = " ".join(text.split()).replace("|", "¦")
    fence = "``" if "`" in clean else "`"
    return f"{fence} {clean} {fence}" if fence == "``" else f"`{clean}`"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    out.append("")
    return out
