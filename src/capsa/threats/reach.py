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
class ReachContext:
    """The per-model lookups a closure needs."""

    index: ModelIndex
    network: Network
    flows_out: Mapping[str, list[DataFlow]]
    flows_in: Mapping[str, list[DataFlow]]
    open_to: Mapping[
        str, frozenset[str]
    ]  # untrusted element → unauthenticated endpoints it can call


def attacker_reach(ctx: ReachContext, start: str) -> Reach:
    """The closure of what an attacker controlling `start` can reach.

    `via` records, per asset, the element it was first obtained at.
    """
    index = ctx.index
    reach = Reach(start)
    pending: deque[DataFlow | str] = deque()  # flows to make, element ids to control

    def first_store(asset_id: str, default: str) -> str:
        for e in index.model.elements:
            if asset_id in e.attributes.stores:
                return e.id
        return default

    def obtain(asset_id: str, at: str) -> None:
        asset = index.assets.get(asset_id)
        if asset is None or asset_id in reach.assets:
            return
        reach.assets.add(asset_id)
        reach.via[asset_id] = at
        for granted in asset.grants:
            act_as(granted)
        for readable in asset.grants_read:
            obtain(readable, first_store(readable, at))
        reach.writes.update(a for a in asset.grants_write if a in index.assets)
        for issued in asset.issues:
            obtain(issued, at)

    def act_as(element_id: str) -> None:
        """Act with a credential that identifies the element: make its flows whose
        authentication a credential can satisfy (not attestation or local access)."""
        if element_id in index.elements and element_id not in reach.authority:
            reach.authority.add(element_id)
            pending.extend(
                f
                for f in ctx.flows_out.get(element_id, [])
                if f.authentication.value not in NOT_BY_CREDENTIAL
            )

    def control(element_id: str) -> None:
        element = index.elements.get(element_id)
        if element is None or element_id in reach.controlled:
            return
        reach.controlled.add(element_id)
        if element_id != start:
            reach.elements.add(element_id)
        reach.authority.add(element_id)
        pending.extend(ctx.flows_out.get(element_id, []))
        for asset_id in (*element.attributes.stores, *element.attributes.holds_credentials):
            obtain(asset_id, element_id)
        for flow in ctx.flows_in.get(element_id, []):
            for asset_id in delivered(flow):
                obtain(asset_id, element_id)
        for boundary_id, others in ctx.network.colocated(element_id):
            boundary = index.boundaries[boundary_id]
            isolation = effective_isolation(boundary.kind, boundary.isolation)
            if isolation is Isolation.NONE or element.attributes.host_access:
                pending.extend(
                    o for o in sorted(others) if index.elements[o].type is not ElementType.ACTOR
                )

    def make(flow: DataFlow) -> None:
        if flow.id in reach.flows:
            return
        reach.flows.add(flow.id)
        if flow.target != start:
            reach.elements.add(flow.target)
        target = index.elements.get(flow.target)
        if target is not None:
            for asset_id in target.attributes.stores:
                obtain(asset_id, flow.target)
        for asset_id in received(flow):
            obtain(asset_id, flow.target)
        reach.writes.update(a for a in surely_sent(flow) if a in index.assets)
        if flow.protocol.value in SHELL_PROTOCOLS:
            pending.append(flow.target)

    control(start)
    for endpoint in sorted(ctx.open_to.get(start, frozenset())):
        reach.elements.add(endpoint)
        for asset_id in index.elements[endpoint].attributes.stores:
            obtain(asset_id, endpoint)
    while pending:
        item = pending.popleft()
        if isinstance(item, str):
            control(item)
        else:
            make(item)
    return reach
