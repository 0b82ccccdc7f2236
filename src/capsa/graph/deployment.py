"""What the attack graph is instantiated over: workload clusters, their machine groups,
the cloud accounts and management namespaces they share.

Built from the clusters' views a scan gives (`from_views`; `from_topology` for a
topology at hand) or, on request, one generic cluster
standing for what the model describes (`generic`). Also records which evidence scopes
each resource belongs to, so check results can be attributed to clusters.

A cluster is known by its identity, `namespace/name`, as reports show it (an unresolved
clusterctl variable as `${NAME}`). Templates whose name is an unresolved variable are
not one cluster: each file's cluster keeps its own key, `namespace/name@file`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from capsa.capi.kinds import machine_template_refs
from capsa.display import shown
from capsa.graph.techniques import MANAGEMENT_ACCOUNT, Role
from capsa.sources.clusterctl_vars import looks_unresolved

if TYPE_CHECKING:
    from capsa.capi.clusters import ClusterView
    from capsa.capi.topology import Topology
    from capsa.sources.resource import Resource

MANAGEMENT_SCOPE = "management"
CONTROL_PLANE_POOL = "control-plane"

ResourceKey = tuple[str, str, str]
"""(kind, namespace or "", name) as reports show them: how check results name the
resource they are about."""

PlacedKey = tuple[str, str, str, str]
"""A ResourceKey and the file (or cluster URL) the resource was read from."""

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/")


def resource_key(kind: str, namespace: str | None, name: str) -> ResourceKey:
    return (kind, shown(namespace or ""), shown(name))


def cluster_scope(cluster: str) -> str:
    return f"cluster:{cluster}"


def pool_scope(cluster: str, pool: str) -> str:
    return f"pool:{cluster}/{pool}"


@dataclass(frozen=True)
class PoolSpec:
    """A machine group: the control plane or one worker pool."""

    name: str
    role: Role


@dataclass(frozen=True)
class ClusterSpec:
    """A workload cluster as the graph sees it. `key` is `namespace/name`."""

    key: str
    namespace: str
    account: str
    pools: tuple[PoolSpec, ...]


@dataclass(frozen=True)
class Deployment:
    """Clusters to instantiate, and the evidence scopes of every known resource: by
    identity, and by identity and file where templates in several files share a name."""

    clusters: tuple[ClusterSpec, ...]
    scopes_of: Mapping[ResourceKey, tuple[str, ...]] = field(default_factory=dict)
    scopes_at: Mapping[PlacedKey, tuple[str, ...]] = field(default_factory=dict)

    def scopes_for(
        self, kind: str, namespace: str | None, name: str, path: str | None = None
    ) -> tuple[str, ...]:
        """Evidence scopes a resource's results count in; management when in no cluster."""
        key = resource_key(kind, namespace, name)
        found = self.scopes_at.get((*key, path)) if path is not None else None
        if found is None:
            found = self.scopes_of.get(key)
        if found is None and namespace is None:
            found = self.scopes_of.get(resource_key(kind, "default", name))
        return found or (MANAGEMENT_SCOPE,)


def generic(worker_pools: Iterable[str] = ("workers",)) -> Deployment:
    """One workload cluster with a control plane and the given worker pools, sharing the
    management cluster's account (CAPA's default) — used when no manifests are given."""
    pools = (
        PoolSpec(CONTROL_PLANE_POOL, "control-plane"),
        *(PoolSpec(p, "worker") for p in worker_pools),
    )
    return Deployment((ClusterSpec("default/workload", "default", MANAGEMENT_ACCOUNT, pools),))


def account_of(view: ClusterView) -> str:
    """The cloud account a cluster's infrastructure lives in: the account of an
    AWSClusterRoleIdentity's roleARN, else the management cluster's own account (the
    controller and static identities act there; so does an unresolved role)."""
    identity = view.identity
    if identity is None or identity.kind != "AWSClusterRoleIdentity":
        return MANAGEMENT_ACCOUNT
    spec = identity.body.get("spec") if isinstance(identity.body, Mapping) else None
    arn = spec.get("roleARN") if isinstance(spec, Mapping) else None
    match = _ROLE_ARN.match(arn) if isinstance(arn, str) else None
    return match.group(1) if match else MANAGEMENT_ACCOUNT


