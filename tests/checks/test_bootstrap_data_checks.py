"""CAPSA-BOOT-*: where bootstrap data travels and what bootstrap commands run."""

from __future__ import annotations

import pytest
from checks_support import KUBEADM_KINDS, aws_machine, kubeadm, outcome


@pytest.mark.parametrize("kind", ["AWSMachine", "AWSMachineTemplate"])
def test_boot_001_insecure_skip_secrets_manager(kind: str) -> None:
    assert (
        outcome(
            "CAPSA-BOOT-001", aws_machine(kind, "cloudInit: {insecureSkipSecretsManager: true}")
        )
        == "fail"
    )
    assert (
        outcome(
            "CAPSA-BOOT-001",
            aws_machine(kind, "cloudInit: {secureSecretsBackend: ssm-parameter-store}"),
        )
        == "pass"
    )


@pytest.mark.parametrize("kind", ["AWSMachine", "AWSMachineTemplate"])
def test_boot_002_unencrypted_ignition(kind: str) -> None:
    assert (
        outcome("CAPSA-BOOT-002", aws_machine(kind, "ignition: {storageType: UnencryptedUserData}"))
        == "fail"
    )
    assert outcome("CAPSA-BOOT-002", aws_machine(kind, "ignition: {version: '3.4'}")) == "pass"


def test_boot_003_machine_pool_user_data() -> None:
    head = "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: AWSMachinePool\nmetadata: {name: p}\nspec:\n"
    assert outcome("CAPSA-BOOT-003", head + "  minSize: 1\n") == "fail"
    assert outcome("CAPSA-BOOT-003", head + "  ignition: {version: '3.4'}\n") == "fail"
    assert (
        outcome("CAPSA-BOOT-003", head + "  ignition: {storageType: ClusterObjectStore}\n")
        == "pass"
    )


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        ("preKubeadmCommands: ['curl -sfL https://get.example/install | sh -']", "fail"),
        ("preKubeadmCommands: ['wget -qO- https://x/y.sh | sudo -E bash']", "fail"),
        ("postKubeadmCommands: ['bash <(curl -s https://x/y.sh)']", "fail"),
        (
            "preKubeadmCommands: ['curl -o /usr/bin/tool https://x/tool', 'chmod +x /usr/bin/tool']",
            "fail",
        ),
        ("preKubeadmCommands: ['wget -O /opt/t https://x/t', 'chmod 0755 /opt/t']", "fail"),
        (
            "preKubeadmCommands: ['curl -o /etc/x.conf https://x/x.conf', 'chmod 0644 /etc/x.conf']",
            "pass",
        ),
        ("preKubeadmCommands: ['echo hello | tee /tmp/x', 'systemctl restart containerd']", "pass"),
        (
            "preKubeadmCommands: ['curl -sf http://169.254.169.254/latest/meta-data/local-ipv4']",
            "pass",
        ),
    ],
)
@pytest.mark.parametrize("kind", KUBEADM_KINDS)
def test_boot_004_download_and_execute(kind: str, commands: str, expected: str) -> None:
    assert outcome("CAPSA-BOOT-004", kubeadm(kind, "v1beta2", commands)) == expected
