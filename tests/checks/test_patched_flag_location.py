"""A finding on a flag map points where a ClusterClass patch wrote the flag the check
reads, not at the template's own value (`engine._patched_origin`)."""

from __future__ import annotations

from pathlib import Path

from capsa.checks.catalog import load_checks
from capsa.scan.service import ScanRequest, scan

CLASS = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: ClusterClass
metadata: {name: cc, namespace: default}
spec:
  controlPlane:
    ref: {apiVersion: controlplane.cluster.x-k8s.io/v1beta1,
      kind: KubeadmControlPlaneTemplate, name: kcpt}
  infrastructure:
    ref: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2, kind: AWSClusterTemplate,
      name: act}
  patches:
  - name: p
    definitions:
    - selector:
        apiVersion: controlplane.cluster.x-k8s.io/v1beta1
        kind: KubeadmControlPlaneTemplate
        matchResources: {controlPlane: true}
      jsonPatches:
      - op: replace
        path: /spec/template/spec/kubeadmConfigSpec/joinConfiguration/nodeRegistration/kubeletExtraArgs/read-only-port
        value: "10255"
"""
TEMPLATES = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlaneTemplate
metadata: {name: kcpt, namespace: default}
spec:
  template:
    spec:
      kubeadmConfigSpec:
        joinConfiguration:
          nodeRegistration:
            kubeletExtraArgs:
              read-only-port: "0"
              rotate-certificates: "true"
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSClusterTemplate
metadata: {name: act, namespace: default}
spec: {template: {spec: {region: us-east-1}}}
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: c1, namespace: default}
spec:
  topology: {class: cc, version: v1.30.0, controlPlane: {replicas: 3}}
"""


def test_a_patched_flag_is_located_at_the_patch(tmp_path: Path) -> None:
    (tmp_path / "cc.yaml").write_text(CLASS, encoding="utf-8")
    (tmp_path / "kcpt.yaml").write_text(TEMPLATES, encoding="utf-8")
    checks = tuple(c for c in load_checks() if c.id == "CAPSA-KUBELET-002")
    result = scan(ScanRequest(paths=[str(tmp_path)], checks=checks))
    (finding,) = result.findings
    assert (finding.location.path, finding.location.line) == (str(tmp_path / "cc.yaml"), 21)
