"""`capsa assess --cluster`: the live management cluster feeds the same assessment
(exercised against the live tests' fake read-only API server)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess

LIVE = Path(__file__).parents[1] / "live"


def _fakeapi() -> ModuleType:
    if "fakeapi" in sys.modules:
        return sys.modules["fakeapi"]
    spec = importlib.util.spec_from_file_location("fakeapi", LIVE / "fakeapi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fakeapi"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Iterator[Path]:
    fake = _fakeapi()
    objects: list[dict[str, Any]] = fake.load_fixture_objects(
        sorted((LIVE / "fixtures").glob("*.yaml"))
    )
    server = fake.FakeApiServer(objects)
    server.start()
    try:
        yield Path(server.write_kubeconfig(tmp_path / "kubeconfig"))
    finally:
        server.stop()


def test_live_cluster_resources_are_assessed(kubeconfig: Path) -> None:
    request = AssessRequest(
        cluster=True, kubeconfig=str(kubeconfig), now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    result = assess(request)
    assert result.inputs.cluster == "" and result.inputs.example is False
    assert result.summary.resources > 0
    assert result.findings, "the live fixtures carry known weaknesses"
    assert all(f.location.path.startswith("cluster://") for f in result.findings)
    assert len(result.threats) == 25
