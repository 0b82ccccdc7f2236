"""Finding the object a reference names among the resources that were read.

Inputs are often many clusterctl templates at once, where every file names its objects
`${CLUSTER_NAME}` in the same (default) namespace, or copies of one tree (an overlay per
environment). A reference therefore prefers a target from the referrer's own file, then
the nearest file (`nearest`: the most leading folders in common, so a kustomize base's
files go with the base beside them rather than with a copy elsewhere), then input order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import lru_cache

from capsa.capi.kinds import ObjectRef
from capsa.display import shown
from capsa.sources.clusterctl_vars import looks_unresolved
from capsa.sources.resource import Resource

DEFAULT_NAMESPACE = "default"


def namespace_of(resource: Resource) -> str:
    """The namespace a namespaced object lands in when applied (`default` when unset)."""
    return resource.namespace or DEFAULT_NAMESPACE


ResourceKey = tuple[str, str, int | None, str | None]
"""A read resource's identity plus where it was read (copies of a template differ)."""


def resource_key(resource: Resource) -> ResourceKey:
    """Hashable key of one read resource (identity plus where it was read)."""
    origin = resource.origin
    return (resource.identity, origin.path, origin.line, origin.carrier)


class ResourceIndex:
    """Resources by kind and name, for resolving references.

    Copies of a template repeat every name, so candidates are also kept per file: a
    lookup with a referrer then scans only the few same-named objects of its file
    before falling back to all. A candidate's group and namespace are read from it
    when compared (`_matching`), not kept beside it: planning indexes every skeleton of
    the input at once, and a tuple per resource and a list per file were most of the
    index (corpus x20, 32,040 resources: ~8 MB, now ~0.7 MB)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._by_kind_name: dict[tuple[str, str], _Named] = {}
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self._by_carrier: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        self._nearby: dict[tuple[str, str, str | None, str | None, bool], Nearby] = {}
        self._generated: dict[tuple[str, str], list[tuple[Resource, str]]] = defaultdict(list)
        by_kind_name = self._by_kind_name
        for resource in resources:
            key = (resource.kind, resource.name)
            named = by_kind_name.get(key)
            if named is None:
                named = by_kind_name[key] = _Named()
            named.everywhere.append(resource)
            self._by_kind[resource.kind].append(resource)
            if resource.origin.carrier:
                label = resource.origin.carrier.split(":", 1)[0]
                self._by_carrier[(label, resource.origin.path)].append(resource)
            if resource.origin.generated:
                kind, namespace, name = resource.origin.generated.split("/", 2)
                self._generated[(kind, name)].append((resource, namespace))

    def carried_by(self, carrier: Resource) -> list[Resource]:
        """Objects the sources already parsed out of a ConfigMap/Secret payload (their
        origin names the carrier as `<Kind>/<namespace>/<name>:<key>`, shown: an
        unresolved variable reads `${VAR}` there, so the label is shown the same way)."""
        label = shown(f"{carrier.kind}/{carrier.namespace or ''}/{carrier.name}")
        # Same-named carriers in other files (copies of a template) carry their own objects.
        return list(self._by_carrier.get((label, carrier.origin.path), ()))

    def generated(
        self, kind: str, name: str, namespace: str | None, near: Resource | None = None
    ) -> list[Resource]:
        """Objects read from files a kustomize generator turns into the ConfigMap/Secret
        `kind`/`name` (`capsa.sources.generators`); a namespace left out on either side
        names the same object, as for carriers. `near` (who asks) is for indexes that
        record lookups (`scan.plan.RecordingIndex`)."""
        return [
            resource
            for resource, generated_ns in self._generated.get((kind, name), ())
            if namespace is None or generated_ns in ("", namespace)
        ]

    def named(self, kind: str, name: str) -> list[Resource]:
        """Every resource of `kind` called `name`, in input order."""
        named = self._by_kind_name.get((kind, name))
        return [] if named is None else list(named.everywhere)

    def names_in_file(self, kind: str, near: Resource) -> list[str]:
        """The names of the objects of `kind` read from `near`'s file (what a reference
        from it that found nothing could have meant; a scan of part of the input holds
        the whole file, so the answer is the same)."""
        return [r.name for r in self._by_kind.get(kind, ()) if r.origin.path == near.origin.path]

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
        matches); `near` is the referrer, whose file is preferred. An object of that very
        namespace wins over one whose namespace is an unresolved variable (`_matching`),
        wherever either lies: the latter is only a candidate when there is no former."""
        return self._lookup(ref, namespace, near)[0]

    def _lookup(
        self, ref: ObjectRef, namespace: str | None, near: Resource | None
    ) -> tuple[Resource | None, bool]:
        """`resolve`'s answer, and whether it took the loose step (`_matching`): no
        object of the wanted namespace itself was found."""
        wanted = None if namespace is None else ref.namespace or namespace
        if wanted is not None and looks_unresolved(wanted):
            wanted = None  # `${NAMESPACE}`: any namespace may be the one meant
        named = self._by_kind_name.get((ref.kind, ref.name))
        if named is None:
            return None, False
        found = self._find(named, ref, wanted, near, loose=False)
        if found is None and wanted is not None:
            return self._find(named, ref, wanted, near, loose=True), True
        return found, False

    def nearest(
        self, kind: str, name: str, candidates: Nearby | None, near: Resource
    ) -> Resource | None:
        """The one of `candidates` (same-named objects of `kind` a resolution gathered
        itself: a pool's Cluster, a ClusterResourceSet) nearest `near`. It goes through
        the index so that an index of part of the input can tell when the answer might
        lie outside the part (`capsa.scan.parts`)."""
        return candidates.nearest(near.origin.path) if candidates is not None else None

    def _find(
        self,
        named: _Named,
        ref: ObjectRef,
        wanted: str | None,
        near: Resource | None,
        *,
        loose: bool,
    ) -> Resource | None:
        """The first match in the referrer's file, else the nearest (`Nearby`), else the
        first in input order."""
        if near is None:
            return next(_matching(named.everywhere, ref.group, wanted, loose), None)
        found = next(_matching(named.in_file(near.origin.path), ref.group, wanted, loose), None)
        if found is not None:
            return found
        key = (ref.kind, ref.name, ref.group, wanted, loose)
        nearby = self._nearby.get(key)
        if nearby is None:
            matching = list(_matching(named.everywhere, ref.group, wanted, loose))
            if len(matching) <= 1:
                return matching[0] if matching else None
            nearby = self._nearby[key] = Nearby(matching)
        return nearby.nearest(near.origin.path)


