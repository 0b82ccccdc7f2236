"""Fast pickling for the small frozen dataclasses a scan keeps by the hundred thousand.

`@dataclass(frozen=True, slots=True)` saves memory, but Python then pickles each value
through a generic `__setstate__` that walks the class's fields on every object, which
cost a tenth of a large grouped scan (its parsed files and results cross the spill and
the process pool as pickles). `Slotted.__reduce__` stores the slot values as one tuple
and restores them directly.
"""

from __future__ import annotations

from typing import Any


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
