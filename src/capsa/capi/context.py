"""What a cross-object check knows about where an object sits: the typed model, and its
conversion to the CEL `context` binding, in one place.

`capsa.capi.topology` fills a `CheckContext` per resource; `binding()` is the only code
that decides the names and shapes checks read (`context.identityRef.kind`,
`context.machineHealthChecks.all(...)`, ...), so the data files and this module are the
whole contract. Object bodies (the infrastructure cluster, the control plane, templates'
`spec`) stay the plain trees they were read as.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from capsa.capi.payload import CarriedObject
from capsa.capi.rbac import RbacFacts
from capsa.sources.resource import ValueFact

ROLE_CONTROL_PLANE = "control-plane"
ROLE_WORKER = "worker"
ROLE_CLUSTER = ""

Body = Mapping[str, Any]
"""An object (or part of one) as read: a plain tree of maps, lists and scalars."""


@dataclass(frozen=True)
class ClusterFacts:
    """The Cluster an object belongs to (all empty outside any cluster)."""

    name: str = ""
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    topology_class: str = ""

    def binding(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "labels": dict(self.labels),
            "topologyClass": self.topology_class,
        }


@dataclass(frozen=True)
class IdentityRefFacts:
    """The cloud identity a cluster uses: the reference (explicit or CAPA's default),
    whether it was found among the inputs, and the kinds along `sourceIdentityRef`."""

    kind: str = ""
    name: str = ""
    defaulted: bool = False
    found: bool = False
    chain: tuple[str, ...] = ()

    def binding(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "defaulted": self.defaulted,
            "found": self.found,
            "chain": list(self.chain),
        }


@dataclass(frozen=True)
class MachineTemplateFacts:
    """A machine template of the cluster, with the role of the machines it makes."""

    role: str
    kind: str
    name: str
    spec: Body

    def binding(self) -> dict[str, Any]:
        return {"role": self.role, "kind": self.kind, "name": self.name, "spec": self.spec}


@dataclass(frozen=True)
class HealthCheck:
    """A MachineHealthCheck, or one a ClusterClass makes. `remediation` holds only the
    caps that are set (v1beta1 `maxUnhealthy`/`unhealthyRange`, v1beta2
    `unhealthyLessThanOrEqualTo`/`unhealthyInRange`): checks test their presence."""

    name: str
    source: str  # MachineHealthCheck | ClusterClass | Cluster
    remediation: Mapping[str, str] = field(default_factory=dict)

    def binding(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, **self.remediation}


@dataclass(frozen=True)
class AppliedPatch:
    """A ClusterClass patch operation applied to a template."""

    patch: str
    op: str
    path: str

    def binding(self) -> dict[str, Any]:
        return {"patch": self.patch, "op": self.op, "path": self.path}


@dataclass(frozen=True)
class SkippedPatch:
    """A ClusterClass patch that could not be evaluated, and why."""

    patch: str
    reason: str

    def binding(self) -> dict[str, Any]:
        return {"patch": self.patch, "reason": self.reason}


@dataclass(frozen=True)
class NamespaceFacts:
    """What the management namespace holds that checks care about (quotas), and whether
    the inputs can say it holds none: `declared` when they create the namespace (a
    Namespace object of that name), `quotas_kept` when they hold a ResourceQuota of any
    namespace. Without either, its quotas live in the management cluster, not here."""

    name: str
    has_resource_quota: bool = False
    quota_counts: tuple[str, ...] = ()
    declared: bool = False
    quotas_kept: bool = False

    def binding(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hasResourceQuota": self.has_resource_quota,
            "quotaCounts": list(self.quota_counts),
            "declared": self.declared,
            "quotasKept": self.quotas_kept,
        }


@dataclass(frozen=True)
class PayloadEntry:
    """One object a ClusterResourceSet ships, with the ConfigMap/Secret carrying it.
    `found` is False when the carrier is not among the inputs (then `carried` is empty)."""

    carrier_kind: str
    carrier_name: str
    found: bool
    carried: CarriedObject = field(default_factory=CarriedObject)

    def binding(self) -> dict[str, Any]:
        return {
            "carrierKind": self.carrier_kind,
            "carrierName": self.carrier_name,
            "found": self.found,
            "kind": self.carried.kind,
            "apiVersion": self.carried.api_version,
            "name": self.carried.name,
            "namespace": self.carried.namespace,
            "keys": list(self.carried.keys),
        }


@dataclass(frozen=True)
class VpcFacts:
    """The VPC a cluster's infrastructure names, the other clusters in it, and whether
    the management cluster lives there."""

    id: str = ""
    shared_with: tuple[str, ...] = ()
    management: bool = False

    def binding(self) -> dict[str, Any]:
        return {"id": self.id, "sharedWith": list(self.shared_with), "management": self.management}


@dataclass(frozen=True)
class CheckContext:
    """Everything a topology-scope check may read besides the object itself."""

    namespace: NamespaceFacts
    cluster: ClusterFacts = field(default_factory=ClusterFacts)
    role: str = ROLE_CLUSTER
    infrastructure_cluster: Body | None = None
    identity: Body | None = None
    identity_ref: IdentityRefFacts = field(default_factory=IdentityRefFacts)
    control_plane: Body | None = None
    machine_templates: tuple[MachineTemplateFacts, ...] = ()
    machine_health_checks: tuple[HealthCheck, ...] = ()
    resource_set_payload: tuple[PayloadEntry, ...] = ()
    vpc: VpcFacts = field(default_factory=VpcFacts)
    applied_patches: tuple[AppliedPatch, ...] = ()
    skipped_patches: tuple[SkippedPatch, ...] = ()
    bootstrap_kinds: tuple[str, ...] = ()
    """Bootstrap config kinds of the MachineDeployments/MachinePools whose machines this
    infrastructure template (or pool) makes: `NodeadmConfig` means EKS nodes, which join
    without a kubeadm token, with or without a Cluster among the inputs."""
    rbac: RbacFacts = field(default_factory=RbacFacts)
    value_facts: tuple[ValueFact, ...] = ()
    """Yes/no facts read from the object's own ConfigMap/Secret values as it was read."""

    def binding(self) -> dict[str, Any]:
        """The CEL `context` variable: plain maps, lists and scalars, camelCase keys."""
        return {
            "cluster": self.cluster.binding(),
            "role": self.role,
            "infrastructureCluster": self.infrastructure_cluster,
            "identity": self.identity,
            "identityRef": self.identity_ref.binding(),
            "controlPlane": self.control_plane,
            "machineTemplates": [t.binding() for t in self.machine_templates],
            "machineHealthChecks": [h.binding() for h in self.machine_health_checks],
            "namespace": self.namespace.binding(),
            "resourceSetPayload": [p.binding() for p in self.resource_set_payload],
            "vpc": self.vpc.binding(),
            "patches": {
                "applied": [a.binding() for a in self.applied_patches],
                "notEvaluated": [s.binding() for s in self.skipped_patches],
            },
            "bootstrapKinds": list(self.bootstrap_kinds),
            "rbac": self.rbac.binding(),
            "valueFacts": [
                {"name": f.name, "key": f.key, "value": f.value} for f in self.value_facts
            ],
        }
