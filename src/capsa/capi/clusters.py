"""Each Cluster resolved to the objects it uses, and the part each plays.

Follows the references a Cluster makes (infrastructure cluster, control plane and its
machine template, worker pools and their templates, health checks, ClusterResourceSets,
the cloud identity) and applies ClusterClasses (`capsa.capi.clusterclass`). References
that resolve to nothing among the inputs become Problems; nothing here raises on odd
input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capsa.capi import kinds
from capsa.capi.clusterclass import ClassResolution, as_instance, resolve_cluster_class
from capsa.capi.context import (
    ROLE_CLUSTER,
    ROLE_CONTROL_PLANE,
    ROLE_WORKER,
    AppliedPatch,
    HealthCheck,
    IdentityRefFacts,
    SkippedPatch,
)
from capsa.capi.index import Nearby, ResourceIndex, ResourceKey, namespace_of, resource_key
from capsa.display import listed, shown
from capsa.errors import SHAPE_ERRORS, Problem, left_out
from capsa.kube import dig, labels_of, selector_is_empty, selector_matches
from capsa.sources.clusterctl_vars import (
    MARKER_SUFFIX,
    UNRESOLVED_PREFIX,
    UNRESOLVED_RE,
    looks_unresolved,
)
from capsa.sources.resource import Resource
from capsa.yamlio import position_of


@dataclass(frozen=True)
class Member:
    """A resource that belongs to a cluster, and the part it plays there."""

    resource: Resource
    role: str


@dataclass(frozen=True)
class ClusterView:
    """One Cluster with everything it was resolved to."""

    cluster: Resource
    topology_class: str | None
    infrastructure_cluster: Resource | None
    control_plane: Resource | None
    control_plane_machine_template: Resource | None
    identity: Resource | None
    identity_ref: IdentityRefFacts
    members: tuple[Member, ...]
    resolved: tuple[Resource, ...]
    machine_health_checks: tuple[HealthCheck, ...]
    applied_patches: tuple[AppliedPatch, ...]
    not_evaluated: tuple[SkippedPatch, ...]

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def namespace(self) -> str:
        return namespace_of(self.cluster)

    def role_of(self, resource: Resource) -> str | None:
        key = resource_key(resource)
        for member in self.members:
            if resource_key(member.resource) == key:
                return member.role
        return None


@dataclass(frozen=True)
class Resolution:
    """Every Cluster's view, the per-cluster copies of ClusterClass templates, the class
    templates those copies stand for, and the problems met."""

    views: tuple[ClusterView, ...]
    resolved: tuple[Resource, ...]
    replaced: frozenset[ResourceKey]
    problems: tuple[Problem, ...]
    wide: InputWide | None = None
    alone: Mapping[ResourceKey, ResourceKey] = field(default_factory=dict)
    """Each template judged with an unused class (`_class_alone`) -> that class."""


@dataclass(frozen=True)
class InputWide:
    """What resolving a part of an input must know of the whole: the ClusterClasses some
    Cluster uses (the others are judged alone) and the files that define a class of each
    name (several, none beside the Cluster: none is applied)."""

    used_classes: frozenset[ResourceKey]
    class_files: Mapping[str, tuple[str, ...]]


UNRESOLVED_CLUSTER_NAME = f"{UNRESOLVED_PREFIX}CLUSTER_NAME{MARKER_SUFFIX}"
"""The name a ClusterClass's templates see when no Cluster among the inputs uses it."""


def resolve_clusters(
    resources: Sequence[Resource], index: ResourceIndex, wide: InputWide | None = None
) -> Resolution:
    """Resolve every Cluster among `resources` (indexed in `index`). A part of an input
    is given the whole's `wide` facts, so it decides as the whole does."""
    resolving = Resolving(resources, index, wide)
    views = tuple(resolving.views())
    resolved = [virtual for view in views for virtual in view.resolved]
    alone: dict[ResourceKey, ResourceKey] = {}
    for template, class_key in resolving.alone():
        resolved.append(template)
        alone[resource_key(template)] = class_key
    return Resolution(
        views,
        tuple(resolved),
        frozenset(resolving.replaced),
        tuple(resolving.problems),
        resolving.wide(),
        alone,
    )


