"""Cluster API kinds, API groups and the fields whose shape changed between API versions.

Cluster API's own groups moved from v1beta1 to v1beta2 with breaking shape changes (maps
became lists, ObjectReferences became apiGroup-based references, ClusterClass `ref`
became `templateRef`). Providers version independently: CAPA's
`infrastructure.cluster.x-k8s.io/v1beta2` is CAPA's own API, not the v1beta2 contract.
Every helper here accepts both shapes so callers never branch on the version.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capsa.display import UNRESOLVED_RE, shown
from capsa.kube import dig
from capsa.kube import group_of as group_of  # defined beside the other readers of objects

if TYPE_CHECKING:
    from capsa.sources.resource import Resource

CORE_GROUP = "cluster.x-k8s.io"
BOOTSTRAP_GROUP = "bootstrap.cluster.x-k8s.io"
CONTROLPLANE_GROUP = "controlplane.cluster.x-k8s.io"
INFRASTRUCTURE_GROUP = "infrastructure.cluster.x-k8s.io"
ADDONS_GROUP = "addons.cluster.x-k8s.io"

#: Groups whose v1beta2 version is the Cluster API v1beta2 contract (lists, templateRef, ...).
CAPI_CONTRACT_GROUPS = frozenset({CORE_GROUP, BOOTSTRAP_GROUP, CONTROLPLANE_GROUP, ADDONS_GROUP})

#: Kinds that represent a machine's configuration for many machines (templates).
MACHINE_OWNER_KINDS = frozenset({"MachineDeployment", "MachineSet", "MachinePool"})

#: CAPA identity kinds (cluster-scoped objects).
AWS_IDENTITY_KINDS = frozenset(
    {"AWSClusterControllerIdentity", "AWSClusterRoleIdentity", "AWSClusterStaticIdentity"}
)

#: What CAPA puts in `AWSCluster.spec.identityRef` when it is absent (api/v1beta2/defaults.go).
AWS_DEFAULT_IDENTITY = ("AWSClusterControllerIdentity", "default")

#: Label Cluster API sets on control-plane Machines.
CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane"
#: Label naming the Cluster an object belongs to.
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"


#: Cluster API kinds the topology follows to place the objects checks judge (their own
#: settings are read there, not judged): a scan does not count them as left unjudged.
TOPOLOGY_KINDS = frozenset(
    {
        *((CORE_GROUP, kind) for kind in ("Cluster", "ClusterClass", "MachineHealthCheck")),
        *((CORE_GROUP, kind) for kind in ("MachineDeployment", "MachineSet", "MachinePool")),
        (CORE_GROUP, "Machine"),
        (ADDONS_GROUP, "ClusterResourceSet"),
        ("clusterctl.cluster.x-k8s.io", "Provider"),
    }
)


def capi_kinds(resources: Iterable[Resource]) -> dict[str, int]:
    """How many objects of each Cluster API group's kind (`<group>/<kind>`, the groups
    ending in cluster.x-k8s.io) `resources` hold, leaving out what a ClusterResourceSet
    or a kustomize generator ships to workload clusters."""
    counts: dict[str, int] = {}
    for resource in resources:
        group = resource.group
        if not (group == CORE_GROUP or group.endswith("." + CORE_GROUP)):
            continue
        if resource.origin.carrier or resource.origin.generated:
            continue
        key = f"{group}/{resource.kind}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def is_v1beta2_contract(api_version: str) -> bool:
    """True for Cluster API's own groups at v1beta2 (not for provider groups)."""
    group, _, version = api_version.partition("/")
    return group in CAPI_CONTRACT_GROUPS and version == "v1beta2"


def args_of(value: Any) -> dict[str, str]:
    """Normalise kubeadm `extraArgs`/`kubeletExtraArgs`: v1beta1 map or v1beta2 list of
    {name, value}. Later duplicates win, as the last flag does on a command line."""
    out: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, val in value.items():
            out[str(key)] = "" if val is None else str(val)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and "name" in item:
                val = item.get("value")
                out[str(item["name"])] = "" if val is None else str(val)
    return out


