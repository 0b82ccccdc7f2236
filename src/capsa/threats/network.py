"""Where elements sit and who can get at them without a declared flow.

A model states exposure (how far away a caller can be), segmentation (`reachableFrom`),
isolation of boundaries and the node a namespaced element runs on. From those this module
answers: which untrusted elements can open a connection to an element, which share its
host, and which sit on the path a flow takes. Everything is computed once per model.
"""

from __future__ import annotations

from collections.abc import Iterable

from capsa.model.index import ModelIndex
from capsa.model.types import BoundaryKind, DataFlow, Element, Exposure, Isolation

# exposure → the boundary kinds whose nearest one bounds the callers (innermost first)
_EXPOSURE_KINDS: dict[Exposure, tuple[BoundaryKind, ...]] = {
    Exposure.VPC: (
        BoundaryKind.VPC,
        BoundaryKind.NETWORK_SEGMENT,
        BoundaryKind.SUBNET,
        BoundaryKind.CLOUD_ACCOUNT,
    ),
    Exposure.CLUSTER: (BoundaryKind.CLUSTER,),
    Exposure.NAMESPACE: (BoundaryKind.NAMESPACE, BoundaryKind.TENANT, BoundaryKind.PROJECT),
    Exposure.NODE_LOCAL: (BoundaryKind.NODE,),
    Exposure.LINK_LOCAL: (BoundaryKind.NODE,),
    Exposure.POD_LOCAL: (BoundaryKind.POD, BoundaryKind.CONTAINER),
}
# when no boundary of the kinds above encloses the element: the outermost one (True) or
# only the element's own boundary (False)
_WIDE_FALLBACK = {Exposure.VPC: True, Exposure.CLUSTER: True}

LOCAL_PROTOCOLS = frozenset({"file", "local-exec", "signal", "unix-socket"})
SHELL_PROTOCOLS = frozenset({"ssh", "local-exec"})


def is_untrusted(element: Element) -> bool:
    """Untrusted: declared so, or running code the operator does not control."""
    return (not element.attributes.trusted) or element.attributes.runs_untrusted_workloads


def effective_isolation(kind: BoundaryKind, declared: Isolation | None) -> Isolation:
    """Isolation between members: as declared, else weak on a node (one kernel) and none
    in a pod (one network namespace); other kinds assume nothing (strong)."""
    if declared is not None:
        return declared
    if kind is BoundaryKind.NODE:
        return Isolation.WEAK
    if kind in (BoundaryKind.POD, BoundaryKind.CONTAINER):
        return Isolation.NONE
    return Isolation.STRONG


