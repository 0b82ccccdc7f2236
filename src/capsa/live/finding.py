"""Check metadata of the live analyses, and how they become `capsa.checks.findings.Finding`s.

Live findings use the same Finding type, fingerprint and location shape as file-based
checks, so suppressions, baselines and reports treat both alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources as pkg_resources
from typing import Any

import yaml

from capsa.checks.findings import Finding, Location, ResourceRef, Severity, fingerprint
from capsa.sources.resource import Resource


@dataclass(frozen=True)
class LiveCheck:
    """Metadata of one live check, read from checks.yaml."""

    id: str
    title: str
    severity: str
    threats: tuple[str, ...]
    mitigation: str
    needs: tuple[str, ...]
    remediation: str
    references: tuple[str, ...]


def _check(entry: dict[str, Any]) -> LiveCheck:
    return LiveCheck(
        id=str(entry["id"]),
        title=str(entry["title"]),
        severity=str(entry["severity"]),
        threats=tuple(entry["threats"]),
        mitigation=str(entry["mitigation"]),
        needs=tuple(entry.get("needs") or ()),
        remediation=" ".join(str(entry["remediation"]).split()),
        references=tuple(entry.get("references") or ()),
    )


@cache
def live_checks() -> dict[str, LiveCheck]:
    """All live checks by id, loaded once from the package data."""
    text = pkg_resources.files("capsa.live").joinpath("checks.yaml").read_text("utf-8")
    return {c.id: c for c in (_check(e) for e in yaml.safe_load(text))}


def finding(check_id: str, resource: Resource, message: str, path: str = "") -> Finding:
    """Build a Finding for `resource`; the fingerprint depends on check, identity and path."""
    check = live_checks()[check_id]
    ref = ResourceRef(resource.api_version, resource.kind, resource.namespace, resource.name)
    return Finding(
        fingerprint=fingerprint(check_id, ref, path),
        check_id=check.id,
        title=check.title,
        severity=Severity(check.severity),
        threats=check.threats,
        mitigation=check.mitigation,
        resource=ref,
        location=Location(resource.origin.path, resource.origin.line),
        message=message,
        remediation=check.remediation,
        references=check.references,
    )
