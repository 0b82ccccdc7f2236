"""A pass that rests on a clusterctl template's own default says so, naming the variable
whose default it rests on and only that one (`engine._template_default`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.checks.catalog import load_checks
from capsa.scan.service import ScanRequest, scan

MANAGER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: capi-kubeadm-bootstrap-controller-manager, namespace: capi-system}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers:
        - name: manager
          image: registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:v1.10.0
          args:
            - "--leader-elect"
            - "--feature-gates=MachinePool=${EXP_MACHINE_POOL:=true}"
            - "--bootstrap-token-ttl=${KUBEADM_BOOTSTRAP_TOKEN_TTL:=15m}"
"""
CHECK = "CAPSA-BOOT-005"


def _pass_note(tmp_path: Path, variables: dict[str, str]) -> str | None:
    (tmp_path / "manager.yaml").write_text(MANAGER, encoding="utf-8")
    checks = tuple(c for c in load_checks() if c.id == CHECK)
    result = scan(ScanRequest(paths=[str(tmp_path)], variables=variables, checks=checks))
    (passed,) = [p for p in result.passes if p.check_id == CHECK]
    return passed.by_default


def test_a_pass_on_the_templates_default_names_that_variable(tmp_path: Path) -> None:
    note = _pass_note(tmp_path, {})
    assert note is not None
    assert "${KUBEADM_BOOTSTRAP_TOKEN_TTL}" in note and "EXP_MACHINE_POOL" not in note
    assert "--var KUBEADM_BOOTSTRAP_TOKEN_TTL=" in note


@pytest.mark.parametrize(
    "variables",
    [
        {"KUBEADM_BOOTSTRAP_TOKEN_TTL": "15m"},  # given: the pass judges the given value
        {"KUBEADM_BOOTSTRAP_TOKEN_TTL": "15m", "EXP_MACHINE_POOL": "false"},
    ],
)
def test_a_pass_on_given_values_says_nothing_of_defaults(
    tmp_path: Path, variables: dict[str, str]
) -> None:
    """The feature gates' default is still taken in the first case, but the check does
    not decide on it."""
    assert _pass_note(tmp_path, variables) is None


CONTROL_PLANE = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {name: cp, namespace: default}
spec:
  replicas: 3
  version: v1.30.0
  machineTemplate:
    infrastructureRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2,
      kind: AWSMachineTemplate, name: m}
  kubeadmConfigSpec:
    clusterConfiguration:
      apiServer:
        extraArgs:
          anonymous-auth: ${ANON:=false}
          profiling: ${PROF:=false}
"""


@pytest.mark.parametrize(("check", "variable"), [("CAPSA-APISRV-002", "ANON")])
def test_a_deny_list_pass_on_a_whole_default_names_the_flag_it_reads(
    tmp_path: Path, check: str, variable: str
) -> None:
    """An unresolved marker in `anonymous-auth` would still pass a check that only
    refuses `true`; the default is the whole value of a field the check decides on
    (`unknownWhen`), and of the map's flags only the one it reads is named."""
    (tmp_path / "kcp.yaml").write_text(CONTROL_PLANE, encoding="utf-8")
    checks = tuple(c for c in load_checks() if c.id == check)
    result = scan(ScanRequest(paths=[str(tmp_path)], checks=checks))
    (passed,) = [p for p in result.passes if p.check_id == check]
    assert passed.by_default is not None
    assert f"${{{variable}}}" in passed.by_default and "${PROF}" not in passed.by_default
    given = scan(ScanRequest(paths=[str(tmp_path)], checks=checks, variables={variable: "false"}))
    assert [p.by_default for p in given.passes if p.check_id == check] == [None]


AZURE_MACHINES = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata: {{name: workers, namespace: default}}
spec:
  template:
    spec:
      osDisk: {{diskSizeGB: 128, osType: Linux}}
      sshPublicKey: {value}
      vmSize: Standard_D2s_v3
"""


def _ssh_note(tmp_path: Path, value: str) -> str | None:
    (tmp_path / "machines.yaml").write_text(AZURE_MACHINES.format(value=value), encoding="utf-8")
    checks = tuple(c for c in load_checks() if c.id == "CAPSA-SSH-008")
    result = scan(ScanRequest(paths=[str(tmp_path)], checks=checks))
    (passed,) = [p for p in result.passes if p.check_id == "CAPSA-SSH-008"]
    return passed.by_default


@pytest.mark.parametrize("default", ['""', "''"])
def test_an_upstream_default_reached_through_a_template_default_names_both(
    tmp_path: Path, default: str
) -> None:
    """`${AZURE_SSH_PUBLIC_KEY_B64:=""}`: the default is a whole quoted scalar (its
    characters are not in the empty value), and the pass rests on it and on CAPZ's."""
    note = _ssh_note(tmp_path, "${AZURE_SSH_PUBLIC_KEY_B64:=" + default + "}")
    assert note is not None
    assert "${AZURE_SSH_PUBLIC_KEY_B64}" in note and "throw-away key" in note


def test_an_empty_key_written_out_names_only_the_upstream_default(tmp_path: Path) -> None:
    note = _ssh_note(tmp_path, '""')
    assert note is not None
    assert "throw-away key" in note and "${" not in note
