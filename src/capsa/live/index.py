"""Lookup over the resources read from a cluster, shared by the live analyses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from capsa.kube import containers as containers
from capsa.kube import dig as dig
from capsa.sources import controllers as evidence
from capsa.sources.resource import Resource

PROVIDER_LABEL = evidence.PROVIDER_LABEL
CLUSTERCTL_GROUP = evidence.CLUSTERCTL_GROUP


def meta(res: Resource) -> dict[str, Any]:
    value = res.body.get("metadata")
    return value if isinstance(value, dict) else {}


def labels(res: Resource) -> dict[str, str]:
    value = meta(res).get("labels")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def created(res: Resource) -> datetime | None:
    """creationTimestamp as an aware datetime (RFC 3339, as the API server writes it)."""
    value = meta(res).get("creationTimestamp")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class LiveIndex:
    """Resources grouped by kind and by (kind, namespace, name)."""

    resources: list[Resource]
    _by_kind: dict[str, list[Resource]] = field(default_factory=dict)
    _by_key: dict[tuple[str, str, str], Resource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for res in self.resources:
            self._by_kind.setdefault(res.kind, []).append(res)
            self._by_key[(res.kind, res.namespace or "", res.name)] = res

    @classmethod
    def of(cls, resources: Iterable[Resource]) -> LiveIndex:
        return cls(list(resources))

    def kind(self, kind: str) -> list[Resource]:
        return self._by_kind.get(kind, [])

    def get(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        return self._by_key.get((kind, namespace or "", name))

    def has(self, kind: str) -> bool:
        return kind in self._by_kind

    def cluster_namespaces(self) -> set[str]:
        """Namespaces holding at least one Cluster object."""
        return {r.namespace for r in self.kind("Cluster") if r.namespace}

    def providers(self) -> list[Resource]:
        """clusterctl's inventory: one Provider per installed provider, in its namespace."""
        return [r for r in self.kind("Provider") if r.group == CLUSTERCTL_GROUP and r.namespace]

    def is_controller(self, dep: Resource) -> bool:
        """A Deployment proven to run a Cluster API controller, by the rule the manifest
        checks and the reader share (`capsa.sources.controllers.is_controller`): an upstream
        manager image (registry and repository), or clusterctl's inventory records the
        provider its label names in its namespace; never in a namespace holding Clusters.
        The `cluster.x-k8s.io/provider` label alone proves nothing: whoever may create a
        Deployment may write it."""
        inventory, clusters = self._evidence
        return evidence.is_controller(dep, inventory, clusters)

    @cached_property
    def _evidence(self) -> tuple[list[Resource], set[str]]:
        """What `is_controller` weighs a Deployment against, worked out once: the index
        never changes, and checks ask of every Deployment, some per Provider."""
        return self.providers(), evidence.cluster_namespaces(self.kind("Cluster"))

    def provider_deployments(self) -> Iterator[Resource]:
        """The Deployments of the Cluster API controllers (`is_controller`)."""
        for dep in self.kind("Deployment"):
            if self.is_controller(dep):
                yield dep

    def provider_namespaces(self) -> set[str]:
        """Namespaces of Cluster API controllers: their Deployments' and clusterctl's
        Providers' outside namespaces holding Clusters
        (`capsa.sources.controllers.controller_namespaces`)."""
        return evidence.controller_namespaces(
            [*self.kind("Deployment"), *self.providers(), *self.kind("Cluster")]
        )
