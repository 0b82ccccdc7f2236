"""Crafted assessments for writer and diff tests, built through capsa.assess.status so the
statuses they carry are the ones the real service would compute."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from capsa.assess.model import (
    Assessment,
    CandidateThreat,
    CheckOutcome,
    CheckSummary,
    CutEntry,
    FindingRecord,
    GapEvidence,
    InputProblem,
    Inputs,
    Location,
    PathRecord,
    PathStepRecord,
    ProjectGap,
    ResourceRef,
    Severity,
    UncuttableRoute,
)
from capsa.assess.status import Evidence, MitigationInput, ThreatInput, assess_threat
from capsa.assess.summary import summarize, summarize_checks
from capsa.model.loader import load_model

MODEL = Path(__file__).parent / "fixtures" / "two-tier-model.yaml"
FIXED_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

MACHINE = ResourceRef(
    api_version="infrastructure.cluster.x-k8s.io/v1beta2",
    kind="AWSMachineTemplate",
    namespace="team-a",
    name="workers",
)
CLUSTER = ResourceRef(
    api_version="cluster.x-k8s.io/v1beta2", kind="Cluster", namespace="team-a", name="prod"
)

THREATS = (
    ThreatInput(
        id="STRIDE-SPOOF-1",
        category="spoofing",
        title="Spoofing of the cloud admin",
        description="Stolen credentials | scraped from IMDS.",
        elements=("operator",),
        mitigations=(
            MitigationInput("STRIDE-SPOOF-1.M1", "credentials are short-lived", "Implemented"),
            MitigationInput(
                "STRIDE-SPOOF-1.M2",
                "credentials are managed centrally",
                "implemented",
                carrier="platform",
            ),
        ),
    ),
    ThreatInput(
        id="STRIDE-TAMPER-2",
        category="tampering",
        title="Tampering with machine images",
        mitigations=(MitigationInput("STRIDE-TAMPER-2.M1", "pin the image", "Issue filed"),),
    ),
    ThreatInput(
        id="STRIDE-DOS-5",
        category="denial-of-service",
        title="Deleting the API load balancer",
        mitigations=(MitigationInput("STRIDE-DOS-5.M1", "protect the ELB", ""),),
    ),
)

CHECKS = (
    CheckSummary(
        id="CAPSA-AWS-001",
        title="IMDSv2 required",
        severity=Severity.HIGH,
        threats=["STRIDE-SPOOF-1"],
        mitigation="STRIDE-SPOOF-1.M1",
        evidence="full",
    ),
    CheckSummary(
        id="CAPSA-IMG-001",
        title="Image pinned",
        severity=Severity.MEDIUM,
        threats=["STRIDE-TAMPER-2"],
        mitigation="STRIDE-TAMPER-2.M1",
    ),
)


def finding(
    check_id: str = "CAPSA-AWS-001",
    *,
    fingerprint: str = "f" * 64,
    severity: Severity = Severity.HIGH,
    resource: ResourceRef = MACHINE,
    line: int | None = 12,
    path: str = "prod/workers.yaml",
    message: str = "IMDSv1 | still allowed <b>",
    suppressed: bool = False,
    mitigation: str = "STRIDE-SPOOF-1.M1",
) -> FindingRecord:
    return FindingRecord(
        fingerprint=fingerprint,
        check_id=check_id,
        title="IMDSv2 required",
        severity=severity,
        threats=["STRIDE-SPOOF-1"],
        mitigation=mitigation,
        resource=resource,
        location=Location(path=path, line=line),
        message=message,
        remediation="Set spec.template.spec.instanceMetadataOptions.httpTokens: required",
        references=["https://example.invalid/doc"],
        suppressed=suppressed,
        suppression_reason="accepted for the sandbox" if suppressed else None,
    )


def passed(check_id: str, resource: ResourceRef = CLUSTER) -> CheckOutcome:
    return CheckOutcome(
        check_id=check_id, resource=resource, location=Location(path="prod/cluster.yaml", line=3)
    )


def make_assessment(
    findings: Sequence[FindingRecord] = (),
    passes: Sequence[CheckOutcome] = (),
    unknown: Sequence[CheckOutcome] = (),
    with_paths: bool = True,
    uncuttable: Sequence[UncuttableRoute] = (),
) -> Assessment:
    evidence = Evidence(findings=findings, passes=passes, unknown=unknown, checks=CHECKS)
    threats = [assess_threat(t, evidence) for t in THREATS]
    paths = (
        [
            PathRecord(
                entry="workload-pod",
                target="cloud-admin-credentials",
                score=0.8,
                clusters=["team-a/prod"],
                steps=[
                    PathStepRecord(
                        source="workload-pod",
                        target="imds",
                        technique="scrape IMDS",
                        threats=["STRIDE-SPOOF-1"],
                        blocked_by=["STRIDE-SPOOF-1.M1"],
                        evidence=["CAPSA-AWS-001"],
                    ),
                    PathStepRecord(
                        source="imds",
                        target="cloud-admin-credentials",
                        technique="use role",
                        threats=["STRIDE-SPOOF-1"],
                    ),
                ],
            )
        ]
        if with_paths
        else []
    )
    cut = [CutEntry(mitigation="STRIDE-SPOOF-1.M1", checks=["CAPSA-AWS-001"], paths_cut=1)] * bool(
        with_paths
    )
    errors = [InputProblem(path="broken.yaml", line=4, message="YAML syntax error")]
    return Assessment(
        capsa_version="0.1.0",
        generated_at=FIXED_TIME,
        inputs=Inputs(paths=["prod/"], variables=["AWS_REGION"]),
        model=load_model(str(MODEL)),
        threats=threats,
        checks=summarize_checks(CHECKS, findings, passes, unknown),
        findings=list(findings),
        passes=list(passes),
        unknown=list(unknown),
        gaps=[
            ProjectGap(
                id="DEV-01",
                title="Outdated OWNERS file",
                status="open",
                evidence=[
                    GapEvidence(check="OWNERS present", ok=True, detail="found", path="OWNERS")
                ],
            ),
            ProjectGap(id="DEV-SBOM", title="No SBOM", status="not-assessable"),
        ],
        candidates=[
            CandidateThreat(
                id="GEN-1",
                rule="plaintext-flow",
                category="information-disclosure",
                title="Unencrypted flow",
                targets=["api-to-store"],
                severity="high",
                mitigated_in_model=False,
            ),
            CandidateThreat(
                id="GEN-2",
                rule="spoofable-service-endpoint",
                category="spoofing",
                title="Store impersonated towards the API",
                targets=["api-to-store"],
                severity="medium",
                mitigated_in_model=True,
            ),
        ],
        paths=paths,
        cut=cut,
        uncuttable=list(uncuttable),
        errors=errors,
        summary=summarize(
            threats,
            findings,
            passes,
            unknown,
            paths,
            cut,
            errors,
            resources=2,
            uncuttable=uncuttable,
        ),
    )
