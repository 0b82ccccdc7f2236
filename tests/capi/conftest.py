"""Shared helpers for the capi tests: read a fixture file into Resources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from capsa.sources.resource import Origin, Resource
from capsa.yamlio import load_all_with_lines

FIXTURES = Path(__file__).parent / "fixtures"


def resources_from_text(text: str, path: str) -> list[Resource]:
    """Every Kubernetes-looking document of a YAML text, as a Resource."""
    out: list[Resource] = []
    for line, doc in load_all_with_lines(text):
        if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
            continue
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        out.append(
            Resource(
                api_version=str(doc.get("apiVersion", "")),
                kind=doc["kind"],
                namespace=meta.get("namespace"),
                name=str(meta.get("name", "")),
                body=doc,
                origin=Origin(path=path, line=line),
            )
        )
    return out


@pytest.fixture
def load() -> Callable[..., list[Resource]]:
    """load("a.yaml", "b.yaml") -> resources of those fixture files, in order."""

    def _load(*names: str) -> list[Resource]:
        out: list[Resource] = []
        for name in names:
            path = FIXTURES / name
            out.extend(resources_from_text(path.read_text(encoding="utf-8"), str(path)))
        return out

    return _load
