"""ClusterClass patches capsa cannot evaluate leave the fields they set unknown (never
failing), a class no Cluster uses is judged after the patches capsa can apply, and
unresolved names neither break nor silently decide which class a Cluster gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

AWS = "infrastructure.cluster.x-k8s.io/v1beta2"


def _class(api: str, patch_value: str, name: str = "aws", extra: str = "") -> str:
    """A ClusterClass (v1beta1 `ref` or v1beta2 `templateRef`) whose control-plane
    machines come from an AWSMachineTemplate that one patch changes."""
    ref = "ref" if api == "v1beta1" else "templateRef"
    return f"""\
apiVersion: cluster.x-k8s.io/{api}
kind: ClusterClass
metadata: {{name: "{name}"}}
spec:
  controlPlane:
    {ref}: {{apiVersion: controlplane.cluster.x-k8s.io/{api}, kind: KubeadmControlPlaneTemplate, name: cp}}
    machineInfrastructure:
      {ref}: {{apiVersion: {AWS}, kind: AWSMachineTemplate, name: cp-machines}}
  infrastructure:
    {ref}: {{apiVersion: {AWS}, kind: AWSClusterTemplate, name: infra}}
  variables:
    - name: tokens
      required: true
      schema: {{openAPIV3Schema: {{type: string}}}}
  patches:
    - name: imds
      definitions:
        - selector:
            apiVersion: {AWS}
            kind: AWSMachineTemplate
            matchResources: {{controlPlane: true}}
          jsonPatches:
            - op: add
              path: /spec/template/spec/instanceMetadataOptions
              {patch_value}
{extra}---
apiVersion: controlplane.cluster.x-k8s.io/{api}
kind: KubeadmControlPlaneTemplate
metadata: {{name: cp}}
spec:
  template:
    spec:
      kubeadmConfigSpec: {{}}
---
apiVersion: {AWS}
kind: AWSClusterTemplate
metadata: {{name: infra}}
spec:
  template:
    spec: {{}}
---
apiVersion: {AWS}
kind: AWSMachineTemplate
metadata: {{name: cp-machines}}
spec:
  template:
    spec:
      instanceType: m6i.large
"""


def _cluster(api: str, class_name: str = "aws", namespace: str = "", variables: str = "") -> str:
    ns = f', namespace: "{namespace}"' if namespace else ""
    topology = (
        f'class: "{class_name}"' if api == "v1beta1" else f'classRef: {{name: "{class_name}"}}'
    )
    return f"""\
