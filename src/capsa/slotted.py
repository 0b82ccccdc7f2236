"""Fast pickling for the small frozen dataclasses a scan keeps by the hundred thousand.

`@dataclass(frozen=True, slots=True)` saves memory, but Python then pickles each value
through a generic `__setstate__` that walks the class's fields on every object, which
cost a tenth of a large grouped scan (its parsed files and results cross the spill and
the process pool as pickles). `Slotted.__reduce__` stores the slot values as one tuple
and restores them directly; `columns` and `from_columns` take many records of one class
apart into one tuple per slot and back, with no Python call per record at all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any, TypeVar

S = TypeVar("S", bound="Slotted")

Access = tuple[Callable[[Any], tuple[Any, ...]], tuple[Callable[[Any, Any], None], ...]]
_ACCESS: dict[type[Any], Access] = {}


def slot_access(cls: type[Any]) -> Access:
    """How to read all of a class's slots at once (one C call: a generator over the names
    took four times as long) and the setter of each (its slot's own descriptor: setting
    by name looks the descriptor up through the class every time)."""
    found = _ACCESS.get(cls)
    if found is None:
        names: tuple[str, ...] = cls.__slots__
        read: Callable[[Any], tuple[Any, ...]]
        if len(names) == 1:
            one = attrgetter(names[0])
            read = lambda obj: (one(obj),)  # noqa: E731 - attrgetter of one name gives the value
        elif names:
            read = attrgetter(*names)
        else:
            read = lambda obj: ()  # noqa: E731
        found = _ACCESS[cls] = (read, tuple(cls.__dict__[name].__set__ for name in names))
    return found


def _restore(cls: type[Any], values: tuple[Any, ...]) -> Any:
    obj = object.__new__(cls)
    for put, value in zip(slot_access(cls)[1], values, strict=True):
        put(obj, value)
    return obj


class Slotted:
    """Base of a slots dataclass: pickled as (class, slot values)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        return _restore, (cls, slot_access(cls)[0](self))


def replaced(obj: S, **changes: Any) -> S:
    """`dataclasses.replace` for a slots dataclass whose fields are all `__init__`
    arguments: twice as fast (it skips the field introspection), which counts when every
    result of a large scan gets a new location. Passed by keyword, so keyword-only
    records (`assess.model.FindingRecord`) work too, at 3 % more time."""
    cls = type(obj)
    names: tuple[str, ...] = cls.__slots__
    unknown = changes.keys() - set(names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    made: S = cls(
        **{name: changes[name] if name in changes else getattr(obj, name) for name in names}
    )
    return made


def copied(obj: S, name: str, value: Any) -> S:
    """`obj` with the slot `name` set to `value` as it is, through no `__init__` or
    `__post_init__`: for a value that needs no normalising (a record already built).
    Rebasing a large scan's results gives each a new location, and `replaced`'s
    construction was most of that (corpus x20: 120,000 results)."""
    cls = type(obj)
    read, setters = slot_access(cls)
    names: tuple[str, ...] = cls.__slots__
    if name not in names:
        raise TypeError(f"{cls.__name__} has no field {name!r}")
    made: S = object.__new__(cls)
    for put, slot, current in zip(setters, names, read(obj), strict=True):
        put(made, value if slot == name else current)
    return made


Columns = tuple[tuple[Any, ...], ...]
"""Records of one class as one tuple per slot (`columns`)."""


def columns(records: Sequence[S]) -> Columns:
    """`records` (all of one class) as one tuple of values per slot: pickled so, the
    records cost no call each, only their distinct values do (a large scan's group
    outcomes are some 170,000 results sharing a few thousand values)."""
    if not records:
        return ()
    cls = type(records[0])
    if any(type(record) is not cls for record in records):
        raise TypeError(f"records of several classes among {cls.__name__}")
    read = slot_access(cls)[0]
    return tuple(zip(*map(read, records), strict=True))


def from_columns(
    cls: type[S],
    values: Columns,
    one: Callable[[Any], Any] | None = None,
    shared: frozenset[str] = frozenset(),
) -> list[S]:
    """The records `columns` took apart, made without `__init__` (the values are the
    records' own, already normalised), every call in C but one per distinct value of
    the `shared` slots, whose values are replaced by `one(value)`."""
    if not values:
        return []
    made: list[S] = list(map(object.__new__, repeat(cls, len(values[0]))))
    setters = slot_access(cls)[1]
    names: tuple[str, ...] = cls.__slots__
    for name, put, column in zip(names, setters, values, strict=True):
        given: Sequence[Any] = column
        if one is not None and name in shared:
            given = _one_per_object(column, one)
        deque(map(put, made, given), maxlen=0)
    return made


def _one_per_object(column: Sequence[Any], one: Callable[[Any], Any]) -> list[Any]:
    """`one` of each value, asked once per distinct object (the column holds them all
    alive meanwhile, so no identity is reused)."""
    ids = list(map(id, column))
    found = {key: one(value) for key, value in dict(zip(ids, column, strict=True)).items()}
    return list(map(found.__getitem__, ids))
