"""CAPSA-AWS-002 asks whether a role can read another cluster's bootstrap data: in every
region read (the answer must not depend on the order of --aws-region) and by every
action that returns the value (ssm:GetParameter, GetParameters, GetParametersByPath,
GetParameterHistory, and wildcards naming them)."""

from __future__ import annotations

import pytest
from cloud_support import read
from motoserver import MotoServer
from seed import add_node_role

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import CloudResults, run_checks
from capsa.sources.aws.facts import FACT_KINDS, CloudFacts, Policy, Principal, Statement

ACCOUNT = "123456789012"
EU_SECRETS = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:aws.cluster.x-k8s.io/*"
OWN_SECRETS = f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:aws.cluster.x-k8s.io/0b1c2d3e-aaaa-4bbb-*"


def _check(facts: CloudFacts) -> CloudResults:
    return run_checks([c for c in cloud_checks() if c.id == "CAPSA-AWS-002"], facts)


@pytest.mark.parametrize("regions", [("us-east-1", "eu-west-1"), ("eu-west-1", "us-east-1")])
def test_a_grant_in_any_region_read_fails_whatever_the_order(
    moto: MotoServer, regions: tuple[str, ...]
) -> None:
    role = add_node_role(
        moto.endpoint,
        "wl2-",
        [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": EU_SECRETS}],
    )
    facts, _ = read(moto, regions=regions)
    assert {f.resource.name for f in _check(facts).findings} == {role}


def test_a_grant_on_its_own_clusters_secrets_only_passes(moto: MotoServer) -> None:
    role = add_node_role(
        moto.endpoint,
        "wl2-",
        [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": OWN_SECRETS}],
    )
    facts, _ = read(moto, regions=("us-east-1", "eu-west-1"))
    results = _check(facts)
    assert results.findings == []
    assert {p.resource.name for p in results.passes} == {role}


def _role_with(actions: list[str], resource: str) -> CloudFacts:
    statement = Statement(effect="Allow", actions=tuple(actions), resources=(resource,))
    arn = "arn:aws:iam::111122223333:role/edge-nodes.cluster-api-provider-aws.sigs.k8s.io"
    role = Principal(
        arn=arn,
        name=arn.rsplit("/", 1)[1],
        inline_policies=(Policy(arn=f"{arn}#p", name="p", inline=True, statements=(statement,)),),
    )
    return CloudFacts(
        source="t", account="111122223333", regions=("us-east-1",), collected=FACT_KINDS,
        roles=(role,),
    )  # fmt: skip


EVERY_PARAMETER = "arn:aws:ssm:*:*:parameter/cluster.x-k8s.io/*"


@pytest.mark.parametrize(
    "actions",
    [["ssm:GetParameters"], ["ssm:GetParametersByPath"], ["ssm:GetParameterHistory"],
     ["ssm:Get*"], ["ssm:*"], ["*"], ["SSM:getparameters"], ["ssm:GetParameter"]],
)  # fmt: skip
def test_every_action_that_returns_a_parameter_value_counts(actions: list[str]) -> None:
    assert _check(_role_with(actions, EVERY_PARAMETER)).findings


def test_a_path_grant_at_the_root_counts() -> None:
    root = "arn:aws:ssm:us-east-1:111122223333:parameter/cluster.x-k8s.io"
    assert _check(_role_with(["ssm:GetParametersByPath"], root)).findings


@pytest.mark.parametrize(
    "actions", [["ssm:DescribeParameters"], ["ssm:PutParameter", "ssm:DeleteParameter"]]
)
def test_actions_that_return_no_value_pass(actions: list[str]) -> None:
    results = _check(_role_with(actions, EVERY_PARAMETER))
    assert results.findings == [] and results.passes


def test_a_region_pattern_no_read_covered_is_still_tried() -> None:
    pattern = "arn:aws:secretsmanager:ap-*:111122223333:secret:aws.cluster.x-k8s.io/*"
    assert _check(_role_with(["secretsmanager:GetSecretValue"], pattern)).findings
