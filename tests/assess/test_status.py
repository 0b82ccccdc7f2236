"""Deployment status rules. A mitigation: violated needs an open finding; verified needs a
pass of a check that shows it whole, with nothing failed or undecided; partial evidence
or undecided results make it partly verified; not-applicable results are no evidence.
A threat: verified only when every mitigation its assessed carriers hold is verified and
no open attack path uses one of its techniques."""

from __future__ import annotations

from assessment_factory import CHECKS, MACHINE, finding, passed

from capsa.assess.model import CheckOutcome, CheckSummary, DeploymentStatus, Severity
from capsa.assess.status import (
    METHOD,
    Evidence,
    MitigationInput,
    ThreatInput,
    assess_mitigation,
    assess_threat,
)

MITIGATION = MitigationInput("STRIDE-SPOOF-1.M1", "credentials are short-lived", "implemented")
PARTIAL = CheckSummary(
    id="CAPSA-PART-001",
    title="part of it",
    severity=Severity.LOW,
    threats=["STRIDE-SPOOF-1"],
    mitigation="STRIDE-SPOOF-1.M1",
    evidence="partial",
    proves="only the IMDS half",
)
HYGIENE = CheckSummary(
    id="CAPSA-HYG-001",
    title="hardening",
    severity=Severity.HIGH,
    threats=["STRIDE-SPOOF-1"],
    mitigation="",
)


def _evidence(**kwargs: object) -> Evidence:
    return Evidence(checks=(*CHECKS, PARTIAL, HYGIENE), **kwargs)  # type: ignore[arg-type]


def _status(**kwargs: object) -> DeploymentStatus:
    return assess_mitigation(MITIGATION, _evidence(**kwargs)).deployment_status


def _outcome(check_id: str, reason: str = "", by_default: str | None = None) -> CheckOutcome:
    return CheckOutcome(check_id=check_id, resource=MACHINE, reason=reason, by_default=by_default)


# --- mitigations ------------------------------------------------------------------------


def test_open_finding_makes_the_mitigation_violated_and_is_listed() -> None:
    result = assess_mitigation(
        MITIGATION, _evidence(findings=[finding()], passes=[passed("CAPSA-AWS-001")])
    )
    assert result.deployment_status is DeploymentStatus.VIOLATED
    assert result.findings == ["f" * 64]
    assert "CAPSA-AWS-001" in result.reason


def test_a_full_check_passing_and_nothing_else_is_verified() -> None:
    assert _status(passes=[passed("CAPSA-AWS-001")]) is DeploymentStatus.VERIFIED


def test_a_partial_check_passing_is_only_partly_verified_and_says_what_it_shows() -> None:
    result = assess_mitigation(MITIGATION, _evidence(passes=[passed("CAPSA-PART-001")]))
    assert result.deployment_status is DeploymentStatus.PARTLY_VERIFIED
    assert "only part of it: only the IMDS half" in result.reason


def test_an_undecided_result_beside_a_pass_keeps_it_partly_verified() -> None:
    unknown = _outcome("CAPSA-AWS-001", "AWS_REGION unresolved")
    status = _status(passes=[passed("CAPSA-AWS-001")], unknown=[unknown])
    assert status is DeploymentStatus.PARTLY_VERIFIED


def test_suppressed_finding_is_accepted_not_verified_and_carries_the_reason() -> None:
    result = assess_mitigation(
        MITIGATION,
        _evidence(findings=[finding(suppressed=True)], passes=[passed("CAPSA-AWS-001")]),
    )
    assert result.deployment_status is DeploymentStatus.ACCEPTED
    assert "accepted for the sandbox" in result.reason


def test_only_unknown_results_are_not_assessable() -> None:
    unknown = _outcome("CAPSA-AWS-001", "var")
    assert _status(unknown=[unknown]) is DeploymentStatus.NOT_ASSESSABLE


def test_not_applicable_results_are_never_evidence() -> None:
    """The autoscaler-bounds check on a group with no autoscaler annotation: not a pass."""
    skipped = _outcome("CAPSA-AWS-001", "what the check looks at is absent")
    result = assess_mitigation(MITIGATION, _evidence(not_applicable=[skipped]))
    assert result.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert "did not apply" in result.reason
    assert result.not_applicable == [skipped]


