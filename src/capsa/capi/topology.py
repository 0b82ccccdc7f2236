"""The topology of Cluster API manifests: every Cluster resolved (`capsa.capi.clusters`),
and the context cross-object checks see for each resource (`capsa.capi.context`).

Each member of a cluster sees the cluster's shared facts plus its own role, namespace,
VPC and (for a ClusterResourceSet) payload; objects in no cluster see what is knowable
on their own (their namespace; an AWSCluster's identity; the identity an
AWSClusterRoleIdentity is assumed from; a ClusterResourceSet's payload).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from capsa.capi import kinds
from capsa.capi.clusterclass import as_instance
from capsa.capi.clusters import (
    ClusterView,
    InputWide,
    Rank,
    Resolving,
    identity_chain,
    identity_ref_of,
    resolve_clusters,
)
from capsa.capi.context import (
    CheckContext,
    ClusterFacts,
    IdentityRefFacts,
    MachineTemplateFacts,
    NamespaceFacts,
    PayloadEntry,
    VpcFacts,
)
from capsa.capi.index import ResourceIndex, ResourceKey, namespace_of, resource_key
from capsa.capi.payload import describe, embedded_objects
from capsa.capi.rbac import RbacFacts, rbac_facts
from capsa.errors import Problem
from capsa.kube import dig, labels_of
from capsa.sources.clusterctl_vars import looks_unresolved
from capsa.sources.resource import Resource
from capsa.yamlio import plain


@dataclass(frozen=True)
class Topology:
    """All clusters found, the problems met, and each resource's check context."""

    clusters: tuple[ClusterView, ...]
    problems: tuple[Problem, ...]
    resolved_resources: tuple[Resource, ...]
    _contexts: Mapping[ResourceKey, CheckContext] = field(repr=False)
    _replaced: frozenset[ResourceKey] = field(repr=False)
    _namespaces: Mapping[str, NamespaceFacts] = field(repr=False)
    _bootstrap: Mapping[tuple[str, str, str], tuple[str, ...]] = field(
        default_factory=dict, repr=False
    )
    _rbac: Mapping[ResourceKey, RbacFacts] = field(default_factory=dict, repr=False)
    _bindings: dict[ResourceKey, dict[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _wide: InputWide | None = field(default=None, repr=False)
    _alone: Mapping[ResourceKey, ResourceKey] = field(default_factory=dict, repr=False)

    def context_of(self, resource: Resource) -> CheckContext:
        """Where `resource` sits in the topology. Resources outside any cluster get an
        empty cluster and role "". A template shared by several clusters gets the first
        cluster's context."""
        key = resource_key(resource)
        found = self._contexts.get(key)
        context = found if found is not None else _outside(resource, self._namespaces)
        bootstrap = self._bootstrap.get(
            (resource.origin.path, resource.kind, _template_name(resource))
        )
        if bootstrap:
            context = replace(context, bootstrap_kinds=bootstrap)
        if resource.value_facts:
            context = replace(context, value_facts=resource.value_facts)
        rbac = self._rbac.get(key)
        return context if rbac is None else replace(context, rbac=rbac)

    def context_for(self, resource: Resource) -> dict[str, Any]:
        """`context_of` as the CEL `context` binding (made once per resource; treat it as
        read-only)."""
        key = resource_key(resource)
        found = self._bindings.get(key)
        if found is None:
            found = self._bindings[key] = self.context_of(resource).binding()
        return found

    def alone_class(self, resource: Resource) -> ResourceKey | None:
        """The unused ClusterClass a resolved template was judged with (None: it was
        resolved for a Cluster, or is no resolved template)."""
        return self._alone.get(resource_key(resource))

    def evaluation_resources(self, resources: Sequence[Resource]) -> list[Resource]:
        """What checks should run on: the inputs, with every ClusterClass template that a
        Cluster uses replaced by its per-cluster resolved (patched) versions."""
        out = [r for r in resources if resource_key(r) not in self._replaced]
        out.extend(self.resolved_resources)
        return out


@dataclass(frozen=True)
class SharedFacts:
    """Facts that span every cluster of an input: the namespaces' quotas and which
    clusters share a VPC. A scan that resolves a part of its input at a time computes
    them once over the whole and hands them to each part."""

    namespaces: Mapping[str, NamespaceFacts]
    vpc_users: Mapping[str, tuple[str, ...]]
    cluster_order: Mapping[ResourceKey, int]  # each Cluster's place among the whole's
    rbac: Mapping[ResourceKey, RbacFacts]  # per binding: RBAC is judged across the input
    # what resolving a part must know of the whole (`InputWide`), the templates the whole
    # replaces by resolved copies, and which unused class judged each template alone
    wide: InputWide | None = None
    replaced: frozenset[ResourceKey] = frozenset()
    alone: Mapping[ResourceKey, ResourceKey] = field(default_factory=dict)


def shared_facts(topology: Topology) -> SharedFacts:
    """The facts of `topology` that other parts of the same input must see alike."""
    return _shared_facts(
        topology.clusters,
        topology._namespaces,
        topology._rbac,
        topology._wide,
        topology._replaced,
        topology._alone,
    )


def _shared_facts(
    views: Sequence[ClusterView],
    namespaces: Mapping[str, NamespaceFacts],
    rbac: Mapping[ResourceKey, RbacFacts],
    wide: InputWide | None,
    replaced: frozenset[ResourceKey],
    alone: Mapping[ResourceKey, ResourceKey],
) -> SharedFacts:
    """`SharedFacts` of a resolution that built contexts: the clusters' order is the
    order of `views` (`planning_view` gathers the same one view at a time)."""
    clusters = _AcrossClusters()
    for view in views:
        clusters.add(view)
    return SharedFacts(
        dict(namespaces),
        clusters.vpc_users(),
        clusters.order,
        dict(rbac),
        wide,
        replaced,
        dict(alone),
    )


class _AcrossClusters:
    """What the shared facts keep of the clusters, gathered one view at a time: each
    Cluster's place among them and the clusters (`namespace/name`) placed in each VPC,
    both in view order."""

    def __init__(self) -> None:
        self.order: dict[ResourceKey, int] = {}
        self._vpc_users: dict[str, list[str]] = defaultdict(list)
        self._seen = 0

    def add(self, view: ClusterView) -> None:
        self.order[resource_key(view.cluster)] = self._seen
        self._seen += 1
        vpc = vpc_id_of(view)
        if vpc:
            self._vpc_users[vpc].append(f"{view.namespace}/{view.name}")

    def vpc_users(self) -> dict[str, tuple[str, ...]]:
        return {vpc: tuple(names) for vpc, names in self._vpc_users.items()}


def build_topology(
    resources: Sequence[Resource],
    management_vpc_ids: Iterable[str] = (),
    *,
    index: ResourceIndex | None = None,
    shared: SharedFacts | None = None,
    rbac: Mapping[ResourceKey, RbacFacts] | None = None,
    quotas_unread: bool = False,
) -> Topology:
    """Resolve every Cluster among `resources` and prepare each resource's context.
    Fragments (kustomize patch files) take no part: they get the context of no cluster.

    `management_vpc_ids` are VPC ids known to host the management cluster (e.g. read from
    a live cluster); workload clusters placed in them are flagged by the network check.
    `index` replaces the index built over `resources`; `shared` replaces the facts that
    span the whole input (when `resources` are a part of it); `rbac` the RBAC analysis
    of `resources` when it was made apart. `quotas_unread`: a live cluster among the
    inputs could not list its ResourceQuotas (its namespaces then show no quota's absence).
    """
    # a kustomize patch file holds a fragment of its base, not an object of any cluster
    whole = [r for r in resources if r.fragment_of is None]
    index = index if index is not None else ResourceIndex(whole)
    found = resolve_clusters(whole, index, shared.wide if shared is not None else None)
    views = found.views
    if shared is not None:  # a part: clusters in the whole's order (the first claims first)
        order = shared.cluster_order
        views = tuple(sorted(views, key=lambda v: order.get(resource_key(v.cluster), len(order))))
    namespaces = (
        dict(shared.namespaces) if shared is not None else namespace_facts(index, quotas_unread)
    )
    vpc_users = shared.vpc_users if shared is not None else _vpc_users(views)
    contexts = _contexts(views, whole, index, namespaces, set(management_vpc_ids), vpc_users)
    left_out: list[Problem] = []  # objects the RBAC analysis could not read
    rbac_found = _rbac_of(resources, shared, rbac, left_out)
    return Topology(
        clusters=views,
        problems=(*found.problems, *left_out),
        resolved_resources=found.resolved,
        _contexts=contexts,
        _replaced=found.replaced,
        _namespaces=namespaces,
        _bootstrap=_bootstrap_kinds(index),
        _rbac=rbac_found,
        _wide=found.wide,
        _alone=found.alone,
    )


@dataclass(frozen=True)
class WholeOfPart:
    """What planning a part of an input alone must be told of the whole
    (`capsa.scan.parts`): the namespaces' facts, the files defining each class name,
    and each Cluster's place in the whole's order (`clusters.cluster_ranks`)."""

    namespaces: Mapping[str, NamespaceFacts]
    class_files: Mapping[str, tuple[str, ...]]
    ranks: Mapping[ResourceKey, tuple[Rank, ...]]


def planning_view(
    resources: Sequence[Resource],
    index: ResourceIndex,
    rbac: Mapping[ResourceKey, RbacFacts] | None = None,
    seen: Callable[[ClusterView], object] = lambda view: None,
    whole_of_part: WholeOfPart | None = None,
    rank: Callable[[Resource], Rank] | None = None,
) -> SharedFacts:
    """The `shared_facts` of `build_topology(resources, index=index, rbac=rbac)`, making
    every lookup it makes (`_ContextReferences`) but building no check context: what
    planning reads of the whole input's resolution. Each cluster's view is handed to
    `seen` as it is resolved and kept no longer (planning keeps what it reads of it):
    the whole input's views were a third of planning's memory (corpus x20: ~8 MB).
    With `whole_of_part`, `resources` are a part planned alone: its views come in the
    whole's order (`rank`: each Cluster's place, `clusters.ranks_of`), and the facts
    that span the input are the whole's."""
    whole = [r for r in resources if r.fragment_of is None]
    class_files = whole_of_part.class_files if whole_of_part is not None else None
    resolving = Resolving(whole, index, None, class_files=class_files, rank=rank)
    namespaces = (
        dict(whole_of_part.namespaces) if whole_of_part is not None else namespace_facts(index)
    )
    clusters = _AcrossClusters()
    references = _ContextReferences(index)
    for view in resolving.views():
        clusters.add(view)
        references.of_members(view)
        seen(view)
    references.outside(whole)
    alone = {resource_key(template): class_key for template, class_key in resolving.alone()}
    return SharedFacts(
        namespaces,
        clusters.vpc_users(),
        clusters.order,
        dict(_rbac_of(resources, None, rbac)),
        resolving.wide(),
        frozenset(resolving.replaced),
        alone,
    )


def _rbac_of(
    resources: Sequence[Resource],
    shared: SharedFacts | None,
    rbac: Mapping[ResourceKey, RbacFacts] | None,
    problems: list[Problem] | None = None,
) -> Mapping[ResourceKey, RbacFacts]:
    if shared is not None:
        return shared.rbac
    return rbac if rbac is not None else rbac_facts(resources, problems)


def _template_name(resource: Resource) -> str:
    """The name a pool's infrastructureRef uses (a ClusterClass copy is `name@cluster`)."""
    return resource.name.split("@", 1)[0]


def _bootstrap_kinds(index: ResourceIndex) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """(file, infrastructure kind, name) -> the bootstrap config kinds of the
    MachineDeployments, MachinePools and ClusterClass worker classes of that file whose
    machines it makes (copies of templates repeat names, so the file is part of the key)."""
    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for pool in index.of_kind("MachineDeployment", "MachinePool"):
        if pool.group != kinds.CORE_GROUP:
            continue
        infra = kinds.ref_from(dig(pool.body, "spec", "template", "spec", "infrastructureRef"))
        config = kinds.ref_from(
            dig(pool.body, "spec", "template", "spec", "bootstrap", "configRef")
        )
        if infra is not None and config is not None:
            found[(pool.origin.path, infra.kind, infra.name)].add(config.kind)
    for cluster_class in index.of_kind("ClusterClass"):
        for worker in kinds.class_workers(cluster_class.body):
            if worker.infrastructure is not None and worker.bootstrap is not None:
                key = (
                    cluster_class.origin.path,
                    worker.infrastructure.kind,
                    worker.infrastructure.name,
                )
                found[key].add(worker.bootstrap.kind)
    return {key: tuple(sorted(value)) for key, value in found.items()}


# --- contexts --------------------------------------------------------------------------


def _management(resource: Resource) -> bool:
    """An object of the management cluster: not one a ClusterResourceSet or a kustomize
    generator ships to workload clusters (those carry a carrier or a generated object)."""
    return resource.group == "" and not resource.origin.carrier and not resource.origin.generated


def namespace_facts(index: ResourceIndex, quotas_unread: bool = False) -> dict[str, NamespaceFacts]:
    """Per namespace, its quotas' object counts and whether the inputs create it. With
    `quotas_unread` (a live read that could not list ResourceQuotas) a Namespace read
    from that cluster says nothing of its quotas, so it is not taken as created here."""
    counts: dict[str, list[str]] = {}
    for quota in index.of_kind("ResourceQuota"):
        if not _management(quota):
            continue
        found = counts.setdefault(namespace_of(quota), [])
        hard = dig(quota.body, "spec", "hard")
        for key in hard if isinstance(hard, Mapping) else {}:
            if str(key).startswith("count/") and str(key) not in found:
                found.append(str(key))
    declared = {
        ns.name
        for ns in index.of_kind("Namespace")
        if _management(ns) and not (quotas_unread and ns.origin.path.startswith("cluster://"))
    }
    kept = bool(counts)
    facts = {
        ns: NamespaceFacts(ns, True, tuple(found), ns in declared, kept)
        for ns, found in counts.items()
    }
    for ns in declared - counts.keys():
        facts[ns] = NamespaceFacts(ns, declared=True, quotas_kept=kept)
    return facts


def _namespace_context(namespace: str, facts: Mapping[str, NamespaceFacts]) -> NamespaceFacts:
    found = facts.get(namespace)
    if found is not None:
        return found
    # every entry says alike whether the inputs keep quotas
    kept = next(iter(facts.values())).quotas_kept if facts else False
    return NamespaceFacts(namespace, quotas_kept=kept)


def _outside(resource: Resource, namespaces: Mapping[str, NamespaceFacts]) -> CheckContext:
    """The context of a resource in no cluster: only its namespace is known."""
    namespace = namespace_of(resource)
    return CheckContext(
        namespace=_namespace_context(namespace, namespaces),
        cluster=ClusterFacts(namespace=namespace),
    )


def vpc_id_of(view: ClusterView) -> str:
    infra = view.infrastructure_cluster
    if infra is None:
        return ""
    base: tuple[str, ...] = (
        ("spec", "template", "spec") if infra.kind.endswith("Template") else ("spec",)
    )
    path = (*base, "network", "vpc", "id")
    value = dig(infra.body, *path)
    if (
        not isinstance(value, str)
        or not value
        or looks_unresolved(value)
        or path in infra.unknown_paths
    ):
        return ""
    return value


def _payload(crs: Resource, index: ResourceIndex) -> tuple[PayloadEntry, ...]:
    out: list[PayloadEntry] = []
    entries = dig(crs.body, "spec", "resources")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        kind, name = entry.get("kind"), entry.get("name")
        if kind not in ("Secret", "ConfigMap") or not isinstance(name, str):
            continue
        carrier = index.resolve(
            kinds.ObjectRef(kind=kind, name=name, group=""), namespace_of(crs), crs
        )
        if carrier is None:
            # a ConfigMap/Secret a kustomize generator makes from files among the inputs
            generated = index.generated(kind, name, crs.namespace, crs)
            described = [d for r in generated if (d := describe(r.body)) is not None]
            out.extend(PayloadEntry(kind, name, True, obj) for obj in described)
            if not generated:
                out.append(PayloadEntry(kind, name, found=False))
            continue
        # Sources parse carrier payloads before Secret values are redacted; use those
        # objects, and decode the carrier itself only when no source expanded it.
        carried = [d for r in index.carried_by(carrier) if (d := describe(r.body)) is not None]
        out.extend(
            PayloadEntry(kind, name, True, obj) for obj in carried or embedded_objects(carrier.body)
        )
    return tuple(out)


def _vpc_users(views: Sequence[ClusterView]) -> dict[str, tuple[str, ...]]:
    """The clusters (`namespace/name`) placed in each VPC, in view order."""
    clusters = _AcrossClusters()
    for view in views:
        clusters.add(view)
    return clusters.vpc_users()


def _placed(
    views: Sequence[ClusterView], resources: Sequence[Resource]
) -> Iterator[tuple[ResourceKey, Resource, ClusterView | None, str]]:
    """Each object that gets a context of its own, once per key, with its cluster and
    role: every cluster's members (the first cluster keeps a shared template), then
    the objects outside any cluster whose context knows more than their namespace."""
    seen: set[ResourceKey] = set()
    for view in views:
        for member in view.members:
            key = resource_key(member.resource)
            if key not in seen:
                seen.add(key)
                yield key, member.resource, view, member.role
    for resource in resources:
        key = resource_key(resource)
        if key in seen:
            continue
        if resource.kind == "ClusterResourceSet" and resource.group == kinds.ADDONS_GROUP:
            pass
        elif resource.kind not in ("AWSCluster", "AWSClusterTemplate", "AWSClusterRoleIdentity"):
            continue
        seen.add(key)
        yield key, resource, None, ""


def _contexts(
    views: Sequence[ClusterView],
    resources: Sequence[Resource],
    index: ResourceIndex,
    namespaces: Mapping[str, NamespaceFacts],
    management_vpcs: set[str],
    vpc_users: Mapping[str, Sequence[str]],
) -> dict[ResourceKey, CheckContext]:
    contexts: dict[ResourceKey, CheckContext] = {}
    made: tuple[ClusterView, CheckContext, VpcFacts] | None = None
    for key, resource, view, role in _placed(views, resources):
        if view is None:  # outside any cluster: what is knowable on its own
            contexts[key] = _alone(resource, index, namespaces)
            continue
        if made is None or made[0] is not view:
            made = (view, _shared_context(view, namespaces), _vpc(view, management_vpcs, vpc_users))
        _, shared, vpc = made
        is_resource_set = resource.kind == "ClusterResourceSet"
        contexts[key] = replace(
            shared,
            role=role,
            namespace=_namespace_context(namespace_of(resource), namespaces),
            vpc=vpc,
            resource_set_payload=_payload(resource, index) if is_resource_set else (),
        )
    return contexts


def _vpc(
    view: ClusterView, management_vpcs: set[str], vpc_users: Mapping[str, Sequence[str]]
) -> VpcFacts:
    vpc = vpc_id_of(view)
    me = f"{view.namespace}/{view.name}"
    return VpcFacts(
        id=vpc,
        shared_with=tuple(c for c in vpc_users.get(vpc, []) if c != me) if vpc else (),
        management=bool(vpc) and vpc in management_vpcs,
    )


_ALONE_KINDS = frozenset(
    {"ClusterResourceSet", "AWSCluster", "AWSClusterTemplate", "AWSClusterRoleIdentity"}
)
"""Kinds an object outside any cluster gets a context of its own for (`_placed`)."""


class _ContextReferences:
    """Every lookup `build_topology` makes to give resources their contexts (carriers
    and generated payloads of ClusterResourceSets, identities of objects outside any
    cluster), made one view at a time and without the contexts: planning records which
    files these reach and needs nothing else of them (building every cluster's context
    cost a quarter of its resolution, corpus x5). As `_placed`, a member is placed once
    (by its first cluster) and an object is outside when no cluster has it; only the
    members of the kinds that decide a lookup are remembered."""

    def __init__(self, index: ResourceIndex) -> None:
        self._index = index
        self._placed: set[ResourceKey] = set()

    def of_members(self, view: ClusterView) -> None:
        for member in view.members:
            resource = member.resource
            if resource.kind not in _ALONE_KINDS:
                continue
            key = resource_key(resource)
            if key in self._placed:
                continue
            self._placed.add(key)
            if resource.kind == "ClusterResourceSet":
                _payload(resource, self._index)

    def outside(self, resources: Sequence[Resource]) -> None:
        for key, resource, _view, _role in _placed((), resources):
            if key not in self._placed:
                _alone(resource, self._index, {})


def _alone(
    resource: Resource, index: ResourceIndex, namespaces: Mapping[str, NamespaceFacts]
) -> CheckContext:
    """The context of a ClusterResourceSet, AWSCluster(Template) or role identity in no
    cluster."""
    if resource.kind == "ClusterResourceSet":
        return replace(
            _outside(resource, namespaces), resource_set_payload=_payload(resource, index)
        )
    if resource.kind == "AWSClusterRoleIdentity":
        return _assumed_from(resource, index, namespaces)
    ref, defaulted = identity_ref_of(as_instance(resource), resource.kind)
    return _with_identity(_outside(resource, namespaces), resource, ref, index, defaulted)


def _assumed_from(
    identity: Resource, index: ResourceIndex, namespaces: Mapping[str, NamespaceFacts]
) -> CheckContext:
    """A role identity's context: `identity`/`identityRef` are the identity it is assumed
    from (its sourceIdentityRef), when it names one."""
    ref = kinds.ref_from(dig(identity.body, "spec", "sourceIdentityRef"))
    return _with_identity(_outside(identity, namespaces), identity, ref, index)


def _with_identity(
    context: CheckContext,
    holder: Resource,
    ref: kinds.ObjectRef | None,
    index: ResourceIndex,
    defaulted: bool = False,
) -> CheckContext:
    """`context` with `identity`/`identityRef` filled from the identity `holder`'s `ref`
    names (resolved from `holder`), unchanged when it names none."""
    if ref is None:
        return context
    found = index.resolve(ref, None, holder)
    return replace(
        context,
        identity=plain(found.body) if found is not None else None,
        identity_ref=IdentityRefFacts(
            kind=ref.kind,
            name=ref.name,
            defaulted=defaulted,
            found=found is not None,
            chain=tuple(identity_chain(found, index)),
        ),
    )


def _shared_context(view: ClusterView, namespaces: Mapping[str, NamespaceFacts]) -> CheckContext:
    """What every member of a cluster sees alike (role, namespace, VPC and payload are
    filled in per member)."""
    machine_templates = []
    for member in view.members:
        if member.resource.kind.endswith("MachineTemplate") and member.role:
            if view.topology_class is not None and "@" not in member.resource.name:
                continue  # the raw class template; its resolved copy is listed instead
            machine_templates.append(
                MachineTemplateFacts(
                    role=member.role,
                    kind=member.resource.kind,
                    name=member.resource.name,
                    spec=(as_instance(member.resource) or {}).get("spec", {}),
                )
            )
    return CheckContext(
        namespace=_namespace_context(view.namespace, namespaces),
        cluster=ClusterFacts(
            name=view.name,
            namespace=view.namespace,
            labels=labels_of(view.cluster.body),
            topology_class=view.topology_class or "",
        ),
        infrastructure_cluster=as_instance(view.infrastructure_cluster),
        identity=plain(view.identity.body) if view.identity is not None else None,
        identity_ref=view.identity_ref,
        control_plane=as_instance(view.control_plane),
        machine_templates=tuple(machine_templates),
        machine_health_checks=view.machine_health_checks,
        applied_patches=view.applied_patches,
        skipped_patches=view.not_evaluated,
    )
