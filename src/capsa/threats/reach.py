"""What an attacker who controls one element can get at, as a closure over the model.

Controlling an element means running code as it: the attacker acts with its authority,
takes what it holds and stores, and, when it can act on its host (`hostAccess`) or shares
a boundary without isolation (a pod), controls its neighbours too. Acting with an
element's authority means making the flows it makes: reaching a flow's target yields what
the target stores and what the flow returns, a shell flow (ssh, local-exec) gives control
of the target, and a credential obtained on the way carries the authority of what it
grants, the assets it may read, and the credentials it may issue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from capsa.model.index import ModelIndex
from capsa.model.types import DataFlow, Direction, ElementType, Isolation
from capsa.threats.network import SHELL_PROTOCOLS, Network, effective_isolation

# a caller identified this way cannot be impersonated with a stolen credential
NOT_BY_CREDENTIAL = frozenset({"attestation", "local"})


def sent(flow: DataFlow) -> list[str]:
    """Assets that may move from the caller to the target."""
    return [] if flow.direction is Direction.PULL else list(flow.carries)


def received(flow: DataFlow) -> list[str]:
    """Assets that may come back to the caller (against the arrow)."""
    if flow.direction is Direction.PUSH:
        return list(flow.returns)
    return [*flow.carries, *flow.returns]


def surely_sent(flow: DataFlow) -> list[str]:
    """Assets the caller certainly sends, the only ones a flow gives write authority over:
    `carries` of a push, or of any flow that states its response in `returns`. A flow with
    `both` and no `returns`, or no direction, does not say which way each asset goes."""
    if flow.direction is Direction.PUSH or (flow.returns and flow.direction is not Direction.PULL):
        return list(flow.carries)
    return []


def delivered(flow: DataFlow) -> list[str]:
    """Assets a flow with a stated direction hands to its target (push or both)."""
    return sent(flow) if flow.direction in (Direction.PUSH, Direction.BOTH) else []


@dataclass
class Reach:
    """What an attacker starting at `start` can get at."""

    start: str
    elements: set[str] = field(default_factory=set)
    assets: set[str] = field(default_factory=set)
    flows: set[str] = field(default_factory=set)
    authority: set[str] = field(default_factory=set)
    controlled: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    via: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _FlowStep:
    """What making one flow yields, computed once per model."""

    id: str
    target: str
    target_stores: tuple[str, ...]
    received: tuple[str, ...]
    writes: tuple[str, ...]
    shell: bool


@dataclass(frozen=True)
class _AssetStep:
    """What obtaining one asset yields: identities, readable assets (with where they are
    kept), writable assets and issued credentials."""

    grants: tuple[str, ...]
    reads: tuple[tuple[str, str | None], ...]
    writes: tuple[str, ...]
    issues: tuple[str, ...]


class ReachContext:
    """The per-model lookups a closure needs, precomputed so that many closures (one per
    untrusted element, one per exposed element) stay cheap."""

    def __init__(
        self,
        index: ModelIndex,
        network: Network,
        flows_out: Mapping[str, list[DataFlow]],
        flows_in: Mapping[str, list[DataFlow]],
        open_to: Mapping[str, frozenset[str]],
    ) -> None:
        self.index = index
        self.open_to = open_to  # untrusted element → unauthenticated endpoints it can call
        first_store: dict[str, str] = {}
        for e in index.model.elements:
            for a in e.attributes.stores:
                first_store.setdefault(a, e.id)
        self.assets: dict[str, _AssetStep] = {
            a.id: _AssetStep(
                tuple(g for g in a.grants if g in index.elements),
                tuple((r, first_store.get(r)) for r in a.grants_read if r in index.assets),
                tuple(w for w in a.grants_write if w in index.assets),
                tuple(i for i in a.issues if i in index.assets),
            )
            for a in index.model.assets
        }
        self.flows_out: dict[str, tuple[_FlowStep, ...]] = {}
        self.credential_flows_out: dict[str, tuple[_FlowStep, ...]] = {}
        for element_id, flows in flows_out.items():
            steps = [self._step(f) for f in flows]
            self.flows_out[element_id] = tuple(steps)
            self.credential_flows_out[element_id] = tuple(
                step
                for step, f in zip(steps, flows, strict=True)
                if f.authentication.value not in NOT_BY_CREDENTIAL
            )
        self.delivered_in = {
            element_id: tuple(a for f in flows for a in delivered(f) if a in index.assets)
            for element_id, flows in flows_in.items()
        }
        self.own: dict[str, tuple[str, ...]] = {}
        self.spreads_to: dict[str, tuple[str, ...]] = {}
        for e in index.model.elements:
            self.own[e.id] = tuple(
                a
                for a in (*e.attributes.stores, *e.attributes.holds_credentials)
                if a in index.assets
            )
            spread: set[str] = set()
            for boundary_id, others in network.colocated(e.id):
                boundary = index.boundaries[boundary_id]
                isolation = effective_isolation(boundary.kind, boundary.isolation)
                if isolation is Isolation.NONE or e.attributes.host_access:
                    spread |= {o for o in others if index.elements[o].type is not ElementType.ACTOR}
            self.spreads_to[e.id] = tuple(sorted(spread))

    def _step(self, flow: DataFlow) -> _FlowStep:
        index = self.index
        target = index.elements.get(flow.target)
        return _FlowStep(
            flow.id,
            flow.target,
            tuple(a for a in target.attributes.stores if a in index.assets) if target else (),
            tuple(a for a in received(flow) if a in index.assets),
            tuple(a for a in surely_sent(flow) if a in index.assets),
            flow.protocol.value in SHELL_PROTOCOLS,
        )


def attacker_reach(ctx: ReachContext, start: str) -> Reach:
    """The closure of what an attacker controlling `start` can reach.

    `via` records, per asset, the element it was first obtained at.
    """
    reach = Reach(start)
    assets, via, writes = reach.assets, reach.via, reach.writes
    pending: deque[_FlowStep | str] = deque()  # flows to make, element ids to control

    def obtain(asset_id: str, at: str) -> None:
        if asset_id in assets:
            return
        assets.add(asset_id)
        via[asset_id] = at
        step = ctx.assets[asset_id]
        for granted in step.grants:
            act_as(granted)
        for readable, store in step.reads:
            obtain(readable, store or at)
        writes.update(step.writes)
        for issued in step.issues:
            obtain(issued, at)

    def act_as(element_id: str) -> None:
        """Act with a credential that identifies the element: make its flows whose
        authentication a credential can satisfy (not attestation or local access)."""
        if element_id not in reach.authority:
            reach.authority.add(element_id)
            pending.extend(ctx.credential_flows_out.get(element_id, ()))

    def control(element_id: str) -> None:
        if element_id in reach.controlled or element_id not in ctx.own:
            return
        reach.controlled.add(element_id)
        if element_id != start:
            reach.elements.add(element_id)
        reach.authority.add(element_id)
        pending.extend(ctx.flows_out.get(element_id, ()))
        for asset_id in ctx.own[element_id]:
            obtain(asset_id, element_id)
        for asset_id in ctx.delivered_in.get(element_id, ()):
            obtain(asset_id, element_id)
        pending.extend(ctx.spreads_to[element_id])

    def make(step: _FlowStep) -> None:
        if step.id in reach.flows:
            return
        reach.flows.add(step.id)
        if step.target != start:
            reach.elements.add(step.target)
        for asset_id in step.target_stores:
            obtain(asset_id, step.target)
        for asset_id in step.received:
            obtain(asset_id, step.target)
        writes.update(step.writes)
        if step.shell:
            pending.append(step.target)

    control(start)
    for endpoint in sorted(ctx.open_to.get(start, frozenset())):
        reach.elements.add(endpoint)
        for asset_id in ctx.index.elements[endpoint].attributes.stores:
            if asset_id in ctx.assets:
                obtain(asset_id, endpoint)
                writes.add(asset_id)  # no authentication: what it keeps can be changed too
    while pending:
        item = pending.popleft()
        if isinstance(item, str):
            control(item)
        else:
            make(item)
    return reach


@dataclass(frozen=True)
class SharedReach:
    """What compromising each of many starts yields, computed in one pass: the closure's
    rules each have one premise, so a closure is reachability in a graph of items
    (control of an element, its authority, an asset, a flow) and starts share the work."""

    assets_of: dict[str, set[str]]  # start → assets it yields
    starts_of: dict[str, list[str]]  # asset → starts that yield it
    via_of: dict[str, list[str]]  # asset → elements it is obtained at
    _start_bit: dict[str, int]
    _authority_bits: dict[str, int]  # element → bitset of the starts gaining its authority
    _by_start: dict[str, set[str]] = field(default_factory=dict)  # filled on first use

    def authority_of(self, start: str) -> set[str]:
        """Elements whose authority compromising `start` yields (decoded on first use: only
        the threats that name it need it)."""
        if not self._by_start and self._start_bit:
            starts = {bit: start for start, bit in self._start_bit.items()}
            for element, bits in self._authority_bits.items():
                while bits:
                    lowest = bits & -bits
                    self._by_start.setdefault(starts[lowest.bit_length() - 1], set()).add(element)
                    bits ^= lowest
            self._by_start.setdefault("", set())  # decoded, even when nothing was gained
        return self._by_start.get(start, set())


def shared_reach(ctx: ReachContext, starts: list[str]) -> SharedReach:
    """Closures from each start (as `attacker_reach` without the network or writes)."""
    index = ctx.index
    elements = list(index.elements)
    assets = list(ctx.assets)
    flow_steps = {step.id: step for steps in ctx.flows_out.values() for step in steps}
    flows = list(flow_steps)
    # node numbering: control, authority, asset, flow
    control = {e: i for i, e in enumerate(elements)}
    authority = {e: len(elements) + i for i, e in enumerate(elements)}
    asset_node = {a: 2 * len(elements) + i for i, a in enumerate(assets)}
    flow_node = {f: 2 * len(elements) + len(assets) + i for i, f in enumerate(flows)}
    size = 2 * len(elements) + len(assets) + len(flows)
    edges: list[list[int]] = [[] for _ in range(size)]
    for e in elements:
        c = control[e]
        edges[c].append(authority[e])
        edges[c].extend(flow_node[s.id] for s in ctx.flows_out.get(e, ()))
        edges[c].extend(asset_node[a] for a in (*ctx.own[e], *ctx.delivered_in.get(e, ())))
        edges[c].extend(control[o] for o in ctx.spreads_to[e])
        edges[authority[e]].extend(flow_node[s.id] for s in ctx.credential_flows_out.get(e, ()))
    for a, asset_step in ctx.assets.items():
        n = asset_node[a]
        edges[n].extend(authority[g] for g in asset_step.grants)
        edges[n].extend(asset_node[r] for r, _ in asset_step.reads)
        edges[n].extend(asset_node[i] for i in asset_step.issues)
    for f, step in flow_steps.items():
        n = flow_node[f]
        edges[n].extend(asset_node[a] for a in (*step.target_stores, *step.received))
        if step.shell and step.target in control:
            edges[n].append(control[step.target])
    reached = _starts_reaching(edges, [control[s] for s in starts])

    def starts_in(bits: int) -> list[str]:
        out = []
        while bits:
            lowest = bits & -bits
            out.append(starts[lowest.bit_length() - 1])
            bits ^= lowest
        return out

    assets_of: dict[str, set[str]] = {s: set() for s in starts}
    starts_of: dict[str, list[str]] = {}
    for a in assets:
        starts_of[a] = starts_in(reached[asset_node[a]])
        for s in starts_of[a]:
            assets_of[s].add(a)
    # where an asset is obtained: elements that keep it or return it, reached by a start
    # that yields it
    reached_at: dict[str, int] = {e: reached[control[e]] for e in elements}
    providers: dict[str, set[str]] = {a: set() for a in assets}
    for f, step in flow_steps.items():
        reached_at[step.target] = reached_at.get(step.target, 0) | reached[flow_node[f]]
        for a in (*step.target_stores, *step.received):
            providers[a].add(step.target)
    for e in elements:
        for a in ctx.own[e]:
            providers[a].add(e)
    via_of = {
        a: [
            e
            for e in elements
            if e in providers[a] and reached_at.get(e, 0) & reached[asset_node[a]]
        ]
        for a in assets
    }
    return SharedReach(
        assets_of,
        starts_of,
        via_of,
        {start: k for k, start in enumerate(starts)},
        {e: reached[authority[e]] for e in elements},
    )


def _starts_reaching(edges: list[list[int]], sources: list[int]) -> list[int]:
    """For every node, a bitset of the sources (by position) that reach it: strongly
    connected components condensed (iterative Tarjan), then propagated in topological
    order."""
    n = len(edges)
    order: list[int] = []  # components in reverse topological order, as Tarjan emits them
    component = [-1] * n
    low = [0] * n
    number = [-1] * n
    stack: list[int] = []
    on_stack = [False] * n
    counter = 0
    members: list[list[int]] = []
    for root in range(n):
        if number[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                number[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            recurse = False
            targets = edges[node]
            while child < len(targets):
                nxt = targets[child]
                child += 1
                if number[nxt] == -1:
                    work.append((node, child))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if on_stack[nxt]:
                    low[node] = min(low[node], number[nxt])
            if recurse:
                continue
            if low[node] == number[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component[member] = len(members)
                    group.append(member)
                    if member == node:
                        break
                members.append(group)
                order.append(len(members) - 1)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    bits = [0] * len(members)
    for k, source in enumerate(sources):
        bits[component[source]] |= 1 << k
    for comp in reversed(order):  # topological order: predecessors first
        value = bits[comp]
        if not value:
            continue
        for node in members[comp]:
            for nxt in edges[node]:
                target = component[nxt]
                if target != comp:
                    bits[target] |= value
    return [bits[component[node]] for node in range(n)]
