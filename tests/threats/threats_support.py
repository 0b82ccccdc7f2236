"""Tiny hand-built models for threat tests."""

from __future__ import annotations

from typing import Any

from capsa.model.types import SystemModel


def build_model(
    *,
    boundaries: list[dict[str, Any]] | None = None,
    elements: list[dict[str, Any]] | None = None,
    assets: list[dict[str, Any]] | None = None,
    flows: list[dict[str, Any]] | None = None,
) -> SystemModel:
    """A validated SystemModel from plain lists (camelCase keys, like a model file)."""
    return SystemModel.model_validate(
        {
            "apiVersion": "capsa.dev/v1alpha1",
            "kind": "SystemModel",
            "metadata": {"name": "test"},
            "boundaries": boundaries or [],
            "elements": elements or [],
            "assets": assets or [],
            "dataFlows": flows or [],
        }
    )


def element(
    eid: str, etype: str = "process", boundary: str | None = None, **attributes: Any
) -> dict[str, Any]:
    return {
        "id": eid,
        "name": eid.replace("-", " "),
        "type": etype,
        "boundary": boundary,
        "attributes": attributes,
    }


def flow(fid: str, source: str, target: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": fid,
        "from": source,
        "to": target,
        "protocol": "https",
        "encrypted": True,
    }
    base.update(fields)
    return base


def asset(
    aid: str, sensitivity: str = "secret", kind: str = "credential", **fields: Any
) -> dict[str, Any]:
    return {
        "id": aid,
        "name": aid.replace("-", " "),
        "kind": kind,
        "sensitivity": sensitivity,
        **fields,
    }
