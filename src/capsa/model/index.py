"""Derived views over a model: lookups by id and boundary ancestry (computed, never typed)."""

from __future__ import annotations

from functools import cached_property

from capsa.model.types import Boundary, DataAsset, DataFlow, Element, NamedFlow, SystemModel


class ModelIndex:
    """Answers the questions renderers and rules ask of a model without re-scanning lists."""

    def __init__(self, model: SystemModel) -> None:
        self.model = model
        self.elements: dict[str, Element] = {e.id: e for e in model.elements}
        self.boundaries: dict[str, Boundary] = {b.id: b for b in model.boundaries}
        self.assets: dict[str, DataAsset] = {a.id: a for a in model.assets}
        self.data_flows: dict[str, DataFlow] = {f.id: f for f in model.data_flows}
        self.flows: dict[str, NamedFlow] = {f.id: f for f in model.flows}

    def boundary_chain(self, boundary_id: str | None) -> list[str]:
        """The boundary and its ancestors, innermost first (stops safely on bad nesting)."""
        chain: list[str] = []
        current = boundary_id
        while current is not None and current in self.boundaries and current not in chain:
            chain.append(current)
            current = self.boundaries[current].parent
        return chain

    def element_chain(self, element_id: str) -> list[str]:
        element = self.elements.get(element_id)
        return self.boundary_chain(element.boundary) if element else []

    def crossings(self, flow: DataFlow) -> list[str]:
        """Boundaries a flow leaves or enters: those around one end but not the other."""
        source = self.element_chain(flow.source)
        target = self.element_chain(flow.target)
        return [b for b in source if b not in target] + [b for b in target if b not in source]

    @cached_property
    def children(self) -> dict[str | None, list[str]]:
        """Boundary id (None = top level) → child boundary ids, in declaration order."""
        out: dict[str | None, list[str]] = {}
        for b in self.model.boundaries:
            parent = b.parent if b.parent in self.boundaries else None
            out.setdefault(parent, []).append(b.id)
        return out

    @cached_property
    def members(self) -> dict[str | None, list[str]]:
        """Boundary id (None = outside every boundary) → element ids directly inside it."""
        out: dict[str | None, list[str]] = {}
        for e in self.model.elements:
            where = e.boundary if e.boundary in self.boundaries else None
            out.setdefault(where, []).append(e.id)
        return out

    def flow_steps_expanded(self, flow_id: str, _depth: int = 0) -> int:
        """Number of steps of a named flow, not counting included flows' own steps."""
        return len(self.flows[flow_id].steps)
