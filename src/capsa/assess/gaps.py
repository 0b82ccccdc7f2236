"""The project-gaps section: the catalogue's project-hygiene threats, told in the gaps'
own words from the same verdict the threat table shows.

Nothing is judged here. The repository checks (`capsa.assess.repository_checks`) feed the
per-mitigation status like every other source; a gap's status is its threat's status
(violated: open, verified or accepted: addressed, partly verified: partly addressed,
otherwise not assessable) and its evidence rows are its checks' results, so the two
sections cannot disagree. Which threats are gaps comes from the catalogue's category.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from capsa.assess.model import (
    CheckOutcome,
    CheckSummary,
    DeploymentStatus,
    FindingRecord,
    GapEvidence,
    ProjectGap,
    ThreatAssessment,
)

GAP_CATEGORY = "project-hygiene"

GapStatus = Literal["open", "addressed", "partly-addressed", "not-assessable"]

_GAP_STATUS: dict[DeploymentStatus, GapStatus] = {
    DeploymentStatus.VIOLATED: "open",
    DeploymentStatus.VERIFIED: "addressed",
    DeploymentStatus.ACCEPTED: "addressed",
    DeploymentStatus.PARTLY_VERIFIED: "partly-addressed",
    DeploymentStatus.NOT_ASSESSABLE: "not-assessable",
}


def _where(item: FindingRecord | CheckOutcome) -> str | None:
    location = item.location
    if location is None or location.path in ("", "."):
        return None
    return location.label


def _evidence(
    threat: ThreatAssessment,
    checks: Sequence[CheckSummary],
    findings: Sequence[FindingRecord],
) -> list[GapEvidence]:
    titles = {c.id: c.title for c in checks}
    by_fingerprint = {f.fingerprint: f for f in findings}
    rows: list[GapEvidence] = []
    for mitigation in threat.mitigations:
        for fingerprint in mitigation.findings:
            found = by_fingerprint.get(fingerprint)
            if found is not None:
                rows.append(
                    GapEvidence(
                        check=f"{found.check_id}: {found.title}",
                        ok=False,
                        detail=found.message,
                        path=_where(found),
                    )
                )
        for outcomes, ok in ((mitigation.passed, True), (mitigation.unknown, None)):
            for outcome in outcomes:
                rows.append(
                    GapEvidence(
                        check=f"{outcome.check_id}: {titles.get(outcome.check_id, '')}".rstrip(
                            ": "
                        ),
                        ok=ok,
                        detail=outcome.reason,
                        path=_where(outcome),
                    )
                )
    return rows


def project_gaps(
    threats: Sequence[ThreatAssessment],
    checks: Sequence[CheckSummary] = (),
    findings: Sequence[FindingRecord] = (),
) -> list[ProjectGap]:
    """One ProjectGap per project-hygiene threat, with its threat's verdict and reason."""
    return [
        ProjectGap(
            id=t.id,
            title=t.title,
            description=t.description,
            status=_GAP_STATUS[t.deployment_status],
            threat_status=t.deployment_status,
            reason=t.reason,
            evidence=_evidence(t, checks, findings),
        )
        for t in threats
        if t.category == GAP_CATEGORY
    ]
