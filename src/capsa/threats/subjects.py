"""What a rule is applied to: elements, flows, assets and boundaries, each with the views
CEL reads and the named lists of ids (facts) a rule's text, `affects` and an explanation use.

The list names of each kind are fixed here, so the rules loader can reject a placeholder
or an `affects` entry that no subject of that kind has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from typing import Any

from capsa.display import listed
from capsa.model.types import Isolation
from capsa.threats.relations import Relations


class AppliesTo(StrEnum):
    ELEMENT = "element"
    FLOW = "flow"
    CROSSING = "crossing"
    ASSET_PLACEMENT = "asset-placement"
    BOUNDARY = "boundary"


VARIABLES: dict[AppliesTo, tuple[str, ...]] = {
    AppliesTo.ELEMENT: ("element",),
    AppliesTo.FLOW: ("flow", "source", "target"),
    AppliesTo.CROSSING: ("flow", "source", "target"),
    AppliesTo.ASSET_PLACEMENT: ("asset", "placement"),
    AppliesTo.BOUNDARY: ("boundary",),
}

_ELEMENT_LISTS = (
    "element",
    "targets",
    "stored",
    "held",
    "callers",
    "forwarders",
    "influenced",
    "configuration",
    "decision_consumers",
    "node",
    "host_controllers",
    "colocated_untrusted",
    "artifacts",
    "gains",
    "gained_authority",
)
_FLOW_LISTS = (
    "flow",
    "source",
    "target",
    "assets",
    "crossings",
    "on_path",
    "chosen_by",
    "chooser_writers",
    "target_callers",
)
_ASSET_LISTS = (
    "asset",
    "holders",
    "reachers",
    "grants",
    "via",
    "stores",
    "writers",
    "untrusted_writers",
    "lesser_writers",
    "consumers",
    "impersonators",
    "issuing_keys",
    "relying",
    "delivery_flows",
    "compromised",
    "compromise_via",
    "escapers",
    "escape_holders",
)
_BOUNDARY_LISTS = ("boundary", "creators", "credentials", "credential_holders", "exempt_from")

LISTS: dict[AppliesTo, tuple[str, ...]] = {
    AppliesTo.ELEMENT: _ELEMENT_LISTS,
    AppliesTo.FLOW: _FLOW_LISTS,
    AppliesTo.CROSSING: _FLOW_LISTS,
    AppliesTo.ASSET_PLACEMENT: _ASSET_LISTS,
    AppliesTo.BOUNDARY: _BOUNDARY_LISTS,
}
TEXTS: dict[AppliesTo, tuple[str, ...]] = {
    AppliesTo.ASSET_PLACEMENT: ("lifetime", "breadth", "scope")
}

# what a threat is about when its rule does not say (`affects`)
DEFAULT_AFFECTS: dict[AppliesTo, tuple[str, ...]] = {
    AppliesTo.ELEMENT: ("element",),
    AppliesTo.FLOW: ("flow", "source", "target"),
    AppliesTo.CROSSING: ("flow", "source", "target"),
    AppliesTo.ASSET_PLACEMENT: ("asset", "via", "grants"),
    AppliesTo.BOUNDARY: ("boundary",),
}


def placeholders(kind: AppliesTo) -> frozenset[str]:
    return frozenset((*LISTS[kind], *TEXTS.get(kind, ())))


class Lists(Mapping[str, tuple[str, ...]]):
    """A subject's named id lists; a list given as a function is computed when first read
    (some are costly and only the threats that name them need them)."""

    def __init__(
        self, lists: Mapping[str, tuple[str, ...] | Callable[[], tuple[str, ...]]]
    ) -> None:
        self._lists = dict(lists)

    def __getitem__(self, name: str) -> tuple[str, ...]:
        value = self._lists[name]
        if callable(value):
            value = value()
            self._lists[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)


@dataclass(frozen=True)
class Subject:
    """One thing a rule is applied to, with what CEL reads and the facts around it."""

    id: str
    kind: AppliesTo
    bindings: dict[str, Any]
    lists: Lists
    texts: dict[str, str]
    elements: tuple[str, ...]
    flows: tuple[str, ...]
    assets: tuple[str, ...]

    def facts(self, relations: Relations, wanted: frozenset[str]) -> dict[str, str]:
        """Placeholder values for the names a text uses: each list as names, joined."""
        out = {name: _names(relations, self.lists[name]) for name in wanted if name in self.lists}
        out.update((k, v) for k, v in self.texts.items() if k in wanted)
        return out


SHOWN = 8  # names a text lists before "and N more"


def _names(relations: Relations, ids: tuple[str, ...]) -> str:
    if not ids:
        return "nothing"
    return listed([relations.name(i) for i in ids], SHOWN)


def _t(ids: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


def element_subjects(relations: Relations) -> list[Subject]:
    out = []
    for element in relations.model.elements:
        eid = element.id
        attrs = element.attributes
        targets = _t(f.target for f in relations.flows_out.get(eid, []))
        node = relations.network.node_of(eid)
        gains = relations.compromise_of.get(eid, set())
        out.append(
            Subject(
                id=eid,
                kind=AppliesTo.ELEMENT,
                bindings={"element": relations.element_view(eid)},
                lists=Lists(
                    {
                        "element": (eid,),
                        "targets": targets,
                        "stored": _t(a for a in attrs.stores if a in relations.index.assets),
                        "held": _t(
                            a for a in attrs.holds_credentials if a in relations.index.assets
                        ),
                        "callers": tuple(relations.untrusted_callers[eid]),
                        "forwarders": tuple(relations.influenced_callers[eid]),
                        "influenced": tuple(relations.influenced_inputs(eid)),
                        "configuration": _t(
                            a for a in attrs.configured_by if a in relations.index.assets
                        ),
                        "decision_consumers": tuple(relations.decision_consumers(eid)),
                        "node": (node,) if node else (),
                        "host_controllers": tuple(relations.host_controllers(eid)),
                        "colocated_untrusted": _t(
                            sorted(relations.network.colocated_untrusted(eid, Isolation.WEAK))
                        ),
                        "artifacts": _t(
                            a for a in attrs.runs_artifacts if a in relations.index.assets
                        ),
                        "gains": _t(sorted(gains)),
                        "gained_authority": partial(_gained_authority, relations, eid),
                    }
                ),
                texts={},
                elements=(eid, *[t for t in targets if t != eid]),
                flows=tuple(f.id for f in relations.flows_out.get(eid, [])),
                assets=tuple(attrs.stores),
            )
        )
    return out


def _gained_authority(relations: Relations, element_id: str) -> tuple[str, ...]:
    return _t(sorted(relations.shared_reach.authority_of(element_id) - {element_id}))


def flow_subjects(relations: Relations, crossing_only: bool) -> list[Subject]:
    out = []
    index = relations.index
    for flow in relations.model.data_flows:
        crossed = relations.crossings[flow.id]
        if crossing_only and not crossed:
            continue
        if flow.source not in index.elements or flow.target not in index.elements:
            continue
        chosen = _t(a for a in flow.target_chosen_by if a in index.assets)
        out.append(
            Subject(
                id=flow.id,
                kind=AppliesTo.CROSSING if crossing_only else AppliesTo.FLOW,
                bindings={
                    "flow": relations.flow_view(flow),
                    "source": relations.element_view(flow.source),
                    "target": relations.element_view(flow.target),
                },
                lists=Lists(
                    {
                        "flow": (flow.id,),
                        "source": (flow.source,),
                        "target": (flow.target,),
                        "assets": _t(
                            a for a in (*flow.carries, *flow.returns) if a in index.assets
                        ),
                        "crossings": tuple(crossed),
                        "on_path": _t(sorted(relations.network.on_path(flow))),
                        "chosen_by": chosen,
                        "chooser_writers": _t(w for a in chosen for w in relations.writers[a]),
                        "target_callers": tuple(relations.untrusted_callers[flow.target]),
                    }
                ),
                texts={},
                elements=_t((flow.source, flow.target)),
                flows=(flow.id,),
                assets=_t((*flow.carries, *flow.returns)),
            )
        )
    return out


def asset_subjects(relations: Relations) -> list[Subject]:
    out = []
    network = relations.network
    for asset in relations.model.assets:
        aid = asset.id
        holders = relations.placements[aid]
        reachers = relations.asset_reachers[aid]
        grants = [g for g in asset.grants if g in relations.index.elements]
        writers = relations.writers[aid]
        consumers = relations.consumers[aid]
        top = max((relations.authority[c] for c in consumers), default=0)
        untrusted_writers = _t(
            sorted(
                {w for w in writers if w in network.untrusted}
                | set(relations.untrusted_writes[aid])
            )
        )
        escapers = relations.escape_attackers[aid]
        out.append(
            Subject(
                id=aid,
                kind=AppliesTo.ASSET_PLACEMENT,
                bindings={
                    "asset": relations.asset_view(asset),
                    "placement": relations.placement_view(asset),
                },
                lists=Lists(
                    {
                        "asset": (aid,),
                        "holders": tuple(holders),
                        "reachers": tuple(reachers),
                        "grants": tuple(grants),
                        "via": tuple(relations.asset_via[aid]),
                        "stores": tuple(relations.stored_at[aid]),
                        "writers": tuple(writers),
                        "untrusted_writers": untrusted_writers,
                        "lesser_writers": _t(w for w in writers if relations.authority[w] < top),
                        "consumers": tuple(consumers),
                        "impersonators": tuple(relations.impersonators(asset)),
                        "issuing_keys": tuple(relations.issuing_keys[aid]),
                        "relying": tuple(relations.relying_parties(asset)),
                        "delivery_flows": tuple(relations.delivery_flows(asset)),
                        "compromised": tuple(relations.compromise_reachers[aid]),
                        "compromise_via": tuple(relations.compromise_via[aid]),
                        "escapers": tuple(escapers),
                        "escape_holders": _t(
                            h
                            for h in holders
                            if any(h in network.escape_targets(u) for u in escapers)
                        ),
                    }
                ),
                texts={
                    "lifetime": asset.lifetime.value,
                    "breadth": asset.breadth.value if asset.breadth else "unstated",
                    "scope": asset.scope or "an unstated scope",
                },
                elements=_t((*reachers, *relations.asset_via[aid], *grants)),
                flows=(),
                assets=(aid,),
            )
        )
    return out


def boundary_subjects(relations: Relations) -> list[Subject]:
    out = []
    index = relations.index
    for boundary in relations.model.boundaries:
        bid = boundary.id
        credentials = relations.boundary_credentials(bid)
        holders = _t(h for a in credentials for h in relations.held_by[a])
        creators = _t(c for c in boundary.workload_creators if c in index.elements)
        credential_rank = max(
            (relations.credential_rank(index.assets[a]) for a in credentials), default=0
        )
        out.append(
            Subject(
                id=bid,
                kind=AppliesTo.BOUNDARY,
                bindings={
                    "boundary": {
                        "name": boundary.name,
                        "kind": boundary.kind.value,
                        "identities_shared": relations.identities_shared(boundary),
                        "creator_count": len(creators),
                        "min_creator_authority": min(
                            (relations.authority[c] for c in creators), default=0
                        ),
                        "credential_count": len(credentials),
                        "max_credential_authority": credential_rank,
                        "exempt_count": len(boundary.exempt_from),
                    }
                },
                lists=Lists(
                    {
                        "boundary": (bid,),
                        "creators": creators,
                        "credentials": tuple(credentials),
                        "credential_holders": holders,
                        "exempt_from": _t(e for e in boundary.exempt_from if e in index.elements),
                    }
                ),
                texts={},
                elements=_t((*creators, *holders)),
                flows=(),
                assets=tuple(credentials),
            )
        )
    return out


def subjects_of(relations: Relations, kind: AppliesTo) -> list[Subject]:
    """The subjects of one kind, built once per model (crossings reuse the flows)."""
    cache: dict[AppliesTo, list[Subject]] = relations.subject_cache
    if kind not in cache:
        if kind is AppliesTo.ELEMENT:
            cache[kind] = element_subjects(relations)
        elif kind is AppliesTo.ASSET_PLACEMENT:
            cache[kind] = asset_subjects(relations)
        elif kind is AppliesTo.BOUNDARY:
            cache[kind] = boundary_subjects(relations)
        elif kind is AppliesTo.FLOW:
            cache[kind] = flow_subjects(relations, crossing_only=False)
        else:
            cache[kind] = [
                replace(s, kind=AppliesTo.CROSSING)
                for s in subjects_of(relations, AppliesTo.FLOW)
                if relations.crossings[s.id]
            ]
    return cache[kind]
