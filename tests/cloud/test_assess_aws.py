"""`capsa assess --aws` against seeded moto accounts: the cloud-side threats get verdicts
from the account, with evidence lines that name the ARN; the demo without AWS says
once that no cloud evidence was given."""

from __future__ import annotations

from pathlib import Path

from cloud_support import REGION
from motoserver import Fault, MotoServer
from seed import SUFFIX, quota_answer, seed_default, seed_hardened
from typer.testing import CliRunner

from capsa.assess.model import Assessment, DeploymentStatus
from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess
from capsa.cli.main import app
from capsa.cloud.service import NO_CLOUD_EVIDENCE
from capsa.sources.aws.collect import AwsOptions

CLOUD_THREATS = (
    "STRIDE-INFODISCLOSE-1",
    "STRIDE-REPUDIATE-02",
    "STRIDE-DOS-5",
    "STRIDE-EOP-3",
    "STRIDE-TAMPER-2",
)


def _assess() -> Assessment:
    return assess(AssessRequest(aws=AwsOptions(regions=(REGION,), max_attempts=1)))


def _status(a: Assessment, threat: str) -> DeploymentStatus:
    return next(t.deployment_status for t in a.threats if t.id == threat)


def _mitigation(a: Assessment, mitigation: str):  # type: ignore[no-untyped-def]
    return next(m for t in a.threats for m in t.mitigations if m.id == mitigation)


def test_default_account_violates_the_cloud_threats(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    a = _assess()
    assert a.inputs.cloud == [f"aws account 123456789012 ({REGION})"]
    assert a.inputs.example is False
    for threat in CLOUD_THREATS:
        assert _status(a, threat) is DeploymentStatus.VIOLATED, threat
    m = _mitigation(a, "STRIDE-INFODISCLOSE-1.M1")
    named = {f.resource.name for f in a.findings if f.fingerprint in m.findings}
    assert f"arn:aws:iam::123456789012:role/control-plane{SUFFIX}" in named
    # the attack graph sees the account: an edge opened by a cloud finding names the ARN
    evidence = [e.text for p in a.paths for s in p.steps for e in s.evidence]
    assert any("arn:aws:" in line for line in evidence)
    assert moto.recorder.leaks == []


def test_hardened_account_verifies_what_the_account_can_show(moto: MotoServer) -> None:
    seed_hardened(moto.endpoint)
    moto.recorder.fail(
        "GetServiceQuota",
        Fault(200, body=quota_answer("L-1216C47A", 256)),
        Fault(200, body=quota_answer("L-E9E9831D", 20)),
    )
    a = _assess()
    # A logging multi-region trail shows the calls are recorded, not that they are
    # collected centrally and alerted on: partial evidence of the mitigation.
    assert _status(a, "STRIDE-REPUDIATE-02") is DeploymentStatus.PARTLY_VERIFIED
    m = _mitigation(a, "STRIDE-REPUDIATE-02.M1")
    assert [p.resource.name for p in m.passed] == ["arn:aws:iam::123456789012:root"]
    # Cloud checks are partial evidence until each says what a pass proves in full.
    for mitigation in ("STRIDE-INFODISCLOSE-1.M1", "STRIDE-TAMPER-2.M2"):
        status = _mitigation(a, mitigation).deployment_status
        assert status is DeploymentStatus.PARTLY_VERIFIED, mitigation


def test_denied_calls_leave_their_mitigations_not_assessable(moto: MotoServer) -> None:
    seed_hardened(moto.endpoint)
    moto.recorder.always("DescribeTrails", Fault(400, "AccessDeniedException"))
    a = _assess()
    m = _mitigation(a, "STRIDE-REPUDIATE-02.M1")
    assert m.deployment_status is DeploymentStatus.NOT_ASSESSABLE
    assert [u.reason for u in m.unknown] == [
        f"not assessable: missing permission cloudtrail:DescribeTrails in {REGION}"
    ]


def test_cli_assess_with_aws(moto: MotoServer, tmp_path: Path) -> None:
    seed_default(moto.endpoint)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["assess", "--aws", "--aws-region", REGION, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "aws account 123456789012" in result.output
    markdown = (out / "assessment.md").read_text(encoding="utf-8")
    assert "arn:aws:iam::123456789012:role/control-plane" in markdown


def test_demo_without_aws_says_once_that_no_cloud_evidence_was_given(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["assess", "-o", str(out)])
    assert result.exit_code == 0, result.output
    markdown = (out / "assessment.md").read_text(encoding="utf-8")
    assert markdown.count(NO_CLOUD_EVIDENCE) == 1
    a = Assessment.model_validate_json((out / "assessment.json").read_text(encoding="utf-8"))
    assert a.inputs.cloud == [] and a.inputs.cloud_note == NO_CLOUD_EVIDENCE
    assert not [f for f in a.findings if f.check_id.startswith("CAPSA-AWS-")]
    assert not [u for u in a.unknown if u.check_id.startswith("CAPSA-AWS-")]


def test_aws_options_need_aws() -> None:
    result = CliRunner().invoke(app, ["scan", "x.yaml", "--aws-region", REGION])
    assert result.exit_code == 2
    assert "only apply with --aws" in result.output
