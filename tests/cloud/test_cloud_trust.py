"""CAPSA-AWS-007 on the controllers role's trust policy as moto stores it: everyone
("*", {"AWS": "*"}, NotPrincipal) with no Condition fails on the role itself; other
accounts' principals and "*" under a Condition are undecided, naming what they rest on;
clusterawsadm's EC2-only trust passes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloud_support import read
from motoserver import MotoServer
from seed import EC2_TRUST, SUFFIX, clients

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import CloudResults, run_checks

CONTROLLERS = f"arn:aws:iam::123456789012:role/controllers{SUFFIX}"


def _controllers_trusting(moto: MotoServer, *extra: dict[str, Any]) -> CloudResults:
    trust = {**EC2_TRUST, "Statement": [*EC2_TRUST["Statement"], *extra]}
    clients(moto.endpoint)["iam"].create_role(
        RoleName=f"controllers{SUFFIX}", AssumeRolePolicyDocument=json.dumps(trust)
    )
    facts, _ = read(moto)
    return run_checks([c for c in cloud_checks() if c.id == "CAPSA-AWS-007"], facts)


ASSUME = {"Effect": "Allow", "Action": "sts:AssumeRole"}


@pytest.mark.parametrize(
    "statement",
    [{**ASSUME, "Principal": {"AWS": "*"}}, {**ASSUME, "Principal": "*"},
     {**ASSUME, "NotPrincipal": {"AWS": "arn:aws:iam::999988887777:root"}}],
)  # fmt: skip
def test_a_trust_of_everyone_fails_on_the_role(moto: MotoServer, statement: dict[str, Any]) -> None:
    results = _controllers_trusting(moto, statement)
    assert [f.resource.name for f in results.findings] == [CONTROLLERS]
    assert "any AWS principal of any account" in results.findings[0].message
    assert results.passes == []


def test_everyone_under_a_condition_is_undecided_naming_its_keys(moto: MotoServer) -> None:
    condition = {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}
    results = _controllers_trusting(
        moto, {**ASSUME, "Principal": {"AWS": "*"}, "Condition": condition}
    )
    assert results.findings == [] and results.passes == []
    [unknown] = results.unknown
    assert unknown.resource.name == CONTROLLERS
    assert "aws:PrincipalAccount" in (unknown.reason or "")


def test_another_accounts_principal_is_undecided(moto: MotoServer) -> None:
    other = "arn:aws:iam::444455556666:root"
    results = _controllers_trusting(moto, {**ASSUME, "Principal": {"AWS": other}})
    assert results.findings == [] and results.passes == []
    assert other in (results.unknown[0].reason or "")


def test_clusterawsadms_ec2_trust_passes(moto: MotoServer) -> None:
    results = _controllers_trusting(moto)
    assert results.findings == [] and results.unknown == []
    assert results.passes