def test_a_pass_by_default_verifies_and_is_told_apart() -> None:
    by_default = _outcome("CAPSA-AWS-001", by_default="CAPA defaults X to 1 (repo@c:f:1)")
    result = assess_mitigation(MITIGATION, _evidence(passes=[by_default]))
    assert result.deployment_status is DeploymentStatus.VERIFIED
    assert "1 by default" in result.reason


def test_no_evidence_is_not_assessable_with_a_reason() -> None:
    result = assess_mitigation(MITIGATION, _evidence())
    assert result.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert "nothing in the inputs" in result.reason
    unlinked = assess_mitigation(MitigationInput("X.M1", "x"), Evidence())
    assert "no check" in unlinked.reason


def test_a_mitigation_not_implemented_upstream_says_so() -> None:
    planned = MitigationInput("X.M1", "attest hosts", "not-implemented")
    result = assess_mitigation(planned, Evidence())
    assert result.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert "not implemented upstream" in result.reason
    assert "equivalent control" in result.reason


def test_pass_of_another_mitigations_check_does_not_verify() -> None:
    assert _status(passes=[passed("CAPSA-IMG-001")]) is DeploymentStatus.NOT_ASSESSABLE


def test_a_hygiene_check_evidences_no_mitigation() -> None:
    assert _status(passes=[passed("CAPSA-HYG-001")]) is DeploymentStatus.NOT_ASSESSABLE
    hygiene = finding("CAPSA-HYG-001", mitigation="")
    assert _status(findings=[hygiene]) is DeploymentStatus.NOT_ASSESSABLE


def test_checks_of_the_same_control_count_for_each_mitigation_of_it() -> None:
    twin = MitigationInput("STRIDE-OTHER-1.M2", "the same control", same_as=("STRIDE-SPOOF-1.M1",))
    result = assess_mitigation(twin, _evidence(passes=[passed("CAPSA-AWS-001")]))
    assert result.deployment_status is DeploymentStatus.VERIFIED
    assert result.checks == ["CAPSA-AWS-001", "CAPSA-PART-001"]


def test_checks_linked_by_the_catalogue_count_too() -> None:
    linked = MitigationInput("X.M1", "x", checks=("CAPSA-AWS-001",))
    result = assess_mitigation(linked, _evidence(passes=[passed("CAPSA-AWS-001")]))
    assert result.deployment_status is DeploymentStatus.VERIFIED


def test_carriers_decide_which_mitigations_are_required() -> None:
    project = MitigationInput("X.M1", "ship an SBOM", carrier="project")
    without = assess_mitigation(project, Evidence())
    assert not without.required and "--repo" in without.reason
    with_repo = assess_mitigation(project, Evidence(carriers=frozenset({"deployment", "project"})))
    assert with_repo.required
    platform = assess_mitigation(MitigationInput("X.M2", "IAM", carrier="platform"), Evidence())
    assert not platform.required and "cloud platform" in platform.reason


# --- threats ----------------------------------------------------------------------------

FULL = MitigationInput("STRIDE-SPOOF-1.M1", "short-lived", "implemented")
PLANNED = MitigationInput("STRIDE-SPOOF-1.M2", "attest the host", "not-implemented")
PLATFORM = MitigationInput("STRIDE-SPOOF-1.M3", "revocable", "implemented", carrier="platform")


def _threat(*mitigations: MitigationInput) -> ThreatInput:
    return ThreatInput(id="STRIDE-SPOOF-1", category="spoofing", title="t", mitigations=mitigations)


def test_one_verified_mitigation_does_not_verify_a_threat_whose_other_one_is_unassessed() -> None:
    """The demo's STRIDE-SPOOF-4 case: one pass must not verify the threat while its main
    mitigation (host attestation, not implemented upstream) has no evidence."""
    result = assess_threat(_threat(FULL, PLANNED), _evidence(passes=[passed("CAPSA-AWS-001")]))
    assert result.deployment_status is DeploymentStatus.PARTLY_VERIFIED
    assert "M2 not assessable: not implemented upstream" in result.reason
    assert result.reason.startswith("M1 verified; M2 not assessable")


