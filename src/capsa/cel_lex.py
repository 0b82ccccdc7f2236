"""The little of CEL's lexical grammar capsa needs to edit expression text safely: where
a string literal ends, and where identifiers stand outside literals. A name inside a
pattern such as `'variables.x'` or `'a.matches(b)'` is never taken for code."""

from __future__ import annotations

import re
from collections.abc import Iterator

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")
#: Prefixes a string literal may carry (raw, bytes, both).
STRING_PREFIX = re.compile(r"^(?:[rR][bB]?|[bB][rR]?)$")
TOKEN_START = re.compile(r"['\"0-9A-Za-z_]")

_STRING_STOPS: dict[tuple[str, bool, bool], re.Pattern[str]] = {}


def _string_stops(quote: str, triple: bool, raw: bool) -> re.Pattern[str]:
    """What can end or escape inside a string literal: its closing quote(s), a newline
    (which ends a single-quoted literal), a backslash (unless raw)."""
    key = (quote, triple, raw)
    found = _STRING_STOPS.get(key)
    if found is None:
        parts = ([] if raw else [r"\\"]) + [re.escape(quote * 3 if triple else quote)]
        parts += [] if triple else ["\n"]
        found = _STRING_STOPS[key] = re.compile("|".join(parts))
    return found


def skip_string(text: str, start: int, raw: bool) -> int:
    """Index just after the string literal whose opening quote is at `start` (jumping
    from one quote, newline or backslash to the next, not character by character)."""
    quote = text[start]
    triple = text.startswith(quote * 3, start)
    closing = quote * 3 if triple else quote
    stops = _string_stops(quote, triple, raw)
    i = start + len(closing)
    while True:
        stop = stops.search(text, i)
        if stop is None:
            return len(text)
        hit = stop.group()
        if hit == closing:
            return stop.end()
        if hit == "\n":
            return stop.start()
        i = stop.start() + 2  # a backslash escapes the next character


def string_end(text: str, start: int) -> int | None:
    """Index just after the string literal (prefix included) that starts at `start`, or
    None when none starts there."""
    ident = IDENT.match(text, start)
    quote = start
    if ident is not None:
        if not STRING_PREFIX.match(ident.group()):
            return None
        quote = ident.end()
    if quote >= len(text) or text[quote] not in "'\"":
        return None
    raw = ident is not None and "r" in ident.group().lower()
    return skip_string(text, quote, raw=raw)


def identifiers(expression: str) -> Iterator[re.Match[str]]:
    """Every identifier of `expression` outside string literals and number literals."""
    i = 0
    while i < len(expression):
        # only quotes, digits and identifiers start a token that matters; jump there
        start = TOKEN_START.search(expression, i)
        if start is None:
            return
        i = start.start()
        literal = string_end(expression, i)
        if literal is not None:
            i = literal
            continue
        if expression[i].isdigit():
            number = NUMBER.match(expression, i)
            i = number.end() if number else i + 1
            continue
        ident = IDENT.match(expression, i)
        if ident is None:
            i += 1
            continue
        yield ident
        i = ident.end()


def is_member(text: str, index: int) -> bool:
    """Whether the identifier at `index` is selected from something (`x.name`,
    `x.?name`) rather than a top-level name; a ternary's `?` does not count."""
    i = index - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    if i >= 0 and text[i] == "?":
        i -= 1
        while i >= 0 and text[i].isspace():
            i -= 1
    return i >= 0 and text[i] == "."
