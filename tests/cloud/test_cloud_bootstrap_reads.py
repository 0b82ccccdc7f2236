"""CAPSA-AWS-002 asks whether a role can read another cluster's bootstrap data: in every
region read (the answer must not depend on the order of --aws-region) and by every
action that returns the value (ssm:GetParameter, GetParameters, GetParametersByPath,
GetParameterHistory, and wildcards naming them)."""

from __future__ import annotations

import json

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


def _secret_granting(moto: MotoServer, cluster: str, principal: str) -> str:
    from motoserver import SENTINEL
    from seed import clients, secret_tags

    sm = clients(moto.endpoint)["secretsmanager"]
    arn = str(
        sm.create_secret(
            Name=f"aws.cluster.x-k8s.io/0b1c2d3e-aaaa-4bbb-8ccc-00000000{cluster:0>4}-0",
            SecretBinary=SENTINEL.encode(),
            Tags=secret_tags(cluster, "node", f"{cluster}-md-0"),
        )["ARN"]
    )
    sm.put_resource_policy(
        SecretId=arn,
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": principal},
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    return arn


def _quiet_role_of_wl3(moto: MotoServer) -> str:
    """A nodes role whose own policy reads no secret, run by an instance of cluster wl3."""
    from seed import GOOD_AMI, _run, clients

    role = add_node_role(
        moto.endpoint,
        "quiet-",
        [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}],
    )
    _run(clients(moto.endpoint)["ec2"], cluster="wl3", role="node", name="wl3-md-0",
         profile=role.rsplit("/", 1)[1], ImageId=GOOD_AMI)  # fmt: skip
    return role


def test_another_clusters_secret_policy_naming_the_role_fails(moto: MotoServer) -> None:
    role = _quiet_role_of_wl3(moto)
    secret = _secret_granting(moto, "mgmt", role)
    facts, _ = read(moto)
    findings = _check(facts).findings
    assert [f.resource.name for f in findings] == [role]
    assert secret in findings[0].message and "(mgmt)" in findings[0].message
    assert ("secretsmanager", "GetResourcePolicy") in moto.recorder.operations
    assert moto.recorder.leaks == []  # the policy was read, never the value


def test_its_own_clusters_secret_policy_naming_the_role_passes(moto: MotoServer) -> None:
    role = _quiet_role_of_wl3(moto)
    _secret_granting(moto, "wl3", role)
    _secret_granting(moto, "mgmt", f"arn:aws:iam::{ACCOUNT}:root")  # defers to IAM
    facts, _ = read(moto)
    results = _check(facts)
    assert results.findings == []
    assert {p.resource.name for p in results.passes} == {role}


def test_unread_secret_policies_leave_the_check_not_assessable(moto: MotoServer) -> None:
    from motoserver import Fault

    role = _quiet_role_of_wl3(moto)
    _secret_granting(moto, "mgmt", role)
    moto.recorder.always("GetResourcePolicy", Fault(400, "AccessDeniedException"))
    facts, _ = read(moto)
    results = _check(facts)
    assert results.findings == [] and results.passes == []
    assert [u.reason for u in results.unknown] == [
        "not assessable: missing permission secretsmanager:GetResourcePolicy in eu-west-1"
    ]


@pytest.mark.parametrize(
    ("statement", "applies"),
    [({"Principal": "*"}, True), ({"Principal": {"AWS": "*"}}, True),
     ({"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, False),
     ({"Principal": {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/r/i-1"}}, True),
     ({"NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}}, True),
     ({"NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r"}}, False),
     ({"Principal": {"Service": "ec2.amazonaws.com"}}, False)],
)  # fmt: skip
def test_which_resource_policy_statements_apply_to_a_role(
    statement: dict[str, object], applies: bool
) -> None:
    from capsa.cloud.capa import _applies_to
    from capsa.sources.aws.policydoc import resource_statements

    document = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", **statement}]}
    role = Principal(arn=f"arn:aws:iam::{ACCOUNT}:role/r", name="r")
    found = [s for s in resource_statements(document) if _applies_to(s, role)]
    assert bool(found) == applies


NODES = f"arn:aws:iam::{ACCOUNT}:role/nodes.cluster-api-provider-aws.sigs.k8s.io"
MGMT_SECRET = (
    f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:"
    "aws.cluster.x-k8s.io/0b1c2d3e-aaaa-4bbb-8ccc-000000000001-0-AbCdEf"
)
READ = "secretsmanager:GetSecretValue"


def _shared_secret(
    *, own: tuple[Statement, ...] = (), extra: tuple[Statement, ...] = ()
) -> CloudFacts:
    """The nodes role (own statements: `own`) and mgmt's secret whose resource policy
    allows it GetSecretValue (plus `extra` statements)."""
    allow = Statement(effect="Allow", actions=(READ,), resources=("*",), principals=(NODES,))
    role = Principal(
        arn=NODES,
        name=NODES.rsplit("/", 1)[1],
        inline_policies=(
            Policy(arn=f"{NODES}#own", name="own", inline=True,
                   statements=(Statement(effect="Allow", actions=("ec2:DescribeInstances",),
                                         resources=("*",)), *own)),
        ),
    )  # fmt: skip
    secret = {
        "arn": MGMT_SECRET, "name": "aws.cluster.x-k8s.io/x", "region": "eu-west-1",
        "tags": {"sigs.k8s.io/cluster-api-provider-aws/cluster/mgmt": "owned"},
        "resourcePolicy": [allow.model_dump(by_alias=True), *(s.model_dump(by_alias=True) for s in extra)],
    }  # fmt: skip
    return CloudFacts.model_validate(
        {"source": "t", "account": ACCOUNT, "collected": list(FACT_KINDS),
         "roles": [role.model_dump(by_alias=True)], "secrets": [secret]}
    )  # fmt: skip


def test_a_resource_policy_grant_with_no_deny_fails() -> None:
    [finding] = _check(_shared_secret()).findings
    assert finding.resource.name == NODES and MGMT_SECRET in finding.message


@pytest.mark.parametrize(
    ("own", "extra"),
    [((Statement(effect="Deny", actions=("secretsmanager:*",), resources=("*",)),), ()),
     ((), (Statement(effect="Deny", actions=(READ,), resources=("*",),
                     principals=(f"arn:aws:iam::{ACCOUNT}:root",)),)),
     ((), (Statement(effect="Deny", actions=(READ,), resources=("*",), principals=("*",)),))],
)  # fmt: skip
def test_an_unconditional_deny_in_either_policy_cancels_the_grant(
    own: tuple[Statement, ...], extra: tuple[Statement, ...]
) -> None:
    results = _check(_shared_secret(own=own, extra=extra))
    assert results.findings == [] and results.unknown == []
    assert [p.resource.name for p in results.passes] == [NODES]


@pytest.mark.parametrize("where", ["own", "resource"])
def test_a_deny_under_a_condition_leaves_the_grant_undecided(where: str) -> None:
    deny = Statement(effect="Deny", actions=(READ,), resources=("*",), conditional=True,
                     principals=("*",) if where == "resource" else ())  # fmt: skip
    facts = _shared_secret(**({"own": (deny,)} if where == "own" else {"extra": (deny,)}))
    results = _check(facts)
    assert results.findings == [] and results.passes == []
    [unknown] = results.unknown
    assert "a Deny under a condition in" in (unknown.reason or "")
    shown = f"{NODES}#own" if where == "own" else f"{MGMT_SECRET}#resource-policy"
    assert shown in (unknown.reason or "")
