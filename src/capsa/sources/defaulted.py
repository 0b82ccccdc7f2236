"""Which fields of a read object hold a clusterctl template's own default.

`${CLUSTER_IDENTITY_TYPE:=AWSClusterControllerIdentity}` reads as the default when the
variable has no value, and a check that passes on it passes on a value the person who
generates the cluster may replace. `clusterctl_vars.substitute` says where each default
stands in the text (`DefaultUse`); here each one is tied to the field whose value holds
it: the scalar whose value starts last at or before the default, when the default's
characters are found in it where the default stands (in a text: `--flag=${X:=false}`
holds them after `--flag=`, so the engine can put another value in their place alone;
a number or a boolean must start with the default). A default no scalar holds (in a
comment, a key) is left out: it names no field a check reads.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from typing import Any

import yaml

from capsa.sources.clusterctl_vars import DefaultUse
from capsa.sources.resource import DefaultSpan as Span
from capsa.yamlio import LineDict, LineList, Position

FieldPath = tuple[str | int, ...]


def _entries(node: Any) -> Iterator[tuple[str | int, Any, Position | None]]:
    """(key or index, value, value position) of each entry of a mapping or list."""
    if isinstance(node, LineDict):
        yield from ((key, value, node.value_position(key)) for key, value in node.items())
    elif isinstance(node, LineList):
        yield from ((at, value, node.item_position(at)) for at, value in enumerate(node))


def _scalars(node: Any, path: FieldPath) -> Iterator[tuple[Position, FieldPath, Any]]:
    """(value position, path, value) of every scalar under `node`."""
    for step, value, at in _entries(node):
        if isinstance(value, (LineDict, LineList)):
            yield from _scalars(value, (*path, step))
        elif at is not None:
            yield at, (*path, step), value


ESCAPE_SLACK = 8
"""How far, in characters, escapes and an opening quote may move a default's place in a
one-line quoted text away from its place in the parsed value (`\\"` is two characters
written, one read). A default farther from its only occurrence in the value is taken to
stand after it (in a comment)."""


def _is_block(source: Sequence[str], start: Position) -> bool:
    """Whether the value starting at `start` is a block scalar (`|` or `>`): its text
    starts on the line after, so it reaches a line further than its content."""
    line, column = start
    text = source[line - 1] if 0 < line <= len(source) else ""
    return text[column - 1 : column] in ("|", ">")


def _span(use: DefaultUse, start: Position, value: Any, block: bool = False) -> Span | None:
    """Where `use` stands in a scalar whose value starts at `start`, or None when the
    scalar does not hold it (a comment after it, the next key of a flow mapping)."""
    variables, line, column = use.variables, use.line, use.column
    if not isinstance(value, str):  # a number or a boolean: the default is all of it
        return (variables, 0, -1) if (start[0], start[1]) == (line, column) else None
    if not use.value:
        return None
    if (start[0], start[1]) == (line, column) and _whole_scalar(use.value) == value:
        return variables, 0, -1  # the default is the whole scalar, quotes and all: ${X:=""}
    size = len(use.value)
    if start[0] == line:
        offset = column - start[1]
        for at in (offset, offset - 1):  # a plain value, or one after its opening quote
            if at >= 0 and value[at : at + size] == use.value:
                return variables, at, size
        only = _only_occurrence(value, use.value)  # escapes written before it
        if only is not None and 0 <= offset - only <= ESCAPE_SLACK:
            return variables, only, size
        return None
    if "\n" in value:  # a literal block: its text starts on the line after the indicator
        lines = value.split("\n")
        index = line - start[0] - 1
        if 0 <= index < len(lines) and use.value in lines[index]:
            before = sum(len(text) + 1 for text in lines[:index])
            return variables, before + lines[index].find(use.value), size
    # a text folded or wrapped over lines (its lines do not map onto the value's) joins
    # them with a space or keeps a line break: a value with fewer ends on an earlier line,
    # and the default stands after it (a comment)
    if value.count(" ") + value.count("\n") < line - start[0] - block:
        return None
    only = _only_occurrence(value, use.value)
    return None if only is None else (variables, only, size)


def _only_occurrence(value: str, wanted: str) -> int | None:
    """Where `wanted` stands in `value` when it stands there exactly once."""
    first = value.find(wanted)
    if first < 0 or value.find(wanted, first + 1) >= 0:
        return None
    return first


def defaulted_paths(
    body: Any, uses: Sequence[DefaultUse], source: Sequence[str] = ()
) -> dict[FieldPath, tuple[Span, ...]]:
    """The path of each field of `body` a default stands in, with where it stands
    (`source`: the lines of the text read, which tell a block scalar by its indicator). A
    value an alias repeats is one text in two places: each place holds the default."""
    if not uses:
        return {}
    found = sorted(_scalars(body, ()), key=lambda entry: entry[0])
    starts = [at for at, _, _ in found]
    paths: dict[FieldPath, tuple[Span, ...]] = {}
    for use in uses:
        last = bisect_right(starts, (use.line, use.column)) - 1
        if last < 0:
            continue
        first = bisect_left(starts, starts[last])
        for start, path, value in found[first : last + 1]:
            span = _span(use, start, value, _is_block(source, start))
            if span is not None:
                paths[path] = (*paths.get(path, ()), span)
    return paths


def _whole_scalar(text: str) -> str | None:
    """The string a default reads as when it is a whole quoted YAML scalar (`""`,
    `'a b'`), else None: its characters are then not in the value, which is all of it."""
    if len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0]:
        return None
    try:
        read = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return read if isinstance(read, str) else None
