"""Facts rules reason about that a model does not state directly.

Boundary crossings come from boundary ancestry; who can reach an element comes from
exposure, segmentation and flows (`network`); what an attacker can get at is a closure
(`reach`) computed for every untrusted element, for every element untrusted input can
reach and exploit, and one step further for untrusted code that escapes to its
neighbours. Writers, consumers, issuers and authority are derived from attributes.
Everything is computed once per model and handed to CEL as plain data (the views).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

from capsa.model.index import ModelIndex
from capsa.model.types import (
    AssetKind,
    Boundary,
    BoundaryKind,
    DataAsset,
    DataFlow,
    Direction,
    Element,
    ElementType,
    Isolation,
    SystemModel,
)
from capsa.threats.network import LOCAL_PROTOCOLS, SHELL_PROTOCOLS, Network, is_untrusted
from capsa.threats.reach import (
    ReachContext,
    attacker_reach,
    received,
    sent,
    shared_reach,
    surely_sent,
)

__all__ = ["SENSITIVITY_RANK", "Relations", "is_untrusted"]

SENSITIVITY_RANK = {"public": 1, "internal": 2, "confidential": 3, "secret": 4, "critical": 5}
RATING_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
BREADTH_RANK = {"narrow": 1, "broad": 2, "full": 3}
WIDE_SCOPES = frozenset(
    {"cluster", "account", "tenant", "project", "trust-domain", "organization", "fleet", "global"}
)
CREDENTIAL_KINDS = frozenset({AssetKind.CREDENTIAL, AssetKind.KEY_MATERIAL})
ACTING_TYPES = frozenset({ElementType.PROCESS, ElementType.SERVICE, ElementType.ACTOR})
EXPLOITABLE_TYPES = frozenset({ElementType.PROCESS, ElementType.SERVICE})
NOT_A_LOGIN = frozenset({"none", "local", "attestation", "source-address"})


def _ordered(ids: Iterable[str]) -> list[str]:
    return sorted(set(ids))


def _memo(method: Callable[[Relations, str], list[str]]) -> Callable[[Relations, str], list[str]]:
    """Per-element answers computed once: views and subject lists both ask."""
    name = method.__name__

    def wrapper(self: Relations, element_id: str) -> list[str]:
        cache = self.memo.setdefault(name, {})
        if element_id not in cache:
            cache[element_id] = method(self, element_id)
        return cache[element_id]

    wrapper.__doc__ = method.__doc__
    wrapper.__name__ = name
    return wrapper


class Relations:
    """Per-model computed relations, and the plain-data views CEL expressions read."""

    def __init__(self, model: SystemModel) -> None:
        self.index = index = ModelIndex(model)
        self.model = model
        self.memo: dict[str, dict[str, list[str]]] = {}
        self.network = Network(index)
        self.untrusted = [e.id for e in model.elements if is_untrusted(e)]
        self.flows_out: dict[str, list[DataFlow]] = {}
        self.flows_in: dict[str, list[DataFlow]] = {}
        for f in model.data_flows:
            self.flows_out.setdefault(f.source, []).append(f)
            self.flows_in.setdefault(f.target, []).append(f)
        self.crossings: dict[str, list[str]] = {f.id: index.crossings(f) for f in model.data_flows}
        self.carrying: dict[str, list[DataFlow]] = {a.id: [] for a in model.assets}
        for f in model.data_flows:
            for asset_id in dict.fromkeys((*f.carries, *f.returns)):
                if asset_id in self.carrying:
                    self.carrying[asset_id].append(f)
        self._placements()
        self._authority()
        self._callers()
        self._writers_and_consumers()
        self._issuance()
        self._reach()
        self._asset_views: dict[str, dict[str, Any]] = {}
        self._element_views: dict[str, dict[str, Any]] = {}
        self.subject_cache: dict[Any, Any] = {}  # subjects.subjects_of: built once per model

    # ---- derived facts -------------------------------------------------------------

    def _placements(self) -> None:
        model = self.model
        self.placements: dict[str, list[str]] = {a.id: [] for a in model.assets}
        self.stored_at: dict[str, list[str]] = {a.id: [] for a in model.assets}
        self.held_by: dict[str, list[str]] = {a.id: [] for a in model.assets}
        for e in model.elements:
            attrs = e.attributes
            for asset_id in dict.fromkeys(
                (*attrs.stores, *attrs.holds_credentials, *attrs.supplies_artifacts)
            ):
                if asset_id in self.placements:
                    self.placements[asset_id].append(e.id)
            for asset_id in attrs.stores:
                if asset_id in self.stored_at:
                    self.stored_at[asset_id].append(e.id)
            for asset_id in attrs.holds_credentials:
                if asset_id in self.held_by:
                    self.held_by[asset_id].append(e.id)

    def credential_rank(self, asset: DataAsset) -> int:
        """1 narrow … 3 full; unstated breadth counts 3 when it grants a privileged
        element, 2 when its scope is wide, else 1."""
        if asset.breadth is not None:
            return BREADTH_RANK[asset.breadth.value]
        if any(
            self.index.elements[g].attributes.privileged
            for g in asset.grants
            if g in self.index.elements
        ):
            return 3
        return 2 if asset.scope in WIDE_SCOPES else 1

    def _authority(self) -> None:
        """How much each element may do: 3 privileged or a policy decision point, else the
        highest rank of what it holds; at least 1 for trusted elements, 0 for untrusted."""
        self.authority: dict[str, int] = {}
        for e in self.model.elements:
            attrs = e.attributes
            ranks = [
                self.credential_rank(self.index.assets[a])
                for a in attrs.holds_credentials
                if a in self.index.assets and self.index.assets[a].kind in CREDENTIAL_KINDS
            ]
            own = 3 if attrs.privileged or attrs.policy_decision_point else 0
            base = 0 if is_untrusted(e) else 1
            self.authority[e.id] = max([own, base, *ranks])

    def _callers(self) -> None:
        """Untrusted callers (declared flows and network reach) and one-hop influence."""
        network = self.network
        self.untrusted_callers: dict[str, list[str]] = {}
        self.anonymous: dict[str, bool] = {}
        for e in self.model.elements:
            callers, anonymous = network.network_callers(e.id)
            direct = {
                f.source
                for f in self.flows_in.get(e.id, [])
                if f.source in network.untrusted and f.source != e.id
            }
            self.untrusted_callers[e.id] = _ordered(callers | direct)
            self.anonymous[e.id] = anonymous
        self.exposed = {
            e.id
            for e in self.model.elements
            if e.type in EXPLOITABLE_TYPES
            and (self.untrusted_callers[e.id] or self.anonymous[e.id])
            and e.id not in network.untrusted
        }
        # trusted elements that untrusted or exposed elements send requests to
        self.influenced_callers: dict[str, list[str]] = {
            e.id: _ordered(
                f.source
                for f in self.flows_in.get(e.id, [])
                if f.source != e.id
                and f.direction is not Direction.PULL
                and (f.source in network.untrusted or f.source in self.exposed)
            )
            for e in self.model.elements
        }
        # endpoints each untrusted element can call without credentials
        open_to: dict[str, set[str]] = {u: set() for u in network.untrusted}
        for e in self.model.elements:
            accepts = e.attributes.requires_authentication
            unauthenticated = (not accepts and e.type is ElementType.DATASTORE) or any(
                m.value == "none" for m in accepts
            )
            if not unauthenticated:
                continue
            for caller in network.network_callers(e.id)[0]:
                open_to[caller].add(e.id)
        self.open_to = {u: frozenset(ids) for u, ids in open_to.items()}

    def _writers_and_consumers(self) -> None:
        model, index = self.model, self.index
        writers: dict[str, set[str]] = {a.id: set(a.writers) for a in model.assets}
        consumers: dict[str, set[str]] = {a.id: set() for a in model.assets}
        for a in model.assets:
            for store in self.stored_at[a.id]:
                writers[a.id].update(index.elements[store].attributes.writers)
        for asset in model.assets:
            for writable in asset.grants_write:
                if writable in writers:
                    writers[writable].update(self.held_by[asset.id])
        for f in model.data_flows:
            for asset_id in surely_sent(f):
                if asset_id in writers:
                    writers[asset_id].add(f.source)
        for e in model.elements:
            for asset_id in (*e.attributes.configured_by, *e.attributes.runs_artifacts):
                if asset_id in consumers:
                    consumers[asset_id].add(e.id)
        # an element that takes an asset in and pushes it on with its own credentials acts
        # on it (a deployer applying manifests): it is steered by it like configuration
        taken_in: dict[str, set[str]] = {e.id: set() for e in model.elements}
        for f in model.data_flows:
            if f.target in taken_in:
                taken_in[f.target].update(sent(f))
            if f.source in taken_in:
                taken_in[f.source].update(received(f))
        for f in model.data_flows:
            if f.authentication.value in ("none", "local") or f.source not in taken_in:
                continue
            for asset_id in surely_sent(f):
                if asset_id in consumers and asset_id in taken_in[f.source]:
                    consumers[asset_id].add(f.source)
        # whoever may write what an asset is derived from shapes it too
        for _ in range(len(model.assets)):
            changed = False
            for a in model.assets:
                for origin in a.derived_from:
                    extra = writers.get(origin, set()) - writers[a.id]
                    if extra:
                        writers[a.id] |= extra
                        changed = True
            if not changed:
                break
        self.writers = {
            a: _ordered(w for w in ws if w in index.elements) for a, ws in writers.items()
        }
        self.consumers = {
            a: _ordered(
                c for c in cs if c in index.elements and index.elements[c].type in EXPLOITABLE_TYPES
            )
            for a, cs in consumers.items()
        }
        # assets untrusted parties may shape: those they may write, and data or logs that
        # an exposed element writes (derived from the requests it takes); keys,
        # configuration and policies an exposed element produces are its own
        self.influenced_assets = {
            a.id
            for a in model.assets
            if any(w in self.network.untrusted for w in self.writers[a.id])
            or (
                a.kind in (AssetKind.DATA, AssetKind.LOG)
                and any(w in self.exposed for w in self.writers[a.id])
            )
        }

    def _issuance(self) -> None:
        """Which keys can issue each credential (transitively) and who holds them."""
        issued_by: dict[str, set[str]] = {a.id: set() for a in self.model.assets}
        for a in self.model.assets:
            for issued in a.issues:
                if issued in issued_by:
                    issued_by[issued].add(a.id)
        self.issuing_keys: dict[str, list[str]] = {}
        for asset_id in issued_by:
            seen: set[str] = set()
            todo = list(issued_by[asset_id])
            while todo:
                key = todo.pop()
                if key in seen or key == asset_id:
                    continue
                seen.add(key)
                todo.extend(issued_by.get(key, ()))
            self.issuing_keys[asset_id] = sorted(seen)
        self.issuers = {
            a: _ordered(h for key in keys for h in self.held_by[key])
            for a, keys in self.issuing_keys.items()
        }

    def _reach(self) -> None:
        model = self.model
        ctx = ReachContext(self.index, self.network, self.flows_out, self.flows_in, self.open_to)
        self.asset_reachers: dict[str, list[str]] = {a.id: [] for a in model.assets}
        self.asset_via: dict[str, list[str]] = {a.id: [] for a in model.assets}
        self.element_reachers: dict[str, list[str]] = {e.id: [] for e in model.elements}
        self.untrusted_writes: dict[str, list[str]] = {a.id: [] for a in model.assets}
        for start in self.untrusted:
            reach = attacker_reach(ctx, start)
            own = self._own(start)
            for asset_id in sorted(reach.assets - own):
                self.asset_reachers[asset_id].append(start)
                if reach.via[asset_id] not in self.asset_via[asset_id]:
                    self.asset_via[asset_id].append(reach.via[asset_id])
            for element_id in sorted(reach.elements):
                self.element_reachers[element_id].append(start)
            for asset_id in sorted(reach.writes):
                self.untrusted_writes[asset_id].append(start)
        # what compromising an element that untrusted input reaches yields
        shared = shared_reach(ctx, sorted(self.input_reached))
        self.compromise_of: dict[str, set[str]] = shared.assets_of
        self.shared_reach = shared
        self.compromise_reachers: dict[str, list[str]] = shared.starts_of
        self.compromise_via: dict[str, list[str]] = shared.via_of
        # what untrusted code takes from weakly isolated neighbours by escaping
        self.escape_attackers: dict[str, list[str]] = {a.id: [] for a in model.assets}
        for start in self.untrusted:
            own = self._own(start)
            for neighbour in sorted(self.network.escape_targets(start)):
                attrs = self.index.elements[neighbour].attributes
                for asset_id in (*attrs.holds_credentials, *attrs.stores):
                    if (
                        asset_id in self.escape_attackers
                        and asset_id not in own
                        and start not in self.escape_attackers[asset_id]
                    ):
                        self.escape_attackers[asset_id].append(start)

    def _own(self, element_id: str) -> set[str]:
        attrs = self.index.elements[element_id].attributes
        return {*attrs.stores, *attrs.holds_credentials}

    # ---- per-element questions -----------------------------------------------------

    @property
    def input_reached(self) -> set[str]:
        """Trusted processes and services that untrusted input reaches: they have untrusted
        callers, or receive (push or pull) data that an untrusted or exposed element wrote."""
        cached = getattr(self, "_input_reached", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        found = set(self.exposed)
        for e in self.model.elements:
            if e.type not in EXPLOITABLE_TYPES or e.id in self.network.untrusted:
                continue
            if self.influenced_inputs(e.id):
                found.add(e.id)
        self._input_reached = found
        return found

    @_memo
    def influenced_inputs(self, element_id: str) -> list[str]:
        """Assets the element takes in from where untrusted parties could have shaped them:
        sent or returned by an untrusted or exposed element, read from a store that such an
        element writes them into, or configuration such an element may write."""
        element = self.index.elements[element_id]
        taken: set[str] = {
            a for a in element.attributes.configured_by if a in self.influenced_assets
        }
        for f in self.flows_in.get(element_id, []):
            taken.update(a for a in sent(f) if self._shaped_at(f.source, a))
        for f in self.flows_out.get(element_id, []):
            taken.update(a for a in received(f) if self._shaped_at(f.target, a))
        return sorted(
            a
            for a in taken
            if element_id not in self.writers.get(a, ()) or len(self.writers[a]) > 1
        )

    def _shaped_at(self, other: str, asset_id: str) -> bool:
        """Whether a copy of the asset coming from `other` may have been shaped by
        untrusted parties."""
        if other in self.network.untrusted:
            return True
        element = self.index.elements.get(other)
        return (
            element is not None
            and asset_id in self.influenced_assets
            and (asset_id in element.attributes.stores or other in self.exposed)
        )

    @_memo
    def host_controllers(self, element_id: str) -> list[str]:
        """Elements other than this one that can take over its node: untrusted code that can
        act on the host (hostAccess), and whoever has a shell on a privileged element there."""
        node = self.network.node_of(element_id)
        if node is None:
            return []
        found: set[str] = set()
        for member in self.network.under[node]:
            attrs = self.index.elements[member].attributes
            if member in self.network.untrusted and attrs.host_access:
                found.add(member)
            if attrs.privileged or attrs.host_access:
                for f in self.flows_in.get(member, []):
                    if f.protocol.value in SHELL_PROTOCOLS and f.source != element_id:
                        found.add(f.source)
        found.discard(element_id)
        return sorted(found)

    @_memo
    def decision_consumers(self, element_id: str) -> list[str]:
        """Callers that receive answers from the element (they act on its decisions)."""
        return _ordered(
            f.source
            for f in self.flows_in.get(element_id, [])
            if f.direction in (None, Direction.PULL, Direction.BOTH) and f.source != element_id
        )

    def boundary_credentials(self, boundary_id: str) -> list[str]:
        """Credentials held by elements whose logical place is inside the boundary."""
        return _ordered(
            a
            for e in self.network.under[boundary_id]
            if boundary_id in self.network.chain[e]
            for a in self.index.elements[e].attributes.holds_credentials
            if a in self.index.assets and self.index.assets[a].kind in CREDENTIAL_KINDS
        )

    def identities_shared(self, boundary: Boundary) -> bool:
        if boundary.identities_shared is not None:
            return boundary.identities_shared
        return boundary.kind is BoundaryKind.NAMESPACE

    # ---- plain views -------------------------------------------------------------

    def name(self, item_id: str) -> str:
        return self.names.get(item_id, item_id)

    @cached_property
    def names(self) -> dict[str, str]:
        """Display name of every id; a flow without a label is named by its ends."""
        index = self.index
        out: dict[str, str] = {b: x.name for b, x in index.boundaries.items()}
        out.update((a, x.name) for a, x in index.assets.items())
        out.update((e, x.name) for e, x in index.elements.items())
        for f, flow in index.data_flows.items():
            out.setdefault(
                f,
                flow.label
                or f"{out.get(flow.source, flow.source)} → {out.get(flow.target, flow.target)}",
            )
        return out

    def asset_view(self, asset: DataAsset) -> dict[str, Any]:
        view = self._asset_views.get(asset.id)
        if view is None:
            grants = [g for g in asset.grants if g in self.index.elements]
            view = {
                "name": asset.name,
                "kind": asset.kind.value,
                "sensitivity": asset.sensitivity.value,
                "sensitivity_rank": SENSITIVITY_RANK[asset.sensitivity.value],
                "integrity": asset.integrity.value if asset.integrity else "",
                "integrity_rank": RATING_RANK[asset.integrity.value] if asset.integrity else 0,
                "availability": asset.availability.value if asset.availability else "",
                "availability_rank": (
                    RATING_RANK[asset.availability.value] if asset.availability else 0
                ),
                "lifetime": asset.lifetime.value,
                "scope": asset.scope or "",
                "wide_scope": asset.scope in WIDE_SCOPES,
                "breadth": asset.breadth.value if asset.breadth else "",
                "authority_rank": self.credential_rank(asset),
                "is_credential": asset.kind in CREDENTIAL_KINDS,
                "grant_count": len(grants),
                "grants_privileged": any(
                    self.index.elements[g].attributes.privileged for g in grants
                ),
                "grants_write_count": len(asset.grants_write),
                "issues_count": len(asset.issues),
            }
            self._asset_views[asset.id] = view
        return view

    def _assets(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return [self.asset_view(self.index.assets[i]) for i in ids if i in self.index.assets]

    def element_view(self, element_id: str) -> dict[str, Any]:
        view = self._element_views.get(element_id)
        if view is not None:
            return view
        element = self.index.elements[element_id]
        attrs = element.attributes
        chain = self.index.element_chain(element_id)
        boundaries = [self.index.boundaries[b] for b in chain]
        stored = self._assets(attrs.stores)
        held = self._assets(attrs.holds_credentials)
        crossing_flows = sum(
            1
            for f in (*self.flows_out.get(element_id, []), *self.flows_in.get(element_id, []))
            if self.crossings[f.id]
        )
        runs = self._assets(attrs.runs_artifacts)
        verified = {
            a
            for a in attrs.runs_artifacts
            if any(
                self.index.elements[s].attributes.artifact_integrity_verified is True
                for s in self.stored_at.get(a, [])
            )
        }
        config = [a for a in attrs.configured_by if a in self.index.assets]
        view = {
            "name": element.name,
            "type": element.type.value,
            "attributes": attrs.model_dump(mode="json"),
            "boundary_kinds": [b.kind.value for b in boundaries],
            "cluster_types": sorted({t.value for b in boundaries for t in b.cluster_types}),
            "untrusted": is_untrusted(element),
            "authority_rank": self.authority[element_id],
            "stored_assets": stored,
            "max_stored_sensitivity": max((a["sensitivity_rank"] for a in stored), default=0),
            "max_stored_integrity": max((a["integrity_rank"] for a in stored), default=0),
            "stored_artifacts": [a for a in stored if a["kind"] == AssetKind.ARTIFACT.value],
            "held_credentials": held,
            "max_held_authority": max(
                (a["authority_rank"] for a in held if a["is_credential"]), default=0
            ),
            "out_flows": len(self.flows_out.get(element_id, [])),
            "in_flows": len(self.flows_in.get(element_id, [])),
            "crossing_flows": crossing_flows,
            "untrusted_reachers": len(self.element_reachers.get(element_id, [])),
            "reachable_by_untrusted": bool(self.element_reachers.get(element_id)),
            "untrusted_callers": len(self.untrusted_callers[element_id]),
            "internet_exposed": self.anonymous[element_id],
            "exposed": element_id in self.exposed,
            "influenced_inputs": len(self.influenced_inputs(element_id)),
            "influenced_callers": len(self.influenced_callers[element_id]),
            "untrusted_input": element_id in self.input_reached,
            "colocated_untrusted": len(
                self.network.colocated_untrusted(element_id, Isolation.WEAK)
            ),
            "host_controllers": len(self.host_controllers(element_id)),
            "runs_artifacts": runs,
            "unverified_artifacts": len([a for a in attrs.runs_artifacts if a not in verified]),
            "configuration_count": len(config),
            "untrusted_config_writers": len(
                {w for a in config for w in self.writers[a] if w in self.network.untrusted}
            ),
            "decision_consumers": len(self.decision_consumers(element_id)),
            "logins_with_mfa": self._logins_with_mfa(element_id),
            "compromise_authority_rank": max(
                [
                    self.authority[element_id],
                    *(
                        self.credential_rank(self.index.assets[a])
                        for a in self.compromise_of.get(element_id, ())
                        if self.index.assets[a].kind in CREDENTIAL_KINDS
                    ),
                ]
            ),
        }
        self._element_views[element_id] = view
        return view

    def _needs(self, asset_ids: Iterable[str], element_id: str, *, rated: bool) -> bool:
        """Whether the element cannot work without one of these assets: a short-lived
        credential it holds and must renew, or (when `rated`: what it asks for and gets
        back) an asset whose availability is rated high."""
        for asset_id in asset_ids:
            asset = self.index.assets.get(asset_id)
            if asset is None:
                continue
            rating = asset.availability
            if rated and rating is not None and RATING_RANK[rating.value] >= 3:
                return True
            if asset.lifetime.value == "short" and element_id in self.held_by[asset_id]:
                return True
        return False

    def flow_view(self, flow: DataFlow) -> dict[str, Any]:
        carries = self._assets(dict.fromkeys((*flow.carries, *flow.returns)))
        crossed = [self.index.boundaries[b] for b in self.crossings[flow.id]]
        chosen = [a for a in flow.target_chosen_by if a in self.index.assets]
        chooser_writers = {w for a in chosen for w in self.writers[a]}
        source_authority = self.authority.get(flow.source, 0)
        target = self.index.elements.get(flow.target)
        return {
            "label": flow.label,
            "protocol": flow.protocol.value,
            "local": flow.protocol.value in LOCAL_PROTOCOLS,
            "shell": flow.protocol.value in SHELL_PROTOCOLS,
            "authentication": flow.authentication.value,
            "encrypted": flow.encrypted,
            "server_authenticated": flow.server_authenticated,
            "signed": flow.signed,
            "mfa": flow.mfa,
            "direction": flow.direction.value if flow.direction else "",
            "returns_data": bool(received(flow)) or flow.direction is not Direction.PUSH,
            "sends_data": flow.direction is not Direction.PULL,
            # untrusted code depends on renewing its own credentials, not on the data it
            # reaches (that flow is an attack path, not a dependency)
            "source_needs": self._needs(
                received(flow), flow.source, rated=flow.source not in self.network.untrusted
            ),
            "target_needs": (flow.direction is not None or bool(flow.returns))
            and self._needs(sent(flow), flow.target, rated=False),
            "untrusted_end": flow.source in self.network.untrusted
            or flow.target in self.network.untrusted,
            "carries": carries,
            "max_sensitivity": max((a["sensitivity_rank"] for a in carries), default=0),
            "max_integrity": max((a["integrity_rank"] for a in carries), default=0),
            "max_availability": max((a["availability_rank"] for a in carries), default=0),
            "crossings": [
                {"kind": b.kind.value, "cluster_types": [t.value for t in b.cluster_types]}
                for b in crossed
            ],
            "crossing_count": len(crossed),
            "on_path_untrusted": len(self.network.on_path(flow)),
            "target_chosen_by": len(chosen),
            "target_chosen_by_untrusted": sum(
                1 for w in chooser_writers if w in self.network.untrusted
            ),
            "target_chosen_by_lesser": sum(
                1 for w in chooser_writers if self.authority.get(w, 0) < source_authority
            ),
            "target_third_party": bool(target and target.attributes.third_party),
        }

    def placement_view(self, asset: DataAsset) -> dict[str, Any]:
        holders = self.placements[asset.id]
        reachers = self.asset_reachers[asset.id]
        at_rest = [
            self.index.elements[h].attributes.encrypted_at_rest for h in self.stored_at[asset.id]
        ]
        writers = self.writers[asset.id]
        consumers = self.consumers[asset.id]
        top_consumer = max((self.authority[c] for c in consumers), default=0)
        untrusted_writers = {w for w in writers if w in self.network.untrusted} | set(
            self.untrusted_writes[asset.id]
        )
        lesser = [w for w in writers if self.authority[w] < top_consumer]
        stores = self.stored_at[asset.id]
        return {
            "holders": [self.element_view(h) for h in holders],
            "holder_count": len(holders),
            "store_count": len(stores),
            "stores_audited": bool(stores)
            and all(self._audits(self.index.elements[s]) for s in stores),
            "untrusted_reachers": len(reachers),
            "reachable_by_untrusted": bool(reachers),
            "all_encrypted_at_rest": bool(at_rest) and all(v is True for v in at_rest),
            "grants": [self.element_view(g) for g in asset.grants if g in self.index.elements],
            "writer_count": len(writers),
            "untrusted_writers": len(untrusted_writers),
            "lesser_writers": len(lesser),
            "consumer_count": len(consumers),
            "consumer_authority": top_consumer,
            "foreign_holders": len(self.foreign_holders(asset)),
            "issuers": len(self.issuers[asset.id]),
            "impersonators": len(self.impersonators(asset)),
            "compromise_reachers": len(self.compromise_reachers[asset.id]),
            "reachable_by_compromise": bool(self.compromise_reachers[asset.id]),
            "escape_attackers": len(self.escape_attackers[asset.id]),
            "relying_parties": len(self.relying_parties(asset)),
        }

    def _logins_with_mfa(self, element_id: str) -> bool:
        """Every flow on which the element proves who it is asks for a second factor."""
        logins = [
            f
            for f in self.flows_out.get(element_id, [])
            if f.authentication.value not in NOT_A_LOGIN
        ]
        return bool(logins) and all(
            f.mfa is True or f.authentication.value == "mfa" for f in logins
        )

    # ---- asset questions -----------------------------------------------------------

    @staticmethod
    def _audits(element: Element) -> bool:
        attrs = element.attributes
        return attrs.audit_logging is True or (attrs.managed and attrs.audit_logging is not False)

    def foreign_holders(self, asset: DataAsset) -> list[str]:
        """Acting elements that hold a credential but are not the ones it identifies."""
        return [
            h
            for h in self.held_by[asset.id]
            if h not in asset.grants and self.index.elements[h].type in ACTING_TYPES
        ]

    def impersonators(self, asset: DataAsset) -> list[str]:
        """Who can act as what the credential grants without being it: holders it does not
        identify, and holders of keys that can issue it."""
        if asset.kind not in CREDENTIAL_KINDS or not asset.grants:
            return []
        return _ordered(
            e
            for e in (*self.foreign_holders(asset), *self.issuers[asset.id])
            if e not in asset.grants
        )

    def relying_parties(self, asset: DataAsset) -> list[str]:
        """Elements a holder presents the credential to."""
        holders = set(self.held_by[asset.id])
        return _ordered(
            f.target for f in self.carrying[asset.id] if f.source in holders and asset.id in sent(f)
        )

    def delivery_flows(self, asset: DataAsset) -> list[str]:
        """Flows on which an issuer or a foreign holder hands the credential on."""
        senders = set(self.impersonators(asset))
        out: list[str] = []
        if not senders:
            return out
        for f in self.carrying[asset.id]:
            pushes = asset.id in sent(f) and f.source in senders
            returns = asset.id in received(f) and f.target in senders
            if pushes or returns:
                out.append(f.id)
        return out
