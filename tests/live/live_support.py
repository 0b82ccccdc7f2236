"""Build the input the live analyses read from test Resources."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from capsa.live.index import LiveIndex
from capsa.live.registry import LiveInput, LiveOptions
from capsa.scan.result import ScanResult
from capsa.sources.resource import Resource

FIXED_NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def live(resources: Iterable[Resource], now: datetime = FIXED_NOW, **options: Any) -> LiveInput:
    """A LiveInput over `resources` read at `now`, with LiveOptions overridden by `options`."""
    return LiveInput(LiveIndex.of(resources), now, LiveOptions(**options))


def verdict_on(result: ScanResult, check_id: str, name: str) -> str:
    """What `check_id` said of the object called `name`: fail, unknown, pass, n/a or
    none (no result at all)."""
    if any(f.check_id == check_id and f.resource.name == name for f in result.findings):
        return "fail"
    for verdict, results in (
        ("unknown", result.unknown),
        ("pass", result.passes),
        ("n/a", result.not_applicable),
    ):
        if any(r.check_id == check_id and r.resource.name == name for r in results):
            return verdict
    return "none"
