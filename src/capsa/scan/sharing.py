"""One object per distinct value among objects a scan rebuilds from bytes.

Validating a cache entry's JSON, or reading a file's block of skeletons, gives every
string, reference and location its own object, where the objects a scan makes in one
piece share them: a cached group's results held a copy of their check's texts per
finding. What a scan keeps across its input (the skeletons' origins and unknown paths
while planning, the merged results) goes through one `Sharing`; the skeletons' strings
are interned instead (`capsa.scan.skeleton`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from capsa.checks.findings import CheckResult, Finding
from capsa.slotted import Columns, from_columns

T = TypeVar("T")
R = TypeVar("R", Finding, CheckResult)

SHARED_SLOTS: dict[type[Any], frozenset[str]] = {
    Finding: frozenset(
        {
            "check_id",
            "title",
            "threats",
            "mitigation",
            "resource",
            "location",
            "message",
            "remediation",
            "references",
        }
    ),
    CheckResult: frozenset({"check_id", "resource", "location", "reason", "by_default"}),
}
"""The fields results share across groups and cache entries: all but what is a result's
own (a finding's fingerprint, severity and suppression)."""


class Sharing:
    """Equal values seen so far, each kept once. Only values that never change are
    shared: strings, tuples, frozen records and frozensets, never a dict or list."""

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def one(self, value: T) -> T:
        """The first value decoded equal to `value` (`value` itself the first time)."""
        kept: T = self._seen.setdefault(value, value)
        return kept

    def records(self, cls: type[R], values: Columns) -> list[R]:
        """Results of `cls` from their columns (`capsa.slotted.columns`), their
        repeating fields (`SHARED_SLOTS`) made the values kept: each distinct object of
        a column looked up once, not once per result."""
        return from_columns(cls, values, self.one, SHARED_SLOTS[cls])
