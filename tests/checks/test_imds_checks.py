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
    assert outcome("CAPSA-IMDS-001", machine(kind, options)) == expected


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
    assert outcome("CAPSA-IMDS-002", machine(kind, options)) == expected


def test_imds_unresolved_variable_is_unknown_not_pass() -> None:
    text = machine("AWSMachineTemplate", "{httpTokens: '${IMDS_TOKENS}'}")
    unknown = [("spec", "template", "spec", "instanceMetadataOptions", "httpTokens")]
    assert outcome("CAPSA-IMDS-001", text, unknown=unknown) == "unknown"
