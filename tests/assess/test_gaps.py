"""The project-gaps section tells the project-hygiene threats' own verdicts: a gap's
status is its threat's status in the gap's words, its evidence rows are the threat's
check results, so the section and the threat table cannot disagree."""

from __future__ import annotations

from pathlib import Path

import pytest
from assessment_factory import FIXED_TIME, MACHINE

from capsa.assess.gaps import project_gaps
from capsa.assess.model import (
    CheckOutcome,
    DeploymentStatus,
    Location,
    MitigationAssessment,
    ThreatAssessment,
)
from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess


def _threat(status: DeploymentStatus, category: str = "project-hygiene") -> ThreatAssessment:
    outcome = CheckOutcome(
        check_id="CAPSA-REPO-004",
        resource=MACHINE,
        location=Location("SECURITY_CONTACTS", None),
        reason="2 contact(s)",
    )
    mitigation = MitigationAssessment(
        id="DEV-02.M1",
        text="publish the process",
        deployment_status=status,
        reason="why",
        passed=[outcome],
    )
    return ThreatAssessment(
        id="DEV-02",
        category=category,
        title="Reporting",
        mitigations=[mitigation],
        deployment_status=status,
        reason="the threat's reason",
    )


@pytest.mark.parametrize(
    ("status", "gap"),
    [
        (DeploymentStatus.VIOLATED, "open"),
        (DeploymentStatus.VERIFIED, "addressed"),
        (DeploymentStatus.ACCEPTED, "addressed"),
        (DeploymentStatus.PARTLY_VERIFIED, "partly-addressed"),
        (DeploymentStatus.NOT_ASSESSABLE, "not-assessable"),
    ],
)
def test_a_gap_says_what_its_threat_says(status: DeploymentStatus, gap: str) -> None:
    [found] = project_gaps([_threat(status)])
    assert found.status == gap and found.threat_status is status
    assert found.reason == "the threat's reason"
    assert [(e.check, e.ok, e.path) for e in found.evidence] == [
        ("CAPSA-REPO-004", True, "SECURITY_CONTACTS")
    ]


def test_only_project_hygiene_threats_are_gaps() -> None:
    assert project_gaps([_threat(DeploymentStatus.VIOLATED, "spoofing")]) == []


def _repository(root: Path, *, policy: bool) -> Path:
    root.mkdir()
    (root / "OWNERS").write_text("approvers: [maintainers]\nemeritus_approvers: [carol]\n")
    (root / "OWNERS_ALIASES").write_text("aliases:\n  maintainers: [alice, bob]\n")
    (root / "SECURITY_CONTACTS").write_text("alice\n")
    (root / "Makefile").write_text("release:\n\tbom generate -o sbom.spdx .\n")
    if policy:
        (root / "SECURITY.md").write_text("report privately\n")
    return root


@pytest.mark.parametrize("policy", [True, False])
def test_with_a_repository_the_threat_table_and_the_gaps_agree(
    tmp_path: Path, policy: bool
) -> None:
    """The repository's files feed the same per-mitigation status as every other source:
    no threat says "not assessable: no check evidences this mitigation" while its gap
    says "addressed" or "open"."""
    repo = _repository(tmp_path / "repo", policy=policy)
    result = assess(AssessRequest(repo=str(repo), now=FIXED_TIME))
    threats = {t.id: t for t in result.threats}
    assert {g.id for g in result.gaps} == {"DEV-01", "DEV-02", "DEV-SBOM"}
    for gap in result.gaps:
        threat = threats[gap.id]
        assert gap.threat_status is threat.deployment_status and gap.reason == threat.reason
        assert threat.deployment_status is not DeploymentStatus.NOT_ASSESSABLE
        assert all(m.required and m.checks for m in threat.mitigations)
    dev02 = threats["DEV-02"]
    if policy:  # no git history dates the contacts, so not everything is shown
        assert dev02.deployment_status is DeploymentStatus.PARTLY_VERIFIED
        assert "undecided" in dev02.reason
    else:
        assert dev02.deployment_status is DeploymentStatus.VIOLATED
        assert "CAPSA-REPO-005" in dev02.reason
    repo_findings = [f for f in result.findings if f.check_id.startswith("CAPSA-REPO-")]
    assert bool(repo_findings) is not policy


def test_without_a_repository_project_mitigations_are_not_required(tmp_path: Path) -> None:
    result = assess(AssessRequest(now=FIXED_TIME))
    for gap in result.gaps:
        assert gap.status == "not-assessable"
        assert "not assessed without --repo" in gap.reason
