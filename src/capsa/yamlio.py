"""Safe YAML loading that remembers where every mapping key and list item came from.

PyYAML's C loader does the parsing; a small constructor subclass records the
1-based line and column of each node so later stages can point at a field.
Nothing here can construct Python objects from tags: it is a SafeLoader.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from capsa.errors import Problem

try:  # the C loader is ~4x faster; fall back only where libyaml is missing
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader

Position = tuple[int, int]

_POSITION = struct.Struct("<2i")
_PACKERS: dict[int, struct.Struct] = {}


def pack_positions(numbers: list[int]) -> bytes:
    """Lines and columns, flat, as 4-byte integers: a tree's positions took more memory,
    and most of the time of pickling it, as a dict entry and a tuple each (the corpus
    x20's parsed files pickled at 46 MB, their trees without positions at 32)."""
    count = len(numbers)
    packer = _PACKERS.get(count)
    if packer is None:
        packer = struct.Struct(f"<{count}i")
        if count <= 512:  # one per length; longer lists are few
            _PACKERS[count] = packer
    return packer.pack(*numbers)


def _unpacked(marks: bytes) -> list[Position]:
    return list(_POSITION.iter_unpack(marks))


_HERE = _POSITION.size
"""Bytes at the head of a tree node's packed positions: its own line and column."""

_NOWHERE = _POSITION.pack(0, 0)


class _Placed:
    """A tree node's own position: the head of its packed positions (`_marks`)."""

    __slots__ = ()
    _marks: bytes

    @property
    def position(self) -> Position:
        """Where the node itself starts."""
        found: Position = _POSITION.unpack_from(self._marks)
        return found

    @position.setter
    def position(self, at: Position) -> None:
        node: Any = self  # the slot is each subclass's own (a dict or list base allows no other)
        node._marks = _POSITION.pack(*at) + self._marks[_HERE:]


class LineDict(_Placed, dict[Any, Any]):
    """A mapping that knows its own position and the position of each key and its value.

    The positions are kept packed (`pack_positions`): `_marks` holds the mapping's own
    line and column, then four numbers for each key in the order the keys were first
    written (key line and column, value line and column), `_keys` those keys. A key set
    after the tree was built has no position. One bytes object a node, not a tuple
    beside it: a parsed tree's nodes are many, and each crosses the scan's spill.
    """

    __slots__ = ("_keys", "_marks")

    def __init__(self) -> None:
        super().__init__()
        self._keys: tuple[Any, ...] = ()
        self._marks = _NOWHERE

    def _at(self, key: Any, shift: int) -> Position | None:
        try:
            index = self._keys.index(key)
        except ValueError:
            return None
        found: Position = _POSITION.unpack_from(self._marks, _HERE + 16 * index + shift)
        return found

    def key_position(self, key: Any) -> Position | None:
        """Where `key` is written, or None when it was not read with the tree."""
        return self._at(key, 0)

    def value_position(self, key: Any) -> Position | None:
        """Where the value of `key` starts, or None when it was not read with the tree."""
        return self._at(key, 8)

    def place(self, keys: tuple[Any, ...], positions: list[tuple[Position, Position]]) -> None:
        """Give the mapping the (key, value) positions of `keys`, each written once."""
        self._keys = keys
        numbers = [n for pair in positions for at in pair for n in at]
        self._marks = self._marks[:_HERE] + pack_positions(numbers)

    def same_places(self, other: LineDict) -> None:
        """Take `other`'s positions (its own and its keys'): for a copy of it."""
        self._keys, self._marks = other._keys, other._marks

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickled as one call with the positions as its arguments, then the items:
        PyYAML-built trees cross the scan's spill by the million, and the generic way (a
        state dict of the slots per mapping) cost a third more to write and a quarter
        more to read (corpus x5: 0.23 -> 0.16 s and 0.14 -> 0.11 s). A subclass, with
        slots of its own, is pickled the generic way."""
        if type(self) is not LineDict:
            return object.__reduce_ex__(self, protocol)
        return _line_dict, (self._keys, self._marks), None, None, iter(self.items())

    @property
    def key_positions(self) -> dict[Any, Position]:
        """Every key's position (a new dict: to look one up, `key_position` is cheaper)."""
        return dict(zip(self._keys, _unpacked(self._marks[_HERE:])[0::2], strict=True))

    @property
    def value_positions(self) -> dict[Any, Position]:
        """Every value's position (a new dict: `value_position` is cheaper)."""
        return dict(zip(self._keys, _unpacked(self._marks[_HERE:])[1::2], strict=True))