class Resolving:
    """`resolve_clusters` one Cluster at a time: `views` yields each view as it is
    resolved, and `alone` judges the unused classes' templates once every view was
    seen. Planning reads each view as it comes and lets it go (`capi.topology.
    planning_view`): the whole input's views, with their per-cluster template copies,
    were a third of planning's memory (corpus x20: ~8 MB)."""

    def __init__(
        self,
        resources: Sequence[Resource],
        index: ResourceIndex,
        wide: InputWide | None,
        *,
        class_files: Mapping[str, tuple[str, ...]] | None = None,
        rank: Callable[[Resource], Rank] | None = None,
    ) -> None:
        """`class_files` and `rank` are the whole input's when `resources` are a part of
        it planned alone (`capsa.scan.parts`): the files defining each class name, and
        each Cluster's place in the whole's order (`ranks_of`), which `views` follows
        so that the first Cluster to claim an object is the whole's."""
        self._index = index
        self._wide = wide
        if class_files is None:
            class_files = wide.class_files if wide is not None else _class_files(index)
        self._class_files = class_files
        self._rank = rank
        self._builder = _Builder(resources, index, self._class_files)
        self.replaced: set[ResourceKey] = set()
        self._used: set[ResourceKey] = set()

    @property
    def problems(self) -> list[Problem]:
        return self._builder.problems

    def views(self) -> Iterator[ClusterView]:
        """Each Cluster's view, in the order `resolve_clusters` lists them."""
        index, builder = self._index, self._builder
        clusters = _clusters_by_name(index)
        nearby = {key: Nearby(same) for key, same in clusters.items()}

        owned: dict[ResourceKey, list[Resource]] = defaultdict(list)
        for resource in index.of_kind(
            "MachineDeployment", "MachineSet", "MachinePool", "Machine", "MachineHealthCheck"
        ):
            if resource.group != kinds.CORE_GROUP:
                continue
            owner = _owner_cluster(resource, nearby, index)
            if owner is not None:
                owned[resource_key(owner)].append(resource)

        resource_sets = {
            key: Nearby(same)
            for key, same in resource_sets_by_name(index.of_kind("ClusterResourceSet")).items()
        }
        ordered = [cluster for group in clusters.values() for cluster in group]
        if self._rank is not None:
            ordered.sort(key=self._rank)
        for cluster in ordered:
            try:
                view = _build_view(builder, cluster, owned, resource_sets)
            except SHAPE_ERRORS:  # one Cluster capsa cannot resolve costs only itself
                what = f"{cluster.kind}/{cluster.name}"
                builder.problems.append(
                    left_out(cluster.origin.path, cluster.origin.line, what, "the topology")
                )
                continue
            for member in view.members:
                kind = member.resource.kind
                if view.topology_class is not None and kind.endswith("Template"):
                    self.replaced.add(resource_key(member.resource))
                if kind == "ClusterClass":
                    self._used.add(resource_key(member.resource))
            yield view

    def used(self) -> frozenset[ResourceKey]:
        """The ClusterClasses some Cluster uses: the whole's when given, else those of
        the views seen."""
        return self._wide.used_classes if self._wide is not None else frozenset(self._used)

    def wide(self) -> InputWide:
        return InputWide(self.used(), self._class_files)

    def alone(self) -> Iterator[tuple[Resource, ResourceKey]]:
        """The templates of the ClusterClasses no Cluster uses, judged alone, each with
        its class (`Resolution.alone`); `replaced` takes in those judged here."""
        used = self.used()
        for cluster_class in self._index.of_kind("ClusterClass"):
            class_key = resource_key(cluster_class)
            if cluster_class.group == kinds.CORE_GROUP and class_key not in used:
                for template in _class_alone(cluster_class, self._index, self.replaced):
                    yield template, class_key


