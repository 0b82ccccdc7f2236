"""Live checks register their analysis function here, under the id of their data entry.

A live check is an entry in `checks.yaml` (what it is, which threat and mitigation it
evidences, what it needs to read) plus one function, decorated with `@live_check(id)`,
that decides when it fires. Every module of this package is imported on first use, so a
new analysis needs no list to be kept by hand; `capsa.live.catalog` refuses an entry
without a function and a function without an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from capsa import functions
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


Registration = functions.Registration[LiveAnalysis]

_REGISTRY: functions.FunctionRegistry[LiveAnalysis] = functions.FunctionRegistry("capsa.live")
#: `@live_check(id)` registers the decorated function as the analysis of live check `id`.
live_check = _REGISTRY.register
#: Every registered analysis by check id, after importing each module of the package.
registered = _REGISTRY.registered
