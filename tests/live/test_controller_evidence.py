"""One evidence rule tells the Cluster API controllers, in manifests, in the live checks and
in the live reader (`capsa.sources.controllers`): an upstream manager image by registry and
repository, or a clusterctl Provider named by the Deployment's provider label in its own
namespace, never in a namespace holding Clusters. A label, an image name a tenant can push
anywhere or the public image run next to a tenant's Clusters proves nothing; the
containers a check reads flags from are chosen by the same image rule."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakeapi import FakeApiServer, Fault
from live_support import verdict_on

from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan
from capsa.sources.controllers import is_manager_image, repository

BASE = """
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: c1, namespace: tenant-a}
spec: {}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: ci, namespace: SA_NAMESPACE}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
"""


def _deployment(
    image: str, namespace: str = "tenant-b", label: str | None = None, name: str = "ci-runner"
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if label is not None:
        meta["labels"] = {"cluster.x-k8s.io/provider": label}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "selector": {"matchLabels": {"app": "ci"}},
            "template": {
                "metadata": {"labels": {"app": "ci"}},
                "spec": {
                    "serviceAccountName": "ci",
                    "containers": [{"name": "c", "image": image}],
                },
            },
        },
    }


def _provider(name: str, namespace: str, version: str = "v1.8.0") -> dict[str, Any]:
    return {
        "apiVersion": "clusterctl.cluster.x-k8s.io/v1alpha3",
        "kind": "Provider",
        "metadata": {"name": name, "namespace": namespace},
        "providerName": name.split("-", 1)[-1],
        "type": "InfrastructureProvider",
        "version": version,
    }


def _base(sa_namespace: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(BASE.replace("SA_NAMESPACE", sa_namespace)) if d]


def _verdict(result: ScanResult, check_id: str, name: str) -> str:
    return verdict_on(result, check_id, name)


def _check_verdict(result: ScanResult, check_id: str) -> str:
    if any(f.check_id == check_id for f in result.findings):
        return "fail"
    for verdict, results in (
        ("unknown", result.unknown),
        ("pass", result.passes),
        ("n/a", result.not_applicable),
    ):
        if any(r.check_id == check_id for r in results):
            return verdict
    return "none"


def _from_files(docs: list[dict[str, Any]], tmp_path: Path) -> ScanResult:
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return scan(ScanRequest(paths=[str(path)]))


def _from_cluster(docs: list[dict[str, Any]], tmp_path: Path, forbid: str = "") -> ScanResult:
    server = FakeApiServer([copy.deepcopy(d) for d in docs])
    if forbid:
        server.inject_where(lambda p: p.endswith(forbid), Fault(403, times=10**6))
    server.start()
    try:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        return scan(ScanRequest(cluster=True, kubeconfig=str(kubeconfig)))
    finally:
        server.stop()


# The review's cases: a tenant's Deployment whose ServiceAccount tenant-b/ci reads Secrets
# in tenant-a. Each must leave the account reported by CAPSA-RBAC-001 (manifests, and on
# the live objects) and CAPSA-LIVE-001.
TENANT_CASES = {
    "provider label only": _deployment("alpine:3", label="infrastructure-whatever"),
    "image path containing /cluster-api": _deployment("ghcr.io/tenant/cluster-api-ci:latest"),
    "upstream image name in another registry": _deployment(
        "ghcr.io/tenant/cluster-api-controller:latest"
    ),
    "upstream repository under a look-alike registry": _deployment(
        "registry.k8s.io.evil.example/cluster-api/cluster-api-controller:v1.8.0"
    ),
    "label naming a Provider of another name": _deployment(
        "alpine:3", label="infrastructure-whatever"
    ),
}


@pytest.mark.parametrize("case", sorted(TENANT_CASES))
def test_a_tenant_deployment_is_no_controller_in_manifests_or_live(
    case: str, tmp_path: Path
) -> None:
    docs = [*_base("tenant-b"), TENANT_CASES[case]]
    if case == "label naming a Provider of another name":
        docs.append(_provider("infrastructure-aws", "tenant-b"))
    assert _verdict(_from_files(docs, tmp_path), "CAPSA-RBAC-001", "ci-secrets") == "fail"
    live = _from_cluster(docs, tmp_path)
    assert _verdict(live, "CAPSA-RBAC-001", "ci-secrets") == "fail"
    assert _check_verdict(live, "CAPSA-LIVE-001") == "fail"


@pytest.mark.parametrize(
    "evidence",
    [
        "upstream image next to the Clusters",
        "Provider next to the Clusters",
    ],
)
def test_evidence_in_a_namespace_holding_clusters_proves_nothing(
    evidence: str, tmp_path: Path
) -> None:
    """A tenant can run the public upstream image under its own ServiceAccount, and with
    rights on Providers write the inventory entry: in a namespace holding Clusters neither
    shows a controller."""
    if evidence.startswith("upstream"):
        dep = _deployment(
            "registry.k8s.io/cluster-api/cluster-api-controller:v1.8.0", namespace="tenant-a"
        )
        extra: list[dict[str, Any]] = [dep]
    else:
        dep = _deployment("alpine:3", namespace="tenant-a", label="infrastructure-x")
        extra = [dep, _provider("infrastructure-x", "tenant-a")]
    docs = [*_base("tenant-a"), *extra]
    assert _verdict(_from_files(docs, tmp_path), "CAPSA-RBAC-001", "ci-secrets") == "fail"
    live = _from_cluster(docs, tmp_path)
    assert _check_verdict(live, "CAPSA-LIVE-001") == "fail"
    assert _verdict(live, "CAPSA-RBAC-001", "ci-secrets") == "fail"


UPSTREAM = [
    ("capi-system", "registry.k8s.io/cluster-api/cluster-api-controller:v1.8.0"),
    (
        "capi-kubeadm-bootstrap-system",
        "registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:v1.8.0",
    ),
    (
        "capi-kubeadm-control-plane-system",
        "registry.k8s.io/cluster-api/kubeadm-control-plane-controller:v1.8.0@sha256:" + "a" * 64,
    ),
    ("capa-system", "registry.k8s.io/cluster-api-aws/cluster-api-aws-controller:v2.7.1"),
    ("capz-system", "registry.k8s.io/cluster-api-azure/cluster-api-azure-controller:v1.17.0"),
    ("capg-system", "registry.k8s.io/cluster-api-gcp/cluster-api-gcp-controller:v1.8.0"),
    ("capv-system", "registry.k8s.io/cluster-api-vsphere/cluster-api-vsphere-controller:v1.11.0"),
    ("capo-system", "registry.k8s.io/capi-openstack/capi-openstack-controller:v0.11.0"),
    ("capi-system", "gcr.io/k8s-staging-cluster-api/cluster-api-controller:main"),
    ("capa-system", "gcr.io/k8s-staging-cluster-api-aws/cluster-api-aws-controller:dev"),
    ("capv-system", "gcr.io/k8s-staging-capi-vsphere/cluster-api-vsphere-controller:main"),
    ("capi-system", "k8s.gcr.io/cluster-api/cluster-api-controller:v1.1.0"),
    ("capi-system", "us.gcr.io/k8s-artifacts-prod/cluster-api/cluster-api-controller:v0.3.10"),
]


@pytest.mark.parametrize(("namespace", "image"), UPSTREAM)
def test_upstream_controllers_stay_exempt(namespace: str, image: str, tmp_path: Path) -> None:
    docs = [*_base(namespace), _deployment(image, namespace=namespace)]
    assert _verdict(_from_files(docs, tmp_path), "CAPSA-RBAC-001", "ci-secrets") == "pass"
    live = _from_cluster(docs, tmp_path)
    assert _check_verdict(live, "CAPSA-LIVE-001") == "pass"
    assert _verdict(live, "CAPSA-RBAC-001", "ci-secrets") == "pass"


def test_a_mirrored_controller_is_proven_by_its_provider(tmp_path: Path) -> None:
    """An air-gapped install mirrors the image: clusterctl's inventory entry for the
    provider the label names, in the Deployment's namespace, proves it."""
    image = "mirror.example/capi/cluster-api-controller:v1.8.0"
    dep = _deployment(image, namespace="capi-system", label="cluster-api")
    docs = [*_base("capi-system"), dep, _provider("cluster-api", "capi-system")]
    assert _verdict(_from_files(docs, tmp_path), "CAPSA-RBAC-001", "ci-secrets") == "pass"
    assert _check_verdict(_from_cluster(docs, tmp_path), "CAPSA-LIVE-001") == "pass"
    # without the inventory entry the label is all there is: reported
    docs = [*_base("capi-system"), dep]
    assert _verdict(_from_files(docs, tmp_path), "CAPSA-RBAC-001", "ci-secrets") == "fail"
    assert _check_verdict(_from_cluster(docs, tmp_path), "CAPSA-LIVE-001") == "fail"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("registry.k8s.io/cluster-api/cluster-api-controller:v1.8.0", True),
        ("registry.k8s.io/cluster-api/cluster-api-controller@sha256:" + "b" * 64, True),
        ("registry.k8s.io/cluster-api-aws/cluster-api-aws-controller", True),
        ("ghcr.io/tenant/cluster-api-controller:latest", False),
        ("registry.k8s.io/tenant/cluster-api-controller:v1", False),
        ("registry.k8s.io/cluster-api/cluster-api-controller-debug:v1", False),
        ("docker.io/registry.k8s.io/cluster-api/cluster-api-controller:v1", False),
        ("cluster-api-controller:v1", False),
        ("localhost:5000/cluster-api/cluster-api-controller:v1", False),
    ],
)
def test_manager_images_are_matched_by_registry_and_repository(image: str, expected: bool) -> None:
    assert is_manager_image(image) is expected


