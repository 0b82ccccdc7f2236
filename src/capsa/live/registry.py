"""Live checks register their analysis function here, under the id of their data entry.

A live check is an entry in `checks.yaml` (what it is, which threat and mitigation it
evidences, what it needs to read) plus one function, decorated with `@live_check(id)`,
that decides when it fires. Every module of this package is imported on first use, so a
new analysis needs no list to be kept by hand; `capsa.live.catalog` refuses an entry
without a function and a function without an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from capsa import functions
from capsa.checks.findings import Finding
from capsa.live.index import LiveIndex


@dataclass(frozen=True)
class LiveOptions:
    """Thresholds of the live checks."""

    stale_bootstrap_after: timedelta = timedelta(hours=1)
    max_ca_age: timedelta = timedelta(days=365)


@dataclass
class Notes:
    """What analyses say besides findings: what each judged (how many, of what), and
    what each could not decide (why), so no finding never reads as a pass by itself."""

    judged: dict[str, tuple[int, str]] = field(default_factory=dict)
    undecided: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveInput:
    """What every analysis reads: the cluster's resources, the time it was read, options;
    the kinds that were not (fully) read, with why (`unread`); the namespaces namespaced
    kinds were read in (`scope`, empty: all of them); and where analyses leave `notes`."""

    index: LiveIndex
    now: datetime
    options: LiveOptions = LiveOptions()
    unread: Mapping[str, str] = field(default_factory=dict)
    scope: frozenset[str] = frozenset()
    notes: Notes = field(default_factory=Notes, compare=False)

    def judged(self, check_id: str, count: int, what: str) -> None:
        """`check_id` judged `count` objects of its subject (`what`): none is not applicable."""
        self.notes.judged[check_id] = (count, what)

    def undecided(self, check_id: str, reason: str) -> None:
        """`check_id` could not decide part of what it judges: it is unknown (beside any
        finding it made), with `reason` naming what would decide it."""
        reasons = self.notes.undecided.setdefault(check_id, [])
        if reason not in reasons:
            reasons.append(reason)

    def in_scope(self, namespace: str | None) -> bool:
        """Whether namespaced kinds were read in `namespace`."""
        return not self.scope or namespace in self.scope

    @property
    def scope_text(self) -> str:
        return ", ".join(sorted(self.scope))


LiveAnalysis = Callable[[LiveInput], Iterable[Finding]]


Registration = functions.Registration[LiveAnalysis]

_REGISTRY: functions.FunctionRegistry[LiveAnalysis] = functions.FunctionRegistry("capsa.live")
#: `@live_check(id)` registers the decorated function as the analysis of live check `id`.
live_check = _REGISTRY.register
#: Every registered analysis by check id, after importing each module of the package.
registered = _REGISTRY.registered
