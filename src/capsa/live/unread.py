"""What the manifest checks' `context` could not be built from when the objects came from
a live cluster: a ResourceQuota list refused, a ClusterResourceSet's carriers whose data
capsa does not read. A check reading such a field is unknown on that object
(`capsa.checks.engine.UNREAD`), never failed for "no quota" nor "not applicable" for a
payload it never saw."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from capsa.checks.engine import UNREAD, ContextFor
from capsa.kube import dig
from capsa.sources.controllers import from_cluster
from capsa.sources.resource import Resource

CARRIERS_NOT_READ = {
    "Secret": "its data is not read (capsa lists Secrets as metadata only)",
    "ConfigMap": "capsa does not read ConfigMaps from a cluster",
}


def _carriers(resource: Resource) -> list[str]:
    """Why each ConfigMap/Secret a live ClusterResourceSet ships was not read."""
    out: list[str] = []
    entries = dig(resource.body, "spec", "resources")
    for entry in entries if isinstance(entries, list) else []:
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind in CARRIERS_NOT_READ:
            out.append(f"{kind} {entry.get('name')}: {CARRIERS_NOT_READ[kind]}")
    return out


def unread_fields(resource: Resource, unread: Mapping[str, str]) -> dict[str, str]:
    """Per `context` field, why what it is built from was not read, for a live object."""
    if not from_cluster(resource):
        return {}
    out: dict[str, str] = {}
    if "ResourceQuota" in unread:
        out["namespace"] = f"ResourceQuotas could not be read ({unread['ResourceQuota']})"
    if resource.kind == "ClusterResourceSet":
        carriers = _carriers(resource)
        if carriers:
            out["resourceSetPayload"] = "the objects it ships were not read: " + "; ".join(carriers)
    return out


def with_unread(context_for: ContextFor, unread: Mapping[str, str]) -> ContextFor:
    """`context_for` with the `unread` entry added for live objects."""

    def context(resource: Resource) -> Mapping[str, Any]:
        found = context_for(resource)
        gaps = unread_fields(resource, unread)
        return {**found, UNREAD: gaps} if gaps else found

    return context
