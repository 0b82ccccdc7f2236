"""Fast pickling for the small frozen dataclasses a scan keeps by the hundred thousand.

`@dataclass(frozen=True, slots=True)` saves memory, but Python then pickles each value
through a generic `__setstate__` that walks the class's fields on every object, which
cost a tenth of a large grouped scan (its parsed files and results cross the spill and
the process pool as pickles). `Slotted.__reduce__` stores the slot values as one tuple
and restores them directly.
"""

from __future__ import annotations

from typing import Any, TypeVar

S = TypeVar("S", bound="Slotted")


def _restore(cls: type[Any], values: tuple[Any, ...]) -> Any:
    obj = object.__new__(cls)
    for name, value in zip(cls.__slots__, values, strict=True):
        object.__setattr__(obj, name, value)
    return obj


class Slotted:
    """Base of a slots dataclass: pickled as (class, slot values)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        names: tuple[str, ...] = cls.__slots__
        return _restore, (cls, tuple(getattr(self, name) for name in names))


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
