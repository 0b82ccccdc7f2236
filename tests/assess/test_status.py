"""Deployment status rules: violated needs an open finding, verified needs a passing check."""

from __future__ import annotations

from assessment_factory import CHECKS, finding, passed

from capsa.assess.model import CheckOutcome, DeploymentStatus
from capsa.assess.status import Evidence, MitigationInput, aggregate, assess_mitigation

MITIGATION = MitigationInput("STRIDE-SPOOF-1.M1", "credentials are short-lived", "Implemented")
LINKS = {c.id: c.mitigation for c in CHECKS}


def _status(**kwargs: object) -> DeploymentStatus:
    evidence = Evidence(check_mitigation=LINKS, **kwargs)  # type: ignore[arg-type]
    return assess_mitigation(MITIGATION, evidence).deployment_status


def test_open_finding_makes_the_mitigation_violated_and_is_listed() -> None:
    evidence = Evidence(
        findings=[finding()], passes=[passed("CAPSA-AWS-001")], check_mitigation=LINKS
    )
    result = assess_mitigation(MITIGATION, evidence)
    assert result.deployment_status is DeploymentStatus.VIOLATED
    assert result.findings == ["f" * 64]


def test_passing_check_and_no_failure_is_verified() -> None:
    assert _status(passes=[passed("CAPSA-AWS-001")]) is DeploymentStatus.VERIFIED


def test_suppressed_finding_is_accepted_not_verified() -> None:
    status = _status(findings=[finding(suppressed=True)], passes=[passed("CAPSA-AWS-001")])
    assert status is DeploymentStatus.ACCEPTED


def test_only_unknown_results_are_not_assessable() -> None:
    unknown = CheckOutcome(check_id="CAPSA-AWS-001", resource=passed("x").resource, reason="var")
    assert _status(unknown=[unknown]) is DeploymentStatus.NOT_ASSESSABLE


def test_no_evidence_is_not_assessable_with_a_reason() -> None:
    result = assess_mitigation(MITIGATION, Evidence(check_mitigation=LINKS))
    assert result.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert "matched" in result.reason
    unlinked = assess_mitigation(MitigationInput("X.M1", "x"), Evidence())
    assert "no check" in unlinked.reason


def test_pass_of_another_mitigations_check_does_not_verify() -> None:
    assert _status(passes=[passed("CAPSA-IMG-001")]) is DeploymentStatus.NOT_ASSESSABLE


def test_checks_linked_by_the_catalogue_count_too() -> None:
    linked = MitigationInput("X.M1", "x", checks=("CAPSA-IMG-001",))
    result = assess_mitigation(linked, Evidence(passes=[passed("CAPSA-IMG-001")]))
    assert result.deployment_status is DeploymentStatus.VERIFIED


def test_threat_aggregation() -> None:
    v, a, ok, na = (
        DeploymentStatus.VIOLATED,
        DeploymentStatus.ACCEPTED,
        DeploymentStatus.VERIFIED,
        DeploymentStatus.NOT_ASSESSABLE,
    )
    assert aggregate([ok, v, na]) is v
    assert aggregate([ok, a]) is a
    assert aggregate([ok, na]) is ok
    assert aggregate([na]) is na
    assert aggregate([]) is na
