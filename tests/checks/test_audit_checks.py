"""CAPSA-AUDIT-*: API server audit logging on kubeadm and EKS control planes."""

from __future__ import annotations

import pytest
from checks_support import api_args as args
from checks_support import kubeadm, outcome

POLICY = (
    "files:\n- path: /etc/kubernetes/audit-policy.yaml\n  content: 'apiVersion: audit.k8s.io/v1'\n"
)
VOLUMES_V1 = "    extraVolumes:\n    - {name: audit, hostPath: /etc/kubernetes/audit-policy.yaml, mountPath: /etc/kubernetes/audit-policy.yaml}\n    - {name: logs, hostPath: /var/log/kubernetes, mountPath: /var/log/kubernetes}\n"


AUDITED = {
    "audit-policy-file": "/etc/kubernetes/audit-policy.yaml",
    "audit-log-path": "/var/log/kubernetes/audit.log",
}
KINDS = ["KubeadmControlPlane", "KubeadmControlPlaneTemplate"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_audit_001_flags(kind: str, api: str) -> None:
    assert outcome("CAPSA-AUDIT-001", kubeadm(kind, api, "format: cloud-config")) == "fail"
    only_policy = {"audit-policy-file": "/etc/kubernetes/audit-policy.yaml"}
    assert outcome("CAPSA-AUDIT-001", kubeadm(kind, api, args(api, only_policy))) == "fail"
    assert outcome("CAPSA-AUDIT-001", kubeadm(kind, api, args(api, AUDITED))) == "pass"
    webhook = {**only_policy, "audit-webhook-config-file": "/etc/kubernetes/pki/hook.yaml"}
    assert outcome("CAPSA-AUDIT-001", kubeadm(kind, api, args(api, webhook))) == "pass"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_audit_002_files_and_volumes(kind: str, api: str) -> None:
    flags_only = args(api, AUDITED)
    assert outcome("CAPSA-AUDIT-002", kubeadm(kind, api, flags_only)) == "fail"
    no_volumes = args(api, AUDITED) + POLICY
    assert outcome("CAPSA-AUDIT-002", kubeadm(kind, api, no_volumes)) == "fail"
    complete = args(api, AUDITED) + VOLUMES_V1 + POLICY
    assert outcome("CAPSA-AUDIT-002", kubeadm(kind, api, complete)) == "pass"
    # no audit flags at all is CAPSA-AUDIT-001's finding: nothing here to mount
    assert outcome("CAPSA-AUDIT-002", kubeadm(kind, api, "format: cloud-config")) == "n/a"


def test_audit_002_policy_in_a_mounted_directory() -> None:
    text = (
        "clusterConfiguration:\n  apiServer:\n    extraArgs:\n"
        "      audit-policy-file: /etc/kubernetes/audit/policy.yaml\n"
        "      audit-log-path: '-'\n"
        "    extraVolumes:\n    - {name: a, hostPath: /srv/audit, mountPath: /etc/kubernetes/audit}\n"
        "files:\n- {path: /srv/audit/policy.yaml, content: x}\n"
    )
    assert outcome("CAPSA-AUDIT-002", kubeadm("KubeadmControlPlane", "v1beta1", text)) == "pass"
    wrong = text.replace("/srv/audit/policy.yaml", "/srv/other/policy.yaml")
    assert outcome("CAPSA-AUDIT-002", kubeadm("KubeadmControlPlane", "v1beta1", wrong)) == "fail"


@pytest.mark.parametrize("template", [False, True])
def test_audit_003_eks_logging(template: bool) -> None:
    kind = "AWSManagedControlPlaneTemplate" if template else "AWSManagedControlPlane"
    head = f"apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: {kind}\nmetadata: {{name: e}}\nspec:\n"
    pad = "      " if template else "  "
    wrap = "  template:\n    spec:\n" if template else ""

    def text(body: str) -> str:
        return head + wrap + pad + body + "\n"

    assert outcome("CAPSA-AUDIT-003", text("region: eu-west-1")) == "fail"
    assert outcome("CAPSA-AUDIT-003", text("logging: {apiServer: true, audit: false}")) == "fail"
    assert outcome("CAPSA-AUDIT-003", text("logging: {audit: true}")) == "pass"
