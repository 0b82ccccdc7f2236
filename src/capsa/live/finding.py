"""Findings of the live analyses and the check metadata they are built from.

`Finding` has the fields of the project's finding contract (fingerprint, check_id, title,
severity, threats, mitigation, resource, location, message, remediation, references,
suppressed, suppression_reason) so live findings can join file-based ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources as pkg_resources
from typing import Any

import yaml

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


@dataclass(frozen=True)
class Finding:
    """One open issue found in a live cluster, tied to threats and a mitigation."""

    fingerprint: str
    check_id: str
    title: str
    severity: str
    threats: tuple[str, ...]
    mitigation: str
    resource: str
    location: str
    message: str
    remediation: str
    references: tuple[str, ...]
    suppressed: bool = False
    suppression_reason: str | None = None


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
    digest = hashlib.sha256(f"{check_id}|{resource.identity}|{path}".encode()).hexdigest()
    return Finding(
        fingerprint=digest[:32],
        check_id=check.id,
        title=check.title,
        severity=check.severity,
        threats=check.threats,
        mitigation=check.mitigation,
        resource=resource.identity,
        location=resource.origin.path,
        message=message,
        remediation=check.remediation,
        references=check.references,
    )
