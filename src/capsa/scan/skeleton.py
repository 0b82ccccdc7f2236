"""The small copy of a resource that deciding the scan's groups needs.

Grouping runs the real Cluster API resolution over the whole input (`capsa.scan.plan`),
which reads names, labels, references and selectors but never the bulk of a spec:
machine bootstrap files and commands, kubeadm configuration, payloads. A skeleton keeps
what resolution may read as plain data (no line positions) and drops that bulk, so the
whole input's skeletons stay a small fraction of its trees.

A skeleton's strings are interned (`sys.intern`): the corpus x20's 32,040 skeletons
hold 577,000 strings with 5,034 distinct values, so the skeletons of every file share
one object per value, and a file's block (`pack`) writes each once and reads it back
as the object every other block already holds (marshal keeps a string's interning).
"""

from __future__ import annotations

import marshal
from dataclasses import replace
from sys import intern
from typing import Any

from capsa.kube import dig
from capsa.scan.sharing import Sharing
from capsa.sources.resource import Origin, Resource

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
controller (`capsa.sources.controllers.is_controller`), besides its labels, namespace
and service account."""


def _deployment_spec(body: dict[str, Any]) -> dict[str, Any]:
    pod = dig(body, "spec", "template", "spec")
    if not isinstance(pod, dict):
        return {}
    kept: dict[str, Any] = {}
    if "serviceAccountName" in pod:
        kept["serviceAccountName"] = _plain(pod["serviceAccountName"])
    for key in ("initContainers", "containers"):
        found = pod.get(key)
        if isinstance(found, list):
            kept[key] = [
                {k: _plain(c[k]) for k in CONTAINER_KEYS if k in c}
                if isinstance(c, dict)
                else _plain(c)
                for c in found
            ]
    return {"template": {"spec": kept}}


_NESTED = (dict, list)


def _plain(node: Any, dropped: frozenset[str] = frozenset()) -> Any:
    """A plain copy of a parsed tree (dicts, lists, scalars) with interned strings,
    without the keys in `dropped` at any depth (never copying what they hold). A child
    that is a string or another scalar is handled in place rather than by a call (a
    fifth of the copy's time)."""
    if isinstance(node, dict):
        return {
            (intern(k) if type(k) is str else k): (
                intern(v) if type(v) is str else _plain(v, dropped) if isinstance(v, _NESTED) else v
            )
            for k, v in node.items()
            if k not in dropped
        }
    if isinstance(node, list):
        return [
            intern(v) if type(v) is str else _plain(v, dropped) if isinstance(v, _NESTED) else v
            for v in node
        ]
    return intern(node) if type(node) is str else node


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        return {}
    return {k: _plain(meta[k]) for k in ("name", "namespace", "labels") if k in meta}


def _text(value: str) -> str:
    """`value` interned (a subclass of str, which `sys.intern` refuses, kept as it is)."""
    return intern(value) if type(value) is str else value


def _shared(value: str | None) -> str | None:
    return value if value is None else _text(value)


def skeleton(resource: Resource) -> Resource:
    """`resource` with a body that keeps what resolving the topology reads. What only
    the RBAC analysis reads is not kept for an object a ClusterResourceSet carries:
    `split` gives it no part of that analysis, and copying the rules of every carried
    ClusterRole was most of the copying (corpus x20: 0.12 of 0.35 s)."""
    body = resource.body
    small: dict[str, Any] = {"metadata": _metadata(body)}
    for key in ("apiVersion", "kind", "type"):
        if key in body:
            small[key] = _plain(body[key])
    carried = resource.origin.carrier is not None
    if resource.kind in RBAC_KINDS and not carried:
        small = _plain(body)
    elif resource.kind == "Deployment" and not carried:
        small["spec"] = _deployment_spec(body)
    keeps_spec = resource.group.endswith(CAPI_GROUP_SUFFIX) or resource.kind == "ResourceQuota"
    if keeps_spec and "spec" in body:
        small["spec"] = _plain(body["spec"], BULK_KEYS)
    return Resource(
        api_version=_text(resource.api_version),
        kind=_text(resource.kind),
        namespace=_shared(resource.namespace),
        name=_text(resource.name),
        body=small,
        origin=resource.origin,
        unknown_paths=resource.unknown_paths,
        fragment_of=resource.fragment_of,
    )


def interned(resource: Resource) -> Resource:
    """A skeleton rebuilt elsewhere (a cache entry) with its strings interned, as
    `skeleton` makes them."""
    return replace(
        resource,
        api_version=_text(resource.api_version),
        kind=_text(resource.kind),
        namespace=_shared(resource.namespace),
        name=_text(resource.name),
        body=_plain(resource.body),
    )


RBAC_READS = RBAC_KINDS | {"Deployment", "Cluster"}
"""Kinds the RBAC analysis reads at all (a Cluster for its namespace only: its spec was
most of the analysis's input, 54 MB of skeletons at the corpus x40)."""


def split(skeletons: list[Resource]) -> tuple[list[Resource], list[Resource]]:
    """`skeletons` for resolving the topology (what only the RBAC analysis reads cut to
    names and labels) and for the RBAC analysis, which runs first on its own: the two
    are never in memory whole at once. Objects a ClusterResourceSet carries were three
    quarters of the analysis's input at the corpus x40, and it drops them at once."""
    topology: list[Resource] = []
    rbac: list[Resource] = []
    for item in skeletons:
        if item.origin.carrier is not None:
            pass  # applied to a workload cluster: no part of the analysis (`rbac._live_here`)
        elif item.kind == "Cluster":
            rbac.append(_named(item))  # the analysis reads where it is, not its spec
        elif item.kind in RBAC_READS:
            rbac.append(item)
        if item.kind in RBAC_KINDS or item.kind == "Deployment":
            item = _named(item)
        topology.append(item)
    return topology, rbac


def _named(item: Resource) -> Resource:
    """`item` cut to its names, labels, apiVersion and kind."""
    small: dict[str, Any] = {"metadata": _metadata(item.body)}
    small.update((k, item.body[k]) for k in ("apiVersion", "kind") if k in item.body)
    return replace(item, body=small)


NO_PATHS: frozenset[tuple[str | int, ...]] = frozenset()

Packed = tuple[bytes, bytes] | list[Resource]
"""A file's skeletons as two marshal blocks, one of every skeleton's names and origin
(its head) and one of their bodies (`pack`), or as they are (`pack` could not write
them, or the scan holds its parse trees anyway and packing would be work for nothing)."""


def pack(skeletons: list[Resource]) -> Packed:
    """A file's skeletons as two marshal blocks, heads and bodies, so planning can read
    every head and leave the bodies packed until resolution asks for one (`stubs`).
    What a skeleton never holds (patch provenance, value facts) is left out. A file
    holding a value marshal cannot write (a YAML date) is kept as it is. Marshal writes
    these plain trees in about a third of pickle's time and two thirds of its bytes
    (corpus x5)."""
    heads = [
        (
            s.api_version,
            s.kind,
            s.namespace,
            s.name,
            _text(s.origin.path),
            s.origin.line,
            _shared(s.origin.carrier),
            _shared(s.origin.generated),
            s.unknown_paths,
            _shared(s.fragment_of),
        )
        for s in skeletons
    ]
    try:
        return marshal.dumps(heads), marshal.dumps([s.body for s in skeletons])
    except ValueError:
        return skeletons


Head = tuple[str, str, str | None, str, str, int | None, str | None, str | None, Any, str | None]


def heads_of(block: bytes) -> list[Head]:
    heads: list[Head] = marshal.loads(block)  # noqa: S302 - made by this scan
    return heads


def bodies_of(block: bytes) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = marshal.loads(block)  # noqa: S302 - made by this scan
    return bodies


def fields_of(head: Head, sharing: Sharing, origins: Sharing | None = None) -> dict[str, Any]:
    """A skeleton's fields from its head: its unknown paths and line shared through
    `sharing`, its origin through `origins` (`sharing` when not given)."""
    api_version, kind, namespace, name, path, line, carrier, generated, paths, fragment = head
    origins = sharing if origins is None else origins
    return {
        "api_version": api_version,
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "origin": origins.one(Origin(path, sharing.one(line), carrier, generated)),
        "unknown_paths": sharing.one(paths) if paths else NO_PATHS,
        "fragment_of": fragment,
    }


def unpack(packed: Packed, sharing: Sharing) -> list[Resource]:
    """The skeletons `pack` was given, their strings the interned objects and their
    origins and unknown paths shared through `sharing` (equal ones recur across a
    file's copies and between a carrier's objects: ~3 MB of the corpus x5's planning)."""
    if isinstance(packed, list):
        return packed
    heads, bodies = packed
    return [
        Resource(body=body, **fields_of(head, sharing))
        for head, body in zip(heads_of(heads), bodies_of(bodies), strict=True)
    ]
