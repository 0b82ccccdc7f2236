"""A kind capsa could not read is unknown, never absent: whatever kept it unread (a list
refused, a group's discovery failing, Pods whose namespaces come from unread Deployments,
--namespace leaving controllers and quotas out), the checks that need it say so and name
what would decide them; with everything readable they still judge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakeapi import FakeApiServer, Fault
from live_support import verdict_on

from capsa.checks.findings import CheckResult
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan
from capsa.sources.cluster import read_cluster

RBAC_DISCOVERY = "/apis/rbac.authorization.k8s.io/v1"


def _scan(kubeconfig: Path, *namespaces: str) -> ScanResult:
    return scan(ScanRequest(cluster=True, kubeconfig=str(kubeconfig), namespaces=namespaces))


def _verdict(result: ScanResult, check_id: str) -> tuple[str, list[CheckResult]]:
    found = [f for f in result.findings if f.check_id == check_id]
    for name, results in (
        ("unknown", result.unknown),
        ("pass", result.passes),
        ("n/a", result.not_applicable),
    ):
        mine = [r for r in results if r.check_id == check_id]
        if mine and (name == "unknown" or not found):
            return name, mine
    return ("fail" if found else "none"), []


def test_failed_rbac_discovery_leaves_the_rbac_checks_unknown(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    """No RBAC object was read: LIVE-001/002 cannot pass, and say which discovery failed."""
    fake_api.inject_where(lambda p: p == RBAC_DISCOVERY, Fault(403, times=10**6))
    result = _scan(kubeconfig)
    for check_id in ("CAPSA-LIVE-001", "CAPSA-LIVE-002"):
        verdict, results = _verdict(result, check_id)
        assert verdict == "unknown", check_id
        assert "ClusterRoleBinding" in str(results[0].reason)
        assert "discovery of rbac.authorization.k8s.io/v1 failed (403" in str(results[0].reason)


def test_failed_group_list_is_unknown_not_no_cluster(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    """/apis refused: no Cluster was seen because none could be, not because none exists."""
    fake_api.inject_where(lambda p: p == "/apis", Fault(403, times=10**6))
    result = _scan(kubeconfig)
    for check_id in ("CAPSA-LIVE-001", "CAPSA-LIVE-005", "CAPSA-LIVE-008"):
        verdict, results = _verdict(result, check_id)
        assert verdict == "unknown", check_id
        assert "/apis" in str(results[0].reason)


def test_readable_rbac_is_judged(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    """The same cluster, discovery answering: the fixture's Secret reader is found."""
    assert _verdict(_scan(kubeconfig), "CAPSA-LIVE-001")[0] == "fail"