@dataclass(frozen=True)
class ObjectRef:
    """A reference to another object, whichever API generation wrote it.

    v1beta1 uses an ObjectReference (apiVersion, kind, name[, namespace]); the v1beta2
    contract uses {apiGroup, kind, name}. `group` is None when the reference omits it
    (CAPA's identityRef carries only kind and name).
    """

    kind: str
    name: str
    group: str | None = None
    namespace: str | None = None

    def not_found(self, beside: Sequence[str] = ()) -> str:
        """Why this reference found nothing, for `... is not among the inputs` messages.
        `beside` are the names of the objects of its kind in the referrer's file. An
        apiGroup holding a version (`.../v1beta2`) is the cause when it does: CAPI's
        pattern refuses it (cluster-api@ae7ff047 api/core/v1beta2/common_types.go:415).
        A clusterctl variable without a value in the name is the cause only when some
        value could make the name one of `beside`, or there are none: otherwise the
        text around the variable is wrong (a typo), whatever value it is given."""
        name = shown(self.name)
        if self.group is not None and "/" in self.group:
            return (
                f"{self.kind} {name!r} cannot be resolved: its apiGroup {self.group!r} holds a "
                f"version; an apiGroup is the group alone ({self.group.split('/', 1)[0]}), "
                "and the API server refuses the reference as written"
            )
        unresolved = sorted(set(UNRESOLVED_RE.findall(f"{self.name} {self.namespace or ''}")))
        if not unresolved:
            return f"{self.kind} {self.name!r} is not among the inputs"
        names = ", ".join(unresolved)
        if beside and not any(may_equal(self.name, other) for other in beside):
            others = ", ".join(repr(shown(n)) for n in sorted(set(beside))[:3])
            return (
                f"{self.kind} {name!r} cannot be resolved whatever {names} holds: no "
                f"{self.kind} in this file is named so (the text around the variable "
                f"differs from {others})"
            )
        return (
            f"{self.kind} {name!r} cannot be resolved: the clusterctl variable {names} has "
            f"no value (give it with --var {unresolved[0]}=VALUE or --vars-file)"
        )


def may_equal(one: str, other: str) -> bool:
    """Whether some values of the unresolved clusterctl variables in either name make the
    two names equal. Each variable is read as any text on its own (the same variable on
    both sides is not tied to one value), so False means no values can."""
    a, b = _glob(one), _glob(other)
    # reach[j]: a[:i] and b[:j] can be made equal, row by row over i
    reach = [True] + [False] * len(b)
    for j, token in enumerate(b):
        reach[j + 1] = reach[j] and token is None
    for step in a:
        row = [reach[0] and step is None] + [False] * len(b)
        for j, token in enumerate(b):
            if step is None or token is None:
                # a variable takes one more character of the other side, or ends
                row[j + 1] = reach[j + 1] or row[j] or reach[j]
            else:
                row[j + 1] = reach[j] and step == token
        reach = row
    return reach[-1]


def _glob(name: str) -> list[str | None]:
    """A name as its characters, each unresolved variable one None (any text)."""
    out: list[str | None] = []
    at = 0
    for match in UNRESOLVED_RE.finditer(name):
        out.extend(name[at : match.start()])
        out.append(None)
        at = match.end()
    out.extend(name[at:])
    return out


def ref_from(value: Any) -> ObjectRef | None:
    """Read a reference in either shape; None when it lacks a kind or a name."""
    if not isinstance(value, Mapping):
        return None
    kind, name = value.get("kind"), value.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or not kind or not name:
        return None
    group: str | None = None
    if isinstance(value.get("apiGroup"), str):
        group = value["apiGroup"]
    elif isinstance(value.get("apiVersion"), str):
        group = group_of(value["apiVersion"])
    namespace = value.get("namespace") if isinstance(value.get("namespace"), str) else None
    return ObjectRef(kind=kind, name=name, group=group, namespace=namespace)


def _first_ref(body: Any, *paths: tuple[str, ...]) -> tuple[ObjectRef | None, tuple[str, ...]]:
    for path in paths:
        ref = ref_from(dig(body, *path))
        if ref is not None:
            return ref, path
    return None, paths[0]


