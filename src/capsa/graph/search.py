"""Ranked attack paths, the minimum cut of mitigations, and what-if re-runs.

**Paths.** For each (entry capability, target capability) pair, simple paths are
enumerated best first: A* over partial paths with cost = -log(product of likelihoods),
ties broken by length, and an exact heuristic (reverse Dijkstra from the targets, which
ignores simplicity and so never overestimates). Paths therefore come out in score order.
They are deduplicated by *shape* (the sequence of techniques): a shape is reported once,
with every cluster where it is realised. Search runs on the graph's representative
sub-graph (one cluster per class of identical clusters, one pool per identical pool); a
partial path that reaches a node with a technique prefix already expanded there is
pruned, which keeps fleet-scale search proportional to the number of shapes. A path that
passes the same capability in two clusters of one class is not reported: removing the
detour gives a shorter, better-scoring path of the same entry and target that is.

**Minimum cut.** One mitigation blocks many edges and an edge may be blocked by several
mitigations, so "fewest mitigations (by effort) that close every path" is a weighted
hitting set over paths (a labelled cut, NP-hard in general), not a plain edge or node
cut: putting each mitigation in as a node of capacity = effort would let one mitigation
node connect unrelated edges, and networkx's min-cut would then price a mitigation once
per edge or create shortcuts. It is solved exactly by constraint generation: start with
no paths; solve the hitting set over the paths collected so far (branch and bound,
`capsa.graph.hitting`); remove every edge the chosen mitigations block; if an entry still
reaches a target, add that path's mitigation set and repeat; otherwise the choice closes
every path and, being optimal for a subset of the constraints, is optimal overall. Only
mitigations with at least one check are candidates (a cut must be verifiable), and a
group of mitigations recommending the same control counts once (`capsa.graph.controls`).
A technique with `decidedBy` is cut by one of its mitigations only when one of those
checks ran (a check of the mitigation that cannot decide the edge cannot show it
closed). Entry and target pairs joined by edges no checked mitigation blocks cannot be cut; they
are reported apart, each with one such route, so no report claims a cut closes every
path when it does not. If branch and bound exceeds its budget the greedy answer is
returned and the cut is marked not exact.

**Open techniques.** The techniques on some route from an entry to a target of the
searched graph (`route_techniques`): a threat one of them realises is not verified.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from capsa.checks.catalog import checks_by_mitigation
from capsa.errors import InputError, Problem
from capsa.graph.build import AttackGraph, Edge
from capsa.graph.controls import group_of, root_of, with_same_control
from capsa.graph.evidence import EvidenceRef
from capsa.graph.hitting import min_hitting_set

_Cost = tuple[float, int]
_INF: _Cost = (math.inf, 0)


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    technique: str
    threats: tuple[str, ...]
    blocked_by: tuple[str, ...]
    status: str
    refs: tuple[EvidenceRef, ...]


@dataclass(frozen=True)
class AttackPath:
    entry: str
    target: str
    score: float
    steps: tuple[Step, ...]
    clusters: tuple[str, ...]

    @property
    def shape(self) -> tuple[str, ...]:
        return tuple(s.technique for s in self.steps)


@dataclass(frozen=True)
class CutMitigation:
    mitigation: str
    effort: float
    checks: tuple[str, ...]
    paths_cut: tuple[int, ...]


@dataclass(frozen=True)
class UncuttableRoute:
    """An entry and a target joined by edges no checked mitigation blocks, and the
    techniques of one such route (the shortest found)."""

    entry: str
    target: str
    techniques: tuple[str, ...]


@dataclass(frozen=True)
class Cut:
    mitigations: tuple[CutMitigation, ...]
    total_effort: float
    exact: bool
    uncuttable: tuple[tuple[str, str], ...] = ()
    routes: tuple[UncuttableRoute, ...] = ()

    @property
    def closes_every_path(self) -> bool:
        """Whether applying the cut leaves no entry reaching a target."""
        return not self.uncuttable


@dataclass(frozen=True)
class PathReport:
    entries: tuple[str, ...]
    targets: tuple[str, ...]
    assumed: tuple[str, ...]
    paths: tuple[AttackPath, ...]
    cut: Cut
    complete: bool = True
    route_techniques: tuple[str, ...] = ()
    # (technique, one route using it) for route techniques on no listed path: the listed
    # paths are the best few per entry and target, and a route may go on past a target
    route_examples: tuple[tuple[str, str], ...] = ()
    # False when no entry point or no target is in the graph: nothing was searched, so
    # "no open path" would claim what was never looked at; `not_searched` says why, and
    # names entry points or targets asked for by name that the graph lacks
    searched: bool = True
    not_searched: tuple[str, ...] = ()

    @property
    def cut_closes_every_path(self) -> bool:
        """Whether the cut closes every path from the entry points to the targets, which
        only a search that ran can say."""
        return self.searched and self.cut.closes_every_path


@dataclass(frozen=True)
class WhatIf:
    assumed: tuple[str, ...]
    before: tuple[AttackPath, ...]
    after: tuple[AttackPath, ...]
    removed: tuple[AttackPath, ...]


def default_entries(graph: AttackGraph) -> list[str]:
    """Entry capabilities marked default, plus RBAC subjects found by a live scan."""
    caps = graph.catalogue.capabilities.values()
    present = {n.capability for n in graph.nodes}
    return [c.id for c in caps if c.entry and c.default_entry and c.id in present]


def default_targets(graph: AttackGraph) -> list[str]:
    """Target capabilities some technique leads to here, open or blocked by a mitigation
    that holds (one only a cloud principal reaches is no target without cloud evidence;
    one every technique into is blocked is still searched, and reached by no path)."""
    reached = _reached(graph)
    return [c.id for c in graph.catalogue.capabilities.values() if c.target and c.id in reached]


def _reached(graph: AttackGraph) -> set[str]:
    """Capabilities some edge, open or blocked, leads to."""
    reached = {graph.nodes[e.target].capability for e in graph.edges}
    for blocked in graph.blocked:
        at = graph.index.get(blocked.target)
        if at is not None:
            reached.add(graph.nodes[at].capability)
    return reached


def _check_ids(graph: AttackGraph, ids: Iterable[str], what: str) -> list[str]:
    """Known capabilities; for `--entry`, only those marked entry: a path searched from a
    capability techniques lead to would be reported as if attackers started there."""
    out = list(dict.fromkeys(ids))
    capabilities = graph.catalogue.capabilities
    unknown = [i for i in out if i not in capabilities]
    if unknown:
        known = ", ".join(sorted(capabilities))
        raise InputError(
            [
                Problem(f"--{what}", None, None, f"unknown capability {u}; known: {known}")
                for u in unknown
            ]
        )
    if what == "entry":
        inner = [i for i in out if not capabilities[i].entry]
        if inner:
            entries = ", ".join(sorted(c.id for c in capabilities.values() if c.entry))
            raise InputError(
                [
                    Problem(
                        "--entry",
                        None,
                        None,
                        f"{i} is no entry capability: attackers reach it through techniques, "
                        f"they do not start there; entry capabilities: {entries}",
                    )
                    for i in inner
                ]
            )
    return out


def _check_mitigations(graph: AttackGraph, ids: Iterable[str]) -> None:
    """An assumed mitigation no technique names would silently change nothing: refuse it."""
    known = set(graph.catalogue.mitigations())
    unknown = [m for m in ids if m not in known]
    if unknown:
        names = ", ".join(sorted(known))
        raise InputError(
            [
                Problem("--assume", None, None, f"no technique is blocked by {m}; known: {names}")
                for m in unknown
            ]
        )


class _Searcher:
    """Adjacency of the representative sub-graph minus edges of assumed mitigations."""

    def __init__(self, graph: AttackGraph, assumed: Iterable[str] = ()) -> None:
        self.graph = graph
        self.assumed = frozenset(m for a in assumed for m in group_of(a))
        n = len(graph.nodes)
        self.adj: list[list[int]] = [[] for _ in range(n)]
        self.radj: list[list[int]] = [[] for _ in range(n)]
        ok = graph.searchable
        for i, edge in enumerate(graph.edges):
            if not (ok[edge.source] and ok[edge.target]):
                continue
            if self.assumed and self.assumed.intersection(edge.blocked_by):
                continue
            self.adj[edge.source].append(i)
            self.radj[edge.target].append(i)
        self._dist: dict[str, dict[int, _Cost]] = {}
        self.complete = True

    def distances(self, target: str) -> dict[int, _Cost]:
        """(cost, hops) of the best walk from each node to any node of `target`."""
        found = self._dist.get(target)
        if found is not None:
            return found
        edges = self.graph.edges
        dist: dict[int, _Cost] = {}
        heap: list[tuple[float, int, int]] = [(0.0, 0, s) for s in self.graph.nodes_of(target)]
        heapq.heapify(heap)
        while heap:
            cost, hops, node = heapq.heappop(heap)
            if node in dist:
                continue
            dist[node] = (cost, hops)
            for e in self.radj[node]:
                edge = edges[e]
                if edge.source not in dist:
                    heapq.heappush(heap, (cost + edge.cost, hops + 1, edge.source))
        self._dist[target] = dist
        return dist

    def paths(self, entry: str, target: str, top: int, budget: int = 200_000) -> list[AttackPath]:
        graph, edges = self.graph, self.graph.edges
        dist = self.distances(target)
        sinks = set(graph.nodes_of(target))
        heap: list[tuple[float, int, int, float, int, tuple[int, ...], tuple[int, ...]]] = []
        counter = 0
        for s in graph.entry_nodes(entry):
            if s in dist:
                h = dist[s]
                heap.append((round(h[0], 9), h[1], counter, 0.0, s, (), (s,)))
                counter += 1
        heapq.heapify(heap)
        found: dict[tuple[str, ...], tuple[tuple[int, ...], float]] = {}
        expanded: set[tuple[tuple[str, ...], int]] = set()
        pops = 0
        while heap and len(found) < top:
            pops += 1
            if pops > budget:
                self.complete = False
                break
            _f, _hops, _c, g, node, path, visited = heapq.heappop(heap)
            shape = tuple(edges[e].technique for e in path)
            if node in sinks and path:
                found.setdefault(shape, (path, g))
                continue
            if (shape, node) in expanded:
                continue
            expanded.add((shape, node))
            for e in self.adj[node]:
                edge = edges[e]
                nxt = edge.target
                if nxt in visited or nxt not in dist:
                    continue
                g2 = g + edge.cost
                h = dist[nxt]
                counter += 1
                heapq.heappush(
                    heap,
                    (
                        round(g2 + h[0], 9),
                        len(path) + 1 + h[1],
                        counter,
                        g2,
                        nxt,
                        (*path, e),
                        (*visited, nxt),
                    ),
                )
        return [
            self._path(entry, target, path, cost, shape) for shape, (path, cost) in found.items()
        ]

    def _path(
        self, entry: str, target: str, path: tuple[int, ...], cost: float, shape: tuple[str, ...]
    ) -> AttackPath:
        graph = self.graph
        steps = []
        for e in path:
            edge = graph.edges[e]
            technique = graph.catalogue.technique(edge.technique)
            steps.append(
                Step(
                    graph.nodes[edge.source].id,
                    graph.nodes[edge.target].id,
                    edge.technique,
                    technique.threats,
                    edge.blocked_by,
                    edge.status,
                    edge.refs,
                )
            )
        clusters = self._clusters(entry, target, shape)
        return AttackPath(entry, target, round(math.exp(-cost), 6), tuple(steps), clusters)

    def _clusters(self, entry: str, target: str, shape: tuple[str, ...]) -> tuple[str, ...]:
        """Every cluster on some realisation of `shape` (class members included)."""
        edges = self.graph.edges
        layers: list[set[int]] = [set(self.graph.entry_nodes(entry))]
        for technique in shape:
            layers.append(
                {
                    edges[e].target
                    for n in layers[-1]
                    for e in self.adj[n]
                    if edges[e].technique == technique
                }
            )
        alive = layers[-1] & set(self.graph.nodes_of(target))
        on_path = set(alive)
        for i in range(len(shape) - 1, -1, -1):
            alive = {
                n
                for n in layers[i]
                if any(
                    edges[e].technique == shape[i] and edges[e].target in alive for e in self.adj[n]
                )
            }
            on_path |= alive
        clusters: set[str] = set()
        for n in on_path:
            cluster = self.graph.nodes[n].cluster
            if cluster is not None:
                clusters.update(self.graph.clusters_like(cluster))
        return tuple(sorted(clusters))


def find_paths(
    graph: AttackGraph,
    entries: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    top: int = 5,
    assume: Iterable[str] = (),
) -> list[AttackPath]:
    """Top-`top` path shapes per (entry, target) pair, best first within each pair."""
    searcher = _Searcher(graph, assume)
    return _all_paths(searcher, entries, targets, top)


def _all_paths(
    searcher: _Searcher, entries: Sequence[str] | None, targets: Sequence[str] | None, top: int
) -> list[AttackPath]:
    graph = searcher.graph
    entry_ids = _check_ids(graph, entries or default_entries(graph), "entry")
    target_ids = _check_ids(graph, targets or default_targets(graph), "target")
    out: list[AttackPath] = []
    for entry in entry_ids:
        for target in target_ids:
            if entry != target:
                out.extend(searcher.paths(entry, target, top))
    out.sort(key=lambda p: (-p.score, len(p.steps), p.entry, p.target, p.shape))
    return out


def _cuttable_step(
    technique: str,
    blocked_by: Sequence[str],
    decided_by: Mapping[str, frozenset[str]],
    checks: Mapping[str, Sequence[str]],
) -> set[str]:
    deciders = decided_by.get(technique)
    return {
        root_of(m) for m in blocked_by if not deciders or deciders.intersection(checks.get(m, ()))
    }


def _cuttable(
    edge: Edge,
    candidates: frozenset[str],
    decided_by: Mapping[str, frozenset[str]],
    checks: Mapping[str, Sequence[str]],
) -> frozenset[str]:
    """Checked mitigations that can close `edge`: of its blockers, those with a check
    that decides its technique (any check, when the technique names none)."""
    deciders = decided_by.get(edge.technique)
    if not deciders:
        return candidates.intersection(root_of(m) for m in edge.blocked_by)
    return candidates.intersection(
        root_of(m) for m in edge.blocked_by if deciders.intersection(checks.get(m, ()))
    )


def route_techniques(
    searcher: _Searcher, entries: Sequence[str], targets: Sequence[str]
) -> tuple[str, ...]:
    """Techniques of every edge that lies on some walk from an entry to a target."""
    graph, edges = searcher.graph, searcher.graph.edges
    starts = [s for e in entries for s in graph.entry_nodes(e)]
    every = [True] * len(edges)
    forward, _ = _reach(searcher, starts, every)
    reached = set(forward) | set(starts)
    sinks = [n for t in targets for n in graph.nodes_of(t)]
    backward = set(sinks)
    queue = deque(sinks)
    while queue:
        node = queue.popleft()
        for e in searcher.radj[node]:
            source = edges[e].source
            if source not in backward:
                backward.add(source)
                queue.append(source)
    found = {
        edges[e].technique
        for node in reached
        for e in searcher.adj[node]
        if edges[e].target in backward
    }
    return tuple(sorted(found))


def route_examples(
    searcher: _Searcher, entries: Sequence[str], targets: Sequence[str], techniques: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """For each of `techniques`, one walk from an entry to a target through an edge of
    it, written as the report writes a path (`from → to via t1 › t2`): the shortest
    way to the edge from the entries, then on from it to the nearest target."""
    if not techniques:
        return ()
    graph, edges = searcher.graph, searcher.graph.edges
    starts = [s for e in entries for s in graph.entry_nodes(e)]
    sinks = {n for t in targets for n in graph.nodes_of(t)}
    every = [True] * len(edges)
    into, _ = _reach(searcher, starts, every)  # node -> the edge that first reached it
    reached = set(into) | set(starts)
    out: list[tuple[str, str]] = []
    for technique in techniques:
        for e, edge in enumerate(edges):
            if edge.technique != technique or edge.source not in reached:
                continue
            onward, hit = _reach(searcher, [edge.target], every, sinks)
            if hit is None:
                continue
            route = [*_back(into, edge.source, edges), e, *_back(onward, hit, edges, edge.target)]
            first, last = edges[route[0]].source, edges[route[-1]].target
            names = " › ".join(edges[i].technique for i in route)
            out.append((technique, f"{graph.nodes[first].id} → {graph.nodes[last].id} via {names}"))
            break
    return tuple(out)


def _back(parent: Mapping[int, int], node: int, edges: Sequence[Edge], stop: int = -1) -> list[int]:
    """The edges of the BFS route (`_reach`) from its start to `node`, following `parent`
    (node -> the edge that reached it) back to a node it has none for, or to `stop`."""
    chain: list[int] = []
    while node in parent and node != stop:
        e = parent[node]
        chain.append(e)
        node = edges[e].source
    return chain[::-1]


def _reach(
    searcher: _Searcher,
    sources: Iterable[int],
    allowed: list[bool],
    stop: set[int] | None = None,
) -> tuple[dict[int, int], int | None]:
    """BFS over allowed edges: parent edge per reached node, and the first `stop` hit."""
    parent: dict[int, int] = {}
    seen = set(sources)
    queue = deque(seen)
    edges = searcher.graph.edges
    while queue:
        node = queue.popleft()
        if stop is not None and node in stop:
            return parent, node
        for e in searcher.adj[node]:
            if not allowed[e]:
                continue
            nxt = edges[e].target
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = e
                queue.append(nxt)
    return parent, None


def minimum_cut(
    graph: AttackGraph,
    entries: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    checks: Mapping[str, Sequence[str]] | None = None,
    assume: Iterable[str] = (),
    paths: Sequence[AttackPath] = (),
) -> Cut:
    """The cheapest set of checked mitigations closing every entry -> target path."""
    searcher = _Searcher(graph, assume)
    return _cut(
        searcher, entries, targets, checks if checks is not None else checks_by_mitigation(), paths
    )


def _cut(
    searcher: _Searcher,
    entries: Sequence[str] | None,
    targets: Sequence[str] | None,
    checks: Mapping[str, Sequence[str]],
    paths: Sequence[AttackPath],
) -> Cut:
    graph, edges = searcher.graph, searcher.graph.edges
    entry_ids = _check_ids(graph, entries or default_entries(graph), "entry")
    target_ids = _check_ids(graph, targets or default_targets(graph), "target")
    checks = with_same_control(checks)
    candidates = frozenset(root_of(m) for m in graph.catalogue.mitigations() if checks.get(m)) - {
        root_of(m) for m in searcher.assumed
    }
    decided_by = {t.id: frozenset(t.decided_by) for t in graph.catalogue.techniques if t.decided_by}
    cuttable = [_cuttable(e, candidates, decided_by, checks) for e in edges]
    permanent = [not c for c in cuttable]
    sinks = {n for t in target_ids for n in graph.nodes_of(t)}
    # Group sources by the targets they reach over edges no checked mitigation blocks.
    groups: dict[frozenset[int], list[int]] = defaultdict(list)
    routes: dict[tuple[str, str], tuple[str, ...]] = {}
    for entry in entry_ids:
        for s in graph.entry_nodes(entry):
            parent, _ = _reach(searcher, [s], permanent)
            fixed = frozenset(n for n in parent if n in sinks)
            for n in fixed:
                pair = (entry, graph.nodes[n].capability)
                route = _route(parent, n, edges)
                if pair not in routes or len(route) < len(routes[pair]):
                    routes[pair] = route
            groups[fixed].append(s)
    uncuttable = set(routes)
    weights = {m: graph.catalogue.effort(m) for m in candidates}
    constraints: list[frozenset[str]] = []
    chosen: frozenset[str] = frozenset()
    exact = True
    for _round in range(10_000):
        allowed = [not (c & chosen) for c in cuttable]
        path_found: list[int] | None = None
        for fixed, sources in groups.items():
            parent, hit = _reach(searcher, sources, allowed, sinks - fixed)
            if hit is not None:
                path_found = _back(parent, hit, edges)
                break
        if path_found is None:
            break
        constraints.append(frozenset().union(*(cuttable[e] for e in path_found)))
        solved = min_hitting_set(constraints, weights)
        chosen, exact = solved.chosen, exact and solved.exact
    items = []
    for m in sorted(chosen, key=lambda m: (-weights[m], m)):
        cut_paths = tuple(
            i
            for i, p in enumerate(paths)
            if any(
                m in _cuttable_step(s.technique, s.blocked_by, decided_by, checks) for s in p.steps
            )
        )
        items.append(CutMitigation(m, weights[m], tuple(sorted(checks.get(m, ()))), cut_paths))
    items.sort(key=lambda c: (-len(c.paths_cut), c.mitigation))
    total = round(sum(weights[m] for m in chosen), 6)
    found = tuple(UncuttableRoute(e, t, routes[(e, t)]) for e, t in sorted(uncuttable))
    return Cut(tuple(items), total, exact, tuple(sorted(uncuttable)), found)


def _route(parent: Mapping[int, int], node: int, edges: Sequence[Edge]) -> tuple[str, ...]:
    """Techniques of the BFS route that reached `node`, from its source on."""
    return tuple(edges[e].technique for e in _back(parent, node, edges))


def analyse(
    graph: AttackGraph,
    entries: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    top: int = 5,
    assume: Iterable[str] = (),
    checks: Mapping[str, Sequence[str]] | None = None,
) -> PathReport:
    """Paths and cut together, sharing one search sub-graph."""
    assumed = tuple(sorted(set(assume)))
    _check_mitigations(graph, assumed)
    searcher = _Searcher(graph, assumed)
    paths = _all_paths(searcher, entries, targets, top)
    cut = _cut(
        searcher, entries, targets, checks if checks is not None else checks_by_mitigation(), paths
    )
    entry_ids = tuple(_check_ids(graph, entries or default_entries(graph), "entry"))
    target_ids = tuple(_check_ids(graph, targets or default_targets(graph), "target"))
    techniques = route_techniques(searcher, entry_ids, target_ids)
    listed = {step.technique for path in paths for step in path.steps}
    held = _Held.of(graph)
    searched, not_searched = _searched(graph, held, entries, targets)
    return PathReport(
        tuple(i for i in entry_ids if i in held.entries),
        tuple(i for i in target_ids if i in held.targets),
        assumed,
        tuple(paths),
        cut,
        searcher.complete,
        techniques,
        route_examples(searcher, entry_ids, target_ids, [t for t in techniques if t not in listed]),
        searched,
        not_searched,
    )


@dataclass(frozen=True)
class _Held:
    """The capabilities a search can use: entries the graph holds a node of, and targets
    it holds one of that some technique (open or blocked) also leads to. The report lists
    only these, and notes the rest."""

    present: frozenset[str]
    entries: frozenset[str]
    targets: frozenset[str]

    @classmethod
    def of(cls, graph: AttackGraph) -> _Held:
        present = frozenset(node.capability for node in graph.nodes)
        return cls(present, present, present & _reached(graph))


def _searched(
    graph: AttackGraph,
    held: _Held,
    entries: Sequence[str] | None,
    targets: Sequence[str] | None,
) -> tuple[bool, tuple[str, ...]]:
    """Whether the graph holds an entry point and a target to search between, and a note
    for each side it lacks wholly, or lacks some of those asked for by name. A model
    with no element the catalogue's capabilities stand for (`Capability.model`), or a
    deployment with no cluster, leaves nothing to search."""
    caps = graph.catalogue.capabilities
    sides = (
        (
            "entry point",
            entries,
            [c.id for c in caps.values() if c.entry and c.default_entry],
            held.entries,
        ),
        ("target", targets, [c.id for c in caps.values() if c.target], held.targets),
    )
    searched, notes = True, []
    for what, named, catalogue, usable in sides:
        asked = list(dict.fromkeys(named)) if named else catalogue
        absent = [c for c in asked if c not in usable]
        why = "; ".join(_why_absent(graph, held, c) for c in absent)
        if not asked or len(absent) == len(asked):
            searched = False
            notes.append(f"no {what} is in the graph: {why or 'the catalogue has none'}")
        elif absent and named:
            notes.append(f"{what}s asked for but not in the graph, not searched: {why}")
    return searched, tuple(notes)


def _why_absent(graph: AttackGraph, held: _Held, capability: str) -> str:
    cap = graph.catalogue.capabilities[capability]
    if capability in graph.dropped:
        if len(cap.model) == 1:
            return f"{capability} stands for {cap.model[0]}, which the model lacks"
        return f"{capability} stands for {' or '.join(cap.model)}, none of which the model has"
    if capability in held.present:
        return (
            f"{capability}: no technique of this deployment leads to it (one a cloud "
            "principal uses needs cloud evidence)"
        )
    return f"{capability}: no {cap.scope} of the deployment holds it"


@dataclass(frozen=True)
class _Key:
    entry: str
    target: str
    shape: tuple[str, ...] = field(default=())


def what_if(
    graph: AttackGraph,
    mitigations: Iterable[str],
    entries: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    top: int = 5,
    assume: Iterable[str] = (),
) -> WhatIf:
    """Paths before and after assuming `mitigations` applied, and the ones that go."""
    base = set(assume)
    extra = set(mitigations)
    before = find_paths(graph, entries, targets, top, base)
    after = find_paths(graph, entries, targets, top, base | extra)
    remaining = {_Key(p.entry, p.target, p.shape) for p in after}
    removed = tuple(p for p in before if _Key(p.entry, p.target, p.shape) not in remaining)
    return WhatIf(tuple(sorted(extra)), tuple(before), tuple(after), removed)
