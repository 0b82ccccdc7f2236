"""The small copy of a resource that deciding the scan's groups needs.

Grouping runs the real Cluster API resolution over the whole input (`capsa.scan.plan`),
which reads names, labels, references and selectors but never the bulk of a spec:
machine bootstrap files and commands, kubeadm configuration, payloads. A skeleton keeps
what resolution may read as plain data (no line positions) and drops that bulk, so the
whole input's skeletons stay a small fraction of its trees.
"""

from __future__ import annotations

from typing import Any

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


RBAC_KINDS = frozenset(
    {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Deployment", "Provider"}
)
"""Kinds the static RBAC analysis (`capsa.capi.rbac`) reads whole: it judges every
binding against every Cluster's namespace and controller of the input."""


def _prune(node: Any) -> Any:
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
    keeps_spec = resource.group.endswith(CAPI_GROUP_SUFFIX) or resource.kind == "ResourceQuota"
    if keeps_spec and "spec" in body:
        small["spec"] = _prune(plain(body["spec"]))
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
