"""Which Deployments are Cluster API controllers: one evidence rule for manifests and live.

The manifest checks (`capsa.capi.rbac`), the live checks (`capsa.live.index.LiveIndex`)
and the live reader (`capsa.sources.cluster`, which lists Pods where controllers run)
all ask `is_controller`; it lives in `sources` because the reader, the earliest of them,
may import nothing later. Evidence is what a tenant cannot write:

- a container runs a Cluster API project's released manager image: registry AND
  repository (`MANAGER_REPOSITORIES`), never a name part a tenant can push anywhere;
- its `cluster.x-k8s.io/provider` label names a clusterctl Provider (inventory) object
  of that name in its own namespace (creating a Provider needs RBAC on
  clusterctl.cluster.x-k8s.io; a tenant granted that is met by the rule below);
- read from files only: a provider's kustomize source before kustomize renames it
  (kubebuilder's layout: namespace `system`, command `/manager`). A cluster has no
  placeholder namespace, so this never applies to objects read from one.

Neither counts in a namespace holding a Cluster: that is a tenant's namespace, where the
tenant can run the public upstream image under any ServiceAccount of the namespace or
(with rights on Providers there) write the inventory entry. clusterctl installs each
provider in a namespace of its own (capi-system, capa-system, ...). Outside namespaces
holding Clusters, a Deployment counted as a controller also makes its namespace one whose
pod, exec and impersonation rights CAPSA-RBAC-002/-003 judge, so a tenant namespace
mistaken for a controller's is reported through who can create pods there.
The `cluster.x-k8s.io/provider` label alone proves nothing: whoever may create a
Deployment may write it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from capsa.kube import containers, dig, labels_of
from capsa.sources.resource import Resource

PROVIDER_LABEL = "cluster.x-k8s.io/provider"
CLUSTERCTL_GROUP = "clusterctl.cluster.x-k8s.io"
CORE_GROUP = "cluster.x-k8s.io"
DEFAULT_NAMESPACE = "default"
KUSTOMIZE_NAMESPACE = "system"  # kubebuilder's placeholder, replaced by kustomize

# Per Cluster API project: its production path, its staging project and its manager
# images. Sources, each project's Makefile (PROD_REGISTRY, STAGING_REGISTRY, IMAGE_NAME):
# kubernetes-sigs/cluster-api (registry.k8s.io/cluster-api, gcr.io/k8s-staging-cluster-api;
# cluster-api-controller, kubeadm-bootstrap-controller, kubeadm-control-plane-controller),
# cluster-api-provider-aws (registry.k8s.io/cluster-api-aws,
# gcr.io/k8s-staging-cluster-api-aws; cluster-api-aws-controller),
# cluster-api-provider-azure (registry.k8s.io/cluster-api-azure,
# gcr.io/k8s-staging-cluster-api-azure; cluster-api-azure-controller),
# cluster-api-provider-gcp (registry.k8s.io/cluster-api-gcp,
# gcr.io/k8s-staging-cluster-api-gcp; cluster-api-gcp-controller),
# cluster-api-provider-vsphere (registry.k8s.io/cluster-api-vsphere,
# gcr.io/k8s-staging-capi-vsphere; cluster-api-vsphere-controller),
# cluster-api-provider-openstack (registry.k8s.io/capi-openstack,
# gcr.io/k8s-staging-capi-openstack; capi-openstack-controller).
_PROJECTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "cluster-api",
        "cluster-api",
        (
            "cluster-api-controller",
            "kubeadm-bootstrap-controller",
            "kubeadm-control-plane-controller",
        ),
    ),
    ("cluster-api-aws", "cluster-api-aws", ("cluster-api-aws-controller",)),
    ("cluster-api-azure", "cluster-api-azure", ("cluster-api-azure-controller",)),
    ("cluster-api-gcp", "cluster-api-gcp", ("cluster-api-gcp-controller",)),
    ("cluster-api-vsphere", "capi-vsphere", ("cluster-api-vsphere-controller",)),
    ("capi-openstack", "capi-openstack", ("capi-openstack-controller",)),
)
# The Kubernetes project's production registry and the ones it served from before
# registry.k8s.io (k8s.gcr.io; us.gcr.io/k8s-artifacts-prod, the PROD_REGISTRY of
# cluster-api v0.3 and CAPA v0.5/v0.6 Makefiles).
_PROD_REGISTRIES = ("registry.k8s.io", "k8s.gcr.io", "us.gcr.io/k8s-artifacts-prod")


def _repositories() -> frozenset[str]:
    found: set[str] = set()
    for prod, staging, images in _PROJECTS:
        for image in images:
            found.update(f"{registry}/{prod}/{image}" for registry in _PROD_REGISTRIES)
            found.add(f"gcr.io/k8s-staging-{staging}/{image}")
    return frozenset(found)


MANAGER_REPOSITORIES = _repositories()
"""Registry and repository of every upstream manager image (`registry.k8s.io/cluster-api/
cluster-api-controller`, `gcr.io/k8s-staging-cluster-api-aws/cluster-api-aws-controller`)."""
CABPK_REPOSITORIES = frozenset(
    r for r in MANAGER_REPOSITORIES if r.endswith("/kubeadm-bootstrap-controller")
)
"""The kubeadm bootstrap provider's manager image, wherever upstream publishes it."""


