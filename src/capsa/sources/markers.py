"""The second half of clusterctl substitution: after the text is parsed, find the markers
it left (`capsa.sources.clusterctl_vars`) in the built documents.

A multi-line value was kept out of the text as `__CAPSA_VALUE_<n>__` (splicing it in
would move every later line); it is put back into the parsed string here. A variable
without a value became `__CAPSA_UNRESOLVED_<VAR>__`; the paths holding one are listed, so
checks treat those fields as unknown, never as compliant.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from capsa.sources.clusterctl_vars import (
    UNRESOLVED_PREFIX,
    UNRESOLVED_RE,
    VALUE_PREFIX,
    VALUE_RE,
)

_MARKER = "__CAPSA_"
"""What every marker starts with (`VALUE_PREFIX`, `UNRESOLVED_PREFIX`)."""


def documents_with_markers(text: str, starts: Sequence[int]) -> list[bool]:
    """For the documents of `text` whose first lines are `starts` (1-based, ascending):
    whether the lines from each one's first to the next one's hold a marker. Only those
    need walking: a template's payload of twenty objects may use one variable, and the
    walk visits every node of what it is given. Lines out of order (never from one
    text) answer yes for all."""
    if _MARKER not in text:
        return [False] * len(starts)
    if any(later <= earlier for earlier, later in pairwise(starts)):
        return [True] * len(starts)
    lines: list[int] = []  # the line of each marker, ascending
    line, counted = 1, 0
    at = text.find(_MARKER)
    while at >= 0:
        line += text.count("\n", counted, at)
        counted = at
        lines.append(line)
        at = text.find(_MARKER, at + len(_MARKER))
    marked: list[bool] = []
    for index, start in enumerate(starts):
        first = bisect_left(lines, start)
        end = starts[index + 1] if index + 1 < len(starts) else None
        marked.append(first < len(lines) and (end is None or lines[first] < end))
    return marked


def fill_and_find_unknown(
    doc: Any, deferred: Mapping[str, str]
) -> frozenset[tuple[str | int, ...]]:
    """Put multi-line variable values back and list the paths of unresolved values."""
    unknown: set[tuple[str | int, ...]] = set()

    def fix(value: str, path: tuple[str | int, ...]) -> str:
        if deferred and VALUE_PREFIX in value:
            value = VALUE_RE.sub(lambda m: deferred.get(m.group(0), m.group(0)), value)
        if UNRESOLVED_PREFIX in value and UNRESOLVED_RE.search(value):
            unknown.add(path)
        return value

    # a string's path is made only when it holds a marker: most of a template's
    # strings hold none, and a tuple per string was most of the walk's time
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(key, str) and UNRESOLVED_PREFIX in key:
                    unknown.add((*path, key))
                if isinstance(value, str):
                    if _MARKER in value:
                        node[key] = fix(value, (*path, key))
                elif isinstance(value, (dict, list)):
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    if _MARKER in value:
                        node[index] = fix(value, (*path, index))
                elif isinstance(value, (dict, list)):
                    stack.append((value, (*path, index)))
    return frozenset(unknown)
