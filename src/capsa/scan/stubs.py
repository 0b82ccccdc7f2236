"""Skeletons whose bodies stay packed until read, for planning.

Planning holds the whole input's skeletons at once (`capsa.scan.plan`), and their
bodies were two thirds of that memory (corpus x20: 41 MB whole). A `Stub` is made from
a block's heads alone (`capsa.scan.skeleton.pack`); resolution reading its body has the
block's bodies decoded (`Bodies`) again each time: decoding is cheap (every block of the
corpus x20 once: 0.06 s), and keeping them is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from sys import intern
from typing import Any

from capsa.scan.sharing import Sharing
from capsa.scan.skeleton import bodies_of, fields_of, heads_of
from capsa.sources.resource import Resource


class Bodies:
    """The bodies of packed skeleton blocks (by block number, `read` gives the second
    block `pack` made), decoded when asked. The `keep` blocks most recently read stay
    decoded: a Cluster's objects lie in few, nearby files. Resolution's passes each run
    over the whole input, so more kept blocks save few reads (corpus x20: 10,840 reads
    of 4,740 blocks keeping 8, 10,720 keeping 64) and cost memory (6 MB at x80)."""

    def __init__(self, read: Callable[[int], bytes], keep: int = 8) -> None:
        self._read = read
        self._keep = keep
        self._decoded: dict[int, list[dict[str, Any]]] = {}

    def body(self, block: int, at: int) -> dict[str, Any]:
        decoded = self._decoded.pop(block, None)
        if decoded is None:
            decoded = bodies_of(self._read(block))
            if len(self._decoded) >= self._keep:
                del self._decoded[next(iter(self._decoded))]  # the least recently read
        self._decoded[block] = decoded  # now the most recently read
        return decoded[at]


class Stub(Resource):
    """A skeleton whose body stays packed until something reads it (`Bodies`): planning
    holds every skeleton of the input at once, and their bodies were most of that
    memory. A body read twice may be two equal objects; resolution never changes one.

    Its fields are slots, and so are `group` and `identity`, worked out on first use
    and interned (copies of a template share them): caching them in an instance dict
    as `Resource` does grew every stub's dict past its size, and each copy held its
    own identity string (corpus x20, 32,040 stubs: 35.1 -> 19.4 MB traced at the end
    of planning)."""

    __slots__ = (
        "_at",
        "_block",
        "_bodies",
        "api_version",
        "fragment_of",
        "group",
        "identity",
        "kind",
        "name",
        "namespace",
        "origin",
        "unknown_paths",
    )

    _bodies: Bodies
    _block: int
    _at: int

    def __getattr__(self, name: str) -> Any:
        if name == "body":
            return self._bodies.body(self._block, self._at)
        worked_out = _WORKED_OUT.get(name)
        if worked_out is not None:
            value = intern(worked_out(self))
            object.__setattr__(self, name, value)
            return value
        if name in _EMPTY_BY_DEFAULT:
            return {}  # a skeleton has none; a shared empty dict could be changed
        raise AttributeError(name)

    def marked(self, **changes: Any) -> Resource:
        """A stub with `changes` to its head (a fragment's owner, a payload's origin),
        its body still packed: marked by `dataclasses.replace`, each of the corpus x20's
        marked skeletons kept its body decoded through planning (2 MB). `group` and
        `identity` are worked out again; a change to a field that has no slot (the
        body) gives a plain skeleton."""
        if not changes.keys() <= _HEAD:
            return Resource(**(self._plain_fields() | changes))
        copy = object.__new__(Stub)
        put = object.__setattr__
        for name in _COPIED:
            put(
                copy,
                name,
                changes[name] if name in changes else object.__getattribute__(self, name),
            )
        return copy

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the plain skeleton it stands for: its blocks stay in this process."""
        return (Resource, tuple(self._plain_fields().values()))

    def _plain_fields(self) -> dict[str, Any]:
        """The fields of the plain skeleton this stub stands for, its body read."""
        return {f.name: getattr(self, f.name) for f in fields(Resource)}


_WORKED_OUT: dict[str, Callable[[Resource], str]] = {
    name: vars(Resource)[name].func for name in ("group", "identity")
}
"""What `Resource` caches per instance (`cached_property`), computed as it does."""

_COPIED = tuple(name for name in Stub.__slots__ if name not in ("group", "identity"))
"""What a marked stub takes over: everything but what is worked out from its fields."""

_HEAD = frozenset(_COPIED) - {"_at", "_block", "_bodies"}
"""The fields a marked stub may change and stay a stub."""

_EMPTY_BY_DEFAULT = frozenset({"unknown_reasons", "field_origins", "defaulted"})
"""Fields of `Resource` that default to an empty dict, left unset on a stub."""


def stubs(heads: bytes, sharing: Sharing, bodies: Bodies, block: int) -> list[Resource]:
    """The skeletons whose heads `pack` wrote in `heads`, with their bodies left packed
    (block number `block` of `bodies`). Equal origins are made one object within the
    block only: an origin names its file, which is the block's, so `sharing` (kept
    through planning) would hold one entry per stub of the input for nothing (corpus
    x20: 1.3 MB); it shares unknown paths and line numbers, which recur across files."""
    made: list[Resource] = []
    put = object.__setattr__
    origins = Sharing()
    for at, head in enumerate(heads_of(heads)):
        stub = object.__new__(Stub)
        for name, value in fields_of(head, sharing, origins).items():
            put(stub, name, value)
        put(stub, "_bodies", bodies)
        put(stub, "_block", block)
        put(stub, "_at", at)
        made.append(stub)
    return made
