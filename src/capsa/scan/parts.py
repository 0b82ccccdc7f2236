"""Planning a large input one directory subtree at a time, so that planning's memory
follows the largest part instead of the whole input.

Planning (`capsa.scan.plan`) resolves every Cluster to learn which files depend on
which. Done over the whole input at once it held every resource's skeleton (corpus x20:
about 0.9 MB of traced memory per copy). Here the input's files are cut into *leaves*:
directory subtrees (every file under one folder) small enough to plan alone, plus the
files lying directly in a folder that was cut up. Leaves are planned in *units* of a
few, each unit holding only its own skeletons, and the units' answers are merged.

Why a unit answers as the whole does. Every lookup goes through `PartIndex`, which
knows (from one pass over every skeleton's head, `Tables`) in which leaves each kind
and name occurs. A lookup's answer is the whole's when

- every candidate of that kind and name lies in the unit: the unit's candidates are the
  whole's, in the same order; or
- a candidate of the referrer's own file was found without loosening the namespace
  (the whole checks the referrer's file first); or
- the referrer's leaf is a subtree and the candidate found lies in it, without
  loosening the namespace: a file outside a subtree shares fewer leading folders with
  the referrer than any file inside it, so the whole's nearest (`capi.index.Nearby`)
  is inside too, and the first among equals in input order is the same.

Any other lookup *escapes* to the leaves outside the unit where the whole's answer
could lie: those holding the name that share more leading folders with the referrer
than the answer found (the nearest such ring first), else those as near with a file
before the answer's (input order breaks a tie). The asking leaf and those leaves are
joined and planned together, until no lookup escapes; after `MERGE_ROUNDS` the input
is planned whole. Objects two units would claim are therefore always in one unit, and
each unit resolves its Clusters in the whole's order (`clusters.cluster_ranks`), so
the first Cluster to claim an object is the whole's. A generated ConfigMap/Secret's
payload is every generator file of its name, wherever it lies: those files are linked
from `Tables.generated` without joining anything. What spans the input (the
namespaces' quotas, the files defining each class name, ClusterResourceSet selectors,
the RBAC analysis) comes from the whole; what the units find (file links, the classes
used, the templates replaced or judged alone, each Cluster's place and VPC) is merged.
`tests/scan/test_parts.py` compares the merged plan with the whole one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from capsa.capi import kinds
from capsa.capi.clusters import ClusterView, InputWide, Rank, cluster_ranks, ranks_of
from capsa.capi.index import (
    DEFAULT_NAMESPACE,
    Nearby,
    ResourceIndex,
    ResourceKey,
    folders_of,
    resource_key,
)
from capsa.capi.kinds import ObjectRef
from capsa.capi.rbac import RbacFacts
from capsa.capi.topology import (
    SharedFacts,
    WholeOfPart,
    namespace_facts,
    planning_view,
    vpc_id_of,
)
from capsa.kube import group_of
from capsa.scan.plan import (
    Claims,
    Links,
    Place,
    Plan,
    RecordingIndex,
    pack_groups,
    place_of,
    resource_set_selectors,
)
from capsa.sources.resource import Resource, identity_of

PART_BUDGET = 10_000
"""Resources a planning unit may hold before the next leaf starts another."""

MERGE_ROUNDS = 8
"""Rounds of joining escaping leaves before the input is planned whole instead."""

WHOLE_UNIT = -1
"""Who asked a lookup that has no referrer: the whole unit."""

Load = Callable[[int], list[Resource]]
"""Block number -> its skeletons (marked as the whole read marks them)."""

Heads = Callable[[int], "list[Head]"]
"""Block number -> its skeletons' heads (`Head`), in the order `Load` gives them."""


@dataclass(frozen=True)
class Leaves:
    """Each file's leaf, and whether each leaf is a whole directory subtree."""

    of_file: tuple[int, ...]
    subtree: tuple[bool, ...]
    prefix: tuple[tuple[str, ...], ...]  # the folders every file of the leaf lies in
    first: tuple[int, ...]  # the leaf's first file (by number)