def _class_files(index: ResourceIndex) -> dict[str, tuple[str, ...]]:
    files: dict[str, set[str]] = defaultdict(set)
    for cluster_class in index.of_kind("ClusterClass"):
        if cluster_class.group == kinds.CORE_GROUP:
            files[cluster_class.name].add(cluster_class.origin.path)
    return {name: tuple(sorted(paths)) for name, paths in files.items()}


def _class_alone(
    cluster_class: Resource, index: ResourceIndex, replaced: set[ResourceKey]
) -> list[Resource]:
    """The templates of a ClusterClass no Cluster among the inputs uses, judged after the
    class's own patches: each worker class instantiated once, variables at their class
    defaults; what a patch sets from a variable without one (or from anything capsa
    cannot evaluate) is unknown, never the raw template's absence. Templates a Cluster
    already resolved are left alone (`replaced` is extended with those judged here)."""
    workers: dict[str, list[dict[str, str]]] = {"machineDeployments": [], "machinePools": []}
    for worker in kinds.class_workers(cluster_class.body):
        pool = "machineDeployments" if worker.pool == "machineDeployment" else "machinePools"
        workers[pool].append({"class": worker.name, "name": worker.name})
    phantom = Resource(
        api_version=f"{kinds.CORE_GROUP}/v1beta1",
        kind="Cluster",
        namespace=cluster_class.namespace,
        name=UNRESOLVED_CLUSTER_NAME,
        body={"spec": {"topology": {"class": cluster_class.name, "workers": workers}}},
        origin=cluster_class.origin,
    )
    resolution = resolve_cluster_class(phantom, cluster_class, index)
    out: list[Resource] = []
    for target in resolution.targets:
        key = resource_key(target.template)
        if key in replaced:
            continue
        replaced.add(key)
        out.append(target.virtual(None))
    return out


@dataclass
class _Builder:
    resources: Sequence[Resource]
    index: ResourceIndex
    class_files: Mapping[str, tuple[str, ...]]
    problems: list[Problem] = field(default_factory=list)

    def problem(self, resource: Resource, path: tuple[str | int, ...], message: str) -> None:
        position = position_of(resource.body, path)
        line = position[0] if position else resource.origin.line
        column = position[1] if position else None
        self.problems.append(Problem(resource.origin.path, line, column, message))

    def follow(
        self, referrer: Resource, path: tuple[str, ...], what: str, cluster_scoped: bool = False
    ) -> Resource | None:
        ref = kinds.ref_from(dig(referrer.body, *path))
        if ref is None:
            return None
        return self.resolve(referrer, ref, path, what, cluster_scoped)

    def resolve(
        self,
        referrer: Resource,
        ref: kinds.ObjectRef,
        path: tuple[str | int, ...],
        what: str,
        cluster_scoped: bool = False,
    ) -> Resource | None:
        namespace = None if cluster_scoped else namespace_of(referrer)
        found = self.index.resolve(ref, namespace, referrer)
        if found is None:
            self.problem(
                referrer,
                path,
                f"{referrer.kind} {shown(referrer.name)}: {what} "
                f"{ref.not_found(self.index.names_in_file(ref.kind, referrer))}",
            )
        return found


def resource_sets_by_name(found: Iterable[Resource]) -> dict[tuple[str, str], list[Resource]]:
    """Cluster API's ClusterResourceSets among `found`, by namespace and name, in input
    order."""
    out: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for crs in found:
        if crs.group == kinds.ADDONS_GROUP:
            out[(namespace_of(crs), crs.name)].append(crs)
    return out


def _clusters_by_name(index: ResourceIndex) -> dict[tuple[str, str], list[Resource]]:
    out: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for cluster in index.of_kind("Cluster"):
        if cluster.group == kinds.CORE_GROUP:
            out[(namespace_of(cluster), cluster.name)].append(cluster)
    return out


Rank = tuple[int, int]
"""A Cluster's place in the whole input's order of resolution: its name's, then its own."""


