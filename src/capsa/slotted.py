"""Fast pickling for the small frozen dataclasses a scan keeps by the hundred thousand.

`@dataclass(frozen=True, slots=True)` saves memory, but Python then pickles each value
through a generic `__setstate__` that walks the class's fields on every object, which
cost a tenth of a large grouped scan (its parsed files and results cross the spill and
the process pool as pickles). `Slotted.__reduce__` stores the slot values as one tuple
and restores them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

S = TypeVar("S", bound="Slotted")

Access = tuple[Callable[[Any], tuple[Any, ...]], tuple[Callable[[Any, Any], None], ...]]
_ACCESS: dict[type[Any], Access] = {}


def _access(cls: type[Any]) -> Access:
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
    for put, value in zip(_access(cls)[1], values, strict=True):
        put(obj, value)
    return obj


class Slotted:
    """Base of a slots dataclass: pickled as (class, slot values)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        return _restore, (cls, _access(cls)[0](self))


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
    read, setters = _access(cls)
    names: tuple[str, ...] = cls.__slots__
    if name not in names:
        raise TypeError(f"{cls.__name__} has no field {name!r}")
    made: S = object.__new__(cls)
    for put, slot, current in zip(setters, names, read(obj), strict=True):
        put(made, value if slot == name else current)
    return made
