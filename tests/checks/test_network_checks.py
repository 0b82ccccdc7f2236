"""CAPSA-NET-*: bastion, API load balancer, NodePorts, vCenter identity."""

from __future__ import annotations

import pytest
from checks_support import AWS, outcome


def cluster(body: str, template: bool = False) -> str:
    kind = "AWSClusterTemplate" if template else "AWSCluster"
    head = f"apiVersion: {AWS}\nkind: {kind}\nmetadata: {{name: c}}\nspec:\n"
    pad = "      " if template else "  "
    lines = "".join(f"{pad}{line}\n" for line in body.splitlines())
    return head + ("  template:\n    spec:\n" if template else "") + lines


CASES = [
    ("CAPSA-NET-001", "bastion: {enabled: true}", "fail"),
    ("CAPSA-NET-001", "bastion: {enabled: true, allowedCIDRBlocks: [0.0.0.0/0]}", "fail"),
    ("CAPSA-NET-001", "bastion: {enabled: true, allowedCIDRBlocks: [203.0.113.0/24]}", "pass"),
    ("CAPSA-NET-001", "bastion: {enabled: true, disableIngressRules: true}", "pass"),
    ("CAPSA-NET-001", "region: eu-west-1", "n/a"),
    ("CAPSA-NET-002", "region: eu-west-1", "fail"),
    ("CAPSA-NET-002", "controlPlaneLoadBalancer: {scheme: internet-facing}", "fail"),
    ("CAPSA-NET-002", "controlPlaneLoadBalancer: {scheme: internal}", "pass"),
    ("CAPSA-NET-003", "controlPlaneLoadBalancer: {loadBalancerType: nlb}", "fail"),
    (
        "CAPSA-NET-003",
        "controlPlaneLoadBalancer:\n  ingressRules: [{protocol: tcp, fromPort: 6443, toPort: 6443, cidrBlocks: [0.0.0.0/0]}]",
        "fail",
    ),
    (
        "CAPSA-NET-003",
        "controlPlaneLoadBalancer:\n  ingressRules: [{protocol: tcp, fromPort: 6443, toPort: 6443, cidrBlocks: [10.0.0.0/8]}]",
        "pass",
    ),
    ("CAPSA-NET-004", "network: {vpc: {cidrBlock: 10.0.0.0/16}}", "fail"),
    ("CAPSA-NET-004", "network: {nodePortIngressRuleCidrBlocks: ['0.0.0.0/0']}", "fail"),
    ("CAPSA-NET-004", "network: {nodePortIngressRuleCidrBlocks: [10.0.0.0/16]}", "pass"),
]


@pytest.mark.parametrize("template", [False, True])
@pytest.mark.parametrize(("check_id", "body", "expected"), CASES)
def test_aws_network_checks(check_id: str, body: str, expected: str, template: bool) -> None:
    assert outcome(check_id, cluster(body, template)) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("server: vc.example", "fail"),
        ("thumbprint: ''", "fail"),
        ("thumbprint: 'AA:BB'\n  insecure: true", "fail"),
        ("thumbprint: 'AA:BB'", "pass"),
    ],
)
def test_net_005_vsphere_thumbprint(spec: str, expected: str) -> None:
    text = f"apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: VSphereCluster\nmetadata: {{name: v}}\nspec:\n  {spec}\n"
    assert outcome("CAPSA-NET-005", text) == expected