def cluster_ranks(
    clusters: Iterable[tuple[tuple[str, str], ResourceKey]],
) -> dict[ResourceKey, tuple[Rank, ...]]:
    """Each Cluster's place in the order `Resolving.views` resolves the whole input's
    (`clusters`: every Cluster API Cluster's namespace and name, and key, in input
    order): by namespace and name, first met first, then input order. A key read
    more than once (items of a one-line List share its line) has a place per reading,
    in input order. A part planned alone follows it (`capsa.scan.parts`)."""
    names: dict[tuple[str, str], int] = {}
    ranks: dict[ResourceKey, tuple[Rank, ...]] = {}
    for at, (named, key) in enumerate(clusters):
        rank = (names.setdefault(named, len(names)), at)
        ranks[key] = (*ranks.get(key, ()), rank)
    return ranks


def ranks_of(
    resources: Iterable[Resource], ranks: Mapping[ResourceKey, tuple[Rank, ...]]
) -> dict[int, Rank]:
    """The place (`cluster_ranks`) of each Cluster API Cluster among `resources` (a part
    of the input, in input order), by object: a key read twice takes its places in
    turn, since every reading of a key lies in one file, and so in one part."""
    taken: dict[ResourceKey, int] = {}
    out: dict[int, Rank] = {}
    for resource in resources:
        if resource.kind != "Cluster" or resource.group != kinds.CORE_GROUP:
            continue
        key = resource_key(resource)
        turn = taken.get(key, 0)
        taken[key] = turn + 1
        out[id(resource)] = ranks[key][turn]
    return out


def _owner_cluster(
    resource: Resource, clusters: Mapping[tuple[str, str], Nearby], index: ResourceIndex
) -> Resource | None:
    name = dig(resource.body, "spec", "clusterName")
    if not isinstance(name, str):
        labels = dig(resource.body, "metadata", "labels")
        name = labels.get(kinds.CLUSTER_NAME_LABEL) if isinstance(labels, Mapping) else None
    if not isinstance(name, str):
        return None
    return index.nearest("Cluster", name, clusters.get((namespace_of(resource), name)), resource)


def identity_ref_of(
    infra: Mapping[str, Any] | None, infra_kind: str
) -> tuple[kinds.ObjectRef | None, bool]:
    """(identity reference, defaulted). CAPA defaults an absent AWS identityRef to the
    controller identity named `default`."""
    ref = kinds.ref_from(dig(infra, "spec", "identityRef")) if infra else None
    if ref is not None:
        return ref, False
    if infra_kind.startswith("AWS"):
        kind, name = kinds.AWS_DEFAULT_IDENTITY
        return kinds.ObjectRef(kind=kind, name=name), True
    return None, False


def _effectiveidentity_ref_of(parts: _ClusterParts) -> tuple[kinds.ObjectRef | None, bool]:
    """An explicit identityRef on the infrastructure cluster, else on an AWS control plane
    (EKS keeps it on AWSManagedControlPlane), else CAPA's default for AWS clusters."""
    infra_kind = parts.infra.kind if parts.infra is not None else ""
    cp_kind = parts.control_plane.kind if parts.control_plane is not None else ""
    for body in (parts.infra_body, parts.control_plane_body):
        ref = kinds.ref_from(dig(body, "spec", "identityRef")) if body else None
        if ref is not None:
            return ref, False
    if infra_kind.startswith("AWS") or cp_kind.startswith("AWS"):
        return identity_ref_of(None, "AWS")
    return None, False


def identity_chain(identity: Resource | None, index: ResourceIndex) -> list[str]:
    """Kinds along `sourceIdentityRef`, starting with the identity itself (max 8 hops)."""
    chain: list[str] = []
    current = identity
    while current is not None and len(chain) < 8:
        chain.append(current.kind)
        ref = kinds.ref_from(dig(current.body, "spec", "sourceIdentityRef"))
        current = index.resolve(ref, None, current) if ref is not None else None
    return chain