def leaves(paths: Sequence[str], sizes: Sequence[int], budget: int) -> Leaves:
    """Cut the files into leaves: a folder holding more than `budget` resources is cut
    into its subfolders' subtrees and the files lying directly in it (one leaf that is
    not a subtree); a smaller folder is one leaf. Worked with a list of folders still
    to cut, not by recursion: a nested function calling itself is a reference cycle,
    and the scan runs with the collector paused (every path's folders, 7 MB at the
    corpus x40, stayed for the rest of the scan)."""
    folders = [folders_of(path) for path in paths]
    of_file = [0] * len(paths)
    subtree: list[bool] = []
    prefix: list[tuple[str, ...]] = []
    first: list[int] = []
    # (files, depth, whether they are every file under their folder): depth first, a
    # folder's subfolders before the files lying directly in it
    todo: list[tuple[list[int], int, bool]] = [(list(range(len(paths))), 0, True)]
    while paths and todo:
        files, depth, whole_subtree = todo.pop(0)
        deeper = {folders[f][depth] for f in files if len(folders[f]) > depth}
        direct = [f for f in files if len(folders[f]) <= depth]
        if whole_subtree and len(deeper) == 1 and not direct:
            todo.insert(0, (files, depth + 1, True))  # one folder holds them all: look inside
            continue
        if whole_subtree and sum(sizes[f] for f in files) > budget and deeper:
            below: dict[str, list[int]] = defaultdict(list)
            for f in files:
                if len(folders[f]) > depth:
                    below[folders[f][depth]].append(f)
            cut = [(inside, depth + 1, True) for inside in below.values()]
            todo[:0] = cut + ([(direct, depth, False)] if direct else [])
            continue
        for file in files:
            of_file[file] = len(subtree)
        subtree.append(whole_subtree)
        prefix.append(folders[files[0]][:depth])
        first.append(min(files))
    return Leaves(tuple(of_file), tuple(subtree), tuple(prefix), tuple(first))