class Network:
    """Boundary geometry of one model: logical and host placement, reach, co-location."""

    def __init__(self, index: ModelIndex) -> None:
        self.index = index
        self.chain: dict[str, list[str]] = {}
        self.host_chain: dict[str, list[str]] = {}
        under: dict[str, set[str]] = {b: set() for b in index.boundaries}
        for e in index.model.elements:
            logical = index.boundary_chain(e.boundary)
            runs_on = e.attributes.runs_on
            host = index.boundary_chain(runs_on) if runs_on else logical
            self.chain[e.id] = logical
            self.host_chain[e.id] = host
            for b in (*logical, *host):
                under[b].add(e.id)
        self.under = under
        self.untrusted = frozenset(e.id for e in index.model.elements if is_untrusted(e))
        self.untrusted_under = {b: members & self.untrusted for b, members in under.items()}
        self._callers: dict[str, tuple[frozenset[str], bool]] = {}
        self._escapes: dict[str, frozenset[str]] = {}
        self._on_path: dict[str, frozenset[str]] = {}

    # ---- placement ----------------------------------------------------------------

    def nearest(self, element_id: str, kinds: Iterable[BoundaryKind]) -> str | None:
        """The innermost boundary of one of `kinds` around the element (host chain first)."""
        wanted = set(kinds)
        for chain in (self.host_chain[element_id], self.chain[element_id]):
            for b in chain:
                if self.index.boundaries[b].kind in wanted:
                    return b
        return None

    def node_of(self, element_id: str) -> str | None:
        return self.nearest(element_id, (BoundaryKind.NODE,))

    def colocated(self, element_id: str) -> list[tuple[str, set[str]]]:
        """(boundary, other members) for each weakly or not isolated boundary the element
        shares with others on its host."""
        out = []
        for b in self.host_chain[element_id]:
            boundary = self.index.boundaries[b]
            if effective_isolation(boundary.kind, boundary.isolation) is Isolation.STRONG:
                continue
            others = self.under[b] - {element_id}
            if others:
                out.append((b, others))
        return out

    def colocated_untrusted(self, element_id: str, isolation: Isolation) -> set[str]:
        """Untrusted elements sharing a boundary of exactly this isolation with the element."""
        found: set[str] = set()
        for b, others in self.colocated(element_id):
            boundary = self.index.boundaries[b]
            if effective_isolation(boundary.kind, boundary.isolation) is isolation:
                found |= others & self.untrusted
        return found

    # ---- network reach -------------------------------------------------------------

    def network_callers(self, element_id: str) -> tuple[frozenset[str], bool]:
        """Untrusted elements that can open a connection to the element, and whether anyone
        on the Internet can (exposure `internet`, or reachable from an internet boundary)."""
        cached = self._callers.get(element_id)
        if cached is not None:
            return cached
        attrs = self.index.elements[element_id].attributes
        callers: set[str] = set()
        anonymous = False
        if attrs.reachable_from:
            for b in attrs.reachable_from:
                if b in self.untrusted_under:
                    callers |= self.untrusted_under[b]
                    anonymous |= self.index.boundaries[b].kind is BoundaryKind.INTERNET
        elif attrs.exposure is Exposure.INTERNET:
            callers = set(self.untrusted)
            anonymous = True
        elif attrs.exposure is not None and attrs.exposure is not Exposure.NONE:
            scope = self.nearest(element_id, _EXPOSURE_KINDS[attrs.exposure])
            if scope is None:
                chain = self.host_chain[element_id] or self.chain[element_id]
                if chain:
                    scope = chain[-1] if _WIDE_FALLBACK.get(attrs.exposure) else chain[0]
            if scope is not None:
                callers = set(self.untrusted_under[scope])
            elif _WIDE_FALLBACK.get(attrs.exposure):
                callers = set(self.untrusted)  # outside every boundary: nothing bounds it
        callers.discard(element_id)
        result = (frozenset(callers), anonymous)
        self._callers[element_id] = result
        return result

    def on_path(self, flow: DataFlow) -> frozenset[str]:
        """Untrusted elements that share the network a flow travels over: those inside the
        innermost boundary around both ends (everyone, when no boundary holds both)."""
        cached = self._on_path.get(flow.id)
        if cached is not None:
            return cached
        if flow.source not in self.host_chain or flow.target not in self.host_chain:
            return frozenset()
        target_chain = set(self.host_chain[flow.target])
        common = next((b for b in self.host_chain[flow.source] if b in target_chain), None)
        pool = self.untrusted if common is None else self.untrusted_under[common]
        self._on_path[flow.id] = frozenset(pool - {flow.source, flow.target})
        return self._on_path[flow.id]

    def escape_targets(self, element_id: str) -> frozenset[str]:
        """Elements an escape from this one reaches: members of the weakly isolated
        boundaries it sits in on its host."""
        cached = self._escapes.get(element_id)
        if cached is not None:
            return cached
        found: set[str] = set()
        for b, others in self.colocated(element_id):
            boundary = self.index.boundaries[b]
            if effective_isolation(boundary.kind, boundary.isolation) is Isolation.WEAK:
                found |= others
        self._escapes[element_id] = frozenset(found)
        return self._escapes[element_id]