@dataclass
class _ClusterParts:
    members: list[Member] = field(default_factory=list)
    infra: Resource | None = None
    infra_body: dict[str, Any] | None = None
    control_plane: Resource | None = None
    control_plane_body: dict[str, Any] | None = None
    cp_machine_template: Resource | None = None
    resolution: ClassResolution | None = None
    health_checks: list[HealthCheck] = field(default_factory=list)


def _resolve_direct(builder: _Builder, cluster: Resource, parts: _ClusterParts) -> None:
    """A Cluster that names its infrastructure cluster and control plane itself."""
    parts.infra = builder.follow(cluster, ("spec", "infrastructureRef"), "infrastructure cluster")
    if parts.infra is not None:
        parts.members.append(Member(parts.infra, ROLE_CLUSTER))
        parts.infra_body = as_instance(parts.infra)
    parts.control_plane = builder.follow(cluster, ("spec", "controlPlaneRef"), "control plane")
    if parts.control_plane is None:
        return
    parts.members.append(Member(parts.control_plane, ROLE_CONTROL_PLANE))
    parts.control_plane_body = as_instance(parts.control_plane)
    ref, path = kinds.control_plane_machine_template_ref(parts.control_plane.body)
    if ref is not None:
        parts.cp_machine_template = builder.resolve(
            parts.control_plane, ref, path, "control plane machine template"
        )
        if parts.cp_machine_template is not None:
            parts.members.append(Member(parts.cp_machine_template, ROLE_CONTROL_PLANE))


LISTED_CLASS_FILES = 3
"""Files an ambiguous class name's problem lists. Every Cluster asking for the name gets
the problem, so listing every file made output grow with the square of the copies (a
repository with 100 copies of a class printed 100 paths per Cluster)."""


def _ambiguous_class(builder: _Builder, cluster: Resource, class_name: str) -> bool:
    """True (and a problem said) when several ClusterClasses in other files carry the
    class name a Cluster asks for and none sits in its own file: picking one would be a
    guess (copies of templates often name theirs `${CLUSTER_CLASS_NAME}` alike)."""
    files = builder.class_files.get(class_name, ())
    if len(files) < 2 or cluster.origin.path in files:
        return False
    hint = ""
    found = UNRESOLVED_RE.search(class_name)
    if found is not None:
        hint = f"; set --var {found.group(1)}=... to choose"
    builder.problem(
        cluster,
        ("spec", "topology"),
        f"Cluster {shown(cluster.name)}: {len(files)} ClusterClasses named "
        f"{shown(class_name)!r} are among the inputs ({listed(files, LISTED_CLASS_FILES)}); none was applied{hint}",
    )
    return True


def _resolve_class(builder: _Builder, cluster: Resource, parts: _ClusterParts) -> str | None:
    """A topology-managed Cluster: find its ClusterClass and apply it."""
    found = kinds.cluster_class_of(cluster.body)
    if found is None:
        return None
    class_name, class_namespace = found
    ref = kinds.ObjectRef(
        kind="ClusterClass", name=class_name, group=kinds.CORE_GROUP, namespace=class_namespace
    )
    if class_namespace is not None and looks_unresolved(class_namespace):
        ref = kinds.ObjectRef(kind="ClusterClass", name=class_name, group=kinds.CORE_GROUP)
    if _ambiguous_class(builder, cluster, class_name):
        return class_name
    cluster_class = builder.resolve(cluster, ref, ("spec", "topology"), "topology class")
    if cluster_class is None:
        return class_name
    parts.members.append(Member(cluster_class, ROLE_CLUSTER))
    resolution = resolve_cluster_class(cluster, cluster_class, builder.index)
    builder.problems.extend(resolution.problems)
    parts.resolution = resolution
    parts.health_checks.extend(resolution.health_checks)
    infra = resolution.first("infrastructureCluster")
    if infra is not None:
        parts.infra = infra.virtual(cluster)
        parts.infra_body = as_instance(parts.infra)
    control_plane = resolution.first("controlPlane")
    if control_plane is not None:
        parts.control_plane = control_plane.virtual(cluster)
        parts.control_plane_body = as_instance(parts.control_plane)
    machine = resolution.first("controlPlaneMachine")
    if machine is not None:
        parts.cp_machine_template = machine.virtual(cluster)
    return class_name


