"""Finding the object a reference names among the resources that were read.

Inputs are often many clusterctl templates at once, where every file names its objects
`${CLUSTER_NAME}` in the same (default) namespace. A reference therefore prefers a target
from the referrer's own file, then any file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from capsa.capi.kinds import ObjectRef
from capsa.sources.resource import Resource

DEFAULT_NAMESPACE = "default"


def namespace_of(resource: Resource) -> str:
    """The namespace a namespaced object lands in when applied (`default` when unset)."""
    return resource.namespace or DEFAULT_NAMESPACE


def resource_key(resource: Resource) -> tuple[str, str, int | None, str | None]:
    """Hashable key of one read resource (identity plus where it was read)."""
    origin = resource.origin
    return (resource.identity, origin.path, origin.line, origin.carrier)


class ResourceIndex:
    """Resources by kind and name, for resolving references."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._by_kind_name: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self._by_carrier: dict[str, list[Resource]] = defaultdict(list)
        for resource in resources:
            self._by_kind_name[(resource.kind, resource.name)].append(resource)
            self._by_kind[resource.kind].append(resource)
            if resource.origin.carrier:
                self._by_carrier[resource.origin.carrier.split(":", 1)[0]].append(resource)

    def carried_by(self, carrier: Resource) -> list[Resource]:
        """Objects the sources already parsed out of a ConfigMap/Secret payload (their
        origin names the carrier as `<Kind>/<namespace>/<name>:<key>`)."""
        label = f"{carrier.kind}/{carrier.namespace or ''}/{carrier.name}"
        # Same-named carriers in other files (copies of a template) carry their own objects.
        return [r for r in self._by_carrier.get(label, ()) if r.origin.path == carrier.origin.path]

    def of_kind(self, *kinds: str) -> list[Resource]:
        """All resources of the given kinds, in input order per kind."""
        out: list[Resource] = []
        for kind in kinds:
            out.extend(self._by_kind.get(kind, ()))
        return out

    def resolve(
        self,
        ref: ObjectRef,
        namespace: str | None,
        near: Resource | None = None,
    ) -> Resource | None:
        """The object `ref` names. `namespace` None means cluster-scoped (any namespace
        matches); `near` is the referrer, whose file is preferred."""
        candidates = [
            r
            for r in self._by_kind_name.get((ref.kind, ref.name), ())
            if ref.group is None or not r.group or r.group == ref.group
        ]
        if namespace is not None:
            wanted = ref.namespace or namespace
            candidates = [r for r in candidates if namespace_of(r) == wanted]
        if not candidates:
            return None
        if near is not None:
            for candidate in candidates:
                if candidate.origin.path == near.origin.path:
                    return candidate
        return candidates[0]
