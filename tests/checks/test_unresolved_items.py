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
