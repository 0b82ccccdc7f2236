"""read_cluster against the fake API server: discovery, versions, paging, scope, origins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakeapi import DEFAULT_KINDS, FakeApiServer

from capsa.sources.cluster import read_cluster
from capsa.sources.cluster_discovery import version_rank


def test_reads_capi_provider_and_core_kinds_from_a_management_cluster(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    result = read_cluster(str(kubeconfig), None)
    assert result.problems == []
    assert result.not_assessable == []
    kinds = {r.kind for r in result.resources}
    assert {
        "Cluster",
        "KubeadmControlPlane",
        "AWSCluster",
        "AWSMachineTemplate",
        "MachineDeployment",
        "KubeadmConfig",
        "Machine",
        "Secret",
        "Provider",
        "Deployment",
        "ClusterRole",
        "RoleBinding",
        "ResourceQuota",
        "Namespace",
        "ServiceAccount",
        "Pod",
        "AWSClusterStaticIdentity",
    } <= kinds
    assert "ConfigMap" not in kinds  # not something the assessment needs
    prod = next(r for r in result.resources if r.kind == "Cluster" and r.name == "prod")
    assert prod.origin.path == "cluster://fake-mgmt/team-a/Cluster/prod"
    assert result.context == "fake-mgmt"


def test_every_kind_is_read_at_its_newest_served_version(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    result = read_cluster(str(kubeconfig), None)
    versions = {r.api_version for r in result.resources if r.kind in ("Cluster", "Machine")}
    assert versions == {"cluster.x-k8s.io/v1beta2"}
    listed = [path for _, path in result.requests if "/clusters?" in path]
    assert listed and all(p.startswith("/apis/cluster.x-k8s.io/v1beta2/") for p in listed)
    # Kubernetes' order: GA before beta before alpha, then the higher number.
    ordered = sorted(["v1", "v2beta1", "v1alpha3", "v1beta2", "v1beta1", "x"], key=version_rank)
    assert ordered == ["x", "v1alpha3", "v1beta1", "v1beta2", "v2beta1", "v1"]


def test_built_in_list_items_get_their_kind_back(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    result = read_cluster(str(kubeconfig), None)
    dep = next(r for r in result.resources if r.kind == "Deployment")
    assert dep.body["kind"] == "Deployment" and dep.body["apiVersion"] == "apps/v1"
    assert dep.identity.startswith("apps/Deployment/")


def test_lists_are_paged_with_continue_tokens(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    result = read_cluster(str(kubeconfig), None, page_size=2)
    secret_pages = [p for _, p in result.requests if p.startswith("/api/v1/secrets")]
    assert len(secret_pages) == 4  # 7 Secrets, 2 per page
    assert sum("continue=" in p for p in secret_pages) == 3
    names = [r.name for r in result.resources if r.kind == "Secret"]
    assert len(names) == len(set(names)) == 7


def test_only_get_requests_reach_the_server(fake_api: FakeApiServer, kubeconfig: Path) -> None:
    result = read_cluster(str(kubeconfig), None)
    assert fake_api.requests and {r.method for r in fake_api.requests} == {"GET"}
    assert {m for m, _ in result.requests} == {"GET"}
    assert len(result.requests) == len(fake_api.requests)


def test_namespace_scope_limits_namespaced_kinds_only(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    result = read_cluster(str(kubeconfig), None, namespaces=["team-a"])
    namespaced = {r.namespace for r in result.resources if r.namespace is not None}
    assert namespaced == {"team-a"}
    assert any(r.kind == "ClusterRole" for r in result.resources)
    assert any("/namespaces/team-a/clusters" in p for _, p in result.requests)
    assert not any("/pods" in p for _, p in result.requests)  # no provider namespace in scope


def test_pods_are_read_in_provider_namespaces_without_their_spec(
    fake_api: FakeApiServer, kubeconfig: Path
) -> None:
    result = read_cluster(str(kubeconfig), None)
    pods = [r for r in result.resources if r.kind == "Pod"]
    assert {p.namespace for p in pods} == {"capi-system", "capa-system"}
    assert all("spec" not in p.body and "status" in p.body for p in pods)
    assert "pod-spec-is-never-kept" not in repr([p.body for p in pods])
    assert not any("kube-system/pods" in p for _, p in result.requests)


def test_kinds_a_cluster_does_not_install_are_not_requested(
    mgmt_objects: list[dict[str, Any]], tmp_path: Path
) -> None:
    kinds = tuple(k for k in DEFAULT_KINDS if not k.group.startswith(("addons.", "clusterctl.")))
    server = FakeApiServer(list(mgmt_objects), kinds=kinds)
    server.start()
    try:
        result = read_cluster(str(server.write_kubeconfig(tmp_path / "kc")), None)
    finally:
        server.stop()
    assert result.problems == [] and result.not_assessable == []
    assert not any("addons." in p or "clusterctl." in p for _, p in result.requests)
    assert not any(r.kind == "Provider" for r in result.resources)
