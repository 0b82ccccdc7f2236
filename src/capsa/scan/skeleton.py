"""The small copy of a resource that deciding the scan's groups needs.

Grouping runs the real Cluster API resolution over the whole input (`capsa.scan.plan`),
which reads names, labels, references and selectors but never the bulk of a spec:
machine bootstrap files and commands, kubeadm configuration, payloads. A skeleton keeps
what resolution may read as plain data (no line positions) and drops that bulk, so the
whole input's skeletons stay a small fraction of its trees.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from capsa.kube import dig
from capsa.sources.resource import Resource
from capsa.yamlio import plain

CAPI_GROUP_SUFFIX = "cluster.x-k8s.io"

BULK_KEYS = frozenset(
    {
        "files",
        "preKubeadmCommands",
        "postKubeadmCommands",
        "users",
        "ntp",
        "diskSetup",
        "mounts",
        "clusterConfiguration",
        "initConfiguration",
        "joinConfiguration",
        "ignition",
        "additionalTags",
        "additionalSecurityGroups",
        "ingressRules",
        "cniIngressRules",
    }
)
"""Spec fields no reference, selector or VPC id lives in (bootstrap content, kubeadm
settings, tags and firewall rules): the bulk of a Cluster API spec."""


RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Provider"})
"""Kinds the static RBAC analysis (`capsa.capi.rbac`) reads whole: it judges every
binding against every Cluster's namespace and controller of the input."""

CONTAINER_KEYS = ("image", "command")
"""What the RBAC analysis reads of a Deployment's containers to tell a Cluster API
controller (`capsa.capi.rbac.controller_deployments`), besides its labels, namespace
and service account."""


def _deployment_spec(body: dict[str, Any]) -> dict[str, Any]:
    pod = plain(dig(body, "spec", "template", "spec"))
    if not isinstance(pod, dict):
        return {}
    kept: dict[str, Any] = {}
    if "serviceAccountName" in pod:
        kept["serviceAccountName"] = pod["serviceAccountName"]
    for key in ("initContainers", "containers"):
        found = pod.get(key)
        if isinstance(found, list):
            kept[key] = [
                {k: c[k] for k in CONTAINER_KEYS if k in c} if isinstance(c, dict) else c
                for c in found
            ]
    return {"template": {"spec": kept}}


def _prune(node: Any) -> Any:
    """A plain copy of `node` without the bulk keys (never copying the bulk itself)."""
    if isinstance(node, dict):
        return {k: _prune(v) for k, v in node.items() if k not in BULK_KEYS}
    if isinstance(node, list):
        return [_prune(v) for v in node]
    return node


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        return {}
    return {k: plain(meta[k]) for k in ("name", "namespace", "labels") if k in meta}


def skeleton(resource: Resource) -> Resource:
    """`resource` with a body that keeps what resolving the topology reads."""
    body = resource.body
    small: dict[str, Any] = {"metadata": _metadata(body)}
    for key in ("apiVersion", "kind", "type"):
        if key in body:
            small[key] = body[key]
    if resource.kind in RBAC_KINDS:
        small = dict(plain(body))
    elif resource.kind == "Deployment":
        small["spec"] = _deployment_spec(body)
    keeps_spec = resource.group.endswith(CAPI_GROUP_SUFFIX) or resource.kind == "ResourceQuota"
    if keeps_spec and "spec" in body:
        small["spec"] = _prune(body["spec"])
    return Resource(
        api_version=resource.api_version,
        kind=resource.kind,
        namespace=resource.namespace,
        name=resource.name,
        body=small,
        origin=resource.origin,
        unknown_paths=resource.unknown_paths,
        fragment_of=resource.fragment_of,
    )


RBAC_READS = RBAC_KINDS | {"Deployment", "Cluster"}
"""Kinds the RBAC analysis reads at all (a Cluster for its namespace)."""


def split(skeletons: list[Resource]) -> tuple[list[Resource], list[Resource]]:
    """`skeletons` for resolving the topology (what only the RBAC analysis reads cut to
    names and labels) and for the RBAC analysis, which runs first on its own: the two
    are never in memory whole at once."""
    topology: list[Resource] = []
    rbac: list[Resource] = []
    for item in skeletons:
        if item.kind in RBAC_READS:
            rbac.append(item)
        if item.kind in RBAC_KINDS or item.kind == "Deployment":
            small: dict[str, Any] = {"metadata": _metadata(item.body)}
            small.update((k, item.body[k]) for k in ("apiVersion", "kind") if k in item.body)
            item = replace(item, body=small)
        topology.append(item)
    return topology, rbac
