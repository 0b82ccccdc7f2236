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


VSPHERE = "infrastructure.cluster.x-k8s.io"


@pytest.mark.parametrize("version", ["v1beta1", "v1beta2"])
@pytest.mark.parametrize(
    ("kind", "spec", "expected"),
    [
        ("VSphereCluster", "server: vc.example", "fail"),
        ("VSphereCluster", "thumbprint: ''", "fail"),
        # CAPV has no `insecure` field (session.go:233 reads the thumbprint alone)
        ("VSphereCluster", "thumbprint: 'AA:BB'\n  insecure: true", "pass"),
        ("VSphereCluster", "server: vc.example\n  insecure: false", "fail"),
        ("VSphereCluster", "thumbprint: 'AA:BB'", "pass"),
        ("VSphereClusterTemplate", "template:\n    spec: {server: vc.example}", "fail"),
        ("VSphereClusterTemplate", "template:\n    spec: {thumbprint: 'AA:BB'}", "pass"),
        ("VSphereVM", "server: vc.example\n  template: ubuntu", "fail"),
        ("VSphereVM", "template: ubuntu\n  thumbprint: 'AA:BB'", "pass"),
        # a machine without its own thumbprint takes its cluster's (vimmachine.go:394-395)
        ("VSphereMachine", "template: ubuntu", "none"),
    ],
)
def test_net_005_vsphere_thumbprint(version: str, kind: str, spec: str, expected: str) -> None:
    text = (
        f"apiVersion: {VSPHERE}/{version}\nkind: {kind}\nmetadata: {{name: v}}\nspec:\n  {spec}\n"
    )
    assert outcome("CAPSA-NET-005", text) == expected


def test_net_005_an_unresolved_thumbprint_is_unknown() -> None:
    text = f"apiVersion: {VSPHERE}/v1beta2\nkind: VSphereCluster\nmetadata: {{name: v}}\n"
    text += "spec:\n  thumbprint: '${VSPHERE_TLS_THUMBPRINT}'\n"
    assert outcome("CAPSA-NET-005", text, unknown=[("spec", "thumbprint")]) == "unknown"
