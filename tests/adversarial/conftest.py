"""Fixtures of the adversarial suite: the fault-injecting fake API server (tests/live/
fakeapi.py), checked after every test for GET-only and metadata-only Secrets."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))

from fakeapi import FakeApiServer, load_fixture_objects

from capsa.sources.cluster_http import METADATA_ACCEPT

LIVE_FIXTURES = Path(__file__).resolve().parents[1] / "live" / "fixtures"


@pytest.fixture(scope="session")
def live_objects() -> list[dict[str, Any]]:
    return load_fixture_objects(sorted(LIVE_FIXTURES.glob("*.yaml")))


@pytest.fixture
def hostile_api(live_objects: list[dict[str, Any]]) -> Iterator[FakeApiServer]:
    """The fake API server, checked after the test: every request was a GET, and every
    request for Secrets carried the metadata-only Accept header."""
    server = FakeApiServer(copy.deepcopy(live_objects))
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert all(r.method == "GET" for r in server.requests)
    secrets = [r for r in server.requests if "secrets" in r.path.split("/")]
    assert all(r.accept == METADATA_ACCEPT for r in secrets), secrets


@pytest.fixture
def kubeconfig(hostile_api: FakeApiServer, tmp_path: Path) -> Path:
    return hostile_api.write_kubeconfig(tmp_path / "kubeconfig")
