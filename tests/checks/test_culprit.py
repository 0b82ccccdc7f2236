"""A finding whose `field` alternatives name several fields the object sets points at
the one the failure comes from, not at whichever alternative is listed first."""

from __future__ import annotations

import pytest
from tests.checks.checks_support import kubeadm_control_plane, run

SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: both, namespace: default}
stringData:
  AWS_ACCESS_KEY_ID: AKIAEXAMPLE
  AWS_SECRET_ACCESS_KEY: example
data:
  ca.crt: Y2E=
"""


def _lines(check: str, text: str) -> list[int | None]:
    return [f.location.line for f in run(check, text).findings]


def test_the_credentials_under_string_data_are_pointed_at() -> None:
    assert _lines("CAPSA-CRED-001", SECRET) == [4]


def test_credentials_in_both_point_at_the_first_alternative() -> None:
    both = SECRET.replace("  ca.crt: Y2E=", "  aws_access_key_id: QUtJQQ==")
    assert _lines("CAPSA-CRED-001", both) == [7]


def test_credentials_under_data_alone_are_pointed_at_there() -> None:
    data_only = SECRET.replace("stringData:\n  AWS_ACCESS_KEY_ID: AKIAEXAMPLE\n", "stringData:\n")
    data_only = data_only.replace("  AWS_SECRET_ACCESS_KEY: example\n", "  note: hello\n")
    data_only = data_only.replace("  ca.crt: Y2E=", "  aws_secret_access_key: ZXhhbXBsZQ==")
    assert _lines("CAPSA-CRED-001", data_only) == [6]


CONTAINERS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: capi-kubeadm-bootstrap-controller-manager, namespace: capi-system}
spec:
  template:
    spec:
      containers:
        - name: sidecar
          args: ["--v=2"]
        - name: manager
          args: ["--bootstrap-token-ttl=2h"]
"""


def test_the_container_whose_flag_fails_is_pointed_at() -> None:
    assert _lines("CAPSA-BOOT-005", CONTAINERS) == [11]


def test_when_every_container_fails_the_first_is_pointed_at() -> None:
    both = CONTAINERS.replace('["--v=2"]', '["--bootstrap-token-ttl=3h"]')
    assert _lines("CAPSA-BOOT-005", both) == [9]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_flag_set_to_fail_is_pointed_at_itself(api: str) -> None:
    text = kubeadm_control_plane(api, {"profiling": "false", "anonymous-auth": "true"})
    # extraArgs is line 8, its entries 9 and 10
    assert _lines("CAPSA-APISRV-002", text) == [10]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_flag_missing_points_at_the_flags(api: str) -> None:
    """No flag the check names is there to blame: the finding stays on the map."""
    text = kubeadm_control_plane(api, {"anonymous-auth": "false", "profiling": "false"})
    assert _lines("CAPSA-APISRV-001", text) == [8]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_flag_whose_letters_a_check_contains_is_not_blamed(api: str) -> None:
    """`v` is in every check's text; only a flag the check writes as one (`'name=`)
    may be blamed, and a failure that stands without any stays on the map."""
    text = kubeadm_control_plane(api, {"v": "4", "cloud-provider": "external"})
    assert _lines("CAPSA-APISRV-001", text) == [8]
    assert _lines("CAPSA-AUDIT-001", text) == [8]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_flag_wrong_and_absent_alike_is_pointed_at_itself(api: str) -> None:
    """profiling defaults to on: removing `profiling: "true"` fails as much, but the
    value the check's pass examples give it mends the failure, so its line is the one
    to edit."""
    text = kubeadm_control_plane(api, {"v": "4", "profiling": "true"})
    assert _lines("CAPSA-APISRV-003", text) == [10]


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_a_flag_set_right_beside_a_missing_one_is_not_blamed(api: str) -> None:
    """AUDIT-001 needs a policy file too: no value of `audit-log-path` mends that."""
    text = kubeadm_control_plane(api, {"v": "4", "audit-log-path": "/var/log/audit.log"})
    assert _lines("CAPSA-AUDIT-001", text) == [8]


MERGED = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {name: cp}
spec:
  kubeadmConfigSpec:
    clusterConfiguration:
      controllerManager:
        extraArgs: &base
          anonymous-auth: "true"
      apiServer:
        extraArgs:
          <<: *base
          profiling: "false"
"""


def test_a_flag_merged_from_another_block_is_not_pointed_at() -> None:
    """Its line is the anchor's, in the controller manager's block: the finding stays on
    the API server's flags."""
    assert _lines("CAPSA-APISRV-002", MERGED) == [11]


KUBELET_FLAGS = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {name: cp, namespace: team-a}
spec:
  kubeadmConfigSpec:
    initConfiguration:
      nodeRegistration:
        kubeletExtraArgs:
          cloud-provider: external
          make-iptables-util-chains: "true"
          rotate-certificates: "false"
"""


def test_a_flag_among_alternatives_the_check_writes_is_pointed_at() -> None:
    """KUBELET-004 writes its flags as `^(a|b|rotate-certificates)=`."""
    assert _lines("CAPSA-KUBELET-004", KUBELET_FLAGS) == [11]
