"""Turn the scan's dataclasses and the graph's JSON into the Assessment's records.

Kept apart from the service so the conversion is tested on its own and the Assessment
never holds a reference to live engine objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from capsa.assess.model import (
    AttackPath,
    CheckOutcome,
    CheckSummary,
    CutEntry,
    FindingRecord,
    InputProblem,
    Location,
    ResourceRef,
    Severity,
)
from capsa.checks.findings import CheckResult, Finding
from capsa.checks.findings import Location as ScanLocation
from capsa.checks.findings import ResourceRef as ScanRef
from capsa.checks.model import Check
from capsa.errors import Problem


def resource_ref(ref: ScanRef) -> ResourceRef:
    return ResourceRef(
        api_version=ref.api_version, kind=ref.kind, namespace=ref.namespace, name=ref.name
    )


def location(loc: ScanLocation) -> Location:
    return Location(path=loc.path, line=loc.line, carrier=loc.carrier)


def finding_record(finding: Finding) -> FindingRecord:
    return FindingRecord(
        fingerprint=finding.fingerprint,
        check_id=finding.check_id,
        title=finding.title,
        severity=Severity(finding.severity.value),
        threats=list(finding.threats),
        mitigation=finding.mitigation,
        resource=resource_ref(finding.resource),
        location=location(finding.location),
        message=finding.message,
        remediation=finding.remediation,
        references=list(finding.references),
        suppressed=finding.suppressed,
        suppression_reason=finding.suppression_reason,
    )


def outcome(result: CheckResult) -> CheckOutcome:
    return CheckOutcome(
        check_id=result.check_id,
        resource=resource_ref(result.resource),
        location=location(result.location),
        reason=result.reason or "",
    )


def check_summary(check: Check) -> CheckSummary:
    return CheckSummary(
        id=check.id,
        title=check.title,
        severity=Severity(check.severity.value),
        threats=list(check.threats),
        mitigation=check.mitigation,
    )


def problem(item: Problem) -> InputProblem:
    return InputProblem(path=item.path, line=item.line, column=item.column, message=item.message)


def paths_from_json(items: Iterable[Mapping[str, Any]]) -> list[AttackPath]:
    """Attack paths in the graph's JSON shape (steps use `from`/`to`, snake or camel keys)."""
    return [AttackPath.model_validate(dict(item)) for item in items]


def cut_from_json(items: Iterable[Mapping[str, Any]]) -> list[CutEntry]:
    return [CutEntry.model_validate(dict(item)) for item in items]