class Head(NamedTuple):
    """What the pass building `Tables` reads of a skeleton, marked as the whole read
    marks it (a fragment, a generator's payload): no body, so most blocks need no
    skeleton made (`BODY_KINDS`)."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    path: str
    line: int | None
    carrier: str | None
    generated: str | None
    fragment_of: str | None

    def key(self) -> ResourceKey:
        """`capi.index.resource_key` of the skeleton."""
        identity = identity_of(group_of(self.api_version), self.kind, self.namespace, self.name)
        return (identity, self.path, self.line, self.carrier)


BODY_KINDS = frozenset({"ClusterResourceSet", "ResourceQuota", "Namespace"})
"""Kinds whose bodies the whole's facts read (selectors, quotas): their blocks' skeletons
are made (a seventh of the corpus's blocks)."""


@dataclass(frozen=True)
class Tables:
    """What one pass over every skeleton's head learns of the whole input: which leaves
    hold each kind and name (bit per leaf), the blocks each leaf's skeletons lie in,
    and the facts that span the input."""

    names: Mapping[tuple[str, str], int]
    # per generated ConfigMap/Secret (kind, name): the file and namespace of each object
    # a generator puts in it (`ResourceIndex.generated` gathers every one, wherever)
    generated: Mapping[tuple[str, str], list[tuple[int, str]]]
    blocks: Mapping[int, list[int]]
    whole_of_part: WholeOfPart
    selectors: Mapping[tuple[str, str], list[Mapping[str, Any]]]


def tables(
    blocks: int,
    heads: Heads,
    load: Load,
    file_of: Mapping[str, int],
    of_file: Sequence[int],
) -> Tables | None:
    """`Tables` from every block's heads (the skeletons of those holding `BODY_KINDS`),
    each let go once read; None when a skeleton names a file that was not read (no
    leaf holds it)."""
    names: dict[tuple[str, str], int] = {}
    generated: dict[tuple[str, str], list[tuple[int, str]]] = {}
    in_blocks: dict[int, list[int]] = defaultdict(list)
    clusters: list[tuple[tuple[str, str], ResourceKey]] = []
    resource_sets: list[Resource] = []
    namespaced: list[Resource] = []
    class_files: dict[str, set[str]] = defaultdict(set)
    for block in range(blocks):
        rows = heads(block)
        made = load(block) if any(row.kind in BODY_KINDS for row in rows) else None
        touched: set[int] = set()
        for at, row in enumerate(rows):
            file = file_of.get(row.path)
            if file is None:
                return None
            leaf = of_file[file]
            touched.add(leaf)
            if row.fragment_of is not None:
                continue
            key = (row.kind, row.name)
            names[key] = names.get(key, 0) | 1 << leaf
            if row.generated:
                kind, namespace, name = row.generated.split("/", 2)
                generated.setdefault((kind, name), []).append((file, namespace))
            kind = row.kind
            if made is not None and kind in BODY_KINDS:
                (resource_sets if kind == "ClusterResourceSet" else namespaced).append(made[at])
            elif (
                kind in ("Cluster", "ClusterClass")
                and group_of(row.api_version) == kinds.CORE_GROUP
            ):
                if kind == "Cluster":
                    clusters.append(((row.namespace or DEFAULT_NAMESPACE, row.name), row.key()))
                else:
                    class_files[row.name].add(row.path)
        for leaf in touched:
            in_blocks[leaf].append(block)
    whole_of_part = WholeOfPart(
        namespace_facts(ResourceIndex(namespaced)),
        {name: tuple(sorted(paths)) for name, paths in class_files.items()},
        cluster_ranks(clusters),
    )
    return Tables(names, generated, in_blocks, whole_of_part, resource_set_selectors(resource_sets))


class PartIndex(RecordingIndex):
    """A `RecordingIndex` over one unit's skeletons that notes every lookup whose answer
    the whole input might give differently (see the module's docstring): `escapes`
    gathers the leaves outside the unit where the whole's answer could lie."""

    def __init__(
        self,
        resources: Sequence[Resource],
        links: Links,
        unit: int,
        found: Tables,
        file_of: Mapping[str, int],
        cut: Leaves,
    ) -> None:
        super().__init__(resources, links.resources)
        self._links = links
        self._unit = unit
        self._tables = found
        self._file_of = file_of
        self._cut = cut
        # per leaf asking (WHOLE_UNIT: a lookup with no referrer), the leaves escaped to
        self.escapes: dict[int, int] = {}

    def _leaf_of(self, path: str) -> int | None:
        file = self._file_of.get(path)
        return None if file is None else self._cut.of_file[file]

    def resolve(
        self, ref: ObjectRef, namespace: str | None, near: Resource | None = None
    ) -> Resource | None:
        found, loose = self._lookup(ref, namespace, near)
        self._check(self._tables.names, ref.kind, ref.name, near, None if loose else found)
        if found is not None and near is not None:
            self._follow(near, found)
        return found

    def nearest(
        self, kind: str, name: str, candidates: Nearby | None, near: Resource
    ) -> Resource | None:
        found = super().nearest(kind, name, candidates, near)
        self._check(self._tables.names, kind, name, near, found)
        return found

    def generated(
        self, kind: str, name: str, namespace: str | None, near: Resource | None = None
    ) -> list[Resource]:
        """The unit's own objects of the generated `kind`/`name`; the whole gathers
        every one wherever it lies, so `near`'s file is linked to the files of all
        (from `Tables.generated`), as the whole's planning links them. Planning reads
        nothing else of them."""
        if near is not None:
            source = self._file_of.get(near.origin.path)
            for file, generated_ns in self._tables.generated.get((kind, name), ()):
                if namespace is None or generated_ns in ("", namespace):
                    self._links.files(source, file)
        return ResourceIndex.generated(self, kind, name, namespace, near)

    def _check(
        self,
        held: Mapping[tuple[str, str], int],
        kind: str,
        name: str,
        near: Resource | None,
        found: Resource | None,
    ) -> None:
        """Note the leaves outside the unit that hold a `kind`/`name` the whole might
        answer with instead of `found` (a strict answer, or None)."""
        outside = held.get((kind, name), 0) & ~self._unit
        if not outside:
            return  # every candidate is in the unit
        if near is None:
            self._escape(WHOLE_UNIT, outside)  # the first in input order: any leaf
            return
        here = near.origin.path
        asking = self._leaf_of(here)
        if found is not None:
            if found.origin.path == here:
                return  # the referrer's own file comes first
            if (
                asking is not None
                and self._cut.subtree[asking]
                and self._leaf_of(found.origin.path) == asking
            ):
                return  # nearer than any file outside the subtree
        self._escape(WHOLE_UNIT if asking is None else asking, self._as_near(outside, here, found))

    def _escape(self, asking: int, leaves: int) -> None:
        if leaves:
            self.escapes[asking] = self.escapes.get(asking, 0) | leaves

    def _as_near(self, outside: int, here: str, found: Resource | None) -> int:
        """The leaves of `outside` whose files share as many leading folders with `here`
        as `found` does, or more (with nothing found: those sharing the most). A file
        of a leaf shares with `here` exactly the folders `here` shares with the leaf's
        prefix, `here` lying outside it."""
        folders = folders_of(here)
        cut = self._cut
        close = {leaf: _shared(folders, cut.prefix[leaf]) for leaf in _bits(outside)}
        least = -1 if found is None else _shared(folders, folders_of(found.origin.path))
        most = max(close.values())
        if most > least:
            # the nearest leaves first: a leaf holds the name, maybe not in the
            # namespace or group asked for, and planning them with the unit tells
            return _union([1 << leaf for leaf, shared in close.items() if shared == most])
        # as near as `found`: the first in input order wins, so only leaves with a file
        # before `found`'s (objects carried in a payload come after every file's own)
        at = self._file_of.get(found.origin.path) if found is not None else None
        after_files = (
            found is not None and found.origin.carrier is not None and not found.origin.generated
        )
        tied = at is None or after_files
        return _union(
            [
                1 << leaf
                for leaf, shared in close.items()
                if shared == least and (tied or (at is not None and cut.first[leaf] < at))
            ]
        )


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """How many leading folders `a` and `b` have in common."""
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        count += 1
    return count


@dataclass
class _UnitPlan:
    """What planning one unit found."""

    needs: dict[int, set[int]]
    views: list[tuple[Rank, ResourceKey, Place, str, str]]
    # of the unit's shared facts, what the units add up to the whole's (the rest, the
    # whole's already, is let go with each unit)
    used: frozenset[ResourceKey]
    replaced: frozenset[ResourceKey]
    alone: Mapping[ResourceKey, ResourceKey]
    escapes: dict[int, int]


def plan_in_parts(
    blocks: int,
    heads: Heads,
    load: Load,
    paths: Sequence[str],
    file_of: Mapping[str, int],
    sizes: Sequence[int],
    budget: int,
    rbac: Mapping[ResourceKey, RbacFacts],
    part_budget: int | None = None,
) -> Plan | None:
    """The plan `plan_groups` makes of the whole input (files `paths`, blocks of
    skeletons 0..`blocks`-1, `file_of` each path's number), made unit by unit (see the module's docstring). None
    when it must be made whole: the input is one leaf, a path is read twice, a
    skeleton names a file that was not read, or lookups still escape after
    `MERGE_ROUNDS`."""
    if len(file_of) != len(paths):
        return None
    part_budget = PART_BUDGET if part_budget is None else part_budget
    cut = leaves(paths, sizes, part_budget)
    if len(cut.subtree) < 2:
        return None
    found = tables(blocks, heads, load, file_of, cut.of_file)
    if found is None:
        return None
    units = _first_units(cut.of_file, sizes, len(cut.subtree), part_budget)

    done: dict[int, _UnitPlan] = {}
    todo = list(units)
    joined = _Joined(len(cut.subtree))
    for _ in range(MERGE_ROUNDS):
        for unit in todo:
            done[unit] = _plan_unit(unit, load, found, file_of, cut, rbac)
        escaping = [(unit, plan.escapes) for unit, plan in done.items() if plan.escapes]
        if not escaping:
            return _merged_plan(list(done.values()), found, sizes, budget, rbac)
        for unit, escapes in escaping:
            for asking, leaves_ in escapes.items():
                joined.join(unit if asking == WHOLE_UNIT else 1 << asking, leaves_)
        todo = _replanned(done, joined.groups())
    return None  # lookups still escape their units: the caller plans the input whole


class _Joined:
    """Leaves joined by escapes so far (union-find): a leaf whose lookup escaped to
    another is planned with it from then on."""

    def __init__(self, count: int) -> None:
        self._parent = list(range(count))

    def _root(self, leaf: int) -> int:
        parent = self._parent
        while parent[leaf] != leaf:
            parent[leaf] = parent[parent[leaf]]
            leaf = parent[leaf]
        return leaf

    def join(self, asking: int, leaves: int) -> None:
        members = list(_bits(asking | leaves))
        first = self._root(members[0])
        for leaf in members[1:]:
            self._parent[self._root(leaf)] = first

    def groups(self) -> list[int]:
        """Every group of more than one joined leaf, as a mask."""
        found: dict[int, int] = defaultdict(int)
        for leaf in range(len(self._parent)):
            found[self._root(leaf)] |= 1 << leaf
        return [mask for mask in found.values() if mask & (mask - 1)]


def _replanned(done: dict[int, _UnitPlan], groups: Sequence[int]) -> list[int]:
    """The units to plan next: each group of joined leaves not yet planned as one, and
    what is left of every unit that lost leaves to one. `done` keeps the rest."""
    new = [group for group in groups if group not in done]
    moved = _union(new)
    todo = list(new)
    for unit in list(done):
        if unit & moved:
            del done[unit]
            rest = unit & ~moved
            if rest:
                todo.append(rest)
    return todo


def _first_units(
    of_file: Sequence[int], sizes: Sequence[int], count: int, budget: int
) -> list[int]:
    """Leaves packed in order into units of up to `budget` resources (bit masks)."""
    leaf_sizes = [0] * count
    for file, leaf in enumerate(of_file):
        leaf_sizes[leaf] += sizes[file]
    units: list[int] = []
    unit, held = 0, 0
    for leaf in range(count):
        size = leaf_sizes[leaf]
        if unit and held + size > budget:
            units.append(unit)
            unit, held = 0, 0
        unit |= 1 << leaf
        held += size
    if unit:
        units.append(unit)
    return units


def _union(units: Sequence[int]) -> int:
    out = 0
    for unit in units:
        out |= unit
    return out


def _bits(mask: int) -> Iterator[int]:
    at = 0
    while mask:
        if mask & 1:
            yield at
        mask >>= 1
        at += 1


def _plan_unit(
    unit: int,
    load: Load,
    found: Tables,
    file_of: Mapping[str, int],
    cut: Leaves,
    rbac: Mapping[ResourceKey, RbacFacts],
) -> _UnitPlan:
    """Plan one unit alone, noting its escapes."""
    blocks = sorted({b for leaf in _bits(unit) for b in found.blocks.get(leaf, ())})
    skeletons: list[Resource] = []
    for block in blocks:
        for skeleton in load(block):
            file = file_of.get(skeleton.origin.path)
            if file is not None and unit >> cut.of_file[file] & 1:
                skeletons.append(skeleton)
    links = Links(file_of)
    index = PartIndex(
        [s for s in skeletons if s.fragment_of is None], links, unit, found, file_of, cut
    )
    claims = Claims(index, links.resources, found.selectors)
    whole = found.whole_of_part
    views: list[tuple[Rank, ResourceKey, Place, str, str]] = []
    ranks = ranks_of(index.of_kind("Cluster"), whole.ranks)

    def rank(cluster: Resource) -> Rank:
        return ranks[id(cluster)]

    def seen(view: ClusterView) -> None:
        claims.add(view)
        cluster = view.cluster
        label = f"{view.namespace}/{view.name}"
        views.append(
            (rank(cluster), resource_key(cluster), place_of(cluster), vpc_id_of(view), label)
        )

    shared = planning_view(skeletons, index, rbac, seen, whole, rank)
    used = shared.wide.used_classes if shared.wide is not None else frozenset()
    return _UnitPlan(links.needs, views, used, shared.replaced, shared.alone, index.escapes)


def _merged_plan(
    plans: Sequence[_UnitPlan],
    found: Tables,
    sizes: Sequence[int],
    budget: int,
    rbac: Mapping[ResourceKey, RbacFacts],
) -> Plan:
    """One plan of the units' answers, as `plan_groups` makes it of the whole."""
    needs: dict[int, set[int]] = {}
    for plan in plans:
        for file, targets in plan.needs.items():
            needs.setdefault(file, set()).update(targets)
    views = sorted((view for plan in plans for view in plan.views), key=lambda view: view[0])
    vpc_users: dict[str, list[str]] = defaultdict(list)
    for _, _, _, vpc, label in views:
        if vpc:
            vpc_users[vpc].append(label)
    whole = found.whole_of_part
    used: set[ResourceKey] = set()
    replaced: set[ResourceKey] = set()
    alone: dict[ResourceKey, ResourceKey] = {}
    for plan in plans:
        used.update(plan.used)
        replaced.update(plan.replaced)
        alone.update(plan.alone)
    shared = SharedFacts(
        dict(whole.namespaces),
        {vpc: tuple(labels) for vpc, labels in vpc_users.items()},
        {view[1]: at for at, view in enumerate(views)},
        dict(rbac),
        InputWide(frozenset(used), dict(whole.class_files)),
        frozenset(replaced),
        alone,
    )
    return Plan(
        pack_groups(needs, sizes, budget),
        shared,
        {view[2]: at for at, view in enumerate(views)},
    )