def test_every_required_mitigation_verified_and_no_open_path_is_verified() -> None:
    result = assess_threat(_threat(FULL, PLATFORM), _evidence(passes=[passed("CAPSA-AWS-001")]))
    assert result.deployment_status is DeploymentStatus.VERIFIED
    assert "every mitigation it requires is verified" in result.reason


def test_an_open_attack_path_through_its_technique_blocks_verified() -> None:
    evidence = Evidence(
        passes=[passed("CAPSA-AWS-001")],
        checks=CHECKS,
        open_techniques={"STRIDE-SPOOF-1": ("join-as-control-plane",)},
    )
    result = assess_threat(_threat(FULL), evidence)
    assert result.deployment_status is DeploymentStatus.PARTLY_VERIFIED
    assert "an open attack path uses join-as-control-plane" in result.reason
    assert result.open_techniques == ["join-as-control-plane"]


def test_with_no_path_search_a_threat_is_at_most_partly_verified() -> None:
    """No search ran, so none of its techniques is shown closed."""
    evidence = _evidence(
        passes=[passed("CAPSA-AWS-001")],
        paths_not_searched=("no entry point is in the graph: pod-create: ...",),
    )
    result = assess_threat(_threat(FULL, PLATFORM), evidence)
    assert result.deployment_status is DeploymentStatus.PARTLY_VERIFIED
    assert result.reason == (
        "M1 verified; attack paths were not searched, so no open path through its "
        "techniques is ruled out"
    )


def test_a_threat_no_technique_realises_is_not_held_back_by_an_unsearched_graph() -> None:
    evidence = _evidence(
        passes=[passed("CAPSA-AWS-001")],
        paths_not_searched=("no entry point is in the graph",),
        path_threats=frozenset({"STRIDE-TAMPER-9"}),
    )
    assert assess_threat(_threat(FULL), evidence).deployment_status is DeploymentStatus.VERIFIED


def test_an_accepted_threat_says_when_paths_were_not_searched() -> None:
    evidence = _evidence(
        findings=[finding(suppressed=True)], paths_not_searched=("no target is in the graph",)
    )
    result = assess_threat(_threat(FULL, PLATFORM), evidence)
    assert result.deployment_status is DeploymentStatus.ACCEPTED
    assert result.reason.endswith("; attack paths were not searched")


def test_any_violated_mitigation_violates_the_threat() -> None:
    result = assess_threat(_threat(FULL, PLANNED), _evidence(findings=[finding()]))
    assert result.deployment_status is DeploymentStatus.VIOLATED
    assert result.reason.startswith("M1 violated: 1 finding of CAPSA-AWS-001")


def test_an_accepted_mitigation_with_the_rest_verified_makes_the_threat_accepted() -> None:
    result = assess_threat(_threat(FULL, PLATFORM), _evidence(findings=[finding(suppressed=True)]))
    assert result.deployment_status is DeploymentStatus.ACCEPTED
    assert "accepted for the sandbox" in result.reason


def test_accepted_mitigations_with_an_open_path_leave_the_threat_accepted_not_verified() -> None:
    """Nothing was verified: the suppression accepted the risk and left its path open."""
    evidence = _evidence(
        findings=[finding(suppressed=True)],
        open_techniques={"STRIDE-SPOOF-1": ("join-as-control-plane",)},
    )
    result = assess_threat(_threat(FULL, PLATFORM), evidence)
    assert result.deployment_status is DeploymentStatus.ACCEPTED
    assert "verified" not in result.reason
    assert result.reason.startswith("every mitigation it requires is accepted; M1 accepted")
    assert result.reason.endswith(
        "an open attack path uses join-as-control-plane, which the accepted risk leaves open"
    )


def test_an_accepted_mitigation_beside_one_without_evidence_is_not_assessable() -> None:
    result = assess_threat(_threat(FULL, PLANNED), _evidence(findings=[finding(suppressed=True)]))
    assert result.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert result.reason.startswith("M1 accepted; M2 not assessable: not implemented upstream")


