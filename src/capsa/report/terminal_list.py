"""Grouped lists for the terminal: readable at 80 columns, ids never cut.

Tables with many columns squeeze every column at 80 columns (what CI logs get) until ids
break mid-word. capsa's terminal views print instead one header line per group (a file,
a category, a boundary, an entry point) and one entry per line: an optional position,
a tag (a severity, a status), the id a user copies, whole, then the rest (which wraps
with a hanging indent when it does not fit). Prose (titles, fixes) follows indented;
`compact` leaves the prose out, so an entry takes one line wherever names allow, and
nothing an entry names is ever shortened.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rich.console import Console
from rich.text import Text

from capsa.terminal import is_plain, print_lines, print_plain

INDENT = "  "
DETAIL = "      "


@dataclass(frozen=True)
class Entry:
    """One line of a group: `where` (a line number, a rank), `tag`, `key` (the id, whole),
    `head` (the rest of the line) and `details` (lines of prose shown in full mode)."""

    key: str
    head: str = ""
    tag: str = ""
    where: str = ""
    tag_style: str = ""
    details: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Group:
    header: str
    entries: Sequence[Entry]
    note: str = ""


# Keys up to this long are padded into one column; a longer key keeps its own length.
KEY_COLUMN = 28


def _widths(entries: Sequence[Entry]) -> tuple[int, int, int]:
    where = max((len(e.where) for e in entries), default=0)
    tag = max((len(e.tag) for e in entries), default=0)
    key = max((len(e.key) for e in entries if len(e.key) <= KEY_COLUMN), default=0)
    return where, tag, key


@lru_cache(maxsize=4096)
def _wrap(text: str, width: int, first: str = DETAIL) -> tuple[str, ...]:
    """A large report repeats the same head and details for many objects (one check's
    message, its remediation), and wrapping was a tenth of printing it."""
    return tuple(
        textwrap.wrap(
            text,
            width=max(width, len(first) + 20),
            initial_indent=first,
            subsequent_indent=DETAIL,
            break_on_hyphens=False,
            break_long_words=False,
        )
    )


def entry_text(
    entry: Entry, width: int, columns: tuple[int, int, int], compact: bool = False
) -> list[str]:
    """The plain lines of one entry: the first holds the id whole, whatever the width."""
    where_w, tag_w, key_w = columns
    first = INDENT
    if where_w:
        first += entry.where.rjust(where_w) + "  "
    if tag_w:
        first += entry.tag.ljust(tag_w) + "  "
    first += entry.key.ljust(key_w) if entry.head else entry.key
    lines = [first]
    if entry.head:
        prefix = first + "  "
        wrapped = _wrap(entry.head, width, prefix) if len(prefix) + 20 <= width else ()
        if wrapped and len(prefix) < len(wrapped[0]) <= width:
            lines[0] = wrapped[0]  # the id's line, with the head's first words beside it
            lines.extend(wrapped[1:])
        else:  # the head's first word does not fit beside the id: it starts below
            lines.extend(_wrap(entry.head, width))
    if not compact:
        for detail in entry.details:
            lines.extend(_wrap(detail, width))
    return lines


def entry_lines(
    entry: Entry, width: int, columns: tuple[int, int, int], compact: bool = False
) -> list[Text]:
    """`entry_text` as rich lines, the tag in its style."""
    lines = [Text(line) for line in entry_text(entry, width, columns, compact)]
    where_w, tag_w, _ = columns
    if tag_w and entry.tag_style:
        start = len(INDENT) + (where_w + 2 if where_w else 0)
        lines[0].stylize(entry.tag_style, start, start + tag_w)
    return lines


def print_groups(console: Console, groups: Sequence[Group], compact: bool = False) -> None:
    """Print each group as a header line and its entries, at the console's width (a
    group's entries in one go: each print costs the console a render pass; a plain
    console gets the text alone, a rich line per entry line being most of the time a
    large scan's report took)."""
    width = console.width
    plain = is_plain(console)
    for group in groups:
        print_wrapped(console, group.header, style="bold")
        columns = _widths(group.entries)
        if plain:
            print_plain(
                console,
                [
                    line
                    for entry in group.entries
                    for line in entry_text(entry, width, columns, compact)
                ],
            )
        else:
            print_lines(
                console,
                [
                    line
                    for entry in group.entries
                    for line in entry_lines(entry, width, columns, compact)
                ],
            )
        if group.note:
            console.print(Text(INDENT + group.note), overflow="fold")


def print_wrapped(console: Console, text: str, style: str = "", indent: str = "") -> None:
    """A line of prose wrapped at spaces only (ids and paths stay whole), continuation
    lines indented."""
    lines = textwrap.wrap(
        text,
        width=max(console.width, 40),
        initial_indent=indent,
        subsequent_indent=indent + "    ",
        break_on_hyphens=False,
        break_long_words=False,
    ) or [""]
    print_lines(console, [Text(line, style=style or "") for line in lines])
