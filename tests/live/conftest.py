"""Fixtures for live-cluster tests: a fake API server per test, stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakeapi import FakeApiServer, load_fixture_objects

from capsa.sources.resource import Origin, Resource

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def now() -> datetime:
    """The fixed 'now' the fixture timestamps are written against."""
    return datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def mgmt_objects() -> list[dict[str, Any]]:
    return load_fixture_objects(sorted(FIXTURES.glob("*.yaml")))


@pytest.fixture
def fake_api(mgmt_objects: list[dict[str, Any]]) -> Iterator[FakeApiServer]:
    server = FakeApiServer(list(mgmt_objects))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kubeconfig(fake_api: FakeApiServer, tmp_path: Path) -> Path:
    return fake_api.write_kubeconfig(tmp_path / "kubeconfig")


def resources_from_docs(docs: list[dict[str, Any]]) -> list[Resource]:
    """Resources as the cluster reader would build them, without going over HTTP."""
    out: list[Resource] = []
    for doc in docs:
        meta = doc.get("metadata") or {}
        namespace = meta.get("namespace")
        name = str(meta.get("name", ""))
        origin = Origin(f"cluster://test/{namespace or ''}/{doc['kind']}/{name}")
        out.append(Resource(str(doc["apiVersion"]), str(doc["kind"]), namespace, name, doc, origin))
    return out


@pytest.fixture
def build() -> Callable[[str], list[Resource]]:
    """Parse a multi-document YAML text into Resources."""

    def _build(text: str) -> list[Resource]:
        return resources_from_docs([d for d in yaml.safe_load_all(text) if d])

    return _build


@pytest.fixture
def mgmt_resources(mgmt_objects: list[dict[str, Any]]) -> list[Resource]:
    return resources_from_docs(mgmt_objects)
