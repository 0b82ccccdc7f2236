"""`capsa assess --aws` against seeded moto accounts: the cloud-side threats get verdicts
from the account, with evidence lines that name the ARN; the demo without AWS says
once that no cloud evidence was given."""

from __future__ import annotations

from pathlib import Path

from cloud_support import REGION
from motoserver import GOOD_AMI, Fault, MotoServer
from seed import SUFFIX, clients, quota_answer, seed_default, seed_hardened
from typer.testing import CliRunner

from capsa.assess.model import Assessment, DeploymentStatus
from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess
from capsa.cli.main import app
from capsa.cloud.service import NO_CLOUD_EVIDENCE
from capsa.sources.aws.collect import AwsOptions

V, P, N = (
    DeploymentStatus.VIOLATED,
    DeploymentStatus.PARTLY_VERIFIED,
    DeploymentStatus.NOT_ASSESSABLE,
)
VERIFIED = DeploymentStatus.VERIFIED

#: The cloud-side threats: their status on the default-CAPA account, on the hardened
#: one, and in the demo (manifests only, no AWS). DOS-5's mitigations (heartbeats, an
#: alert on deletion) are not visible in an account: its cloud findings (deletion
#: protection, who may delete) are hardening, listed beside it, deciding nothing.
#: SPOOF-4's one mitigation (host attestation) is not implemented upstream: the
#: account shows who could exploit it (an open path from the principals), not a fix.
THREATS: dict[str, tuple[DeploymentStatus, DeploymentStatus, DeploymentStatus]] = {
    "STRIDE-SPOOF-1": (V, P, V),
    "STRIDE-SPOOF-4": (N, N, N),
    "STRIDE-TAMPER-2": (V, P, V),
    "STRIDE-REPUDIATE-01": (V, P, V),
    "STRIDE-REPUDIATE-02": (V, P, N),
    "STRIDE-INFODISCLOSE-1": (V, P, V),
    "STRIDE-INFODISCLOSE-2": (V, P, V),
    "STRIDE-INFODISCLOSE-3": (V, P, V),
    "STRIDE-INFODISCLOSE-4": (V, P, V),
    "STRIDE-DOS-1": (V, P, N),
    "STRIDE-DOS-5": (N, N, N),
    "STRIDE-EOP-1": (V, P, V),
    "STRIDE-EOP-3": (V, V, V),  # demo: its role identity has no session policy (IDENT-006)
}


def _assess() -> Assessment:
    return assess(AssessRequest(aws=AwsOptions(regions=(REGION,), max_attempts=1)))


def _status(a: Assessment, threat: str) -> DeploymentStatus:
    return next(t.deployment_status for t in a.threats if t.id == threat)


def _mitigation(a: Assessment, mitigation: str):  # type: ignore[no-untyped-def]
    return next(m for t in a.threats for m in t.mitigations if m.id == mitigation)


def _cloud_evidence(a: Assessment, threat: str) -> list[str]:
    """Resource names (ARNs) of the cloud results that decided the threat's mitigations."""
    found = {f.fingerprint: f for f in a.findings}
    names: list[str] = []
    for t in a.threats:
        if t.id != threat:
            continue
        for m in t.mitigations:
            names += [found[fp].resource.name for fp in m.findings if fp in found]
            names += [p.resource.name for p in m.passed]
        names += [found[fp].resource.name for fp in t.related_findings if fp in found]
    return [n for n in names if n.startswith("arn:aws:")]


def _quotas(moto: MotoServer, vcpus: float) -> None:
    moto.recorder.fail(
        "GetServiceQuota",
        Fault(200, body=quota_answer("L-1216C47A", vcpus)),
        Fault(200, body=quota_answer("L-E9E9831D", 20)),
    )


def _check_table(a: Assessment, column: int) -> None:
    got = {t: _status(a, t) for t in THREATS}
    want = {t: row[column] for t, row in THREATS.items()}
    assert got == want
    for threat, status in want.items():
        if status is not N:  # every verdict names the ARN it rests on
            assert _cloud_evidence(a, threat), threat


