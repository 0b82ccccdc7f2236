"""CAPSA-APISRV-* and CAPSA-KUBELET-*: CIS flags in extraArgs / kubeletExtraArgs, both
API generations (v1beta1 maps, v1beta2 lists)."""

from __future__ import annotations

import pytest
from checks_support import KUBEADM_KINDS, api_args, kubeadm, kubelet_args, outcome

KCP = ["KubeadmControlPlane", "KubeadmControlPlaneTemplate"]

APISERVER = [
    # check, bad flags, good flags (None: compliant when the flag is absent)
    ("CAPSA-APISRV-001", {}, {"encryption-provider-config": "/etc/kubernetes/pki/enc.yaml"}),
    ("CAPSA-APISRV-002", {"anonymous-auth": '"true"'}, None),
    ("CAPSA-APISRV-003", {"profiling": '"true"'}, {"profiling": '"false"'}),
    ("CAPSA-APISRV-004", {"insecure-port": '"8080"'}, {"insecure-port": '"0"'}),
    (
        "CAPSA-APISRV-005",
        {"enable-admission-plugins": "'NodeRestriction,AlwaysAdmit'"},
        {"enable-admission-plugins": "NodeRestriction"},
    ),
    (
        "CAPSA-APISRV-006",
        {"authorization-mode": "'Node,AlwaysAllow'"},
        {"authorization-mode": "'Node,RBAC'"},
    ),
]


@pytest.mark.parametrize("kind", KCP)
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
@pytest.mark.parametrize(("check_id", "bad", "good"), APISERVER)
def test_apiserver_flags(
    kind: str, api: str, check_id: str, bad: dict[str, str], good: dict[str, str] | None
) -> None:
    bad_text = kubeadm(kind, api, api_args(api, bad) if bad else "format: cloud-config")
    assert outcome(check_id, bad_text) == "fail"
    good_text = kubeadm(kind, api, api_args(api, good) if good else "format: cloud-config")
    assert outcome(check_id, good_text) == "pass"


def test_unquoted_boolean_flag_value_in_v1beta1_map() -> None:
    text = kubeadm("KubeadmControlPlane", "v1beta1", api_args("v1beta1", {"profiling": "false"}))
    assert outcome("CAPSA-APISRV-003", text) == "pass"
    anonymous = kubeadm(
        "KubeadmControlPlane", "v1beta1", api_args("v1beta1", {"anonymous-auth": "true"})
    )
    assert outcome("CAPSA-APISRV-002", anonymous) == "fail"


def test_unresolved_extra_args_are_unknown() -> None:
    text = kubeadm("KubeadmControlPlane", "v1beta2", api_args("v1beta2", {"profiling": "'${P}'"}))
    path = (
        "spec",
        "kubeadmConfigSpec",
        "clusterConfiguration",
        "apiServer",
        "extraArgs",
        0,
        "value",
    )
    assert outcome("CAPSA-APISRV-003", text, unknown=[path]) == "unknown"


KUBELET = [
    ("CAPSA-KUBELET-001", {"anonymous-auth": '"true"'}, {"anonymous-auth": '"false"'}),
    ("CAPSA-KUBELET-002", {"read-only-port": '"10255"'}, {"read-only-port": '"0"'}),
    ("CAPSA-KUBELET-003", {"authorization-mode": "AlwaysAllow"}, {"authorization-mode": "Webhook"}),
    (
        "CAPSA-KUBELET-004",
        {"protect-kernel-defaults": '"false"'},
        {"protect-kernel-defaults": '"true"'},
    ),
]


@pytest.mark.parametrize("kind", KUBEADM_KINDS)
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
@pytest.mark.parametrize("config", ["initConfiguration", "joinConfiguration"])
@pytest.mark.parametrize(("check_id", "bad", "good"), KUBELET)
def test_kubelet_flags(
    kind: str, api: str, config: str, check_id: str, bad: dict[str, str], good: dict[str, str]
) -> None:
    assert outcome(check_id, kubeadm(kind, api, kubelet_args(api, bad, config))) == "fail"
    assert outcome(check_id, kubeadm(kind, api, kubelet_args(api, good, config))) == "pass"
    assert outcome(check_id, kubeadm(kind, api, "format: cloud-config")) == "pass"
