"""Checks whose logic is code, not CEL, register that code under their data entry's id.

Live checks and cloud checks share this shape: an entry in a data file says what the check
is and which mitigation it evidences; one decorated function decides when it fires. Each
package keeps one `FunctionRegistry`; every module of the package is imported on first use,
so no hand-kept list exists, and `report_orphans` makes the loader refuse a function that
has no entry (the loader itself refuses an entry without a function).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from capsa.datafile import DataFile
from capsa.errors import Problem

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Registration(Generic[F]):
    """One function, the check id it decides, and where it is defined (for messages)."""

    check_id: str
    function: F
    where: str


class FunctionRegistry(Generic[F]):
    """Functions by check id for the modules of one package."""

    def __init__(self, package: str) -> None:
        self._package = package
        self._functions: dict[str, Registration[F]] = {}
        self._imported = False

    def register(self, check_id: str) -> Callable[[F], F]:
        """A decorator that registers its function as the logic of check `check_id`."""

        def register(function: F) -> F:
            where = f"{function.__module__}.{getattr(function, '__qualname__', function)}"
            known = self._functions.get(check_id)
            if known is not None and known.where != where:
                raise ValueError(f"{check_id} is registered twice: {known.where} and {where}")
            self._functions[check_id] = Registration(check_id, function, where)
            return function

        return register

    def registered(self) -> dict[str, Registration[F]]:
        """Every registered function by check id, after importing each module of the package."""
        if not self._imported:
            package = importlib.import_module(self._package)
            for info in pkgutil.iter_modules(package.__path__, f"{self._package}."):
                importlib.import_module(info.name)
            self._imported = True
        return dict(self._functions)


def report_orphans(
    file: DataFile, known: Mapping[str, Registration[F]], entries: Container[object]
) -> None:
    """Record a problem for each registered function whose check id has no entry in `file`."""
    for check_id, registration in sorted(known.items()):
        if check_id not in entries:
            file.problems.append(
                Problem(
                    file.path,
                    None,
                    None,
                    f"{registration.where} is registered as {check_id}, which has no entry "
                    "here: add the entry or remove the registration",
                )
            )
