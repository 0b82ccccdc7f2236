"""Secrets are read as metadata only: no Secret value reaches memory, results or the log."""

from __future__ import annotations

from pathlib import Path

from fakeapi import CANARY, CANARY_B64, FakeApiServer

from capsa.sources.cluster import LAST_APPLIED, ClusterReadResult, read_cluster
from capsa.sources.cluster_list import METADATA_ACCEPT


def _everything(result: ClusterReadResult) -> str:
    parts = [repr(r) for r in result.resources]
    parts += [str(p) for p in result.problems]
    parts += [repr(result.not_assessable), repr(result.requests)]
    return "\n".join(parts)


def test_no_secret_value_reaches_resources_problems_or_log(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    result = read_cluster(str(kubeconfig), None, page_size=3)
    text = _everything(result)
    assert CANARY not in text and CANARY_B64 not in text
    secret_requests = [r for r in fake_api.requests if r.path.endswith("/secrets")]
    assert secret_requests
    assert all(r.accept == METADATA_ACCEPT for r in secret_requests)


def test_secret_metadata_is_kept_without_data_type_or_last_applied(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    result = read_cluster(str(kubeconfig), None)
    secrets = {r.name: r for r in result.resources if r.kind == "Secret"}
    assert {"prod-ca", "prod-kubeconfig", "capa-manager-bootstrap-credentials"} <= set(secrets)
    ca = secrets["prod-ca"].body
    assert set(ca) == {"apiVersion", "kind", "metadata"}
    assert ca["metadata"]["labels"] == {"cluster.x-k8s.io/cluster-name": "prod"}
    assert ca["metadata"]["ownerReferences"][0]["kind"] == "KubeadmControlPlane"
    assert ca["metadata"]["creationTimestamp"] == "2024-03-01T12:00:30Z"
    creds = secrets["capa-manager-bootstrap-credentials"].body["metadata"]
    assert LAST_APPLIED not in (creds.get("annotations") or {})


def test_a_server_ignoring_the_metadata_request_yields_no_secrets(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.honour_metadata_accept = False
    result = read_cluster(str(kubeconfig), None)
    assert not any(r.kind == "Secret" for r in result.resources)
    assert any(kind == "Secret" and "metadata-only" in why for kind, why in result.not_assessable)
    text = _everything(result)
    assert CANARY not in text and CANARY_B64 not in text
    # Other kinds are still read.
    assert any(r.kind == "Cluster" for r in result.resources)


def test_secrets_are_never_requested_without_the_metadata_header(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    read_cluster(str(kubeconfig), None, namespaces=["team-a", "capa-system"])
    secret_requests = [r for r in fake_api.requests if "secrets" in r.path]
    assert len(secret_requests) == 2
    assert all(r.accept == METADATA_ACCEPT for r in secret_requests)