def test_default_account_violates_the_cloud_threats(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    _quotas(moto, 5000)
    a = _assess()
    assert a.inputs.cloud == [f"aws account 123456789012 ({REGION})"]
    assert a.inputs.example is False
    _check_table(a, 0)
    m = _mitigation(a, "STRIDE-INFODISCLOSE-1.M1")
    named = {f.resource.name for f in a.findings if f.fingerprint in m.findings}
    assert f"arn:aws:iam::123456789012:role/control-plane{SUFFIX}" in named
    # DOS-5 decides nothing from the account, but its hardening findings stand beside it
    dos5 = next(t for t in a.threats if t.id == "STRIDE-DOS-5")
    related = {f.check_id for f in a.findings if f.fingerprint in dos5.related_findings}
    assert related == {"CAPSA-AWS-011", "CAPSA-AWS-030"}
    # the principals the account names are on the open paths the threats report
    opened = {t.id: set(t.open_techniques) for t in a.threats}
    assert "principal-deletes-api-load-balancer" in opened["STRIDE-DOS-5"]
    assert "principal-reads-bootstrap-secrets" in opened["STRIDE-SPOOF-4"]
    assert "principal-passes-controllers-role" in opened["STRIDE-SPOOF-1"]
    # the attack graph sees the account: an edge opened by a cloud finding names the ARN
    evidence = [e.text for p in a.paths for s in p.steps for e in s.evidence]
    assert any("arn:aws:" in line for line in evidence)
    assert moto.recorder.leaks == []


def test_hardened_account_verifies_what_the_account_can_show(moto: MotoServer) -> None:
    seed_hardened(moto.endpoint)
    _quotas(moto, 256)
    a = _assess()
    _check_table(a, 1)
    # A logging multi-region trail shows the calls are recorded, not that they are
    # collected centrally and alerted on: partial evidence of the mitigation.
    m = _mitigation(a, "STRIDE-REPUDIATE-02.M1")
    assert m.deployment_status is P
    assert [p.resource.name for p in m.passed] == ["arn:aws:iam::123456789012:root"]
    assert "whether the logs are collected centrally" in m.reason
    # An owner the user trusts is not a verified checksum: partial.
    assert _mitigation(a, "STRIDE-TAMPER-2.M2").deployment_status is P
    # Each cluster runs with roles of its own and the control-plane role cannot act as
    # the controllers: the equivalent of "own, narrower roles" the deployment added.
    m = _mitigation(a, "STRIDE-INFODISCLOSE-1.M1")
    assert m.deployment_status is VERIFIED
    assert m.reason.startswith("an equivalent control the deployment added")
    assert {p.check_id for p in m.passed} == {"CAPSA-AWS-001", "CAPSA-AWS-005"}


def test_a_role_shared_with_an_untagged_instance_is_not_verified(moto: MotoServer) -> None:
    seed_hardened(moto.endpoint)
    ec2 = clients(moto.endpoint)["ec2"]
    ec2.run_instances(
        MinCount=1, MaxCount=1, ImageId=GOOD_AMI, IamInstanceProfile={"Name": "workload-nodes"}
    )
    a = _assess()
    m = _mitigation(a, "STRIDE-INFODISCLOSE-1.M1")
    assert m.deployment_status is V


def test_an_empty_account_is_not_applicable_not_verified(moto: MotoServer) -> None:
    a = _assess()
    for mitigation in ("STRIDE-INFODISCLOSE-1.M1", "STRIDE-INFODISCLOSE-2.M1"):
        m = _mitigation(a, mitigation)
        assert m.deployment_status is N, mitigation
        assert m.passed == [] and m.not_applicable, mitigation
    # no trail is a fact, not an absence of subject: violated
    assert _mitigation(a, "STRIDE-REPUDIATE-02.M1").deployment_status is V


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
    markdown = "".join(p.read_text(encoding="utf-8") for p in sorted(out.glob("*.md")))
    assert "arn:aws:iam::123456789012:role/control-plane" in markdown  # main or companion


def test_demo_without_aws_says_once_that_no_cloud_evidence_was_given(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["assess", "-o", str(out)])
    assert result.exit_code == 0, result.output
    markdown = (out / "assessment.md").read_text(encoding="utf-8")
    assert markdown.count(NO_CLOUD_EVIDENCE) == 1
    a = Assessment.model_validate_json((out / "assessment.json").read_text(encoding="utf-8"))
    assert {t: _status(a, t) for t in THREATS} == {t: row[2] for t, row in THREATS.items()}
    # no cloud evidence, no cloud principal on any open path
    assert not [t.id for t in a.threats if any("principal-" in o for o in t.open_techniques)]
    assert a.inputs.cloud == [] and a.inputs.cloud_note == NO_CLOUD_EVIDENCE
    assert not [f for f in a.findings if f.check_id.startswith("CAPSA-AWS-")]
    assert not [u for u in a.unknown if u.check_id.startswith("CAPSA-AWS-")]


def test_aws_options_need_aws() -> None:
    result = CliRunner().invoke(app, ["scan", "x.yaml", "--aws-region", REGION])
    assert result.exit_code == 2
    assert "only apply with --aws" in result.output
