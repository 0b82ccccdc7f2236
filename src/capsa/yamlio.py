"""Safe YAML loading that remembers where every mapping key and list item came from.

PyYAML's C loader does the parsing; a small constructor subclass records the
1-based line and column of each node so later stages can point at a field.
Nothing here can construct Python objects from tags: it is a SafeLoader.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

try:  # the C loader is ~4x faster; fall back only where libyaml is missing
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader

Position = tuple[int, int]


class LineDict(dict[Any, Any]):
    """A mapping that knows its own position and the position of each key's value."""

    __slots__ = ("key_positions", "position", "value_positions")

    def __init__(self) -> None:
        super().__init__()
        self.position: Position = (0, 0)
        self.key_positions: dict[Any, Position] = {}
        self.value_positions: dict[Any, Position] = {}


class LineList(list[Any]):
    """A sequence that knows its own position and each item's."""

    __slots__ = ("item_positions", "position")

    def __init__(self) -> None:
        super().__init__()
        self.position: Position = (0, 0)
        self.item_positions: list[Position] = []


def _pos(node: yaml.Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that builds LineDict / LineList instead of dict / list."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict()
    mapping.position = _pos(node)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from None
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_positions[key] = _pos(key_node)
        mapping.value_positions[key] = _pos(value_node)
    return mapping


def _construct_sequence(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    seq = LineList()
    seq.position = _pos(node)
    for child in node.value:
        seq.append(loader.construct_object(child, deep=True))
        seq.item_positions.append(_pos(child))
    return seq


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_all_with_lines(text: str) -> Iterator[tuple[int, Any]]:
    """Yield (first line, document) for each document of a multi-document YAML text."""
    loader = LineLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node guarantees a node
                break
            yield node.start_mark.line + 1, loader.construct_document(node)
    finally:
        loader.dispose()


def load_one_with_lines(text: str) -> Any:
    """Load a single-document YAML text into LineDict/LineList values."""
    loader = LineLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def position_of(root: Any, path: tuple[int | str, ...]) -> Position | None:
    """Best-known position of the value at `path` inside a LineDict/LineList tree.

    Walks as deep as the path exists; when the last step is missing (e.g. a
    required field that was never written) the enclosing object's position is
    returned, which is where the user has to add it.
    """
    node = root
    best: Position | None = getattr(root, "position", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            best = node.value_positions.get(step, best)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_positions[step]
            node = node[step]
        else:
            break
    return best


_MISSING = object()


def _child(node: Any, step: int | str) -> Any:
    if isinstance(node, LineDict) and step in node:
        return node[step]
    if isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return _MISSING


def key_position_of(root: Any, path: tuple[int | str, ...]) -> Position | None:
    """Position of the key that introduces `path` (for errors about the key itself)."""
    if not path:
        return getattr(root, "position", None)
    parent = root
    for step in path[:-1]:
        child = _child(parent, step)
        if child is _MISSING:
            return position_of(root, path)
        parent = child
    last = path[-1]
    if isinstance(parent, LineDict) and last in parent:
        return parent.key_positions.get(last)
    return position_of(root, path)


def plain(value: Any) -> Any:
    """Copy a LineDict/LineList tree into plain dicts and lists (what CEL accepts)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