class _Named:
    """The resources of one kind and name, in input order and by the file they were
    read from. The per-file table is made by the first lookup with a referrer (most
    kinds and names are never looked up so: two thirds of the corpus's resources), and
    holds a file's one resource as itself rather than in a list of one."""

    __slots__ = ("_by_path", "everywhere")

    def __init__(self) -> None:
        self.everywhere: list[Resource] = []
        self._by_path: dict[str, Resource | list[Resource]] | None = None

    def in_file(self, path: str) -> Sequence[Resource]:
        """The resources read from `path`, in input order."""
        by_path = self._by_path
        if by_path is None:
            by_path = self._by_path = {}
            for resource in self.everywhere:
                here = resource.origin.path
                held = by_path.get(here)
                if held is None:
                    by_path[here] = resource
                elif isinstance(held, list):
                    held.append(resource)
                else:
                    by_path[here] = [held, resource]
        found = by_path.get(path)
        if found is None:
            return ()
        return found if isinstance(found, list) else (found,)


def _matching(
    resources: Sequence[Resource], group: str | None, namespace: str | None, loose: bool = False
) -> Iterator[Resource]:
    """The resources (input order) of `group` (None: any) in `namespace` (None: any); a
    resource without a group matches any group. With `loose`, so does one whose namespace
    is an unresolved variable, in any namespace: clusterctl renders every namespaced
    object of a template into its target namespace, `${NAMESPACE}` (cluster-api@ae7ff04
    cmd/clusterctl/client/repository/template.go:126-133, components.go:331-345), so a
    namespace-less ClusterClass and its `${NAMESPACE}` templates land together."""
    for resource in resources:
        if group is not None:
            resource_group = resource.group
            if resource_group and resource_group != group:
                continue
        elsewhere = namespace is not None and namespace_of(resource) != namespace
        if elsewhere and not (
            loose and resource.namespace and looks_unresolved(resource.namespace)
        ):
            continue
        yield resource


@lru_cache(maxsize=256)
def folders_of(path: str) -> tuple[str, ...]:
    """The folders of `path`, outermost first. `__` separates them too: mirrors flatten
    a tree into one folder by naming each file after its path (as
    `capsa.sources.kustomize` reads them). The cache holds the paths of recent lookups
    only: one of every path read (up to 65,536) grew with the input and stayed in the
    process after the scan (corpus x20: 1.2 MB at the end of planning)."""
    return tuple(path.replace("__", "/").split("/")[:-1])


class Nearby:
    """Candidates (in input order) by their file and by every leading run of its folders,
    so the one nearest a path is found in as many steps as the path has folders, however
    many copies there are."""

    def __init__(self, candidates: Sequence[Resource]) -> None:
        self._by_path: dict[str, Resource] = {}
        self._by_folders: dict[tuple[str, ...], Resource] = {}
        for candidate in candidates:
            path = candidate.origin.path
            if path in self._by_path:
                continue  # an earlier candidate of its file holds all its folders' runs
            self._by_path[path] = candidate
            folders = folders_of(path)
            for length in range(len(folders), -1, -1):
                if folders[:length] in self._by_folders:
                    break  # an earlier candidate holds this run, and so every shorter one
                self._by_folders[folders[:length]] = candidate

    def nearest(self, path: str) -> Resource | None:
        """The candidate read from `path` itself, else the one whose file shares the most
        leading folders with it; the first in input order among equals."""
        found = self._by_path.get(path)
        if found is not None:
            return found
        here = folders_of(path)
        for length in range(len(here), -1, -1):
            found = self._by_folders.get(here[:length])
            if found is not None:
                return found
        return None
