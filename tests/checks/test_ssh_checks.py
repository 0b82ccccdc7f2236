"""CAPSA-SSH-*: key pairs, authorized keys, sudo and passwords on nodes."""

from __future__ import annotations

import pytest
from checks_support import AWS, KUBEADM_KINDS, MACHINES, aws_machine, kubeadm, outcome


@pytest.mark.parametrize("kind", MACHINES)
@pytest.mark.parametrize(
    ("body", "ssh001", "ssh002"),
    [
        ("instanceType: t3.large", "fail", "pass"),
        ("sshKeyName: ops", "pass", "fail"),
        ('sshKeyName: ""', "pass", "pass"),
    ],
)
def test_ssh_001_002_key_pairs(kind: str, body: str, ssh001: str, ssh002: str) -> None:
    # a pool's launch template gets no key pair when sshKeyName is nil or "" (CAPA's
    # launchtemplate.go), so the implicit "default" of SSH-001 never applies to it
    expected = "n/a" if kind == "AWSMachinePool" else ssh001
    assert outcome("CAPSA-SSH-001", aws_machine(kind, body)) == expected
    assert outcome("CAPSA-SSH-002", aws_machine(kind, body)) == ssh002


def test_ssh_001_unresolved_key_name_is_unknown() -> None:
    text = aws_machine("AWSMachineTemplate", "sshKeyName: ${AWS_SSH_KEY_NAME}")
    path = ("spec", "template", "spec", "sshKeyName")
    assert outcome("CAPSA-SSH-001", text, unknown=[path]) == "unknown"
    assert outcome("CAPSA-SSH-002", text, unknown=[path]) == "unknown"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("bastion: {enabled: true}", "fail"),
        ("bastion: {enabled: true}\n  sshKeyName: bastion-key", "pass"),
        ("bastion: {enabled: false}", "n/a"),
        ("region: eu-west-1", "n/a"),
    ],
)
def test_ssh_003_bastion_default_key(spec: str, expected: str) -> None:
    text = f"apiVersion: {AWS}\nkind: AWSCluster\nmetadata: {{name: c}}\nspec:\n  {spec}\n"
    assert outcome("CAPSA-SSH-003", text) == expected


USERS = {
    "CAPSA-SSH-004": (
        "users:\n- name: ops\n  sshAuthorizedKeys: [ssh-ed25519 AAAA]",
        "users:\n- name: ops\n  sshAuthorizedKeys: []",
    ),
    "CAPSA-SSH-005": (
        "users:\n- name: ops\n  sudo: ALL=(ALL) NOPASSWD:ALL",
        "users:\n- name: ops\n  sudo: ALL=(ALL) ALL",
    ),
    "CAPSA-SSH-006": (
        "users:\n- name: ops\n  lockPassword: false",
        "users:\n- name: ops\n  lockPassword: true",
    ),
    "CAPSA-SSH-007": (
        "users:\n- name: ops\n  passwd: $6$abc",
        "users:\n- name: ops\n  passwdFrom: {secret: {name: s, key: k}}",
    ),
}


@pytest.mark.parametrize("kind", KUBEADM_KINDS)
@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
@pytest.mark.parametrize("check_id", sorted(USERS))
def test_kubeadm_user_checks(kind: str, api: str, check_id: str) -> None:
    bad, good = USERS[check_id]
    assert outcome(check_id, kubeadm(kind, api, bad)) == "fail"
    assert outcome(check_id, kubeadm(kind, api, good)) == "pass"
    # no users at all: nothing for these checks to judge
    assert outcome(check_id, kubeadm(kind, api, "format: cloud-config")) == "n/a"


@pytest.mark.parametrize("kind", ["AzureMachine", "AzureMachineTemplate"])
def test_ssh_008_azure_public_key(kind: str) -> None:
    def text(body: str) -> str:
        head = f"apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: {kind}\nmetadata: {{name: a}}\nspec:\n"
        if kind.endswith("Template"):
            return head + f"  template:\n    spec:\n      {body}\n"
        return head + f"  {body}\n"

    assert outcome("CAPSA-SSH-008", text("sshPublicKey: c3NoLXJzYQ==")) == "fail"
    assert outcome("CAPSA-SSH-008", text('sshPublicKey: ""')) == "pass"
    assert outcome("CAPSA-SSH-008", text("vmSize: Standard_D2s_v3")) == "pass"
