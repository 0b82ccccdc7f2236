"""Reading a moto account over real HTTP: what becomes facts, pagination across pages,
bounded retries on throttling, AccessDenied and unsupported calls as named gaps, an
empty region, and no credentials at all."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest
from cloud_support import REGION, read
from motoserver import BAD_AMI, GOOD_AMI, SENTINEL, STRANGER_OWNER, Fault, MotoServer
from seed import EC2_TRUST, SUFFIX, seed_default, seed_hardened

from capsa.errors import InputError
from capsa.sources.aws.client import AwsSession
from capsa.sources.aws.collect import AwsOptions, read_account


def test_default_account_becomes_facts(moto: MotoServer) -> None:
    ids = seed_default(moto.endpoint)
    facts, _ = read(moto)
    assert facts.account == "123456789012"
    assert facts.gaps and {g.facts for g in facts.gaps} == {"quotas"}  # moto: vpc only
    cp = next(r for r in facts.roles if r.name == f"control-plane{SUFFIX}")
    assert {p.rsplit("/", 1)[-1] for p in cp.managed_policies} == {
        f"controllers{SUFFIX}",
        f"nodes{SUFFIX}",
        f"control-plane{SUFFIX}",
    }
    policy = next(p for p in facts.policies if p.arn == ids["controllers_policy"])
    assert policy.name == f"controllers{SUFFIX}"  # from the ARN (moto omits PolicyName)
    node = next(i for i in facts.instances if i.id == ids["workload-node"])
    assert (node.metadata_options.http_tokens, node.metadata_options.hop_limit) == ("optional", 2)
    assert (node.image_id, node.image_owner) == (BAD_AMI, STRANGER_OWNER)
    assert node.root_volume_encrypted is False
    assert {s.arn for s in facts.secrets} == {ids["lingering"], ids["fresh"]}
    assert SENTINEL not in facts.model_dump_json()
    (lb,) = facts.load_balancers
    assert (lb.kind, lb.scheme, lb.deletion_protection) == ("classic", "internet-facing", False)
    assert facts.trails == ()


def test_hardened_account_becomes_facts(moto: MotoServer) -> None:
    ids = seed_hardened(moto.endpoint)
    facts, _ = read(moto)
    (trail,) = facts.trails
    assert (trail.multi_region, trail.logging, trail.log_file_validation) == (True, True, True)
    (nlb,) = facts.load_balancers
    assert (nlb.arn, nlb.kind, nlb.deletion_protection) == (ids["nlb"], "network", True)
    assert all(i.root_volume_encrypted and i.public_ip is None for i in facts.instances)


def test_listings_are_paginated_across_pages(moto: MotoServer) -> None:
    iam = boto3.client("iam", endpoint_url=moto.endpoint, region_name=REGION)
    sm = boto3.client("secretsmanager", endpoint_url=moto.endpoint, region_name=REGION)
    for i in range(12):
        iam.create_role(RoleName=f"role-{i:02d}", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    for i in range(23):
        sm.create_secret(Name=f"aws.cluster.x-k8s.io/{i:04d}-0", SecretBinary=SENTINEL.encode())
    ec2 = boto3.client("ec2", endpoint_url=moto.endpoint, region_name=REGION)
    for _ in range(7):  # moto pages DescribeInstances by reservation
        ec2.run_instances(ImageId=GOOD_AMI, MinCount=1, MaxCount=1)
    facts, session = read(moto, page_size=5)
    assert (len(facts.roles), len(facts.secrets), len(facts.instances)) == (12, 23, 7)
    assert session.log.calls[("secretsmanager", "ListSecrets")] == 5
    assert session.log.calls[("ec2", "DescribeInstances")] == 2
    # (moto answers GetAccountAuthorizationDetails in one page whatever the page size)
    assert moto.recorder.leaks == []


def test_throttling_is_retried_a_bounded_number_of_times(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    moto.recorder.fail(
        "ListSecrets", Fault(400, "ThrottlingException"), Fault(400, "ThrottlingException")
    )
    moto.recorder.fail("DescribeInstances", Fault(503, "RequestLimitExceeded"))
    facts, session = read(moto)
    sent = Counter(op for _svc, op in moto.recorder.operations)
    assert sent["ListSecrets"] == 3 and sent["DescribeInstances"] == 2
    assert len(facts.secrets) == 2 and len(facts.instances) == 4
    assert not [g for g in facts.gaps if g.facts in ("secrets", "instances")]
    assert session.log.throttled == 3


def test_throttling_that_outlasts_the_retries_is_a_gap(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    moto.recorder.always("ListSecrets", Fault(400, "ThrottlingException"))
    facts, _ = read(moto)
    sent = Counter(op for _svc, op in moto.recorder.operations)
    assert sent["ListSecrets"] == 4  # max_attempts sends in all, then a gap
    (gap,) = [g for g in facts.gaps if g.facts == "secrets"]
    assert gap.permission == "secretsmanager:ListSecrets" and "throttled" in gap.reason
    assert facts.instances  # the other steps went on


@pytest.mark.parametrize(
    ("operation", "fault", "kind", "permission"),
    [
        (
            "DescribeInstances",
            Fault(403, "UnauthorizedOperation"),
            "instances",
            "ec2:DescribeInstances",
        ),
        (
            "ListSecrets",
            Fault(400, "AccessDeniedException"),
            "secrets",
            "secretsmanager:ListSecrets",
        ),
        (
            "GetAccountAuthorizationDetails",
            Fault(403, "AccessDenied"),
            "roles",
            "iam:GetAccountAuthorizationDetails",
        ),
        ("DescribeImages", Fault(403, "UnauthorizedOperation"), "images", "ec2:DescribeImages"),
    ],
)
def test_access_denied_becomes_a_missing_permission(
    moto: MotoServer, operation: str, fault: Fault, kind: str, permission: str
) -> None:
    seed_default(moto.endpoint)
    moto.recorder.always(operation, fault)
    facts, _ = read(moto)
    gaps = [g for g in facts.gaps if g.facts == kind]
    assert [g.text for g in gaps] == [f"missing permission {permission} in {REGION}"] or [
        g.text for g in gaps
    ] == [f"missing permission {permission}"]
    assert Counter(op for _s, op in moto.recorder.operations)[operation] == 1  # not retried


def test_an_empty_region_reads_as_empty_not_as_a_gap(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    facts, _ = read(moto, regions=(REGION, "ap-southeast-2"))
    assert facts.regions == (REGION, "ap-southeast-2")
    assert {i.region for i in facts.instances} == {REGION}
    assert [g for g in facts.gaps if g.facts != "quotas"] == []


def test_unsupported_call_is_a_service_gap(moto: MotoServer) -> None:
    facts, _ = read(moto)
    quota_gaps = [g for g in facts.gaps if g.facts == "quotas"]
    assert quota_gaps and all("not available from Service Quotas" in g.reason for g in quota_gaps)


def test_no_credentials_is_a_clear_input_error(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(InputError, match="no AWS credentials found"):
        read_account(AwsOptions(regions=(REGION,)), AwsSession())


def test_no_region_is_a_clear_input_error(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(InputError, match="no AWS region"):
        read_account(AwsOptions(), AwsSession())