def test_a_verified_mitigation_beside_an_accepted_one_and_an_open_path_is_partly_verified() -> None:
    accepted = MitigationInput("STRIDE-SPOOF-1.M4", "other", checks=("CAPSA-HYG-001",))
    evidence = _evidence(
        findings=[finding("CAPSA-HYG-001", mitigation="", suppressed=True)],
        passes=[passed("CAPSA-AWS-001")],
        open_techniques={"STRIDE-SPOOF-1": ("join-as-control-plane",)},
    )
    result = assess_threat(_threat(FULL, accepted), evidence)
    assert result.deployment_status is DeploymentStatus.PARTLY_VERIFIED
    assert result.reason.startswith("M1 verified; M4 accepted; ")


def test_no_evidence_at_all_is_not_assessable_with_the_reason() -> None:
    result = assess_threat(_threat(PLANNED), _evidence())
    assert result.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert result.reason == (
        "M2 not assessable: not implemented upstream, and no check proves an equivalent control"
    )


def test_a_threat_whose_mitigations_nobody_assessed_carries_says_so() -> None:
    project = MitigationInput("DEV-01.M1", "review access", carrier="project")
    threat = ThreatInput(id="DEV-01", category="project-hygiene", title="t", mitigations=(project,))
    result = assess_threat(threat, Evidence())
    assert result.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert "carried by the project, not assessed without --repo" in result.reason


def test_hygiene_findings_naming_the_threat_are_related_but_decide_nothing() -> None:
    hygiene = finding("CAPSA-HYG-001", mitigation="", fingerprint="h" * 64)
    result = assess_threat(
        _threat(FULL), _evidence(findings=[hygiene], passes=[passed("CAPSA-AWS-001")])
    )
    assert result.deployment_status is DeploymentStatus.VERIFIED
    assert result.related_findings == ["h" * 64]


def test_the_rule_is_stated_for_the_report() -> None:
    assert "verified only when every mitigation" in METHOD
    assert "no open attack path" in METHOD
    assert "not applicable" in METHOD


def test_a_check_on_a_mitigation_not_implemented_upstream_proves_an_added_control() -> None:
    planned = MitigationInput("STRIDE-SPOOF-1.M1", "bound the node groups", "not-implemented")
    result = assess_mitigation(planned, _evidence(passes=[passed("CAPSA-AWS-001")]))
    assert result.deployment_status is DeploymentStatus.VERIFIED
    assert result.reason.startswith("an equivalent control the deployment added")


OTHER_THREATS = CheckSummary(
    id="CAPSA-OTH-001",
    title="another threat's control",
    severity=Severity.HIGH,
    threats=["STRIDE-SPOOF-1", "STRIDE-INFODISCLOSE-4"],
    mitigation="STRIDE-INFODISCLOSE-4.M1",
)


def test_an_open_finding_naming_the_threat_through_another_mitigation_is_said() -> None:
    """Its check names this threat but evidences another threat's mitigation: it decides
    no status here, and the threat's reason says so rather than leave a reader to find an
    open high finding under a threat shown partly verified."""
    evidence = Evidence(
        checks=(*CHECKS, OTHER_THREATS),
        passes=[passed("CAPSA-AWS-001")],
        findings=[finding("CAPSA-OTH-001", fingerprint="e" * 64, mitigation="")],
        open_techniques={"STRIDE-SPOOF-1": ("join-as-control-plane",)},
    )
    result = assess_threat(_threat(FULL), evidence)
    assert result.deployment_status is DeploymentStatus.PARTLY_VERIFIED
    assert result.related_findings == ["e" * 64]
    assert "open findings naming it decide no mitigation of it: CAPSA-OTH-001" in result.reason


def test_a_suppressed_finding_naming_the_threat_is_not_said() -> None:
    evidence = Evidence(
        checks=(*CHECKS, OTHER_THREATS),
        passes=[passed("CAPSA-AWS-001")],
        findings=[finding("CAPSA-OTH-001", fingerprint="e" * 64, suppressed=True)],
    )
    result = assess_threat(_threat(FULL), evidence)
    assert result.related_findings == [] and "naming it" not in result.reason
