"""EKS nodes (EKSConfig/NodeadmConfig bootstrap) carry no kubeadm token, so the checks
about where a join token travels do not apply to them; a same-named kubeadm pool in
another file (copies of templates repeat names) still gets judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.scan.service import ScanRequest, scan

POOL = """\
apiVersion: cluster.x-k8s.io/{api}
kind: MachinePool
metadata: {{name: "${{CLUSTER_NAME}}-mp-0"}}
spec:
  clusterName: "${{CLUSTER_NAME}}"
  template:
    spec:
      clusterName: "${{CLUSTER_NAME}}"
      bootstrap:
        configRef: {{{ref}, kind: {bootstrap}, name: "${{CLUSTER_NAME}}-mp-0"}}
      infrastructureRef: {{{infra}, kind: AWSMachinePool, name: "${{CLUSTER_NAME}}-mp-0"}}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachinePool
metadata: {{name: "${{CLUSTER_NAME}}-mp-0"}}
spec:
  minSize: 1
  maxSize: 2
  awsLaunchTemplate: {{instanceType: m6i.large}}
"""


def _pool(api: str, bootstrap: str) -> str:
    if api == "v1beta1":
        ref = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta2"
        infra = "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2"
    else:
        ref = "apiGroup: bootstrap.cluster.x-k8s.io"
        infra = "apiGroup: infrastructure.cluster.x-k8s.io"
    return POOL.format(api=api, ref=ref, infra=infra, bootstrap=bootstrap)


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_an_eks_pool_is_not_applicable_and_a_kubeadm_one_beside_it_fires(
    tmp_path: Path, api: str
) -> None:
    (tmp_path / "eks.yaml").write_text(_pool(api, "NodeadmConfig"))
    (tmp_path / "kubeadm.yaml").write_text(_pool(api, "KubeadmConfig"))
    result = scan(ScanRequest(paths=[str(tmp_path)]))
    fired = [Path(f.location.path).name for f in result.findings if f.check_id == "CAPSA-BOOT-003"]
    not_applicable = [
        Path(r.location.path).name for r in result.not_applicable if r.check_id == "CAPSA-BOOT-003"
    ]
    assert fired == ["kubeadm.yaml"]
    assert not_applicable == ["eks.yaml"]