def _worker_pools(view: ClusterView) -> tuple[list[str], dict[ResourceKey, list[str]]]:
    """Worker pool names, and which pools each worker-role resource belongs to. A pool's
    name is part of the graph's node ids, which reports print: it reads as shown (an
    unresolved clusterctl variable as `${VAR}`)."""
    pools: list[str] = []
    belongs: dict[ResourceKey, list[str]] = {}
    workers = [m.resource for m in view.members if m.role == "worker"]
    by_kind_name = {(r.kind, r.name): r for r in workers}
    for owner in workers:
        if owner.kind not in ("MachineDeployment", "MachinePool"):
            continue
        pool = shown(owner.name)
        pools.append(pool)
        belongs.setdefault(resource_key(owner.kind, owner.namespace, owner.name), []).append(pool)
        for _part, ref, _path in machine_template_refs(owner.body):
            target = by_kind_name.get((ref.kind, ref.name)) if ref is not None else None
            if target is not None:
                key = resource_key(target.kind, target.namespace, target.name)
                belongs.setdefault(key, []).append(pool)
    marker = f"@{view.name}."
    for resource in workers:
        key = resource_key(resource.kind, resource.namespace, resource.name)
        if key in belongs or marker not in resource.name:
            continue
        pool = shown(resource.name.split(marker, 1)[1])
        if pool not in pools:
            pools.append(pool)
        belongs[key] = [pool]
    if not pools and workers:
        pools.append("workers")
    return pools, belongs


def _unresolved(view: ClusterView) -> bool:
    return looks_unresolved(view.name) or looks_unresolved(view.namespace)


def cluster_keys(views: Sequence[ClusterView]) -> list[str]:
    """The key of each view: `namespace/name` as shown; for a name or namespace that is an
    unresolved variable, plus `@` and as much of the file's path as tells it apart (never
    its leading `/`), and the document's line when one file holds several."""
    keys = [f"{shown(v.namespace)}/{shown(v.name)}" for v in views]
    unresolved = [i for i, v in enumerate(views) if _unresolved(v)]
    files = {i: _path_parts(views[i].cluster.origin.path) for i in unresolved}
    depth = 1
    while True:
        placed = {
            i: f"{keys[i]}@{'/'.join(files[i][-depth:])}" if files[i] else keys[i]
            for i in unresolved
        }
        sources: dict[str, set[tuple[str, ...]]] = {}
        for i, key in placed.items():
            sources.setdefault(key, set()).add(files[i])
        # only clusters of different files tell apart by more of the path
        clashing = any(len(sources[key]) > 1 and len(files[i]) > depth for i, key in placed.items())
        if not clashing:
            break
        depth += 1
    counts = Counter(placed.values())
    for i, key in placed.items():  # several in one file: the document's line
        line = views[i].cluster.origin.line
        if counts[key] > 1 and line is not None:
            placed[i] = f"{key}:{line}"
    return [placed.get(i, key) for i, key in enumerate(keys)]


def _path_parts(path: str) -> tuple[str, ...]:
    parts = PurePosixPath(path).parts
    return parts[1:] if parts and parts[0] == "/" else parts


def from_topology(topology: Topology) -> Deployment:
    """`from_views` of the topology's clusters."""
    return from_views(topology.clusters)


def from_views(views: Sequence[ClusterView]) -> Deployment:
    """One ClusterSpec per cluster identity (views of one identity merge; templates with
    an unresolved name stay apart per file); resources outside clusters count for the
    management scope."""
    specs: dict[str, ClusterSpec] = {}
    # scopes in the order first added, each once (a dict: a template many clusters
    # share has a scope per cluster, and searching a list for each grew as their square)
    scopes: dict[ResourceKey, dict[str, None]] = {}
    placed: dict[PlacedKey, dict[str, None]] = {}

    def add(res: Resource, scope: str) -> None:
        key = resource_key(res.kind, res.namespace, res.name)
        scopes.setdefault(key, {})[scope] = None
        placed.setdefault((*key, res.origin.path), {})[scope] = None

    for view, ckey in zip(views, cluster_keys(views), strict=True):
        worker_pools, belongs = _worker_pools(view)
        pools = [PoolSpec(CONTROL_PLANE_POOL, "control-plane")]
        pools += [PoolSpec(p, "worker") for p in worker_pools]
        known = specs.get(ckey)
        if known is not None:
            pools = [*known.pools, *(p for p in pools if p not in known.pools)]
        specs[ckey] = ClusterSpec(ckey, shown(view.namespace), account_of(view), tuple(pools))
        every_pool = [pool_scope(ckey, p.name) for p in pools]
        for member in view.members:
            res = member.resource
            add(res, cluster_scope(ckey))
            if member.role == "control-plane":
                add(res, pool_scope(ckey, CONTROL_PLANE_POOL))
            elif member.role == "worker":
                mine = belongs.get(resource_key(res.kind, res.namespace, res.name))
                for pool in mine or worker_pools:
                    add(res, pool_scope(ckey, pool))
            else:
                for scope in every_pool:
                    add(res, scope)
    return Deployment(
        tuple(specs.values()),
        {k: tuple(v) for k, v in scopes.items()},
        {k: tuple(v) for k, v in placed.items()},
    )
