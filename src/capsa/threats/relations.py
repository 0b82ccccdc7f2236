"""Facts rules reason about that a model does not state directly.

Boundary crossings come from boundary ancestry, assets reach elements through stores,
credentials and flows, and "who untrusted can get at what" is a closure over data flows.
Everything here is computed once per model and handed to CEL as plain data.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from capsa.model.index import ModelIndex
from capsa.model.types import AssetKind, DataAsset, DataFlow, Element, SystemModel

SENSITIVITY_RANK = {"public": 1, "internal": 2, "confidential": 3, "secret": 4, "critical": 5}


def is_untrusted(element: Element) -> bool:
    """Untrusted: declared so, or running code the operator does not control."""
    return (not element.attributes.trusted) or element.attributes.runs_untrusted_workloads


@dataclass
class Reach:
    """What one untrusted element can get at by following data flows."""

    start: str
    elements: set[str] = field(default_factory=set)
    assets: set[str] = field(default_factory=set)
    flows: set[str] = field(default_factory=set)
    authority: set[str] = field(default_factory=set)
    via: dict[str, str] = field(default_factory=dict)


def attacker_reach(
    index: ModelIndex, start: str, flows_by_source: dict[str, list[DataFlow]]
) -> Reach:
    """Closure of what `start` can reach.

    The attacker acts with the authority of `start`, and of every element that an obtained
    asset grants (`DataAsset.grants`). It can make any flow whose source it has the
    authority of; reaching a target yields what the target stores and what the flow
    carries. `via` records, per asset, the element it was first obtained at.
    """
    reach = Reach(start)
    pending: deque[DataFlow] = deque()

    def act_as(element_id: str) -> None:
        if element_id in index.elements and element_id not in reach.authority:
            reach.authority.add(element_id)
            pending.extend(flows_by_source.get(element_id, []))

    def obtain(asset_id: str, at: str) -> None:
        asset = index.assets.get(asset_id)
        if asset is not None and asset_id not in reach.assets:
            reach.assets.add(asset_id)
            reach.via[asset_id] = at
            for granted in asset.grants:
                act_as(granted)

    act_as(start)
    element = index.elements[start]
    for asset_id in (*element.attributes.stores, *element.attributes.holds_credentials):
        obtain(asset_id, start)
    while pending:
        flow = pending.popleft()
        if flow.id in reach.flows:
            continue
        reach.flows.add(flow.id)
        if flow.target != start:
            reach.elements.add(flow.target)
        target = index.elements.get(flow.target)
        if target is not None:
            for asset_id in target.attributes.stores:
                obtain(asset_id, flow.target)
        for asset_id in flow.carries:
            obtain(asset_id, flow.target)
    return reach


class Relations:
    """Per-model computed relations, and the plain-data views CEL expressions read."""

    def __init__(self, model: SystemModel) -> None:
        self.index = ModelIndex(model)
        self.model = model
        self.placements: dict[str, list[str]] = {a.id: [] for a in model.assets}
        for e in model.elements:
            for asset_id in dict.fromkeys(
                (
                    *e.attributes.stores,
                    *e.attributes.holds_credentials,
                    *e.attributes.supplies_artifacts,
                )
            ):
                if asset_id in self.placements:
                    self.placements[asset_id].append(e.id)
        self.flows_out: dict[str, list[DataFlow]] = {}
        self.flows_in: dict[str, list[DataFlow]] = {}
        for f in model.data_flows:
            self.flows_out.setdefault(f.source, []).append(f)
            self.flows_in.setdefault(f.target, []).append(f)
        self.crossings: dict[str, list[str]] = {
            f.id: self.index.crossings(f) for f in model.data_flows
        }
        self.asset_reachers: dict[str, list[str]] = {a.id: [] for a in model.assets}
        self.element_reachers: dict[str, list[str]] = {e.id: [] for e in model.elements}
        self.asset_via: dict[str, list[str]] = {a.id: [] for a in model.assets}
        self.untrusted = [e.id for e in model.elements if is_untrusted(e)]
        for start in self.untrusted:
            reach = attacker_reach(self.index, start, self.flows_out)
            for asset_id in sorted(reach.assets):
                self.asset_reachers[asset_id].append(start)
                if reach.via[asset_id] not in self.asset_via[asset_id]:
                    self.asset_via[asset_id].append(reach.via[asset_id])
            for element_id in sorted(reach.elements):
                self.element_reachers[element_id].append(start)
        self._asset_views: dict[str, dict[str, Any]] = {}
        self._element_views: dict[str, dict[str, Any]] = {}

    # ---- plain views -------------------------------------------------------------

    def name(self, element_id: str) -> str:
        element = self.index.elements.get(element_id)
        return element.name if element else element_id

    def asset_view(self, asset: DataAsset) -> dict[str, Any]:
        view = self._asset_views.get(asset.id)
        if view is None:
            grants = [g for g in asset.grants if g in self.index.elements]
            view = {
                "name": asset.name,
                "kind": asset.kind.value,
                "sensitivity": asset.sensitivity.value,
                "sensitivity_rank": SENSITIVITY_RANK[asset.sensitivity.value],
                "lifetime": asset.lifetime.value,
                "scope": asset.scope or "",
                "grant_count": len(grants),
                "grants_privileged": any(
                    self.index.elements[g].attributes.privileged for g in grants
                ),
            }
            self._asset_views[asset.id] = view
        return view

    def _assets(self, ids: list[str]) -> list[dict[str, Any]]:
        return [self.asset_view(self.index.assets[i]) for i in ids if i in self.index.assets]

    def element_view(self, element_id: str) -> dict[str, Any]:
        view = self._element_views.get(element_id)
        if view is not None:
            return view
        element = self.index.elements[element_id]
        attrs = element.attributes.model_dump(mode="json")
        chain = self.index.element_chain(element_id)
        boundaries = [self.index.boundaries[b] for b in chain]
        stored = self._assets(element.attributes.stores)
        crossing_flows = sum(
            1
            for f in (*self.flows_out.get(element_id, []), *self.flows_in.get(element_id, []))
            if self.crossings[f.id]
        )
        view = {
            "name": element.name,
            "type": element.type.value,
            "attributes": attrs,
            "boundary_kinds": [b.kind.value for b in boundaries],
            "cluster_types": sorted({t.value for b in boundaries for t in b.cluster_types}),
            "untrusted": is_untrusted(element),
            "stored_assets": stored,
            "max_stored_sensitivity": max((a["sensitivity_rank"] for a in stored), default=0),
            "stored_artifacts": [a for a in stored if a["kind"] == AssetKind.ARTIFACT.value],
            "held_credentials": self._assets(element.attributes.holds_credentials),
            "out_flows": len(self.flows_out.get(element_id, [])),
            "in_flows": len(self.flows_in.get(element_id, [])),
            "crossing_flows": crossing_flows,
            "untrusted_reachers": len(self.element_reachers.get(element_id, [])),
            "reachable_by_untrusted": bool(self.element_reachers.get(element_id)),
        }
        self._element_views[element_id] = view
        return view

    def flow_view(self, flow: DataFlow) -> dict[str, Any]:
        carries = self._assets(flow.carries)
        crossed = [self.index.boundaries[b] for b in self.crossings[flow.id]]
        return {
            "label": flow.label,
            "protocol": flow.protocol.value,
            "authentication": flow.authentication.value,
            "encrypted": flow.encrypted,
            "server_authenticated": flow.server_authenticated,
            "carries": carries,
            "max_sensitivity": max((a["sensitivity_rank"] for a in carries), default=0),
            "crossings": [
                {"kind": b.kind.value, "cluster_types": [t.value for t in b.cluster_types]}
                for b in crossed
            ],
            "crossing_count": len(crossed),
        }

    def placement_view(self, asset: DataAsset) -> dict[str, Any]:
        holders = self.placements[asset.id]
        reachers = self.asset_reachers[asset.id]
        at_rest = [
            self.index.elements[h].attributes.encrypted_at_rest
            for h in holders
            if asset.id in self.index.elements[h].attributes.stores
        ]
        return {
            "holders": [self.element_view(h) for h in holders],
            "holder_count": len(holders),
            "untrusted_reachers": len(reachers),
            "reachable_by_untrusted": bool(reachers),
            "all_encrypted_at_rest": bool(at_rest) and all(v is True for v in at_rest),
            "grants": [self.element_view(g) for g in asset.grants if g in self.index.elements],
        }
