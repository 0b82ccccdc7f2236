"""Build the input the live analyses read from test Resources."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from capsa.live.index import LiveIndex
from capsa.live.registry import LiveInput, LiveOptions
from capsa.sources.resource import Resource

FIXED_NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def live(resources: Iterable[Resource], now: datetime = FIXED_NOW, **options: Any) -> LiveInput:
    """A LiveInput over `resources` read at `now`, with LiveOptions overridden by `options`."""
    return LiveInput(LiveIndex.of(resources), now, LiveOptions(**options))