apiVersion: cluster.x-k8s.io/{api}
kind: Cluster
metadata: {{name: "${{CLUSTER_NAME}}"{ns}}}
spec:
  topology:
    {topology}
    version: v1.31.0
{variables}"""


def _scan(tmp_path: Path, **files: str) -> ScanResult:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return scan(ScanRequest(paths=[str(tmp_path)]))


def _imds(result: ScanResult) -> tuple[list[str], list[str]]:
    """(resource names with an IMDS finding, reasons of IMDS unknown results)."""
    findings = [f.resource.name for f in result.findings if f.check_id == "CAPSA-IMDS-001"]
    unknown = [u.reason or "" for u in result.unknown if u.check_id == "CAPSA-IMDS-001"]
    return findings, unknown


GO_TEMPLATE = 'valueFrom: {template: "{httpTokens: {{ .tokens }}}"}'
LITERAL_REQUIRED = "value: {httpTokens: required}"
LITERAL_OPTIONAL = "value: {httpTokens: optional}"
FROM_VARIABLE = "valueFrom: {variable: tokensObject}"


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_go_template_value_leaves_the_field_unknown(tmp_path: Path, api: str) -> None:
    result = _scan(tmp_path, cc=_class(api, GO_TEMPLATE), c=_cluster(api))
    findings, unknown = _imds(result)
    assert findings == []
    assert unknown and "Go template" in unknown[0] and "patch 'imds'" in unknown[0]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_literal_patch_is_applied_before_judging(tmp_path: Path, api: str) -> None:
    fails = _scan(tmp_path, cc=_class(api, LITERAL_OPTIONAL), c=_cluster(api))
    assert _imds(fails)[0] == ["cp-machines@${CLUSTER_NAME}"]
    (tmp_path / "cc.yaml").write_text(_class(api, LITERAL_REQUIRED))
    assert _imds(scan(ScanRequest(paths=[str(tmp_path)]))) == ([], [])


def test_an_external_patch_leaves_the_templates_it_may_change_unknown(tmp_path: Path) -> None:
    external = "    - name: from-extension\n      external: {generateExtension: generate.ext}\n"
    result = _scan(tmp_path, cc=_class("v1beta1", LITERAL_OPTIONAL, extra=external))
    findings, unknown = _imds(result)
    assert findings == []
    assert unknown and "runtime extension" in unknown[0]


def test_a_variable_nobody_sets_leaves_the_field_unknown_and_names_it(tmp_path: Path) -> None:
    result = _scan(tmp_path, cc=_class("v1beta1", FROM_VARIABLE), c=_cluster("v1beta1"))
    findings, unknown = _imds(result)
    assert findings == []
    assert unknown and "tokensObject" in unknown[0]
    variables = (
        "    variables:\n      - name: tokensObject\n        value: {httpTokens: optional}\n"
    )
    (tmp_path / "c.yaml").write_text(_cluster("v1beta1", variables=variables))
    assert _imds(scan(ScanRequest(paths=[str(tmp_path)])))[0] == ["cp-machines@${CLUSTER_NAME}"]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_class_no_cluster_uses_is_judged_after_its_literal_patches(
    tmp_path: Path, api: str
) -> None:
    passing = _scan(tmp_path, cc=_class(api, LITERAL_REQUIRED))
    assert _imds(passing) == ([], [])
    (tmp_path / "cc.yaml").write_text(_class(api, LITERAL_OPTIONAL))
    assert _imds(scan(ScanRequest(paths=[str(tmp_path)])))[0] == ["cp-machines"]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_an_unresolved_namespace_does_not_break_class_resolution(tmp_path: Path, api: str) -> None:
    result = _scan(
        tmp_path, cc=_class(api, LITERAL_OPTIONAL), c=_cluster(api, namespace="${NAMESPACE}")
    )
    assert not result.errors
    assert [v.topology_class for v in result.topology.clusters] == ["aws"]
    assert _imds(result)[0] == ["cp-machines@${CLUSTER_NAME}"]


def test_same_named_classes_in_other_files_are_not_picked_silently(tmp_path: Path) -> None:
    result = _scan(
        tmp_path,
        a=_class("v1beta1", LITERAL_REQUIRED, name="${CLASS}"),
        b=_class("v1beta1", LITERAL_OPTIONAL, name="${CLASS}"),
        c=_cluster("v1beta1", class_name="${CLASS}"),
    )
    messages = [p.message for p in result.errors]
    assert any("2 ClusterClasses named '${CLASS}'" in m and "--var CLASS=" in m for m in messages)
    [named] = [m for m in messages if "ClusterClasses named" in m]
    assert "a.yaml" in named and "b.yaml" in named and "more" not in named  # two: both named
    assert all("__CAPSA_" not in m for m in messages)
    assert all(f.resource.name == "cp-machines" for f in result.findings if "@" in f.resource.name)


def test_the_problem_names_the_first_same_named_classes_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    classes = {f"class{n}": _class("v1beta1", LITERAL_REQUIRED, name="${CLASS}") for n in range(5)}
    result = _scan(tmp_path, **classes, c=_cluster("v1beta1", class_name="${CLASS}"))
    [message] = [p.message for p in result.errors if "ClusterClasses named" in p.message]
    assert "5 ClusterClasses named '${CLASS}'" in message
    named = [n for n in range(5) if f"class{n}.yaml" in message]
    assert named == [0, 1, 2]
    assert "and 2 more" in message


def test_the_class_beside_the_cluster_is_the_one_it_uses(tmp_path: Path) -> None:
    result = _scan(
        tmp_path,
        a=_class("v1beta1", LITERAL_REQUIRED, name="${CLASS}"),
        b=_class("v1beta1", LITERAL_OPTIONAL, name="${CLASS}")
        + "---\n"
        + _cluster("v1beta1", class_name="${CLASS}"),
    )
    assert not result.errors
    assert "cp-machines@${CLUSTER_NAME}" in _imds(result)[0]


def _bastion_class(api: str, value: str) -> str:
    ref = "ref" if api == "v1beta1" else "templateRef"
    return f"""\
apiVersion: cluster.x-k8s.io/{api}
kind: ClusterClass
metadata: {{name: aws}}
spec:
  infrastructure:
    {ref}: {{apiVersion: {AWS}, kind: AWSClusterTemplate, name: infra}}
  variables:
    - name: bastionEnabled
      schema: {{openAPIV3Schema: {{type: boolean, default: false}}}}
  patches:
    - name: bastion
      definitions:
        - selector:
            apiVersion: {AWS}
            kind: AWSClusterTemplate
            matchResources: {{infrastructureCluster: true}}
          jsonPatches:
            - op: add
              path: /spec/template/spec/bastion/enabled
              {value}
---
apiVersion: {AWS}
kind: AWSClusterTemplate
metadata: {{name: infra}}
spec:
  template:
    spec:
      region: eu-west-1
"""


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_finding_on_a_field_a_cluster_variable_set_points_at_the_variable(
    tmp_path: Path, api: str
) -> None:
    variables = "    variables:\n      - name: bastionEnabled\n        value: true\n"
    result = _scan(
        tmp_path,
        cc=_bastion_class(api, "valueFrom: {variable: bastionEnabled}"),
        c=_cluster(api, variables=variables),
    )
    (finding,) = [f for f in result.findings if f.check_id == "CAPSA-NET-001"]
    assert (Path(finding.location.path).name, finding.location.line) == ("c.yaml", 10)


def test_a_finding_on_a_field_a_literal_patch_set_points_at_the_patch(tmp_path: Path) -> None:
    result = _scan(tmp_path, cc=_bastion_class("v1beta1", "value: true"))
    (finding,) = [f for f in result.findings if f.check_id == "CAPSA-NET-001"]
    assert (Path(finding.location.path).name, finding.location.line) == (
        "cc.yaml",
        20,
    )  # the op's value
