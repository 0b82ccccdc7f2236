"""A clusterctl variable without a value is shown as the user wrote it, `${VAR}`, in every
output: never as capsa's internal marker (`__CAPSA_UNRESOLVED_<VAR>__`). The input holds
unresolved variables where the audit of upstream templates found the marker leaking: in
names and namespaces of a ClusterClass, its worker classes, a Cluster, a
ClusterResourceSet and the ConfigMap and Secret it carries, the objects those carry, and
a worker pool (whose name the attack graph's node ids hold).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from capsa.cli.main import app

runner = CliRunner()
MARKER = "__CAPSA_"

CLASS = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: ClusterClass
metadata:
  name: ${CLUSTER_CLASS_NAME}
  namespace: ${NAMESPACE}
spec:
  controlPlane:
    ref:
      apiVersion: controlplane.cluster.x-k8s.io/v1beta1
      kind: KubeadmControlPlaneTemplate
      name: ${CLUSTER_CLASS_NAME}-controlplane
  infrastructure:
    ref:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
      kind: DockerClusterTemplate
      name: ${CLUSTER_CLASS_NAME}
  workers:
    machineDeployments:
    - class: ${CLUSTER_CLASS_NAME}-worker
      template:
        bootstrap:
          ref:
            apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
            kind: KubeadmConfigTemplate
            name: ${CLUSTER_CLASS_NAME}-worker-bootstrap
        infrastructure:
          ref:
            apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
            kind: DockerMachineTemplate
            name: ${CLUSTER_CLASS_NAME}-worker-machine
"""

CLUSTER = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: ${CLUSTER_NAME}
  namespace: ${NAMESPACE}
  labels:
    cni: ${CLUSTER_NAME}-crs
spec:
  topology:
    class: ${CLUSTER_CLASS_NAME}
    version: v1.31.0
    workers:
      machineDeployments:
      - class: ${CLUSTER_CLASS_NAME}-worker
        name: md-0
---
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata:
  name: ${CLUSTER_NAME}-crs
  namespace: ${NAMESPACE}
spec:
  clusterSelector:
    matchLabels:
      cni: ${CLUSTER_NAME}-crs
  resources:
  - kind: ConfigMap
    name: ${CLUSTER_NAME}-csi
  - kind: Secret
    name: ${CLUSTER_NAME}-cpi
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${CLUSTER_NAME}-csi
  namespace: ${NAMESPACE}
data:
  csi.yaml: |
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: ${CLUSTER_NAME}-csi-controller
      namespace: ${NAMESPACE}
    spec:
      selector: {matchLabels: {app: x}}
      template:
        metadata: {labels: {app: x}}
        spec:
          containers:
          - name: csi-attacher
            image: registry.k8s.io/sig-storage/csi-attacher:v4.5.1
            securityContext:
              privileged: true
---
apiVersion: v1
kind: Secret
metadata:
  name: ${CLUSTER_NAME}-cpi
  namespace: ${NAMESPACE}
type: addons.cluster.x-k8s.io/resource-set
stringData:
  cpi.yaml: |
    apiVersion: apps/v1
    kind: DaemonSet
    metadata:
      name: ${CLUSTER_NAME}-cpi
      namespace: kube-system
    spec:
      selector: {matchLabels: {app: y}}
      template:
        metadata: {labels: {app: y}}
        spec:
          hostNetwork: true
          containers:
          - name: cpi
            image: registry.k8s.io/cpi:v1.0.0
"""

# a template without a ClusterClass: the worker pool's name is part of the attack graph's
# node ids, which `capsa paths` prints
LEGACY = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: ${CLUSTER_NAME}
  namespace: default
spec:
  infrastructureRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: AWSCluster
    name: ${CLUSTER_NAME}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AWSCluster
metadata:
  name: ${CLUSTER_NAME}
  namespace: default
spec:
  region: eu-west-1
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata:
  name: ${CLUSTER_NAME}-md-0
  namespace: default
spec:
  clusterName: ${CLUSTER_NAME}
  template:
    spec:
      clusterName: ${CLUSTER_NAME}
      bootstrap:
        configRef:
          apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
          kind: KubeadmConfigTemplate
          name: ${CLUSTER_NAME}-md-0
      infrastructureRef:
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
        kind: AWSMachineTemplate
        name: ${CLUSTER_NAME}-md-0
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AWSMachineTemplate
metadata:
  name: ${CLUSTER_NAME}-md-0
  namespace: default
spec:
  template:
    spec:
      instanceType: m5.large
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfigTemplate
metadata:
  name: ${CLUSTER_NAME}-md-0
  namespace: default
spec:
  template:
    spec: {}
"""


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "clusterclass.yaml").write_text(CLASS)
    (folder / "cluster.yaml").write_text(CLUSTER)
    (folder / "legacy.yaml").write_text(LEGACY)
    return folder


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.stdout + result.stderr


def _leaks(text: str) -> list[str]:
    return [line for line in text.splitlines() if MARKER in line]


def test_scan_shows_no_marker_in_any_format(templates: Path) -> None:
    as_json = _run("scan", str(templates), "-f", "json", "--fail-on", "none")
    # the input really reaches the places the marker leaked from
    assert '"carrier": "ConfigMap/${NAMESPACE}/${CLUSTER_NAME}-csi:csi.yaml"' in as_json
    assert '"carrier": "Secret/${NAMESPACE}/${CLUSTER_NAME}-cpi:cpi.yaml"' in as_json
    assert "${CLUSTER_CLASS_NAME}-worker bootstrap template" in as_json
    assert _leaks(as_json) == []
    for fmt in ("table", "sarif", "md", "junit", "policyreport"):
        assert _leaks(_run("scan", str(templates), "-f", fmt, "--fail-on", "none")) == [], fmt


def test_paths_and_fmea_show_no_marker(templates: Path) -> None:
    as_json = _run("paths", str(templates), "-f", "json")
    assert "/${CLUSTER_NAME}-md-0:node-files" in as_json
    assert _leaks(as_json) == []
    for fmt in ("table", "mermaid", "dot"):
        assert _leaks(_run("paths", str(templates), "-f", fmt)) == [], fmt
    for fmt in ("table", "json", "md"):
        assert _leaks(_run("fmea", str(templates), "-f", fmt)) == [], fmt


def test_assess_writes_no_marker_in_any_report_file(templates: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    printed = _run("assess", str(templates), "-o", str(out), "--fail-on", "none")
    assert _leaks(printed) == []
    files = sorted(out.iterdir())
    assert {"assessment.json", "assessment.md", "assessment.html", "results.sarif"} <= {
        f.name for f in files
    }
    assert len(files) > 4  # the companions too
    leaking = {f.name: _leaks(f.read_text(encoding="utf-8"))[:2] for f in files}
    assert {name: lines for name, lines in leaking.items() if lines} == {}