class LineList(_Placed, list[Any]):
    """A sequence that knows its own position and each item's (packed, as `LineDict`'s:
    its own, then two numbers an item). Inserting or removing an item moves its position
    with it only through `insert_item` and `remove_item`."""

    __slots__ = ("_marks",)

    def __init__(self) -> None:
        super().__init__()
        self._marks = _NOWHERE

    def item_position(self, index: int) -> Position | None:
        """Where item `index` starts, or None when it was not read with the tree."""
        if not 0 <= index < (len(self._marks) - _HERE) // 8:
            return None
        found: Position = _POSITION.unpack_from(self._marks, _HERE + 8 * index)
        return found

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickled as `LineDict` is (a subclass the generic way)."""
        if type(self) is not LineList:
            return object.__reduce_ex__(self, protocol)
        return _line_list, (self._marks,), None, iter(self)

    @property
    def item_positions(self) -> list[Position]:
        """Every item's position, in order (a new list)."""
        return _unpacked(self._marks[_HERE:])

    def place(self, positions: list[Position]) -> None:
        """Give the items `positions`, one each, in order."""
        self._marks = self._marks[:_HERE] + pack_positions([n for at in positions for n in at])

    def same_places(self, other: LineList) -> None:
        """Take `other`'s positions: for a copy of it."""
        self._marks = other._marks

    def insert_item(self, index: int, value: Any, at: Position) -> None:
        """Insert `value` before `index`, its position `at`."""
        self.insert(index, value)
        positions = self.item_positions
        positions.insert(index, at)
        self.place(positions)

    def remove_item(self, index: int) -> None:
        """Remove item `index` and its position."""
        del self[index]
        positions = self.item_positions
        if index < len(positions):
            del positions[index]
            self.place(positions)


def _line_dict(keys: tuple[Any, ...], marks: bytes) -> LineDict:
    """An empty `LineDict` with these positions, for unpickling (its items follow)."""
    made: LineDict = dict.__new__(LineDict)
    made._keys, made._marks = keys, marks
    return made


def _line_list(marks: bytes) -> LineList:
    """An empty `LineList` with these positions, for unpickling (its items follow)."""
    made: LineList = list.__new__(LineList)
    made._marks = marks
    return made


def _pos(node: yaml.Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_SEQ_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_FLATTEN_TAGS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


#: What PyYAML's scalar constructors raise for text their type cannot hold (`!!int X`,
#: `2024-02-30`, a 5000-digit integer, `0b_`, `!!bool X`, `!!timestamp X`, `!!map [a]`).
_BUILD_FAILURES = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError)


class ValueNotBuilt(yaml.constructor.ConstructorError):
    """A node whose text its (explicit or resolved) YAML type cannot hold. Carries the
    type's name only: the node's text may be a secret and never enters the message."""

    def __init__(self, node: yaml.Node) -> None:
        tag = str(node.tag or "")
        short = tag[len(_CORE_PREFIX) :] if tag.startswith(_CORE_PREFIX) else ""
        noun = _TYPE_NOUNS.get(short, "the type its tag names")
        named = f" (YAML type !!{short})" if short in _TYPE_NOUNS else ""
        hint = "quote it if it is meant as text"
        if not isinstance(node, yaml.ScalarNode):
            hint = "check its tag"
        super().__init__(
            None, None, f"value cannot be read as {noun}{named}; {hint}", node.start_mark
        )


_CORE_PREFIX = "tag:yaml.org,2002:"
_TYPE_NOUNS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "timestamp": "a date or time",
    "binary": "base64 data",
    "str": "text",
    "map": "a mapping",
    "seq": "a list",
    "set": "a set",
    "omap": "an ordered map",
    "pairs": "a list of pairs",
    "merge": "a merge key",
    "value": "a value key",
}


class LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that builds LineDict / LineList instead of dict / list. A value its type
    cannot hold raises `ValueNotBuilt` (a YAMLError with the node's position) instead of
    the ValueError, KeyError or TypeError PyYAML's constructors let through."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except _BUILD_FAILURES:
            raise ValueNotBuilt(node) from None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The resolver's own answer, minus its per-call list building: the C parser asks
        once per node, and most scalars start with a character no implicit type claims
        (collections, without path resolvers, always get the default tag)."""
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        if kind is yaml.MappingNode:
            return self.DEFAULT_MAPPING_TAG
        if kind is yaml.SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        if implicit[0]:
            table = self.yaml_implicit_resolvers
            resolvers = table.get(value[0] if value else "")
            wildcard = table.get(None)
            if resolvers or wildcard:
                for tag, regexp in (resolvers or []) + (wildcard or []):
                    if regexp.match(value):
                        return tag
        return self.DEFAULT_SCALAR_TAG


def _require_hashable(key: Any, node: yaml.Node, key_node: yaml.Node) -> None:
    """A mapping key must be hashable; say where, in PyYAML's own error type."""
    try:
        hash(key)
    except TypeError:
        raise yaml.constructor.ConstructorError(
            "while constructing a mapping",
            node.start_mark,
            "found an unhashable key",
            key_node.start_mark,
        ) from None


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict()
    mapping.position = _pos(node)
    loader.flatten_mapping(node)
    positions: dict[Any, tuple[Position, Position]] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        _require_hashable(key, node, key_node)
        mapping[key] = loader.construct_object(value_node, deep=True)
        positions[key] = (_pos(key_node), _pos(value_node))
    mapping.place(tuple(positions), list(positions.values()))
    return mapping


def _construct_sequence(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    seq = LineList()
    seq.position = _pos(node)
    for child in node.value:
        seq.append(loader.construct_object(child, deep=True))
    seq.place([_pos(child) for child in node.value])
    return seq


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class TooDeep(ValueError):
    """A document nests collections deeper than the limit given to `build_document`."""


@dataclass(frozen=True)
class Placement:
    """Where the positions of a built tree land: shifted by `lines`/`columns`, or all at
    `fixed` (a payload whose text cannot be mapped back onto its file line by line).
    Callable on a position, so it can stand wherever a position mover is expected."""

    lines: int = 0
    columns: int = 0
    fixed: Position | None = None

    def __call__(self, pos: Position) -> Position:
        if self.fixed is not None:
            return self.fixed
        return (pos[0] + self.lines, pos[1] + self.columns)

    def then(self, other: Placement) -> Placement:
        """This placement followed by `other`."""
        if other.fixed is not None:
            return other
        if self.fixed is not None:
            return Placement(fixed=other(self.fixed))
        return Placement(self.lines + other.lines, self.columns + other.columns)


_SCALAR_CACHE: dict[tuple[str, str], Any] = {}
_CACHED_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float")
)


def _last_written(keys: list[Any], marks: list[int]) -> tuple[list[Any], list[int]]:
    """Each key once, where it was first written, with the positions of its last writing
    (as the mapping keeps the key's last value)."""
    last: dict[Any, int] = {}
    for index, key in enumerate(keys):
        last[key] = index
    return list(last), [n for index in last.values() for n in marks[4 * index : 4 * index + 4]]


def build_document(
    loader: LineLoader,
    root: yaml.Node,
    placement: Placement | None = None,
    *,
    max_depth: int | None = None,
    aliases: bool = True,
    duplicates: list[tuple[Any, Position, Position]] | None = None,
) -> Any:
    """Build the LineDict/LineList tree of a composed document, as
    `loader.construct_document` would, in one tight pass.

    PyYAML's generic machinery (a constructor lookup, a recursion guard and a cache entry
    per node) costs more than the parse itself; here plain strings, mappings and
    sequences are built directly and anything else is handed to the loader. Positions are
    placed by `placement` as they are recorded. With `max_depth`, a document nesting
    collections deeper raises TooDeep; `aliases=False` promises the text has no anchors,
    so no node can be shared and none is remembered.

    With `duplicates`, a mapping that writes a key twice adds (key, first position, later
    position) for each repeat; the built mapping keeps the last value, as PyYAML (and a
    non-strict Kubernetes decoder) does. The check costs one length comparison per
    mapping; only a mapping with a repeat is scanned again. A mapping with a `<<` merge
    is not checked: a key overriding a merged one is how merges are meant to be used.
    """
    place = placement or Placement()
    fixed = place.fixed
    dl, dc = place.lines + 1, place.columns + 1
    limit = max_depth if max_depth is not None else -1
    memo: dict[yaml.Node, Any] = {}
    active: set[yaml.Node] = set()
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    new_dict, new_list = LineDict.__new__, LineList.__new__
    cache = _SCALAR_CACHE

    def position(node: yaml.Node) -> Position:
        if fixed is not None:
            return fixed
        mark = node.start_mark
        return (mark.line + dl, mark.column + dc)

    def scalar(node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        if tag in _CACHED_SCALAR_TAGS:
            key = (tag, node.value)
            if key in cache:
                return cache[key]
            value = loader.construct_object(node, deep=True)
            if len(cache) > 50_000:
                cache.clear()
            cache[key] = value
            return value
        return loader.construct_object(node, deep=True)

    def build(node: yaml.Node, depth: int) -> Any:
        kind = type(node)
        if kind is scalar_node:
            return scalar(node)
        if aliases:
            if node in memo:
                if node in active:
                    raise yaml.constructor.ConstructorError(
                        None, None, "found unconstructable recursive node", node.start_mark
                    )
                return memo[node]
            active.add(node)
        try:
            if depth == limit:
                raise TooDeep(f"nested deeper than {limit} levels")
            if kind is mapping_node and node.tag == _MAP_TAG:
                return mapping(node, depth)
            if kind is sequence_node and node.tag == _SEQ_TAG:
                return sequence(node, depth)
            value = loader.construct_object(node, deep=True)
            if aliases:
                memo[node] = value
            return value
        finally:
            if aliases:
                active.discard(node)

    def mapping(node: yaml.Node, depth: int) -> LineDict:
        out: LineDict = new_dict(LineDict)
        if aliases:
            memo[node] = out
        merged = False
        here = position(node)
        while True:
            keys: list[Any] = []
            marks: list[int] = []  # key line, key column, value line, value column: a key
            restart = False
            for key_node, value_node in node.value:
                if type(key_node) is scalar_node:
                    if key_node.tag in _FLATTEN_TAGS:
                        restart = True
                        break
                    key = scalar(key_node)
                else:
                    key = build(key_node, depth + 1)
                    _require_hashable(key, node, key_node)
                if type(value_node) is scalar_node:
                    out[key] = scalar(value_node)
                else:
                    out[key] = build(value_node, depth + 1)
                keys.append(key)
                if fixed is None:
                    at, to = key_node.start_mark, value_node.start_mark
                    marks += (at.line + dl, at.column + dc, to.line + dl, to.column + dc)
            if not restart:
                if len(keys) != len(out):  # a key written twice
                    if duplicates is not None and not merged:
                        repeated(node)
                    keys, marks = _last_written(keys, marks)
                if fixed is not None:
                    marks = [*fixed, *fixed] * len(keys)
                out._keys = tuple(keys)
                out._marks = pack_positions([*here, *marks])  # its own position first
                return out
            # `<<` merges and `=` keys: flatten as PyYAML does, after the depth check it
            # would have made on the written (unflattened) nodes
            if limit >= 0 and exceeds_depth(node, limit - depth):
                raise TooDeep(f"nested deeper than {limit} levels")
            out.clear()
            loader.flatten_mapping(node)
            merged = True

    def repeated(node: yaml.Node) -> None:
        assert duplicates is not None
        first: dict[Any, Position] = {}
        for key_node, _ in node.value:
            if type(key_node) is not scalar_node:
                continue
            key = scalar(key_node)
            at = position(key_node)
            if key in first:
                duplicates.append((key, first[key], at))
            else:
                first[key] = at

    def sequence(node: yaml.Node, depth: int) -> LineList:
        out: LineList = new_list(LineList)
        if aliases:
            memo[node] = out
        marks: list[int] = [*position(node)]  # its own position first, then each item's
        for child in node.value:
            out.append(scalar(child) if type(child) is scalar_node else build(child, depth + 1))
            if fixed is None:
                at = child.start_mark
                marks += (at.line + dl, at.column + dc)
        out._marks = pack_positions(marks if fixed is None else [*fixed] * (len(out) + 1))
        return out

    try:
        return build(root, 0)
    except yaml.YAMLError:
        # a depth check over the whole document comes before any construction error
        if max_depth is not None and exceeds_depth(root, max_depth):
            raise TooDeep(f"nested deeper than {max_depth} levels") from None
        raise
    finally:
        loader.constructed_objects = {}
        loader.recursive_objects = {}
        # the helpers call each other through their closure cells: a reference cycle
        # that would keep the loader, its nodes and `memo` alive until the collector
        # ran; emptying the cells lets reference counting free them at once
        build = mapping = sequence = scalar = repeated = position = None  # type: ignore[assignment]


def exceeds_depth(root: yaml.Node, limit: int) -> bool:
    """True when collections nest more than `limit` levels below and including `root`.
    For alias-free node trees (scalars are not counted)."""
    scalar = yaml.ScalarNode
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if type(value) is not scalar:
                    stack.append((value, depth + 1))
                if type(key) is not scalar:
                    stack.append((key, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value if type(child) is not scalar)
    return False


# --- guards, checked on the composed node graph before anything is built -------------

_BEFORE_ALIAS = frozenset("[{,:")


def may_have_aliases(text: str) -> bool:
    """False only when `text` holds no alias (`*name` at the start of a token: after a
    line start, a space or `[{,:`, and followed by a non-space), so no node can be shared
    and the alias guards can be skipped. Errs towards True: `a *b` in a quoted string
    counts. Looks only at the stars (a pattern tried at every position cost a tenth of
    parsing)."""
    at = text.find("*")
    while at != -1:
        before = text[at - 1] if at else "\n"
        after = text[at + 1 : at + 2]
        if (before in _BEFORE_ALIAS or before.isspace()) and after and not after.isspace():
            return True
        at = text.find("*", at + 1)
    return False


MAX_DEPTH = 200
"""Deepest nesting accepted: generous for deep CRD schemas; recursive walkers break near 500."""
MAX_ALIAS_RATIO = 10
"""Alias expansion beyond this many times the written nodes (plus `ALIAS_SLACK`) is refused."""
ALIAS_SLACK = 10_000
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels; document skipped"


def _measure_aliases(root: yaml.Node) -> tuple[int, int, bool]:
    """(deepest nesting, nodes after alias expansion, has a cycle) without recursion."""
    depth: dict[int, int] = {}
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            size[key] = 1 + sum(size[id(c)] for c in children)
            continue
        if key in size:
            continue
        if key in on_path:
            return 0, 0, True
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                return 0, 0, True
            if id(child) not in size:
                stack.append((child, False))
    return depth[id(root)], size[id(root)], False


def _tree_depth(root: yaml.Node) -> int | None:
    """The deepest level of any node, scalars counted (as `_measure_aliases` counts),
    or None when some node is reached twice: an alias was used, and expansion and cycles
    must be measured. A third of the cost of measuring, for texts whose stars only look
    like aliases (`arn:*:iam`, `[ec2:*]`)."""
    seen: set[int] = set()
    deepest = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, level = stack.pop()
        key = id(node)
        if key in seen:
            return None
        seen.add(key)
        deepest = max(deepest, level)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, level + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for pair in node.value:
                stack.append((pair[0], level + 1))
                stack.append((pair[1], level + 1))
    return deepest


def _count_nodes(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return len(seen)


def refusal(node: yaml.Node, has_anchors: bool) -> str | None:
    """Why a composed document must not be built, or None when it is safe: nesting deeper
    than `MAX_DEPTH`, an alias inside its own anchor, or alias expansion beyond
    `MAX_ALIAS_RATIO` times the written nodes (plus `ALIAS_SLACK`): a "billion laughs"."""
    if not has_anchors:  # no aliases: the node graph is a tree, only depth can hurt
        if exceeds_depth(node, MAX_DEPTH):
            return TOO_DEEP
        return None
    deepest = _tree_depth(node)
    if deepest is not None:  # the text may hold an alias, yet no node is shared
        return TOO_DEEP if deepest > MAX_DEPTH else None
    deepest, expanded, cyclic = _measure_aliases(node)
    if cyclic:
        return "YAML alias refers to its own parent (recursive structure); document skipped"
    if deepest > MAX_DEPTH:
        return TOO_DEEP
    written = _count_nodes(node)
    if expanded > MAX_ALIAS_RATIO * written + ALIAS_SLACK:
        return (
            f"YAML aliases expand {written} written nodes to {expanded} "
            "(alias bomb?); document skipped"
        )
    return None


# --- describing YAML errors ----------------------------------------------------------


@dataclass(frozen=True)
class YamlFault:
    """Where a YAML error is (1-based, when known) and what kind of problem it is, in
    words that never quote the input."""

    line: int | None
    column: int | None
    message: str


# libyaml's own problem texts are constants; this shape (words, punctuation and quoted
# one- to three-character tokens or <token names>) is what they look like. Text of any
# other shape may carry the input and is never shown.
_CONSTANT_TEXT = re.compile(r"(?:[A-Za-z ,;()-]|<[a-z ]+>|'(?:<[a-z ]+>|[^\sA-Za-z0-9']{1,3})')+")
_NODE_WORDS = r"(?:scalar|sequence|mapping)"
_CONSTRUCTOR_TEXT = (
    (re.compile(r"could not determine a constructor for the tag"),
     "unknown tag: an unquoted value starting with '!' is read as a YAML tag; quote the value"),
    (re.compile(rf"expected an? {_NODE_WORDS}(?: node)?, but found {_NODE_WORDS}"), None),
    (re.compile(r"expected a mapping of length 1, but found \w+"), None),
    (re.compile(r"expected a single mapping item, but found \d+ items"), None),
    (re.compile(r"found (?:an )?un(?:hashable|acceptable) key"),
     "a mapping key must be a plain value, not a list or mapping"),
    (re.compile(r"failed to (?:decode|convert) base64 data"), "!!binary value is not valid base64"),
    (re.compile(r"found unconstructable recursive node"), "alias refers to its own parent"),
    (re.compile(rf"expected a mapping or list of mappings for merging, but found {_NODE_WORDS}"),
     None),
)  # fmt: skip
_COMPOSER_TEXT = (
    (re.compile(r"found undefined alias"),
     "undefined alias: an unquoted value starting with '*' is read as an alias; quote the value"),
    (re.compile(r"found duplicate anchor"), "duplicate anchor name"),
    (re.compile(r"expected a single document in the stream"),
     "expected a single document, found another after '---'"),
)  # fmt: skip


_UNDESCRIBED = (
    "a value here cannot be read (the parser's own message may quote it, so it is not shown)"
)


def _known(text: str, table: tuple[tuple[re.Pattern[str], str | None], ...]) -> str | None:
    for pattern, message in table:
        if pattern.fullmatch(text):
            return message if message is not None else text
        if message is not None and pattern.match(text):
            return message
    return None


_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
"""A line break as the YAML parser counts one: CR LF once, and a lone LF, CR or NEL,
and the Unicode line and paragraph separators."""

_OTHER_BREAK = re.compile("[\r\x85\u2028\u2029]")


def line_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """The line breaks the YAML parser counts in `text[start:end]`, so a line worked out
    from an offset is the line the parser reports (LF alone, counted fast, when the
    text has no other break)."""
    stop = len(text) if end is None else end
    if _OTHER_BREAK.search(text, start, stop) is None:
        return text.count("\n", start, stop)
    return sum(1 for _ in _LINE_BREAK.finditer(text, start, stop))


def last_break_end(text: str) -> int:
    """The offset just past `text`'s last line break (as the parser counts them); 0
    when it has none."""
    if _OTHER_BREAK.search(text) is None:
        return text.rfind("\n") + 1
    last = 0
    for found in _LINE_BREAK.finditer(text):
        last = found.end()
    return last


def line_start(text: str, line: int) -> int | None:
    """The offset where 1-based `line` starts, lines counted as the parser counts them;
    None past the text's last line break."""
    if line <= 1:
        return 0
    for count, found in enumerate(_LINE_BREAK.finditer(text), start=2):
        if count == line:
            return found.end()
    return None


def _line_of(text: str | None, index: int | None) -> int | None:
    if text is None or index is None or index < 0:
        return None
    return line_breaks(text, 0, index) + 1


def describe_yaml_error(exc: yaml.YAMLError, text: str | None = None) -> YamlFault:
    """Line, column and kind of a YAML error, never the offending text.

    PyYAML's messages quote what they could not read — a tag (`!x`, `!<…>`, `%`-escaped),
    an alias name, a value given to `!!int` — and an unquoted value starting with `!` or
    `*` may well be a password. Known messages are translated; libyaml's constant texts
    are passed on only when they have the shape of a constant; anything else becomes
    "invalid YAML". `text` (the parsed text) lets a reader error be placed on its line.
    """
    if isinstance(exc, yaml.reader.ReaderError):
        where = _line_of(text, getattr(exc, "position", None))
        return YamlFault(
            where, None, "character not allowed in YAML (a control or invalid character)"
        )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return YamlFault(None, None, "invalid YAML")
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    problem, context = exc.problem or "", exc.context or ""
    message: str | None
    if isinstance(exc, ValueNotBuilt):
        message = problem  # built from the node's type alone
    elif isinstance(exc, yaml.constructor.ConstructorError):
        message = _known(problem, _CONSTRUCTOR_TEXT)
    elif isinstance(exc, yaml.composer.ComposerError):
        message = _known(context, _COMPOSER_TEXT) or _known(problem, _COMPOSER_TEXT)
    else:
        message = next((t for t in (problem, context) if t and _CONSTANT_TEXT.fullmatch(t)), None)
    return YamlFault(line, column, message or _UNDESCRIBED)


def yaml_problem(
    path: str, exc: yaml.YAMLError, text: str | None = None, *, prefix: str = "invalid YAML"
) -> Problem:
    """The Problem of a YAML error in file `path` (see `describe_yaml_error`)."""
    fault = describe_yaml_error(exc, text)
    return Problem(path, fault.line, fault.column, f"{prefix}: {fault.message}")


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
    return _deepest(root, path, keys=False)


def field_position_of(root: Any, path: tuple[int | str, ...]) -> Position | None:
    """Where a finding about the field at `path` points: the key that introduces the
    deepest part of `path` the tree holds (the field's own key when it is there, its
    nearest existing parent's key when it is missing), or the item for a list index.

    Unlike `position_of`, never the position of a block mapping's value, which is its
    first child's line: a field missing under `apiServer:` points at `apiServer:`, not at
    whatever key happens to come first beneath it.
    """
    return _deepest(root, path, keys=True)


def _deepest(root: Any, path: tuple[int | str, ...], *, keys: bool) -> Position | None:
    """The position of the deepest step of `path` the tree holds: of its key (`keys`) or
    of its value; a list item's own position either way."""
    node = root
    best: Position | None = getattr(root, "position", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            best = (node.key_position(step) if keys else node.value_position(step)) or best
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_position(step) or best
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
        return parent.key_position(last)
    return position_of(root, path)


def plain(value: Any) -> Any:
    """Copy a LineDict/LineList tree into plain dicts and lists (what CEL accepts)."""
    if isinstance(value, dict):
        return _plain_map(value)
    if isinstance(value, list):
        return _plain_list(value)
    return value


# The two helpers test each value where it is found, so a scalar (most of a document)
# costs no call: every document a check reads is copied by them.
def _plain_map(value: dict[Any, Any]) -> dict[Any, Any]:
    return {
        k: _plain_map(v) if isinstance(v, dict) else _plain_list(v) if isinstance(v, list) else v
        for k, v in value.items()
    }


def _plain_list(value: list[Any]) -> list[Any]:
    return [
        _plain_map(v) if isinstance(v, dict) else _plain_list(v) if isinstance(v, list) else v
        for v in value
    ]