def cluster_class_of(cluster: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """(class name, class namespace or None) of a topology-managed Cluster.

    v1beta1: `spec.topology.class` (+ `classNamespace`); v1beta2: `spec.topology.classRef`.
    """
    topology = dig(cluster, "spec", "topology")
    if not isinstance(topology, Mapping):
        return None
    class_ref = topology.get("classRef")
    if isinstance(class_ref, Mapping) and isinstance(class_ref.get("name"), str):
        namespace = class_ref.get("namespace")
        return class_ref["name"], namespace if isinstance(namespace, str) else None
    name = topology.get("class")
    if isinstance(name, str) and name:
        namespace = topology.get("classNamespace")
        return name, namespace if isinstance(namespace, str) else None
    return None


def control_plane_machine_template_ref(
    control_plane: Mapping[str, Any],
) -> tuple[ObjectRef | None, tuple[str, ...]]:
    """KCP machine template: v1beta1 `spec.machineTemplate.infrastructureRef`, v1beta2
    `spec.machineTemplate.spec.infrastructureRef`. Returns the ref and the path it is at."""
    return _first_ref(
        control_plane,
        ("spec", "machineTemplate", "spec", "infrastructureRef"),
        ("spec", "machineTemplate", "infrastructureRef"),
    )


def machine_template_refs(
    owner: Mapping[str, Any],
) -> Iterator[tuple[str, ObjectRef | None, tuple[str, ...]]]:
    """("bootstrap"|"infrastructure", ref, path) of a MachineDeployment/MachineSet/
    MachinePool (under `spec.template.spec`) or a Machine (under `spec`)."""
    base: tuple[str, ...] = (
        ("spec", "template", "spec") if dig(owner, "spec", "template") else ("spec",)
    )
    bootstrap_path = (*base, "bootstrap", "configRef")
    yield "bootstrap", ref_from(dig(owner, *bootstrap_path)), bootstrap_path
    infra_path = (*base, "infrastructureRef")
    yield "infrastructure", ref_from(dig(owner, *infra_path)), infra_path


@dataclass(frozen=True)
class WorkerClass:
    """One entry of ClusterClass `spec.workers.machineDeployments|machinePools`."""

    pool: str  # "machineDeployment" or "machinePool"
    name: str
    bootstrap: ObjectRef | None
    infrastructure: ObjectRef | None
    health_check: Mapping[str, Any] | None


def class_control_plane_ref(cluster_class: Mapping[str, Any]) -> ObjectRef | None:
    """v1beta1 `spec.controlPlane.ref`, v1beta2 `spec.controlPlane.templateRef`."""
    return _first_ref(
        cluster_class, ("spec", "controlPlane", "templateRef"), ("spec", "controlPlane", "ref")
    )[0]


def class_control_plane_machine_ref(cluster_class: Mapping[str, Any]) -> ObjectRef | None:
    """`spec.controlPlane.machineInfrastructure.ref|templateRef`."""
    return _first_ref(
        cluster_class,
        ("spec", "controlPlane", "machineInfrastructure", "templateRef"),
        ("spec", "controlPlane", "machineInfrastructure", "ref"),
    )[0]


def class_infrastructure_ref(cluster_class: Mapping[str, Any]) -> ObjectRef | None:
    """`spec.infrastructure.ref|templateRef`."""
    return _first_ref(
        cluster_class, ("spec", "infrastructure", "templateRef"), ("spec", "infrastructure", "ref")
    )[0]


def class_control_plane_health_check(cluster_class: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """v1beta1 `spec.controlPlane.machineHealthCheck`, v1beta2 `spec.controlPlane.healthCheck`."""
    for key in ("healthCheck", "machineHealthCheck"):
        value = dig(cluster_class, "spec", "controlPlane", key)
        if isinstance(value, Mapping):
            return value
    return None


def class_workers(cluster_class: Mapping[str, Any]) -> Iterator[WorkerClass]:
    """Worker classes. v1beta1 nests refs under `template.bootstrap.ref`; the v1beta2
    contract has `bootstrap.templateRef` directly on the class (early v1beta2 drafts kept
    `template.`, so both are read)."""
    for pool, key in (("machineDeployment", "machineDeployments"), ("machinePool", "machinePools")):
        entries = dig(cluster_class, "spec", "workers", key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("class"), str):
                continue
            refs: dict[str, ObjectRef | None] = {}
            for part in ("bootstrap", "infrastructure"):
                refs[part] = _first_ref(
                    entry,
                    (part, "templateRef"),
                    ("template", part, "templateRef"),
                    ("template", part, "ref"),
                    (part, "ref"),
                )[0]
            health = entry.get("healthCheck") or entry.get("machineHealthCheck")
            yield WorkerClass(
                pool=pool,
                name=entry["class"],
                bootstrap=refs["bootstrap"],
                infrastructure=refs["infrastructure"],
                health_check=health if isinstance(health, Mapping) else None,
            )


def topology_workers(cluster: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(pool, entry) for each `spec.topology.workers.machineDeployments|machinePools` item."""
    for pool, key in (("machineDeployment", "machineDeployments"), ("machinePool", "machinePools")):
        entries = dig(cluster, "spec", "topology", "workers", key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, Mapping) and isinstance(entry.get("class"), str):
                    yield pool, entry


def health_check_spec(body: Mapping[str, Any]) -> dict[str, str]:
    """The part of a MachineHealthCheck (or a ClusterClass health-check stanza) that
    decides remediation, in one shape for CEL: v1beta1 `maxUnhealthy`/`unhealthyRange`
    and v1beta2 `remediation.triggerIf.{unhealthyLessThanOrEqualTo,unhealthyInRange}`."""
    spec = body["spec"] if isinstance(body.get("spec"), Mapping) else body
    trigger = dig(spec, "remediation", "triggerIf")
    out: dict[str, str] = {}
    for key, value in (
        ("maxUnhealthy", dig(spec, "maxUnhealthy")),
        ("unhealthyRange", dig(spec, "unhealthyRange")),
        ("unhealthyLessThanOrEqualTo", dig(trigger, "unhealthyLessThanOrEqualTo")),
        ("unhealthyInRange", dig(trigger, "unhealthyInRange")),
    ):
        if value is not None:
            out[key] = str(value)
    return out
