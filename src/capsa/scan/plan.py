"""Which files a scan evaluates together, decided from the skeletons of the whole input.

The real resolution (`build_topology`, without check contexts: `planning_view`) runs
once over every file's skeleton with an index that links files as it follows each
reference; each Cluster's view is read as it is resolved and let go. A file's
*closure* is every file it depends on: the targets its objects' references resolve to; for a Cluster, every member
of its view and, per name in its namespace that some ClusterResourceSet selecting it
bears, the one it would pick; for an object some Cluster claims, the first Cluster that
claims it (whose context it gets).

A closed set of files resolves every one of its objects exactly as the whole input
does: each answer the whole input gives is in the set, and a lookup in a subset that
keeps input order finds the same nearest, first match (`capi.index.Nearby`). What a
lookup decides from every candidate without using one (several same-named
ClusterClasses: none applied; which classes some Cluster uses) travels in the shared
facts instead of making every such file a dependency, so copies of one tree stay
apart. The clusters of a part are put in the
whole's order (`SharedFacts.cluster_order`), so the first to claim a shared template
is the same. A group owns some files, loads their
closure, and evaluates only what it owns; groups are packed in read order up to a
budget of resources, so memory follows the largest group, not the input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capsa.capi.clusters import ClusterView, resource_sets_by_name
from capsa.capi.index import Nearby, ResourceIndex, ResourceKey, namespace_of, resource_key
from capsa.capi.kinds import ObjectRef
from capsa.capi.rbac import RbacFacts
from capsa.capi.topology import SharedFacts, planning_view
from capsa.kube import dig, labels_of, selector_is_empty, selector_matches
from capsa.sources.resource import Resource

GROUP_BUDGET = 2_500
"""Resources a group may load before the next file starts a new group. Measured on the
corpus x20 (CPU time): 1,000 loads each object 4.7 times over (closures repeat in
every group), 2,500 cuts the scan's time by a tenth at the same peak memory; smaller
groups make a warm re-scan cheaper (x5: 3.3 s at 250, 9.7 s at 4,000)."""


Follow = Callable[[Resource, Resource], object]
"""Told who asked (`near`) and what a lookup found (`RecordingIndex`)."""


class RecordingIndex(ResourceIndex):
    """A ResourceIndex that tells `follow`, for each lookup that found something, who
    asked (`near`) and what it found: a reference's target, or every object a
    ClusterResourceSet gets from a kustomize-generated ConfigMap/Secret (all of them,
    so a part holds all). Planning turns each into a link between files at once: a
    list of the pairs held every object looked up until planning ended."""

    def __init__(self, resources: Sequence[Resource], follow: Follow) -> None:
        super().__init__(resources)
        self._follow = follow

    def resolve(
        self, ref: ObjectRef, namespace: str | None, near: Resource | None = None
    ) -> Resource | None:
        found = super().resolve(ref, namespace, near)
        if found is not None and near is not None:
            self._follow(near, found)
        return found

    def generated(
        self, kind: str, name: str, namespace: str | None, near: Resource | None = None
    ) -> list[Resource]:
        found = super().generated(kind, name, namespace, near)
        if near is not None:
            for payload in found:
                self._follow(near, payload)
        return found


@dataclass(frozen=True)
class Group:
    """Files (by read position) a group evaluates, and every file it loads for them."""

    owned: tuple[int, ...]
    loads: tuple[int, ...]


Place = tuple[str, int, str, str, str, str]
"""Where a Cluster was read (`place_of`): its file, line, carrier, generator, namespace
and name."""


def place_of(cluster: Resource) -> Place:
    """What tells a Cluster apart from every other in the input, whichever part of the
    input resolved it."""
    origin = cluster.origin
    return (
        origin.path,
        origin.line or 0,
        origin.carrier or "",
        origin.generated or "",
        namespace_of(cluster),
        cluster.name,
    )


@dataclass(frozen=True)
class Plan:
    groups: tuple[Group, ...]
    shared: SharedFacts
    # each Cluster's place in the whole input's order of clusters, which groups by name
    # first: a merge of the groups' clusters is sorted by it
    cluster_order: Mapping[Place, int] = field(default_factory=dict)


def plan_groups(
    skeletons: Sequence[Resource],
    file_of: dict[str, int],
    sizes: Sequence[int],
    budget: int = GROUP_BUDGET,
    rbac: Mapping[ResourceKey, RbacFacts] | None = None,
) -> Plan:
    """Groups over files 0..len(sizes)-1. `skeletons` are every resource's skeleton in
    read order (embedded objects last), `file_of` maps a path to its file number and
    `sizes` counts each file's resources. `rbac` is the input's RBAC analysis when it
    was made apart (the skeletons then carry no RBAC bodies)."""
    links = Links(file_of)
    index = RecordingIndex([s for s in skeletons if s.fragment_of is None], links.resources)
    claims = Claims(index, links.resources)
    shared = planning_view(skeletons, index, rbac, claims.add)
    return Plan(pack_groups(links.needs, sizes, budget), shared, claims.order)


class Links:
    """The files each file needs (`needs`), from the lookups planning follows. Only a
    file that links to another has a set: an empty one per file was a third of what
    planning kept of the links (corpus x20: 1.2 MB)."""

    def __init__(self, file_of: Mapping[str, int]) -> None:
        self._file_of = file_of
        self.needs: dict[int, set[int]] = {}

    def files(self, source: int | None, target: int | None) -> None:
        """File `source` needs file `target` (a file read, and another)."""
        if source is not None and target is not None and source != target:
            targets = self.needs.get(source)
            if targets is None:
                targets = self.needs[source] = set()
            targets.add(target)

    def resources(self, source: Resource, target: Resource) -> None:
        """`source`'s file needs `target`'s."""
        self.files(self._file_of.get(source.origin.path), self._file_of.get(target.origin.path))


class Claims:
    """What planning keeps of each cluster's view as it is resolved
    (`capi.topology.planning_view`): links from the Cluster to every member and, per
    name in its namespace that some ClusterResourceSet selecting it bears, to the one
    it would pick; from each object to the first Cluster claiming it (whose context it
    gets); and the Cluster's place in the whole's order. The views themselves are let
    go: only the keys of the objects claimed so far stay."""

    def __init__(
        self,
        index: ResourceIndex,
        link: Follow,
        selectors: Mapping[tuple[str, str], list[Mapping[str, Any]]] | None = None,
    ) -> None:
        """`selectors` are the whole input's (`resource_set_selectors`) when `index`
        holds a part of it (`capsa.scan.parts`)."""
        self._link = link
        self._index = index
        resource_sets = resource_sets_by_name(index.of_kind("ClusterResourceSet"))
        if selectors is None:
            selectors = {key: _distinct_selectors(sets) for key, sets in resource_sets.items()}
        self._selectors = selectors
        self._nearby = {key: Nearby(sets) for key, sets in resource_sets.items()}
        self._selected: dict[tuple[tuple[str, str], str], bool] = {}
        self._claimed: set[ResourceKey] = set()
        self._seen = 0
        self.order: dict[Place, int] = {}

    def add(self, view: ClusterView) -> None:
        link = self._link
        cluster = view.cluster
        self.order[place_of(cluster)] = self._seen
        self._seen += 1
        for member in view.members:
            link(cluster, member.resource)
            key = resource_key(member.resource)
            if key not in self._claimed:  # every copy of the key lies in one file
                self._claimed.add(key)
                link(member.resource, cluster)
        labels = labels_of(cluster.body)
        label_key = json.dumps(labels, sort_keys=True, default=str)
        for named, selectors in self._selectors.items():
            if named[0] != view.namespace:
                continue
            memo = (named, label_key)
            if memo not in self._selected:
                self._selected[memo] = any(selector_matches(s, labels) for s in selectors)
            if not self._selected[memo]:
                continue  # no same-named set selects it: no subset can pick one that does
            nearby = self._nearby.get(named)
            chosen = self._index.nearest("ClusterResourceSet", named[1], nearby, cluster)
            if chosen is not None:
                link(cluster, chosen)


def resource_set_selectors(
    found: Sequence[Resource],
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Per namespace and name, the different selectors of the ClusterResourceSets among
    `found` (`_distinct_selectors`)."""
    return {key: _distinct_selectors(sets) for key, sets in resource_sets_by_name(found).items()}


