"""CAPSA-CRED-*: credential Secrets (by key names only) and world-readable cloud files."""

from __future__ import annotations

from pathlib import Path

import pytest
from checks_support import KUBEADM_KINDS, all_checks, kubeadm, outcome

from capsa.checks.engine import evaluate
from capsa.sources.files import read_manifests


def secret(name: str, keys: list[str], field: str = "stringData") -> str:
    body = "".join(f"  {k}: redacted\n" for k in keys)
    return f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}}}\n{field}:\n{body}"


@pytest.mark.parametrize("field", ["data", "stringData"])
@pytest.mark.parametrize(
    ("name", "keys", "expected"),
    [
        ("capa-manager-bootstrap-credentials", ["credentials"], "fail"),
        ("keys", ["AccessKeyID", "SecretAccessKey"], "fail"),
        ("aws-secret", ["aws_access_key_id", "aws_secret_access_key"], "fail"),
        (
            "cloud-provider-vsphere-credentials",
            ["vc.example.password", "vc.example.username"],
            "fail",
        ),
        ("azure-json", ["azure.json"], "fail"),
        ("app-db", ["password"], "pass"),
        ("alpha-kubeconfig", ["value"], "pass"),
        ("tls", ["tls.crt", "tls.key"], "pass"),
    ],
)
def test_cred_001(name: str, keys: list[str], expected: str, field: str) -> None:
    assert outcome("CAPSA-CRED-001", secret(name, keys, field)) == expected


def test_cred_001_finding_never_carries_values() -> None:
    from checks_support import run

    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: k}\nstringData:\n  AccessKeyID: AKIAEXAMPLEVALUE\n"
    finding = run("CAPSA-CRED-001", text).findings[0]
    assert "AKIAEXAMPLEVALUE" not in repr(finding.as_dict())


@pytest.mark.parametrize("kind", KUBEADM_KINDS)
@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{path: /etc/kubernetes/azure.json, contentFrom: {secret: {name: a, key: b}}}", "fail"),
        ("{path: /etc/kubernetes/azure.json, permissions: '0644'}", "fail"),
        ("{path: /etc/kubernetes/cloud.conf, permissions: 0644}", "fail"),
        ("{path: /etc/kubernetes/azure.json, permissions: '0600'}", "pass"),
        ("{path: /etc/kubernetes/cloud.conf, permissions: 0640}", "pass"),
        ("{path: /etc/motd, permissions: '0644'}", "n/a"),
    ],
)
def test_cred_002_world_readable_cloud_files(kind: str, entry: str, expected: str) -> None:
    assert outcome("CAPSA-CRED-002", kubeadm(kind, "v1beta2", f"files:\n- {entry}")) == expected


def test_credential_keys_with_empty_values_hold_no_credential(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: aws-secret}\nstringData:\n"
    text += '  key_id: ""\n  aws_secret_access_key: ""\n'
    assert _scanned(tmp_path, text) == "pass"
    assert _scanned(tmp_path, text.replace('key: ""', "key: abc")) == "fail"


def test_a_credential_from_an_unresolved_variable_is_unknown_and_named(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: manager-bootstrap-credentials}\n"
    text += "data:\n  credentials: ${AWS_B64ENCODED_CREDENTIALS}\n"
    assert (
        _scanned(tmp_path, text) == "unknown: unresolved ${AWS_B64ENCODED_CREDENTIALS}: "
        "set --var AWS_B64ENCODED_CREDENTIALS=..."
    )


def test_unresolved_values_under_harmless_key_names_still_pass(tmp_path: Path) -> None:
    """capsa sees of a Secret value only whether it is empty; when neither outcome
    changes the verdict, the unresolved value does not leave it unknown."""
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: app}\nstringData:\n"
    text += "  key_id: ${KEY_ID}\n  endpoint: ${ENDPOINT}\n"
    assert _scanned(tmp_path, text) == "pass"


def _scanned(tmp_path: Path, text: str) -> str:
    """CAPSA-CRED-001's outcome on `text` read as `capsa scan` reads it (redaction too)."""
    path = tmp_path / "secret.yaml"
    path.write_text(text)
    result = evaluate(read_manifests([str(path)]).resources, [all_checks()["CAPSA-CRED-001"]])
    if result.findings:
        return "fail"
    if result.unknown:
        return f"unknown: {result.unknown[0].reason}"
    return "pass" if result.passes else "none"


@pytest.mark.parametrize(
    ("name", "keys", "expected"),
    [
        ("prod-cloud-config", ["clouds.yaml"], "fail"),  # CAPO identity Secret
        ("vsphere-config-secret", ["csi-vsphere.conf"], "fail"),
        ("os", ["application_credential_secret"], "fail"),
        ("clouds", ["clouds.yaml.example-readme"], "pass"),
        ("${CLUSTER_NAME}", ["username", "password"], "unknown"),  # CAPV identityRef Secret
    ],
)
def test_cred_001_other_providers_and_unresolved_names(
    name: str, keys: list[str], expected: str
) -> None:
    text = secret(name.replace("${CLUSTER_NAME}", "__CAPSA_UNRESOLVED_CLUSTER_NAME__"), keys)
    unknown = [("metadata", "name")] if "CLUSTER_NAME" in name else []
    assert outcome("CAPSA-CRED-001", text, unknown=unknown) == expected
