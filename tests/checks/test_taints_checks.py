"""CAPSA-TAINT-001: control-plane taint removed in KCP init/join configuration."""

from __future__ import annotations

import pytest
from checks_support import kubeadm, outcome

KEEP = "[{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]"


@pytest.mark.parametrize("kind", ["KubeadmControlPlane", "KubeadmControlPlaneTemplate"])
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
@pytest.mark.parametrize("config", ["initConfiguration", "joinConfiguration"])
@pytest.mark.parametrize(
    ("taints", "expected"),
    [
        ("[]", "fail"),
        ("[{key: dedicated, value: infra, effect: NoSchedule}]", "fail"),
        (KEEP, "pass"),
        (None, "pass"),
    ],
)
def test_taint_001(kind: str, api: str, config: str, taints: str | None, expected: str) -> None:
    body = f"{config}:\n  nodeRegistration:\n"
    body += f"    taints: {taints}\n" if taints is not None else "    name: n\n"
    assert outcome("CAPSA-TAINT-001", kubeadm(kind, api, body)) == expected