def test_repository_drops_tag_and_digest_but_keeps_a_registry_port() -> None:
    assert repository("localhost:5000/a/b:v1@sha256:" + "c" * 64) == "localhost:5000/a/b"
    assert repository("b") == "b"


RESTARTED_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "capa-controller-manager-7b8c9d-fghij", "namespace": "capa-system"},
    "spec": {"containers": [{"name": "manager", "image": "x"}]},
    "status": {
        "containerStatuses": [
            {
                "name": "manager",
                "restartCount": 7,
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
            }
        ]
    },
}


def _capa(restarts: int) -> list[dict[str, Any]]:
    """CAPA's manager with its upstream image and no provider label, and its Pod."""
    dep = _deployment(
        "registry.k8s.io/cluster-api-aws/cluster-api-aws-controller:v2.7.1",
        namespace="capa-system",
        name="capa-controller-manager",
    )
    pod = copy.deepcopy(RESTARTED_POD)
    pod["status"]["containerStatuses"][0]["restartCount"] = restarts
    return [dep, pod]


def test_pods_are_read_where_the_image_proves_a_controller(tmp_path: Path) -> None:
    """The reader lists Pods where the checks look for them: a controller known by its
    image, without a provider label, has its restarts reported (LIVE-006)."""
    assert _check_verdict(_from_cluster(_capa(7), tmp_path), "CAPSA-LIVE-006") == "fail"
    assert _check_verdict(_from_cluster(_capa(0), tmp_path), "CAPSA-LIVE-006") == "pass"


