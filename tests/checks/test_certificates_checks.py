"""CAPSA-CERT-*: CA lifetime, certificate-expiry rollouts, CA verification on join."""

from __future__ import annotations

import pytest
from checks_support import KUBEADM_KINDS, kubeadm, outcome


@pytest.mark.parametrize("kind", ["KubeadmControlPlane", "KubeadmControlPlaneTemplate"])
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_cert_001_ca_validity(kind: str, api: str) -> None:
    assert (
        outcome("CAPSA-CERT-001", kubeadm(kind, api, "clusterConfiguration: {clusterName: c}"))
        == "fail"
    )
    assert (
        outcome(
            "CAPSA-CERT-001",
            kubeadm(kind, api, "clusterConfiguration: {caCertificateValidityPeriodDays: 3650}"),
        )
        == "fail"
    )
    assert (
        outcome(
            "CAPSA-CERT-001",
            kubeadm(kind, api, "clusterConfiguration: {caCertificateValidityPeriodDays: 730}"),
        )
        == "pass"
    )


@pytest.mark.parametrize("template", [False, True])
@pytest.mark.parametrize(
    ("api", "body", "expected"),
    [
        ("v1beta1", "replicas: 3", "fail"),
        ("v1beta1", "rolloutBefore: {certificatesExpiryDays: 21}", "pass"),
        ("v1beta2", "rollout: {strategy: {type: RollingUpdate}}", "fail"),
        ("v1beta2", "rollout: {before: {certificatesExpiryDays: 21}}", "pass"),
    ],
)
def test_cert_002_rollout_before_expiry(api: str, body: str, expected: str, template: bool) -> None:
    kind = "KubeadmControlPlaneTemplate" if template else "KubeadmControlPlane"
    head = f"apiVersion: controlplane.cluster.x-k8s.io/{api}\nkind: {kind}\nmetadata: {{name: k}}\nspec:\n"
    text = head + ("  template:\n    spec:\n      " if template else "  ") + body + "\n"
    assert outcome("CAPSA-CERT-002", text) == expected


@pytest.mark.parametrize("kind", KUBEADM_KINDS)
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_cert_003_unsafe_skip_ca_verification(kind: str, api: str) -> None:
    bad = "joinConfiguration:\n  discovery:\n    bootstrapToken: {unsafeSkipCAVerification: true}"
    good = "joinConfiguration:\n  discovery:\n    bootstrapToken: {caCertHashes: ['sha256:ab']}"
    assert outcome("CAPSA-CERT-003", kubeadm(kind, api, bad)) == "fail"
    assert outcome("CAPSA-CERT-003", kubeadm(kind, api, good)) == "pass"