def repository(image: str) -> str:
    """An image reference without its tag and digest (`registry:5000/a/b:tag@sha256:..` ->
    `registry:5000/a/b`); Docker Hub's implicit `docker.io/` is left as written."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


def is_manager_image(image: str, repositories: frozenset[str] = MANAGER_REPOSITORIES) -> bool:
    return repository(image.strip()) in repositories


def _containers(deployment: Resource) -> list[dict[str, Any]]:
    return list(containers(dig(deployment.body, "spec", "template", "spec")))


def runs_manager_image(
    deployment: Resource, repositories: frozenset[str] = MANAGER_REPOSITORIES
) -> bool:
    """Whether a container of the Deployment runs an upstream manager image."""
    return any(
        is_manager_image(str(c.get("image") or ""), repositories) for c in _containers(deployment)
    )


def from_cluster(resource: Resource) -> bool:
    return resource.origin.path.startswith("cluster://")


def namespace(resource: Resource) -> str:
    """Where a namespaced object lands (`default` when unset, as kubectl applies it)."""
    return resource.namespace or DEFAULT_NAMESPACE


def is_kustomize_source(deployment: Resource) -> bool:
    """A provider manager's kustomize source, read from a file: kubebuilder's placeholder
    namespace and the `/manager` command. Never for an object read from a cluster, where
    `system` is an ordinary namespace anyone allowed to may create."""
    if from_cluster(deployment) or namespace(deployment) != KUSTOMIZE_NAMESPACE:
        return False
    return any(c.get("command") == ["/manager"] for c in _containers(deployment))


def providers(resources: Iterable[Resource]) -> list[Resource]:
    """clusterctl's inventory entries among `resources`."""
    return [r for r in resources if r.kind == "Provider" and r.group == CLUSTERCTL_GROUP]


def cluster_namespaces(resources: Iterable[Resource]) -> set[str]:
    return {namespace(r) for r in resources if r.kind == "Cluster" and r.group == CORE_GROUP}


def is_controller(deployment: Resource, inventory: Sequence[Resource], clusters: set[str]) -> bool:
    """Whether `deployment` is proven to run a Cluster API controller (module docstring):
    `inventory` are clusterctl's Provider objects, `clusters` the namespaces holding
    Clusters."""
    where = namespace(deployment)
    if where in clusters:
        return False
    if runs_manager_image(deployment) or is_kustomize_source(deployment):
        return True
    named = labels_of(deployment.body).get(PROVIDER_LABEL)
    return named is not None and any(p.name == named and namespace(p) == where for p in inventory)


def controller_namespaces(resources: Sequence[Resource]) -> set[str]:
    """Namespaces Cluster API controllers run in: those of the Deployments `is_controller`
    proves and of clusterctl's Providers outside namespaces holding Clusters."""
    inventory = providers(resources)
    clusters = cluster_namespaces(resources)
    found = {
        namespace(r)
        for r in resources
        if r.kind == "Deployment" and is_controller(r, inventory, clusters)
    }
    return found | {namespace(p) for p in inventory if namespace(p) not in clusters}


def manager_containers(
    deployment: Resource, repositories: frozenset[str] = MANAGER_REPOSITORIES
) -> list[dict[str, Any]]:
    """The containers running the controller itself: those running a manager image of
    `repositories`; failing that (a mirrored image of a controller the inventory proves),
    the one named `manager` (every Cluster API project's layout) or the only container.
    Empty when none is chosen: sidecars (kube-rbac-proxy) are not the controller, and the
    caller must say it could not judge the Deployment."""
    found = _containers(deployment)
    by_image = [c for c in found if is_manager_image(str(c.get("image") or ""), repositories)]
    if by_image:
        return by_image
    named = [c for c in found if c.get("name") == "manager"]
    return named or (found if len(found) == 1 else [])