def test_pods_are_unknown_when_providers_could_not_be_listed(tmp_path: Path) -> None:
    """Providers name controller namespaces too: with them refused, Pods were not listed
    everywhere a controller may run, and LIVE-006 says so instead of passing."""
    result = _from_cluster(_capa(0), tmp_path, forbid="/providers")
    assert _check_verdict(result, "CAPSA-LIVE-006") == "unknown"
    reason = next(r.reason for r in result.unknown if r.check_id == "CAPSA-LIVE-006")
    assert "Providers were not read" in str(reason)


def _cabpk(containers: list[dict[str, Any]], provider: bool = False) -> list[dict[str, Any]]:
    dep = _deployment(
        "x", namespace="capi-kubeadm-bootstrap-system", label="bootstrap-kubeadm", name="cabpk"
    )
    dep["spec"]["template"]["spec"]["containers"] = containers
    docs = [dep]
    if provider:
        docs.append(_provider("bootstrap-kubeadm", "capi-kubeadm-bootstrap-system", "v1.8.0"))
    return docs


RBAC_PROXY = {"name": "kube-rbac-proxy", "image": "gcr.io/kubebuilder/kube-rbac-proxy:v0.8.0"}
CABPK_IMAGE = "registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:v1.8.0"


@pytest.mark.parametrize(("ttl", "expected"), [("24h", "fail"), ("15m", "pass")])
def test_token_ttl_is_read_from_the_container_running_the_manager_image(
    ttl: str, expected: str, tmp_path: Path
) -> None:
    """A sidecar and a manager container not named `manager`: the flags are read from the
    one running the kubeadm bootstrap image (LIVE-004 passed here without reading them)."""
    controller = {
        "name": "controller",
        "image": CABPK_IMAGE,
        "args": ["--leader-elect", f"--bootstrap-token-ttl={ttl}"],
    }
    result = _from_cluster(_cabpk([RBAC_PROXY, controller]), tmp_path)
    assert _check_verdict(result, "CAPSA-LIVE-004") == expected


def test_token_ttl_is_unknown_when_no_container_is_the_manager(tmp_path: Path) -> None:
    """A mirrored image (the controller proven by its Provider) in a container not named
    `manager`, beside a sidecar: whose flags to read is not known, so not a pass."""
    controller = {
        "name": "controller",
        "image": "mirror.example/capi/kubeadm-bootstrap-controller:v1.8.0",
        "args": ["--bootstrap-token-ttl=24h"],
    }
    result = _from_cluster(_cabpk([RBAC_PROXY, controller], provider=True), tmp_path)
    assert _check_verdict(result, "CAPSA-LIVE-004") == "unknown"
    reason = next(r.reason for r in result.unknown if r.check_id == "CAPSA-LIVE-004")
    assert "whose flags to read is not known" in str(reason)


@pytest.mark.parametrize(("tag", "expected"), [("v1.7.0", "fail"), ("v1.8.0", "pass")])
def test_version_drift_reads_the_container_running_the_manager_image(
    tag: str, expected: str, tmp_path: Path
) -> None:
    controller = {
        "name": "controller",
        "image": f"registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:{tag}",
    }
    result = _from_cluster(_cabpk([RBAC_PROXY, controller], provider=True), tmp_path)
    assert _check_verdict(result, "CAPSA-LIVE-007") == expected


def test_version_drift_is_unknown_when_no_container_is_the_manager(tmp_path: Path) -> None:
    controller = {"name": "controller", "image": "mirror.example/capi/cabpk:v1.7.0"}
    result = _from_cluster(_cabpk([RBAC_PROXY, controller], provider=True), tmp_path)
    assert _check_verdict(result, "CAPSA-LIVE-007") == "unknown"
