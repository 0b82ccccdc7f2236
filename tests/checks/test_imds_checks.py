"""CAPSA-IMDS-*: IMDSv1 and hop limit on every CAPA machine shape."""

from __future__ import annotations

import pytest
from checks_support import outcome

GROUP = "infrastructure.cluster.x-k8s.io/v1beta2"


def machine(kind: str, options: str) -> str:
    """A CAPA machine object of `kind` with `options` as its instanceMetadataOptions body."""
    block = f"instanceMetadataOptions: {options}" if options else "instanceType: t3.large"
    head = f"apiVersion: {GROUP}\nkind: {kind}\nmetadata: {{name: m}}\nspec:\n"
    if kind == "AWSMachineTemplate":
        return head + f"  template:\n    spec:\n      {block}\n"
    if kind in {"AWSMachinePool", "AWSManagedMachinePool"}:
        return head + f"  awsLaunchTemplate:\n    {block}\n"
    return head + f"  {block}\n"


KINDS = ["AWSMachine", "AWSMachineTemplate", "AWSMachinePool", "AWSManagedMachinePool"]
POOLS = {"AWSMachinePool", "AWSManagedMachinePool"}


def absent(kind: str, machines: str) -> str:
    """The outcome with no instanceMetadataOptions: CAPA's default on machines
    (SetDefaults_AWSMachineSpec); on pools CAPA writes no metadata options into the
    launch template (launchtemplate.go:633-645), so the AMI and the account decide."""
    return "unknown" if kind in POOLS else machines


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("", "fail"),
        ("{httpTokens: optional}", "fail"),
        ("{httpProtocolIpv6: enabled}", "fail"),
        ("{httpTokens: required}", "pass"),
        ("{httpEndpoint: disabled}", "pass"),
    ],
)
def test_imds_001_imdsv1(kind: str, options: str, expected: str) -> None:
    want = absent(kind, expected) if not options else expected
    assert outcome("CAPSA-IMDS-001", machine(kind, options)) == want


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("{httpTokens: required, httpPutResponseHopLimit: 2}", "fail"),
        ("{httpPutResponseHopLimit: '3'}", "fail"),
        ("{httpTokens: required, httpPutResponseHopLimit: 1}", "pass"),
        ("", "pass"),
        ("{httpEndpoint: disabled, httpPutResponseHopLimit: 2}", "pass"),
    ],
)
def test_imds_002_hop_limit(kind: str, options: str, expected: str) -> None:
    want = absent(kind, expected) if not options else expected
    assert outcome("CAPSA-IMDS-002", machine(kind, options)) == want


@pytest.mark.parametrize("kind", KINDS)
def test_imds_002_a_hop_limit_left_out_rests_on_a_default_only_where_capa_sets_it(
    kind: str,
) -> None:
    from checks_support import run

    result = run("CAPSA-IMDS-002", machine(kind, "{httpTokens: required}"))
    (passed,) = result.passes
    assert passed.by_default is not None and "CRD default" in passed.by_default


def test_imds_an_eks_pool_without_a_launch_template_names_what_decides() -> None:
    from checks_support import run

    text = f"apiVersion: {GROUP}\nkind: AWSManagedMachinePool\nmetadata: {{name: m}}\n"
    text += "spec: {amiType: AL2023_x86_64_STANDARD}\n"
    for check in ("CAPSA-IMDS-001", "CAPSA-IMDS-002"):
        (unknown,) = run(check, text).unknown
        assert unknown.reason is not None
        assert "ImdsSupport" in unknown.reason and "capsa scan --aws" in unknown.reason
        assert "launchtemplate.go:633-645" in unknown.reason


def test_imds_unresolved_variable_is_unknown_not_pass() -> None:
    text = machine("AWSMachineTemplate", "{httpTokens: '${IMDS_TOKENS}'}")
    unknown = [("spec", "template", "spec", "instanceMetadataOptions", "httpTokens")]
    assert outcome("CAPSA-IMDS-001", text, unknown=unknown) == "unknown"
