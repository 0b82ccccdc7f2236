"""Turn the scan's and the graph's results into the Assessment's records.

Kept apart from the stages so the conversion is tested on its own and the Assessment
never holds a reference to live engine objects. Every function takes a typed result and
returns a typed record: nothing goes through a dict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from capsa.assess.model import (
    CheckOutcome,
    CheckSummary,
    CutEntry,
    FindingRecord,
    InputProblem,
    PathEvidence,
    PathRecord,
    PathStepRecord,
    UncuttableRoute,
)
from capsa.checks.findings import CheckResult, Finding, Location, Severity
from capsa.cloud.model import CloudCheck
from capsa.errors import Problem
from capsa.graph.evidence import EvidenceRef
from capsa.graph.render import evidence_label
from capsa.graph.search import AttackPath, Cut, Step
from capsa.live.catalog import LiveCheck

Shorten = Callable[[str], str]
"""Turns a manifest path into the one a report shows."""


def finding_record(finding: Finding) -> FindingRecord:
    return FindingRecord(
        fingerprint=finding.fingerprint,
        check_id=finding.check_id,
        title=finding.title,
        severity=finding.severity,
        threats=list(finding.threats),
        mitigation=finding.mitigation,
        resource=finding.resource,
        location=finding.location,
        message=finding.message,
        remediation=finding.remediation,
        references=list(finding.references),
        suppressed=finding.suppressed,
        suppression_reason=finding.suppression_reason,
    )


def outcome(result: CheckResult) -> CheckOutcome:
    return CheckOutcome(
        check_id=result.check_id,
        resource=result.resource,
        location=result.location,
        reason=result.reason or "",
        by_default=result.by_default,
    )


class _Evidencing(Protocol):
    """What every kind of check says about the mitigation it evidences."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def threats(self) -> Sequence[str]: ...
    @property
    def mitigation(self) -> str: ...
    @property
    def evidence(self) -> Literal["full", "partial"]: ...
    @property
    def proves(self) -> str: ...


def check_summary(
    check: _Evidencing, source: Literal["manifest", "cloud", "repository"] | None = None
) -> CheckSummary:
    """A check as the Assessment lists it; the source is read off the check's type unless
    given."""
    return CheckSummary(
        id=check.id,
        title=check.title,
        severity=check.severity,
        threats=list(check.threats),
        mitigation=check.mitigation,
        evidence=check.evidence,
        proves=" ".join(check.proves.split()),
        source=source or ("cloud" if isinstance(check, CloudCheck) else "manifest"),
    )


def live_check_summary(check: LiveCheck) -> CheckSummary:
    """A live check as the Assessment lists checks: what a run with no finding shows is
    always partial (the analysis sees one management cluster as read)."""
    return CheckSummary(
        id=check.id,
        title=check.title,
        severity=check.severity,
        threats=list(check.threats),
        mitigation=check.mitigation,
        evidence="partial",
        source="live",
    )


def problem(item: Problem) -> InputProblem:
    return InputProblem(path=item.path, line=item.line, column=item.column, message=item.message)


def evidence_text(ref: EvidenceRef, shorten: Shorten) -> str:
    """One check result behind an attack edge, as a report line."""
    return evidence_label(ref, shorten(ref.location) if ref.location else None)


def _evidence(ref: EvidenceRef, shorten: Shorten) -> PathEvidence:
    where = ref.where
    if where is not None:
        where = Location(shorten(where.path), where.line, where.carrier)
    return PathEvidence(
        check=ref.check_id,
        passed=ref.passed,
        resource=ref.resource_ref,
        location=where,
        text=evidence_text(ref, shorten),
        accepted=ref.accepted,
    )


def _step_record(step: Step, shorten: Shorten) -> PathStepRecord:
    return PathStepRecord(
        source=step.source,
        target=step.target,
        technique=step.technique,
        threats=list(step.threats),
        blocked_by=list(step.blocked_by),
        status=str(step.status),
        evidence=[_evidence(r, shorten) for r in step.refs],
    )


def path_record(path: AttackPath, shorten: Shorten) -> PathRecord:
    return PathRecord(
        entry=path.entry,
        target=path.target,
        score=path.score,
        clusters=list(path.clusters),
        steps=[_step_record(s, shorten) for s in path.steps],
    )


def uncuttable_routes(cut: Cut) -> list[UncuttableRoute]:
    return [
        UncuttableRoute(entry=r.entry, target=r.target, techniques=list(r.techniques))
        for r in cut.routes
    ]


def cut_entries(cut: Cut) -> list[CutEntry]:
    return [
        CutEntry(
            mitigation=m.mitigation,
            checks=list(m.checks),
            paths_cut=len(m.paths_cut),
            paths=[i + 1 for i in m.paths_cut],
        )
        for m in cut.mitigations
    ]
