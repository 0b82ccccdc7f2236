"""Instantiate the technique catalogue over a deployment: the attack graph.

Every capability is instantiated once per instance of its scope (per machine group, per
cluster, per account, per management namespace, per RBAC subject, per cloud principal,
or once). Node ids carry the instance: `ns/cluster/pool:cap`, `ns/cluster:cap`,
`account/<id>:cap`, `namespace/<ns>:cap`, `subject/<kind>/<ns>/<name>:cap`,
`principal/<arn>:cap`, or just `cap`. A cloud principal (an IAM role or user) exists only
when cloud evidence names it, and starts only the techniques whose `namedBy` checks
named it, towards its own account or the clusters that evidence names. Shared nodes
(management etcd and Secrets, accounts, namespaces, maintainer accounts) join the
per-cluster sub-graphs.

A technique becomes an edge unless a blocking mitigation holds in the edge's evidence
scope; the edge is "open" when a blocking mitigation is violated, "assumed" when nothing
is known, "unmitigated" when no mitigation blocks it.

The graph keeps its own adjacency lists (building networkx graphs of 50k+ nodes costs
seconds); `to_networkx()` converts when a caller wants networkx algorithms. Clusters whose
edges (techniques and statuses) and shared attachments are identical form one class:
search runs on one representative per class (and one pool per identical pool), an induced
subgraph whose paths are real paths of the full graph.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from capsa.checks.findings import Finding
from capsa.graph.deployment import (
    MANAGEMENT_SCOPE,
    ClusterSpec,
    Deployment,
    PoolSpec,
    cluster_scope,
    pool_scope,
)
from capsa.graph.evidence import EvidenceRef, MitigationEvidence, Status
from capsa.graph.techniques import (
    MANAGEMENT_ACCOUNT,
    SCOPE_RANK,
    Capability,
    Technique,
    TechniqueCatalogue,
)

OPEN = "open"
ASSUMED = "assumed"
UNMITIGATED = "unmitigated"


@dataclass(frozen=True, slots=True)
class Subject:
    """An RBAC subject a live scan found able to read Secrets (namespace None: all)."""

    kind: str
    namespace: str | None
    name: str
    check_id: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace or '*'}/{self.name}"


@dataclass(frozen=True, slots=True)
class CloudPrincipal:
    """An IAM role or user that cloud checks found able to start a technique: `checks`
    are the checks whose findings name it, `account` the graph account it acts in,
    `clusters` the cluster keys a cluster-level technique of it reaches (the clusters
    whose API load balancer it may delete)."""

    kind: str
    arn: str
    account: str
    checks: frozenset[str]
    clusters: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.arn


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    capability: str
    cluster: str | None = None
    pool: str | None = None
    account: str | None = None
    namespace: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    source: int
    target: int
    technique: str
    status: str
    blocked_by: tuple[str, ...]
    likelihood: float
    refs: tuple[EvidenceRef, ...] = ()

    @property
    def cost(self) -> float:
        return -math.log(self.likelihood)


@dataclass(frozen=True, slots=True)
class BlockedEdge:
    """An edge a holding mitigation removed, kept to explain what already works."""

    source: str
    target: str
    technique: str
    mitigation: str
    refs: tuple[EvidenceRef, ...]


@dataclass
class AttackGraph:
    catalogue: TechniqueCatalogue
    nodes: list[Node] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    out: list[list[int]] = field(default_factory=list)
    blocked: list[BlockedEdge] = field(default_factory=list)
    cluster_class: dict[str, int] = field(default_factory=dict)
    class_members: list[list[str]] = field(default_factory=list)
    searchable: list[bool] = field(default_factory=list)
    # capabilities the system model has no element or asset for (`Capability.model`)
    dropped: frozenset[str] = frozenset()

    def add_node(self, node: Node) -> int:
        found = self.index.get(node.id)
        if found is not None:
            return found
        self.index[node.id] = len(self.nodes)
        self.nodes.append(node)
        self.out.append([])
        self.searchable.append(True)
        return len(self.nodes) - 1

    def add_edge(self, edge: Edge) -> None:
        self.out[edge.source].append(len(self.edges))
        self.edges.append(edge)

    def nodes_of(self, capability: str, searchable_only: bool = True) -> list[int]:
        return [
            i
            for i, n in enumerate(self.nodes)
            if n.capability == capability and (self.searchable[i] or not searchable_only)
        ]

    def entry_nodes(self, capability: str) -> list[int]:
        """Searchable nodes of an entry capability (limited to its entryRole, if any)."""
        role = self.catalogue.capabilities[capability].entry_role
        nodes = self.nodes_of(capability)
        return nodes if role is None else [i for i in nodes if self.nodes[i].role == role]

    def clusters_like(self, cluster: str) -> list[str]:
        """Every cluster of the class `cluster` represents (itself included)."""
        klass = self.cluster_class.get(cluster)
        return [cluster] if klass is None else list(self.class_members[klass])

    def to_networkx(self) -> Any:
        """A networkx MultiDiGraph of the whole graph (edge key = technique id)."""
        import networkx as nx

        graph = nx.MultiDiGraph()
        for node in self.nodes:
            graph.add_node(node.id, capability=node.capability, cluster=node.cluster)
        for edge in self.edges:
            graph.add_edge(
                self.nodes[edge.source].id,
                self.nodes[edge.target].id,
                key=edge.technique,
                status=edge.status,
                likelihood=edge.likelihood,
                cost=edge.cost,
            )
        return graph


@dataclass(frozen=True)
class _Context:
    """One instance of an edge's scope: what each end's scope resolves to."""

    cluster: ClusterSpec | None = None
    pool: PoolSpec | None = None
    account: str | None = None
    namespace: str | None = None
    subject: Subject | None = None
    principal: CloudPrincipal | None = None


def _node_id(cap: Capability, ctx: _Context) -> str | None:
    scope = cap.scope
    if scope == "global":
        return cap.id
    if scope == "account":
        return f"account/{ctx.account}:{cap.id}" if ctx.account is not None else None
    if scope == "namespace":
        return f"namespace/{ctx.namespace}:{cap.id}" if ctx.namespace is not None else None
    if scope == "subject":
        return f"subject/{ctx.subject.key}:{cap.id}" if ctx.subject is not None else None
    if scope == "principal":
        return f"principal/{ctx.principal.key}:{cap.id}" if ctx.principal is not None else None
    if scope == "cluster":
        return f"{ctx.cluster.key}:{cap.id}" if ctx.cluster is not None else None
    if ctx.cluster is None or ctx.pool is None:
        return None
    return f"{ctx.cluster.key}/{ctx.pool.name}:{cap.id}"


class _Builder:
    def __init__(
        self,
        catalogue: TechniqueCatalogue,
        deployment: Deployment,
        evidence: MitigationEvidence,
        subjects: Sequence[Subject],
        allowed: set[str] | None,
        principals: Sequence[CloudPrincipal] = (),
    ) -> None:
        self.cat = catalogue
        self.dep = deployment
        self.evidence = evidence
        self.subjects = list(subjects)
        self.principals = list(principals)
        self.allowed = allowed
        self.graph = AttackGraph(catalogue)
        self.accounts = sorted(
            {c.account for c in deployment.clusters}
            | {MANAGEMENT_ACCOUNT}
            | {p.account for p in self.principals}
        )
        self.namespaces = sorted({c.namespace for c in deployment.clusters})
        self.signature: dict[str, list[tuple[str, ...]]] = {}

    def contexts(self, scope: str) -> Iterable[_Context]:
        if scope == "global":
            yield _Context()
        elif scope == "account":
            for account in self.accounts:
                yield _Context(account=account)
        elif scope == "namespace":
            for namespace in self.namespaces:
                yield _Context(namespace=namespace)
        elif scope == "subject":
            for subject in self.subjects:
                for namespace in [subject.namespace] if subject.namespace else self.namespaces:
                    yield _Context(subject=subject, namespace=namespace)
        elif scope == "principal":
            for principal in self.principals:
                yield _Context(account=principal.account, principal=principal)
        else:
            for cluster in self.dep.clusters:
                base = _Context(cluster, None, cluster.account, cluster.namespace)
                if scope == "cluster":
                    yield base
                else:
                    for pool in cluster.pools:
                        yield _Context(cluster, pool, cluster.account, cluster.namespace)

    def usable(self, cap: Capability) -> bool:
        return self.allowed is None or not cap.model or any(m in self.allowed for m in cap.model)

    def build(self) -> AttackGraph:
        for cap in self.cat.capabilities.values():
            if self.usable(cap):
                for ctx in self.contexts(cap.scope):
                    self.add_node(cap, ctx)
        self.graph.dropped = frozenset(
            cap.id for cap in self.cat.capabilities.values() if not self.usable(cap)
        )
        for technique in self.cat.techniques:
            self.instantiate(technique)
        self.classify()
        return self.graph

    def add_node(self, cap: Capability, ctx: _Context) -> int | None:
        node_id = _node_id(cap, ctx)
        if node_id is None:
            return None
        found = self.graph.index.get(node_id)
        if found is not None:
            return found
        return self.graph.add_node(
            Node(
                node_id,
                cap.id,
                ctx.cluster.key if ctx.cluster and cap.scope in ("cluster", "pool") else None,
                ctx.pool.name if ctx.pool and cap.scope == "pool" else None,
                ctx.account if cap.scope == "account" else None,
                ctx.namespace if cap.scope == "namespace" else None,
                ctx.pool.role if ctx.pool and cap.scope == "pool" else None,
            )
        )

    def principal_contexts(self, technique: Technique, target: Capability) -> Iterable[_Context]:
        """Where a principal's technique leads: its account, or each cluster the
        evidence names for it; only for principals its `namedBy` checks named."""
        wanted = set(technique.named_by)
        by_key = {c.key: c for c in self.dep.clusters}
        for principal in self.principals:
            if not wanted & principal.checks:
                continue
            if target.scope in ("cluster", "pool"):
                for key in principal.clusters:
                    cluster = by_key.get(key)
                    if cluster is None:
                        continue
                    base = _Context(
                        cluster, None, cluster.account, cluster.namespace, principal=principal
                    )
                    if target.scope == "cluster":
                        yield base
                    else:
                        for pool in cluster.pools:
                            yield _Context(
                                cluster, pool, cluster.account, cluster.namespace, None, principal
                            )
            else:
                yield _Context(account=principal.account, principal=principal)

    def evidence_scopes(self, technique: Technique, scope: str, ctx: _Context) -> tuple[str, ...]:
        if ctx.principal is not None and technique.evidence is None:
            # the principal's own results decide: where its IAM resource was attributed
            return self.dep.scopes_for(ctx.principal.kind, None, ctx.principal.arn)
        wanted = technique.evidence or scope
        if SCOPE_RANK[wanted] > SCOPE_RANK[scope]:
            wanted = scope
        if wanted == "pool" and ctx.cluster is not None and ctx.pool is not None:
            return (pool_scope(ctx.cluster.key, ctx.pool.name),)
        if wanted in ("pool", "cluster") and ctx.cluster is not None:
            return (cluster_scope(ctx.cluster.key),)
        if wanted == "account" and ctx.account is not None:
            members = [c.key for c in self.dep.clusters if c.account == ctx.account]
            return (*(cluster_scope(k) for k in members), MANAGEMENT_SCOPE)
        if wanted == "namespace" and ctx.namespace is not None:
            members = [c.key for c in self.dep.clusters if c.namespace == ctx.namespace]
            return (*(cluster_scope(k) for k in members), MANAGEMENT_SCOPE)
        return (MANAGEMENT_SCOPE,)

    def instantiate(self, technique: Technique) -> None:
        source = self.cat.capabilities[technique.source]
        target = self.cat.capabilities[technique.target]
        if not (self.usable(source) and self.usable(target)):
            return
        scope = self.cat.edge_scope(technique)
        if source.scope == "principal":
            contexts: Iterable[_Context] = self.principal_contexts(technique, target)
        else:
            contexts = self.contexts(scope)
        for ctx in contexts:
            if ctx.pool is not None and not self._roles_match(technique, source, target, ctx):
                continue
            if technique.from_account is not None and ctx.account != technique.from_account:
                continue
            src, dst = _node_id(source, ctx), _node_id(target, ctx)
            if src is None or dst is None:
                continue
            self.add_instance(technique, scope, ctx, src, dst)

    @staticmethod
    def _roles_match(t: Technique, source: Capability, target: Capability, ctx: _Context) -> bool:
        role = ctx.pool.role if ctx.pool is not None else None
        if source.scope == "pool" and t.from_role is not None and t.from_role != role:
            return False
        return not (target.scope == "pool" and t.to_role is not None and t.to_role != role)

    def add_instance(
        self, technique: Technique, scope: str, ctx: _Context, src: str, dst: str
    ) -> None:
        scopes = self.evidence_scopes(technique, scope, ctx)
        status = UNMITIGATED if not technique.blocked_by else ASSUMED
        refs: list[EvidenceRef] = []
        holding: tuple[str, tuple[EvidenceRef, ...]] | None = None
        for mitigation in technique.blocked_by:
            verdict = self.evidence.verdict(scopes, mitigation, technique.decided_by)
            if verdict.status is Status.HOLDS:
                holding = (mitigation, verdict.refs)
                break
            if verdict.status is Status.VIOLATED:
                status = OPEN
                refs.extend(verdict.refs)
        if ctx.cluster is not None:
            where = ctx.pool.name if ctx.pool is not None else ""
            mark = "blocked" if holding else status
            self.signature.setdefault(ctx.cluster.key, []).append(
                (technique.id, where if ctx.pool is None else ctx.pool.role, where, mark)
            )
        if holding is not None:
            self.graph.blocked.append(BlockedEdge(src, dst, technique.id, *holding))
            return
        graph = self.graph
        graph.add_edge(
            Edge(
                graph.index[src],
                graph.index[dst],
                technique.id,
                status,
                technique.blocked_by,
                technique.likelihood,
                tuple(sorted(set(refs))),
            )
        )

    def classify(self) -> None:
        """Group clusters with identical edges and shared attachments; keep one
        representative per class and one pool per identical pool for search."""
        graph = self.graph
        classes: dict[tuple[Any, ...], int] = {}
        keep_pools: dict[str, set[str]] = {}
        for cluster in self.dep.clusters:
            pool_sigs: dict[str, tuple[Any, ...]] = {}
            cluster_level: list[tuple[str, ...]] = []
            for technique, role, pool, mark in self.signature.get(cluster.key, []):
                if pool:
                    pool_sigs.setdefault(pool, (role,))
                    pool_sigs[pool] += ((technique, mark),)
                else:
                    cluster_level.append((technique, mark))
            for spec in cluster.pools:
                pool_sigs.setdefault(spec.name, (spec.role,))
            distinct: dict[tuple[Any, ...], str] = {}
            for name, sig in pool_sigs.items():
                distinct.setdefault((*sorted(sig[1:], key=str), sig[0]), name)
            key = (
                cluster.account,
                cluster.namespace,
                frozenset(distinct),
                tuple(sorted(cluster_level)),
            )
            klass = classes.setdefault(key, len(classes))
            graph.cluster_class[cluster.key] = klass
            if klass == len(graph.class_members):
                graph.class_members.append([])
                keep_pools[cluster.key] = set(distinct.values())
            graph.class_members[klass].append(cluster.key)
        for i, node in enumerate(graph.nodes):
            if node.cluster is None:
                continue
            pools = keep_pools.get(node.cluster)
            graph.searchable[i] = pools is not None and (node.pool is None or node.pool in pools)


def build_graph(
    catalogue: TechniqueCatalogue,
    deployment: Deployment,
    evidence: MitigationEvidence | None = None,
    subjects: Sequence[Subject] = (),
    model_ids: Iterable[str] | None = None,
    principals: Sequence[CloudPrincipal] = (),
) -> AttackGraph:
    """The attack graph of `deployment`. `model_ids` (element and asset ids of a system
    model) drops capabilities the model has nothing for; None keeps all. `principals`
    are the cloud principals cloud evidence named (none: no principal entry points)."""
    allowed = set(model_ids) if model_ids is not None else None
    builder = _Builder(
        catalogue, deployment, evidence or MitigationEvidence(), subjects, allowed, principals
    )
    return builder.build()


def subject_threats(catalogue: TechniqueCatalogue) -> frozenset[str]:
    """Threats realised by the techniques an RBAC subject starts (capabilities of scope
    `subject`): the findings of those threats on RBAC objects name the subjects."""
    subject_caps = {c.id for c in catalogue.capabilities.values() if c.scope == "subject"}
    return frozenset(
        threat for t in catalogue.techniques if t.source in subject_caps for threat in t.threats
    )


def subjects_from_findings(
    findings: Iterable[Finding], catalogue: TechniqueCatalogue
) -> list[Subject]:
    """RBAC subjects behind live findings (suppressed ones too: an accepted risk leaves the
    subject) of the threats subject techniques realise."""
    kinds = {"ServiceAccount", "User", "Group", "RoleBinding", "ClusterRoleBinding"}
    wanted = subject_threats(catalogue)
    out: dict[str, Subject] = {}
    for finding in findings:
        resource = finding.resource
        if resource.kind not in kinds:
            continue
        if not set(finding.threats) & wanted:
            continue
        namespace = None if resource.kind == "ClusterRoleBinding" else resource.namespace
        subject = Subject(resource.kind, namespace, resource.name, finding.check_id)
        out.setdefault(subject.key, subject)
    return list(out.values())
