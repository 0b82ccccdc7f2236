"""Shared helpers for the capi tests: read a fixture file into Resources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from capsa.sources.files import read_manifests
from capsa.sources.resource import Resource

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def load() -> Callable[..., list[Resource]]:
    """load("a.yaml", "b.yaml") -> resources of those fixture files, read as `capsa scan`
    reads them (clusterctl variables, embedded payloads), in order."""

    def _load(*names: str) -> list[Resource]:
        out: list[Resource] = []
        for name in names:
            path = FIXTURES / name
            result = read_manifests([str(path)])
            assert not result.problems, result.problems
            out.extend(result.resources)
        return out

    return _load