def _distinct_selectors(resource_sets: Sequence[Resource]) -> list[Mapping[str, Any]]:
    """The different non-empty cluster selectors of same-named sets (copies of a template
    repeat one), since Cluster API reads an empty selector as selecting nothing."""
    seen: dict[str, Mapping[str, Any]] = {}
    for crs in resource_sets:
        selector = dig(crs.body, "spec", "clusterSelector")
        if isinstance(selector, Mapping) and not selector_is_empty(selector):
            seen.setdefault(json.dumps(selector, sort_keys=True, default=str), selector)
    return list(seen.values())


def _closure(start: int, needs: Mapping[int, set[int]]) -> set[int]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in needs.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def pack_groups(
    needs: Mapping[int, set[int]], sizes: Sequence[int], budget: int
) -> tuple[Group, ...]:
    """Files owned in read order, a new group started when a file's closure would take
    the current one's loads over `budget`. The loads' size is kept as a running total
    (summing every load again per file cost a tenth of planning on the corpus x5)."""
    groups: list[Group] = []
    owned: list[int] = []
    loads: set[int] = set()
    loaded = 0
    for file in range(len(sizes)):
        closure = _closure(file, needs)
        added = sum(sizes[f] for f in closure if f not in loads)
        if owned and loaded + added > budget:
            groups.append(Group(tuple(owned), tuple(sorted(loads))))
            owned, loads, loaded = [], set(), 0
            added = sum(sizes[f] for f in closure)
        owned.append(file)
        loads |= closure
        loaded += added
    if owned:
        groups.append(Group(tuple(owned), tuple(sorted(loads))))
    return tuple(groups)
