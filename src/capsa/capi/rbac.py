"""RBAC shipped in manifests, judged with the live checks' logic (`capsa.capi.access`).

The management cluster's namespaces that matter are those the inputs put Clusters in
(Secrets there hold CA keys, admin kubeconfigs and bootstrap data) and, for pod rights
and impersonation, also those the Cluster API controllers run in (a pod there can mount
the controller's ServiceAccount and cloud credentials). Objects a ClusterResourceSet
carries are applied to workload clusters, so they take no part here. Controllers are
the ServiceAccounts of the Deployments `capsa.sources.controllers.is_controller` proves (the
rule the live checks use: an upstream manager image by registry and repository, or a
clusterctl Provider named by the Deployment's provider label in its namespace, never in a
namespace holding Clusters; in files also a provider's kustomize source), plus, in
files, kubebuilder's scaffolded manager ServiceAccounts in its placeholder namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capsa.capi.access import (
    READ_SECRETS,
    RIGHTS,
    Access,
    Grant,
    Right,
    Subject,
    controller_service_accounts,
    skip,
)
from capsa.capi.access import exposures as rbac_exposures
from capsa.capi.access import grants as rbac_grants
from capsa.capi.index import ResourceKey, namespace_of, resource_key
from capsa.errors import SHAPE_ERRORS, Problem
from capsa.sources import controllers as evidence
from capsa.sources.resource import Resource

BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
KUSTOMIZE_NAMESPACE = evidence.KUSTOMIZE_NAMESPACE
KUBEBUILDER_MANAGERS = ("manager", "controller-manager")


@dataclass(frozen=True)
class AccessFacts:
    """One risky right a binding gives to subjects that are not exempt."""

    right: str
    subjects: tuple[str, ...]
    namespaces: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    wildcard: bool

    @classmethod
    def of(cls, item: Access) -> AccessFacts:
        return cls(
            right=item.right.name,
            subjects=tuple(str(s) for s in item.subjects),
            namespaces=item.namespaces,
            verbs=item.verbs,
            resource_names=item.resource_names,
            wildcard=item.wildcard,
        )

    def binding(self) -> dict[str, Any]:
        return {
            "right": self.right,
            "subjects": list(self.subjects),
            "namespaces": list(self.namespaces),
            "verbs": list(self.verbs),
            "resourceNames": list(self.resource_names),
            "wildcard": self.wildcard,
        }


@dataclass(frozen=True)
class RbacFacts:
    """What a binding reaches and gives: `reaches` maps each right's name to the
    namespaces that matter for it which the binding applies in (empty: the binding
    cannot matter for that right), `access` the rights it gives to non-exempt subjects."""

    reaches: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    access: tuple[AccessFacts, ...] = ()

    def binding(self) -> dict[str, Any]:
        return {
            "reaches": {r.name: list(self.reaches.get(r.name, ())) for r in RIGHTS},
            "access": [a.binding() for a in self.access],
        }


def _live_here(resources: Sequence[Resource]) -> list[Resource]:
    """Objects applied to the management cluster: not those a ClusterResourceSet carries."""
    return [r for r in resources if r.origin.carrier is None]


def controller_deployments(
    resources: Sequence[Resource], clusters: set[str], problems: list[Problem] | None = None
) -> list[Resource]:
    """Deployments of Cluster API controllers, by the evidence rule the live checks use
    (`capsa.sources.controllers.is_controller`; `clusters`: the namespaces holding
    Clusters). One whose shape cannot be read is left out, with a problem in
    `problems`."""
    inventory = evidence.providers(resources)
    found: list[Resource] = []
    for r in resources:
        if r.kind != "Deployment":
            continue
        try:
            if evidence.is_controller(r, inventory, clusters):
                found.append(r)
        except SHAPE_ERRORS as error:
            skip(problems, r, error)
    return found


def _judge(
    grant: Grant, targets: Sequence[set[str]], controllers: set[Subject]
) -> list[tuple[tuple[str, ...], list[AccessFacts]]]:
    """Per right (in `RIGHTS` order), the namespaces of its `targets` the grant reaches
    and what it gives there to non-exempt subjects."""
    out: list[tuple[tuple[str, ...], list[AccessFacts]]] = []
    for right, wanted in zip(RIGHTS, targets, strict=True):
        scope = sorted(wanted) if grant.namespace is None else [grant.namespace]
        reach = tuple(ns for ns in scope if ns in wanted)
        gives = [AccessFacts.of(a) for a in rbac_exposures([grant], right, wanted, controllers)]
        out.append((reach, gives))
    return out


def targets_of(right: Right, clusters: set[str], controllers: set[str]) -> set[str]:
    """Namespaces where `right` hands over what Cluster API protects."""
    return set(clusters) if right is READ_SECRETS else clusters | controllers


def _scaffold_accounts(resources: Sequence[Resource]) -> set[Subject]:
    """kubebuilder's scaffolded manager ServiceAccounts in its placeholder namespace, when
    the input is read from files (a provider's kustomize source): a cluster has no
    placeholder namespace, so objects read from one exempt none."""
    if any(evidence.from_cluster(r) for r in resources):
        return set()
    return {Subject("ServiceAccount", name, KUSTOMIZE_NAMESPACE) for name in KUBEBUILDER_MANAGERS}


def rbac_facts(
    resources: Sequence[Resource], problems: list[Problem] | None = None
) -> dict[ResourceKey, RbacFacts]:
    """Per binding among `resources`, what it reaches and gives. An object whose shape
    the analysis cannot read is left out of it, with a problem in `problems` (the fields
    it expects are checked where manifests are read: `capsa.sources.shapes`)."""
    here = _live_here(resources)
    bindings = [r for r in here if r.kind in BINDING_KINDS]
    if not bindings:
        return {}
    clusters = evidence.cluster_namespaces(here)
    deployments = controller_deployments(here, clusters, problems)
    controller_namespaces = {namespace_of(d) for d in deployments}
    exempt = controller_service_accounts(deployments) | _scaffold_accounts(here)
    targets = [targets_of(right, clusters, controller_namespaces) for right in RIGHTS]
    # each grant judged on its own, so one the analysis cannot read costs only itself
    judged: list[tuple[ResourceKey, list[tuple[tuple[str, ...], list[AccessFacts]]]]] = []
    for grant in rbac_grants(here, problems):
        try:
            judged.append((resource_key(grant.binding), _judge(grant, targets, exempt)))
        except SHAPE_ERRORS as error:
            skip(problems, grant.binding, error)
    reaches: dict[ResourceKey, dict[str, tuple[str, ...]]] = {}
    given: dict[ResourceKey, list[AccessFacts]] = {}
    for at, right in enumerate(RIGHTS):
        for key, per_right in judged:
            reaches.setdefault(key, {})[right.name] = per_right[at][0]
        for key, per_right in judged:
            if per_right[at][1]:
                given.setdefault(key, []).extend(per_right[at][1])
    return {
        key: RbacFacts(reaches=reach, access=tuple(given.get(key, ())))
        for key, reach in reaches.items()
    }
