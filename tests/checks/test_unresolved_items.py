"""An unresolved variable in one list item makes only that item unknown, and every unknown
result names the variables that would decide it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.checks.checks_support import all_checks, kubeadm_control_plane

from capsa.checks.engine import evaluate
from capsa.sources.files import read_manifests


def _run(tmp_path: Path, check: str, text: str) -> tuple[list[str], list[str]]:
    """(lines of findings, reasons of unknown results) of one check over `text`."""
    path = tmp_path / "t.yaml"
    path.write_text(text)
    read = read_manifests([str(path)])
    result = evaluate(read.resources, [all_checks()[check]])
    assert not result.problems
    return (
        [str(f.location.line) for f in result.findings],
        [u.reason or "" for u in result.unknown],
    )


USERS = """\
apiVersion: bootstrap.cluster.x-k8s.io/{api}
kind: KubeadmConfigTemplate
metadata: {{name: workers}}
spec:
  template:
    spec:
      users:
        - name: ops
          sshAuthorizedKeys: ["${{OPS_KEY}}"]
{second}"""

SECOND_WITH_KEY = """\
        - name: admin
          sshAuthorizedKeys: ["ssh-ed25519 AAAA admin"]
"""


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_known_item_that_fails_is_a_finding_beside_an_unresolved_one(
    tmp_path: Path, api: str
) -> None:
    lines, unknown = _run(tmp_path, "CAPSA-SSH-004", USERS.format(api=api, second=SECOND_WITH_KEY))
    assert lines and not unknown


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_only_the_unresolved_item_is_unknown_and_names_its_variable(
    tmp_path: Path, api: str
) -> None:
    lines, unknown = _run(tmp_path, "CAPSA-SSH-004", USERS.format(api=api, second=""))
    assert lines == []
    assert unknown == ["unresolved ${OPS_KEY}: set --var OPS_KEY=..."]


FLAGS = {"cloud-provider": "${CLOUD}", "profiling": "true"}


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_one_unresolved_flag_leaves_the_others_decided(tmp_path: Path, api: str) -> None:
    """profiling is on whatever cloud-provider turns out to be."""
    lines, unknown = _run(tmp_path, "CAPSA-APISRV-003", kubeadm_control_plane(api, FLAGS))
    assert lines and not unknown


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_an_unresolved_value_of_the_flag_the_check_reads_is_unknown(
    tmp_path: Path, api: str
) -> None:
    text = kubeadm_control_plane(api, {**FLAGS, "profiling": "${PROFILING}"})
    lines, unknown = _run(tmp_path, "CAPSA-APISRV-003", text)
    assert lines == []
    assert unknown and "--var PROFILING=..." in unknown[0]


def test_an_empty_default_resolves_to_empty(tmp_path: Path) -> None:
    text = (
        "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: AWSMachineTemplate\n"
        "metadata: {name: w}\nspec:\n  template:\n    spec:\n"
        '      sshKeyName: ${SSH_KEY_NAME:=""}\n'
    )
    lines, unknown = _run(tmp_path, "CAPSA-SSH-002", text)
    assert lines == [] and unknown == []


def test_an_empty_default_means_not_set_where_the_provider_reads_it_so(tmp_path: Path) -> None:
    """CAPA looks an AMI up when ami.id is empty, exactly as when it is absent."""
    text = (
        "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: AWSMachineTemplate\n"
        "metadata: {name: w}\nspec:\n  template:\n    spec:\n"
        '      ami:\n        id: ${AMI_ID:=""}\n'
    )
    lines, unknown = _run(tmp_path, "CAPSA-IMG-002", text)
    assert lines and unknown == []
    lines, unknown = _run(tmp_path, "CAPSA-IMG-002", text.replace('${AMI_ID:=""}', "${AMI_ID}"))
    assert lines == [] and unknown == ["unresolved ${AMI_ID}: set --var AMI_ID=..."]


# An unresolved value in a field the check does not read leaves it decided: unknownWhen
# names the leaves each expression decides on, not their enclosing maps.

CRED_FILE = """\
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfigTemplate
metadata: {{name: md-0}}
spec:
  template:
    spec:
      files:
      - contentFrom:
          secret: {{key: worker-node-azure.json, name: "${{CLUSTER_NAME}}-md-0-azure-json"}}
        path: /etc/kubernetes/azure.json
        permissions: {permissions}
"""


def _unknown_lines(tmp_path: Path, check: str, text: str) -> list[int | None]:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    result = evaluate(read_manifests([str(path)]).resources, [all_checks()[check]])
    return [u.location.line for u in result.unknown]


def test_cred_002_fires_whatever_an_unread_sibling_holds(tmp_path: Path) -> None:
    lines, unknown = _run(tmp_path, "CAPSA-CRED-002", CRED_FILE.format(permissions='"0644"'))
    assert lines == ["11"] and not unknown


def test_cred_002_stays_silent_on_owner_only_beside_an_unread_variable(tmp_path: Path) -> None:
    lines, unknown = _run(tmp_path, "CAPSA-CRED-002", CRED_FILE.format(permissions='"0600"'))
    assert lines == [] and not unknown


def test_cred_002_unresolved_permissions_are_unknown_at_their_line(tmp_path: Path) -> None:
    text = CRED_FILE.format(permissions='"${PERMS}"')
    lines, unknown = _run(tmp_path, "CAPSA-CRED-002", text)
    assert lines == [] and unknown == ["unresolved ${PERMS}: set --var PERMS=..."]
    assert _unknown_lines(tmp_path, "CAPSA-CRED-002", text) == [11]


VSPHERE_CLUSTER = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: VSphereCluster
metadata: {{name: "${{CLUSTER_NAME}}", namespace: team-a}}
spec:
  server: vcenter.example.invalid
  identityRef:
    kind: {kind}
    name: "${{CLUSTER_NAME}}"
"""


def test_vsp_001_fires_on_a_literal_secret_kind_beside_an_unresolved_name(
    tmp_path: Path,
) -> None:
    lines, unknown = _run(tmp_path, "CAPSA-VSP-001", VSPHERE_CLUSTER.format(kind="Secret"))
    assert lines == ["7"] and not unknown


@pytest.mark.parametrize("check", ["CAPSA-VSP-001", "CAPSA-VSP-002"])
def test_vsp_identity_kind_passes_beside_an_unresolved_name(tmp_path: Path, check: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(VSPHERE_CLUSTER.format(kind="VSphereClusterIdentity"))
    result = evaluate(read_manifests([str(path)]).resources, [all_checks()[check]])
    assert len(result.passes) == 1 and not result.findings and not result.unknown


def test_vsp_002_passes_on_a_literal_kind_beside_an_unresolved_name(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(VSPHERE_CLUSTER.format(kind="Secret"))
    result = evaluate(read_manifests([str(path)]).resources, [all_checks()["CAPSA-VSP-002"]])
    assert len(result.passes) == 1 and not result.unknown


@pytest.mark.parametrize("check", ["CAPSA-VSP-001", "CAPSA-VSP-002"])
def test_vsp_unresolved_identity_kind_is_unknown_at_its_line(tmp_path: Path, check: str) -> None:
    text = VSPHERE_CLUSTER.format(kind='"${IDENTITY_KIND}"')
    lines, unknown = _run(tmp_path, check, text)
    assert lines == [] and unknown and "--var IDENTITY_KIND=..." in unknown[0]
    assert _unknown_lines(tmp_path, check, text) == [7]