def _add_pool_members(
    builder: _Builder,
    cluster: Resource,
    parts: _ClusterParts,
    owned: Mapping[ResourceKey, list[Resource]],
) -> None:
    for owner in owned.get(resource_key(cluster), []):
        if owner.kind == "MachineHealthCheck":
            parts.members.append(Member(owner, ROLE_CLUSTER))
            parts.health_checks.append(
                HealthCheck(owner.name, "MachineHealthCheck", kinds.health_check_spec(owner.body))
            )
            continue
        role = ROLE_WORKER
        if owner.kind == "Machine" and kinds.CONTROL_PLANE_LABEL in labels_of(owner.body):
            role = ROLE_CONTROL_PLANE
        parts.members.append(Member(owner, role))
        for part, ref, path in kinds.machine_template_refs(owner.body):
            if ref is None:
                continue
            target = builder.resolve(owner, ref, path, f"{part} template")
            if target is not None:
                parts.members.append(Member(target, role))


def _build_view(
    builder: _Builder,
    cluster: Resource,
    owned: Mapping[ResourceKey, list[Resource]],
    resource_sets: Mapping[tuple[str, str], Nearby],
) -> ClusterView:
    parts = _ClusterParts(members=[Member(cluster, ROLE_CLUSTER)])
    topology_class = _resolve_class(builder, cluster, parts)
    if topology_class is None:
        _resolve_direct(builder, cluster, parts)
    _add_pool_members(builder, cluster, parts, owned)

    identity_ref, defaulted = _effectiveidentity_ref_of(parts)
    identity = None
    if identity_ref is not None:
        identity = builder.index.resolve(
            identity_ref,
            None if identity_ref.kind in kinds.AWS_IDENTITY_KINDS else namespace_of(cluster),
            cluster,
        )
        if identity is not None:
            parts.members.append(Member(identity, ROLE_CLUSTER))

    labels = labels_of(cluster.body)
    namespace = namespace_of(cluster)
    for (crs_namespace, crs_name), nearby in resource_sets.items():
        if crs_namespace != namespace:
            continue
        # A namespace holds one ClusterResourceSet per name; among copies of a template,
        # the one written nearest the Cluster is the one that applies to it.
        crs = builder.index.nearest("ClusterResourceSet", crs_name, nearby, cluster)
        if crs is None:
            continue
        # Cluster API reads an empty clusterSelector as selecting no Cluster.
        selector = dig(crs.body, "spec", "clusterSelector")
        if not selector_is_empty(selector) and selector_matches(selector, labels):
            parts.members.append(Member(crs, ROLE_CLUSTER))

    resolution = parts.resolution
    resolved: list[Resource] = []
    if resolution is not None:
        for target in resolution.targets:
            virtual = target.virtual(cluster)
            resolved.append(virtual)
            parts.members.append(Member(virtual, target.role))
            parts.members.append(Member(target.template, target.role))
    not_evaluated: list[SkippedPatch] = []
    for item in resolution.not_evaluated if resolution is not None else []:
        if item not in not_evaluated:
            not_evaluated.append(item)
    applied = [a for t in resolution.targets for a in t.applied] if resolution is not None else []
    return ClusterView(
        cluster=cluster,
        topology_class=topology_class,
        infrastructure_cluster=parts.infra,
        control_plane=parts.control_plane,
        control_plane_machine_template=parts.cp_machine_template,
        identity=identity,
        identity_ref=IdentityRefFacts(
            kind=identity_ref.kind if identity_ref else "",
            name=identity_ref.name if identity_ref else "",
            defaulted=defaulted,
            found=identity is not None,
            chain=tuple(identity_chain(identity, builder.index)),
        ),
        members=tuple(parts.members),
        resolved=tuple(resolved),
        machine_health_checks=tuple(parts.health_checks),
        applied_patches=tuple(applied),
        not_evaluated=tuple(not_evaluated),
    )
