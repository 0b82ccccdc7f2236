"""The read-only guard: only allowlisted operations are sent, refused ones never leave
the process (the server's request log proves it), and the shipped IAM policy is exactly
what the allowlist needs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from cloud_support import read
from motoserver import MotoServer
from seed import (
    add_bootstrap_parameter,
    add_prefix_list_rule,
    add_protected_nlb,
    add_trail,
    seed_default,
)

from capsa.sources.aws.client import AwsSession
from capsa.sources.aws.guard import (
    ALLOWED,
    SECRET_READERS,
    ForbiddenOperation,
    policy_document,
    policy_text,
    required_actions,
)


def test_no_secret_reading_operation_is_allowed() -> None:
    assert set(ALLOWED) & SECRET_READERS == set()


def test_every_allowed_operation_is_a_read() -> None:
    # by name, as a second look; the list itself is what the guard enforces
    assert all(op.startswith(("Describe", "List", "Get")) for _, op in ALLOWED)


@pytest.mark.parametrize(
    ("service", "method", "params"),
    [
        ("secretsmanager", "get_secret_value", {"SecretId": "aws.cluster.x-k8s.io/x-0"}),
        ("secretsmanager", "batch_get_secret_value", {"SecretIdList": ["x"]}),
        ("ssm", "get_parameter", {"Name": "/cluster.x-k8s.io/x/0", "WithDecryption": True}),
        ("ec2", "describe_instance_attribute", {"InstanceId": "i-1", "Attribute": "userData"}),
        ("ec2", "terminate_instances", {"InstanceIds": ["i-1"]}),
        ("iam", "create_user", {"UserName": "mallory"}),
        (
            "sts",
            "assume_role",
            {"RoleArn": "arn:aws:iam::123456789012:role/x", "RoleSessionName": "s"},
        ),
    ],
)
def test_forbidden_calls_are_refused_before_sending(
    moto: MotoServer, service: str, method: str, params: dict[str, object]
) -> None:
    client = AwsSession().client(service, "eu-west-1")
    moto.recorder.operations.clear()
    with pytest.raises(ForbiddenOperation):
        getattr(client, method)(**params)
    assert moto.recorder.operations == []


def test_with_decryption_is_refused_even_on_an_allowed_operation(moto: MotoServer) -> None:
    from capsa.sources.aws.guard import check_operation

    with pytest.raises(ForbiddenOperation, match="WithDecryption"):
        check_operation("ssm", "DescribeParameters", {"WithDecryption": True})
    check_operation("ssm", "DescribeParameters", {})


def test_a_full_read_sends_only_allowed_reads_and_never_a_secret_value(moto: MotoServer) -> None:
    ids = seed_default(moto.endpoint)
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=moto.endpoint, region_name="eu-west-1")
    add_protected_nlb(moto.endpoint, ec2.describe_subnets()["Subnets"][0]["SubnetId"])
    add_trail(moto.endpoint)
    add_bootstrap_parameter(moto.endpoint, "workload", "workload-md-0-gone")
    add_prefix_list_rule(moto.endpoint, ids["sg"], 443, ["10.0.0.0/8"])
    _facts, session = read(moto)
    sent = {op for _svc, op in moto.recorder.operations}
    assert sent <= {op for _svc, op in ALLOWED}
    assert not sent & {op for _svc, op in SECRET_READERS}
    assert moto.recorder.leaks == []
    # the policy is generated from the calls capsa makes: a full read uses all of them
    assert set(session.log.calls) == set(ALLOWED)


def test_shipped_policy_file_is_the_generated_one() -> None:
    shipped = resources.files("capsa.sources.aws").joinpath("data", "capsa-readonly-policy.json")
    assert shipped.read_text("utf-8") == policy_text()
    assert policy_document()["Statement"][0]["Action"] == required_actions()


def test_capsa_aws_policy_prints_the_file() -> None:
    from typer.testing import CliRunner

    from capsa.cli.main import app

    result = CliRunner().invoke(app, ["aws", "policy"])
    assert result.exit_code == 0
    assert result.stdout == policy_text()
    assert "secretsmanager:GetSecretValue" not in result.stdout


def test_a_role_arn_profile_still_assumes_its_role(
    moto: MotoServer, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard sits on capsa's clients, not on the Session: the credential chain's own
    sts:AssumeRole for a `role_arn` profile must go through."""
    config = Path(str(tmp_path)) / "config"
    config.write_text(
        "[profile base]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        "[profile audit]\nrole_arn = arn:aws:iam::123456789012:role/capsa-audit\n"
        "source_profile = base\nregion = eu-west-1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    moto.recorder.operations.clear()
    answer = AwsSession("audit").client("sts", "eu-west-1").get_caller_identity()
    assert ":assumed-role/capsa-audit/" in answer["Arn"]
    assert [op for _s, op in moto.recorder.operations] == ["AssumeRole", "GetCallerIdentity"]
    with pytest.raises(ForbiddenOperation):  # capsa's own clients still may not
        AwsSession("audit").client("sts", "eu-west-1").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="s"
        )
