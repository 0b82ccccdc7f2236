"""The rich console every table and line capsa prints goes through.

Strings are never read as rich markup (a resource named `[/bold]x` is just text) and
every character `capsa.display.terminal_safe` names — ESC, C0 and C1 controls,
bidirectional overrides — is shown as its `\\uXXXX` escape: in strings (`render_str`),
in `Text` objects before they are laid out, and in every segment rendered, whatever
built it. rich's own control segments (cursor moves of a progress bar) pass untouched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from capsa.display import terminal_safe


def safe_text(text: Text) -> Text:
    """`text` with unsafe characters escaped (its styles are dropped when any is)."""
    plain = text.plain
    safe = terminal_safe(plain)
    if safe == plain:
        return text
    return Text(
        safe,
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
    )


class SafeConsole(Console):
    """A rich Console that shows text from inputs as written, never as markup or as
    terminal control sequences."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("markup", False)
        options.setdefault("highlight", False)
        options.setdefault("emoji", False)
        super().__init__(**options)

    def render_str(self, text: str, **options: Any) -> Text:
        options["markup"] = False
        return super().render_str(terminal_safe(text), **options)

    def render(self, renderable: Any, options: Any = None) -> Iterator[Segment]:
        if isinstance(renderable, Text):
            renderable = safe_text(renderable)
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
            else:
                yield Segment(terminal_safe(segment.text), segment.style, segment.control)


def print_lines(out: Console, lines: Sequence[Text]) -> None:
    """`lines` printed as they are (never wrapped or cropped), each made safe on its own
    so one line's escapes never drop another's styles. With no styles to draw at all
    (output to a file or a pipe: rich then has no colour system) and nothing recording,
    the plain text goes straight to the console's file: rich's render pass costs ~30 us
    a line, most of the time a large scan's report takes."""
    if not lines:
        return
    if is_plain(out):
        print_plain(out, [line.plain for line in lines])
        return
    joined = Text("\n").join(safe_text(line) for line in lines)
    out.print(joined, overflow="ignore", crop=False, soft_wrap=True)


def is_plain(out: Console) -> bool:
    """Whether `out` draws no styles at all (a file or a pipe: rich then has no colour
    system) and records nothing, so plain text can go straight to its file."""
    return out.color_system is None and not out.record and not out.quiet


def print_plain(out: Console, lines: Sequence[str]) -> None:
    """`lines` written as they are to a plain console's file (`is_plain`), each made
    safe: what a large report prints, without building a rich `Text` per line."""
    if lines:  # made safe at once: newlines stay, and no line can undo another's escapes
        out.file.write(terminal_safe("\n".join(lines)) + "\n")


def console(**options: Any) -> Console:
    """A SafeConsole (`stderr=True` for messages, `file=` to render into a buffer)."""
    return SafeConsole(**options)
