"""CAPSA-SCALE-*: remediation caps and autoscaler bounds, on both API generations."""

from __future__ import annotations

import pytest
from checks_support import outcome


def mhc(api: str, body: str) -> str:
    return f"apiVersion: cluster.x-k8s.io/{api}\nkind: MachineHealthCheck\nmetadata: {{name: h}}\nspec:\n  clusterName: c\n{body}"


@pytest.mark.parametrize(
    ("api", "body", "expected"),
    [
        ("v1beta1", "", "fail"),
        ("v1beta1", "  maxUnhealthy: 100%\n", "fail"),
        ("v1beta1", "  maxUnhealthy: 40%\n", "pass"),
        ("v1beta1", "  maxUnhealthy: 2\n", "pass"),
        ("v1beta1", "  unhealthyRange: '[1-3]'\n", "pass"),
        ("v1beta2", "  remediation: {templateRef: {name: t}}\n", "fail"),
        ("v1beta2", "  remediation: {triggerIf: {unhealthyLessThanOrEqualTo: 100%}}\n", "fail"),
        ("v1beta2", "  remediation: {triggerIf: {unhealthyLessThanOrEqualTo: 34%}}\n", "pass"),
        ("v1beta2", "  remediation: {triggerIf: {unhealthyInRange: '[1-3]'}}\n", "pass"),
    ],
)
def test_scale_001_mhc_cap(api: str, body: str, expected: str) -> None:
    assert outcome("CAPSA-SCALE-001", mhc(api, body)) == expected


@pytest.mark.parametrize("template", [False, True])
@pytest.mark.parametrize(
    ("api", "body", "expected"),
    [
        ("v1beta1", "replicas: 3", "fail"),
        ("v1beta1", "remediationStrategy: {maxRetry: 5}", "pass"),
        ("v1beta2", "remediation: {retryPeriodSeconds: 60}", "fail"),
        ("v1beta2", "remediation: {maxRetry: 5}", "pass"),
    ],
)
def test_scale_002_kcp_max_retry(api: str, body: str, expected: str, template: bool) -> None:
    kind = "KubeadmControlPlaneTemplate" if template else "KubeadmControlPlane"
    head = f"apiVersion: controlplane.cluster.x-k8s.io/{api}\nkind: {kind}\nmetadata: {{name: k}}\nspec:\n"
    text = head + ("  template:\n    spec:\n      " if template else "  ") + body + "\n"
    assert outcome("CAPSA-SCALE-002", text) == expected


MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
MAX = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"


@pytest.mark.parametrize("kind", ["MachineDeployment", "MachinePool"])
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
@pytest.mark.parametrize(
    ("annotations", "expected"),
    [({MIN: "1"}, "fail"), ({MIN: "1", MAX: "10"}, "pass"), ({}, "n/a")],
)
def test_scale_003_autoscaler_max(
    kind: str, api: str, annotations: dict[str, str], expected: str
) -> None:
    notes = "".join(f"    {k}: '{v}'\n" for k, v in annotations.items()) or "    note: x\n"
    text = f"apiVersion: cluster.x-k8s.io/{api}\nkind: {kind}\nmetadata:\n  name: md\n  annotations:\n{notes}spec: {{clusterName: c}}\n"
    assert outcome("CAPSA-SCALE-003", text) == expected
