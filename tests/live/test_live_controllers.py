"""capsa.live.controllers: image digests, restarts, and drift from the clusterctl inventory."""

from __future__ import annotations

from collections.abc import Callable

from live_support import live

from capsa.live.controllers import image_tag, restarted_containers, unpinned_images, version_drift
from capsa.sources.resource import Resource

Build = Callable[[str], list[Resource]]

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: capi-controller-manager, namespace: capi-system, labels: {{cluster.x-k8s.io/provider: cluster-api}}}}
spec:
  template:
    spec:
      initContainers: [{{name: init, image: "{init}"}}]
      containers: [{{name: manager, image: "{image}"}}]
"""
DIGEST = "sha256:" + "a" * 64


def test_fixture_flags_the_three_tagged_controllers(mgmt_resources: list[Resource]) -> None:
    findings = unpinned_images(live(mgmt_resources))
    names = sorted(f.resource.identity.rsplit("/", 1)[-1] for f in findings)
    assert names == [
        "capa-controller-manager",
        "capi-controller-manager",
        "capi-kubeadm-bootstrap-controller-manager",
    ]
    assert all(f.mitigation == "STRIDE-TAMPER-1.M2" for f in findings)


def test_tagged_init_container_fires_and_digests_are_silent(build: Build) -> None:
    pinned = f"registry.k8s.io/cluster-api/cluster-api-controller:v1.9.4@{DIGEST}"
    mixed = build(DEPLOYMENT.format(init="busybox:1.36", image=pinned))
    assert [f.message.split()[1] for f in unpinned_images(live(mixed))] == ["init"]
    clean = build(DEPLOYMENT.format(init=f"busybox@{DIGEST}", image=pinned))
    assert unpinned_images(live(clean)) == []


def test_deployments_outside_provider_namespaces_are_ignored(build: Build) -> None:
    text = DEPLOYMENT.format(init="a:1", image="b:2").replace(
        "labels: {cluster.x-k8s.io/provider: cluster-api}", "labels: {app: web}"
    )
    assert unpinned_images(live(build(text))) == []


def test_fixture_flags_the_restarted_capa_container_only(mgmt_resources: list[Resource]) -> None:
    findings = restarted_containers(live(mgmt_resources))
    assert [f.resource.identity for f in findings] == [
        "/Pod/capa-system/capa-controller-manager-7b8c9d-fghij"
    ]
    assert findings[0].mitigation == ""  # a restart is an event, not missing alerting
    assert "3 time(s)" in findings[0].message and "Error" in findings[0].message


def test_pods_without_restarts_are_silent(mgmt_resources: list[Resource]) -> None:
    steady = [r for r in mgmt_resources if not (r.kind == "Pod" and r.namespace == "capa-system")]
    assert restarted_containers(live(steady)) == []


def test_fixture_flags_capa_running_an_older_tag_than_its_inventory(
    mgmt_resources: list[Resource],
) -> None:
    findings = version_drift(live(mgmt_resources))
    assert [f.resource.identity for f in findings] == [
        "clusterctl.cluster.x-k8s.io/Provider/capa-system/infrastructure-aws"
    ]
    assert "v2.7.1" in findings[0].message and "v2.6.0" in findings[0].message


def test_matching_versions_are_silent(build: Build) -> None:
    text = (
        DEPLOYMENT.format(init=f"busybox@{DIGEST}", image=f"r/c:v1.9.4@{DIGEST}")
        + """
---
apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3
kind: Provider
metadata: {name: cluster-api, namespace: capi-system}
type: CoreProvider
version: v1.9.4
"""
    )
    assert version_drift(live(build(text))) == []


def test_image_tag_handles_registry_ports_and_digests() -> None:
    assert image_tag("localhost:5000/capi/controller:v1.2.3") == "v1.2.3"
    assert image_tag(f"r.io/a/b:v2@{DIGEST}") == "v2"
    assert image_tag(f"r.io/a/b@{DIGEST}") is None
    assert image_tag("localhost:5000/b") is None


PROVIDER = """
apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3
kind: Provider
metadata: {name: infrastructure-aws, namespace: capa-system}
type: InfrastructureProvider
version: v2.7.1
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: capa-controller-manager, namespace: capa-system, labels: {cluster.x-k8s.io/provider: infrastructure-aws}}
spec:
  template:
    spec:
      containers:
        - {name: manager, image: "registry.k8s.io/cluster-api-aws/cluster-api-aws-controller:MANAGER"}
        - {name: kube-rbac-proxy, image: "gcr.io/kubebuilder/kube-rbac-proxy:v0.13.1"}
"""


def test_only_the_manager_image_is_compared_with_the_provider_version(build: Build) -> None:
    """A sidecar (kube-rbac-proxy v0.13.1) has its own version; the manager's decides."""
    assert version_drift(live(build(PROVIDER.replace("MANAGER", "v2.7.1")))) == []
    drifted = version_drift(live(build(PROVIDER.replace("MANAGER", "v2.6.0"))))
    assert len(drifted) == 1 and "container manager runs tag v2.6.0" in drifted[0].message
