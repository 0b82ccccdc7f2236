"""Deployment status from evidence: violated, accepted, verified or not assessable.

The rule is deliberately strict: a mitigation is only "verified" when at least one of its
checks ran and passed and none failed, so the report never claims more than was seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from capsa.assess.model import (
    CheckOutcome,
    DeploymentStatus,
    FindingRecord,
    MitigationAssessment,
    ThreatAssessment,
    TrackingDecision,
)


@dataclass(frozen=True)
class MitigationInput:
    """A catalogue mitigation before evidence is applied."""

    id: str
    text: str
    upstream_status: str = ""
    status_note: str = ""
    checks: tuple[str, ...] = ()
    status_in_2022: str = ""


@dataclass(frozen=True)
class ThreatInput:
    """A catalogue threat before evidence is applied."""

    id: str
    category: str
    title: str
    description: str = ""
    elements: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    mitigations: tuple[MitigationInput, ...] = ()
    tracking: TrackingDecision | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything the scan produced, plus which mitigation each check evidences."""

    findings: Sequence[FindingRecord] = ()
    passes: Sequence[CheckOutcome] = ()
    unknown: Sequence[CheckOutcome] = ()
    check_mitigation: dict[str, str] = field(default_factory=dict)


def _checks_for(mitigation: MitigationInput, evidence: Evidence) -> list[str]:
    linked = list(mitigation.checks)
    for check_id, mitigation_id in sorted(evidence.check_mitigation.items()):
        if mitigation_id == mitigation.id and check_id not in linked:
            linked.append(check_id)
    return linked


def assess_mitigation(mitigation: MitigationInput, evidence: Evidence) -> MitigationAssessment:
    checks = _checks_for(mitigation, evidence)
    wanted = set(checks)
    failed = [f for f in evidence.findings if f.check_id in wanted or f.mitigation == mitigation.id]
    open_ = [f for f in failed if not f.suppressed]
    passed = [p for p in evidence.passes if p.check_id in wanted]
    unknown = [u for u in evidence.unknown if u.check_id in wanted]
    if open_:
        status = DeploymentStatus.VIOLATED
        reason = f"{len(open_)} finding(s) of {len({f.check_id for f in open_})} check(s)"
    elif failed:
        status = DeploymentStatus.ACCEPTED
        reason = f"{len(failed)} finding(s), all suppressed"
    elif passed:
        status = DeploymentStatus.VERIFIED
        reason = f"{len(passed)} passing result(s), no failure"
        if unknown:
            reason += f"; {len(unknown)} undecided"
    elif unknown:
        status = DeploymentStatus.NOT_ASSESSABLE
        reason = f"its checks could not decide ({len(unknown)} unknown result(s))"
    elif checks:
        status = DeploymentStatus.NOT_ASSESSABLE
        reason = "no resource in the inputs matched its checks"
    else:
        status = DeploymentStatus.NOT_ASSESSABLE
        reason = "no check evidences this mitigation"
    return MitigationAssessment(
        id=mitigation.id,
        text=mitigation.text,
        upstream_status=mitigation.upstream_status,
        status_in_2022=mitigation.status_in_2022,
        status_note=mitigation.status_note,
        checks=checks,
        deployment_status=status,
        reason=reason,
        findings=[f.fingerprint for f in failed],
        passed=passed,
        unknown=unknown,
    )


def aggregate(statuses: Iterable[DeploymentStatus]) -> DeploymentStatus:
    """A threat is as bad as its worst mitigation; verified needs one verified mitigation."""
    seen = set(statuses)
    for status in (DeploymentStatus.VIOLATED, DeploymentStatus.ACCEPTED):
        if status in seen:
            return status
    if DeploymentStatus.VERIFIED in seen:
        return DeploymentStatus.VERIFIED
    return DeploymentStatus.NOT_ASSESSABLE


def assess_threat(threat: ThreatInput, evidence: Evidence) -> ThreatAssessment:
    mitigations = [assess_mitigation(m, evidence) for m in threat.mitigations]
    return ThreatAssessment(
        id=threat.id,
        category=threat.category,
        title=threat.title,
        description=threat.description,
        elements=list(threat.elements),
        flows=list(threat.flows),
        assets=list(threat.assets),
        mitigations=mitigations,
        deployment_status=aggregate(m.deployment_status for m in mitigations),
        tracking=threat.tracking,
    )
