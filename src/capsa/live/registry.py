"""Live checks register their analysis function here, under the id of their data entry.

A live check is an entry in `checks.yaml` (what it is, which threat and mitigation it
evidences, what it needs to read) plus one function, decorated with `@live_check(id)`,
that decides when it fires. Every module of this package is imported on first use, so a
new analysis needs no list to be kept by hand; `capsa.live.catalog` refuses an entry
without a function and a function without an entry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from capsa.checks.findings import Finding
from capsa.live.index import LiveIndex


@dataclass(frozen=True)
class LiveOptions:
    """Thresholds of the live checks."""

    stale_bootstrap_after: timedelta = timedelta(hours=1)
    max_ca_age: timedelta = timedelta(days=365)


@dataclass(frozen=True)
class LiveInput:
    """What every analysis reads: the cluster's resources, the time it was read, options."""

    index: LiveIndex
    now: datetime
    options: LiveOptions = LiveOptions()


LiveAnalysis = Callable[[LiveInput], Iterable[Finding]]


@dataclass(frozen=True)
class Registration:
    """One analysis function and where it is defined (for error messages)."""

    check_id: str
    function: LiveAnalysis
    where: str


_REGISTRY: dict[str, Registration] = {}


def live_check(check_id: str) -> Callable[[LiveAnalysis], LiveAnalysis]:
    """Register the decorated function as the analysis of live check `check_id`."""

    def register(function: LiveAnalysis) -> LiveAnalysis:
        where = f"{function.__module__}.{getattr(function, '__qualname__', function)}"
        known = _REGISTRY.get(check_id)
        if known is not None and known.where != where:
            raise ValueError(f"{check_id} is registered twice: {known.where} and {where}")
        _REGISTRY[check_id] = Registration(check_id, function, where)
        return function

    return register


def _modules() -> Iterator[str]:
    package = importlib.import_module(__package__ or "capsa.live")
    for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        yield info.name


@cache
def registered() -> dict[str, Registration]:
    """Every registered analysis by check id, after importing each module of the package."""
    for name in _modules():
        importlib.import_module(name)
    return dict(_REGISTRY)