def test_discovery_failure_names_the_kinds_it_hid(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject_where(lambda p: p == RBAC_DISCOVERY, Fault(500, times=10**6))
    unread = read_cluster(str(kubeconfig), None).unread
    assert {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"} <= set(unread)
    assert "Cluster" not in unread and "Secret" not in unread


def test_a_kind_served_at_another_version_is_not_hidden(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    fake_api.inject_where(lambda p: p == "/apis/cluster.x-k8s.io/v1beta1", Fault(403, times=10**6))
    assert "Cluster" not in read_cluster(str(kubeconfig), None).unread  # read at v1beta2


def test_pods_are_unknown_when_deployments_could_not_be_listed(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    """Pods are listed where the controllers run, found from Deployments: with those
    refused no Pod was listed, and LIVE-006 says so instead of 'no Pod in the cluster'."""
    fake_api.inject_where(lambda p: p.endswith("/deployments"), Fault(403, times=10**6))
    verdict, results = _verdict(_scan(kubeconfig), "CAPSA-LIVE-006")
    assert verdict == "unknown"
    assert "Pods are listed in the controllers' namespaces" in str(results[0].reason)
    assert "deployments" in str(results[0].reason)


def test_namespace_scope_leaves_quotas_and_controllers_elsewhere_unknown(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    """-n team-a: ResourceQuotas and controllers elsewhere were not read; a
    ClusterRoleBinding's reach there and the controllers' settings are unknown."""
    result = _scan(kubeconfig, "team-a")
    for check_id in ("CAPSA-LIVE-004", "CAPSA-LIVE-005", "CAPSA-LIVE-006"):
        verdict, results = _verdict(result, check_id)
        assert verdict == "unknown", check_id
        assert "--namespace" in str(results[0].reason)
    for finding in result.findings:
        if finding.check_id == "CAPSA-LIVE-002":
            assert "team-a" in finding.message and "capi-system" not in finding.message


def test_whole_cluster_judges_the_controllers(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    result = _scan(kubeconfig)
    for check_id in ("CAPSA-LIVE-004", "CAPSA-LIVE-005"):
        assert _verdict(result, check_id)[0] in ("fail", "pass"), check_id


CAPA_CREDENTIALS: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "capa-manager-bootstrap-credentials", "namespace": "capa-system"},
    "data": {"credentials": "W2RlZmF1bHRd"},
}
CRS: dict[str, Any] = {
    "apiVersion": "addons.cluster.x-k8s.io/v1beta2",
    "kind": "ClusterResourceSet",
    "metadata": {"name": "csi", "namespace": "team-a"},
    "spec": {"clusterSelector": {}, "resources": [{"kind": "Secret", "name": "csi-aws"}]},
}
CSI_SECRET: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "csi-aws", "namespace": "team-a"},
    "type": "addons.cluster.x-k8s.io/resource-set",
    "stringData": {"s.yaml": "kind: Secret\nstringData: {access_key: AKIAEXAMPLE}"},
}


def _served(objects: list[dict[str, Any]], tmp_path: Path, forbid: str = "") -> ScanResult:
    server = FakeApiServer([dict(o) for o in objects])
    if forbid:
        server.inject_where(lambda p: p.endswith(forbid), Fault(403, times=10**6))
    server.start()
    try:
        return _scan(server.write_kubeconfig(tmp_path / "kubeconfig"))
    finally:
        server.stop()


def _on(result: ScanResult, check_id: str, name: str) -> str:
    return verdict_on(result, check_id, name)


def test_manifest_checks_on_unread_secret_data_are_unknown(tmp_path: Path) -> None:
    """Secrets are read as metadata only (their key names come only with the values):
    CRED-001 cannot pass on one, nor TOPO-006 call a ClusterResourceSet shipping one
    not applicable; the reason says what was not read."""
    result = _served([CAPA_CREDENTIALS, CRS, CSI_SECRET], tmp_path)
    assert _on(result, "CAPSA-CRED-001", "capa-manager-bootstrap-credentials") == "unknown"
    assert _on(result, "CAPSA-TOPO-006", "csi") == "unknown"
    reasons = " ".join(str(r.reason) for r in result.unknown)
    assert "metadata only" in reasons and "Secret csi-aws" in reasons


def test_the_same_secret_read_from_a_file_is_judged(tmp_path: Path) -> None:
    """Files carry the key names: CRED-001 fires on them, so the unknown above is the
    live read's gap, not the check's."""
    import yaml

    path = tmp_path / "creds.yaml"
    path.write_text(yaml.safe_dump(CAPA_CREDENTIALS))
    result = scan(ScanRequest(paths=[str(path)]))
    assert _on(result, "CAPSA-CRED-001", "capa-manager-bootstrap-credentials") == "fail"


QUOTA: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ResourceQuota",
    "metadata": {"name": "q", "namespace": "team-a"},
    "spec": {
        "hard": {"count/clusters.cluster.x-k8s.io": "3", "count/machines.cluster.x-k8s.io": "9"}
    },
}
CLUSTER: dict[str, Any] = {
    "apiVersion": "cluster.x-k8s.io/v1beta2",
    "kind": "Cluster",
    "metadata": {"name": "prod", "namespace": "team-a"},
    "spec": {},
}


def test_quota_check_is_unknown_when_quotas_could_not_be_listed(tmp_path: Path) -> None:
    """TOPO-004 said 'No ResourceQuota in this Cluster's namespace' when the list was
    refused; readable, the same quota passes it."""
    refused = _served([CLUSTER, QUOTA], tmp_path, forbid="/resourcequotas")
    assert _on(refused, "CAPSA-TOPO-004", "prod") == "unknown"
    reason = next(r.reason for r in refused.unknown if r.check_id == "CAPSA-TOPO-004")
    assert "ResourceQuotas could not be read" in str(reason) and "403" in str(reason)
    assert _on(_served([CLUSTER, QUOTA], tmp_path), "CAPSA-TOPO-004", "prod") == "pass"
    # a real cluster always lists the namespace the Cluster lives in
    team_a = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    assert _on(_served([CLUSTER, team_a], tmp_path), "CAPSA-TOPO-004", "prod") == "fail"
