"""How the live analyses' results become `capsa.checks.findings.Finding`s.

Live findings use the same Finding type, fingerprint and location shape as file-based
checks, so suppressions, baselines and reports treat both alike. What a finding says
beyond its message (title, severity, threats, mitigation, remediation, references) comes
from the check's data entry.
"""

from __future__ import annotations

from capsa.checks.findings import Finding, Location, ResourceRef, fingerprint
from capsa.live.catalog import live_checks
from capsa.sources.resource import Resource


def finding(check_id: str, resource: Resource, message: str, path: str = "") -> Finding:
    """Build a Finding for `resource`; the fingerprint depends on check, identity and path."""
    check = live_checks()[check_id]
    ref = ResourceRef(resource.api_version, resource.kind, resource.namespace, resource.name)
    return Finding(
        fingerprint=fingerprint(check_id, ref, path),
        check_id=check.id,
        title=check.title,
        severity=check.severity,
        threats=check.threats,
        mitigation=check.mitigation,
        resource=ref,
        location=Location(resource.origin.path, resource.origin.line),
        message=message,
        remediation=check.remediation,
        references=check.references,
    )
