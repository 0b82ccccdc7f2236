"""Cross-reference checks a schema cannot express: ids resolve, ids are unique, no cycles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from capsa.errors import Problem
from capsa.model.flowcheck import flow_semantics_problems
from capsa.model.types import SystemModel
from capsa.yamlio import LineDict, LineList, position_of

_SECTIONS = ("boundaries", "elements", "assets", "dataFlows", "flows")


def iter_locations(doc: Any, section: str) -> Iterable[tuple[int, Any]]:
    """(index, raw item) of each item of a list section of a model document."""
    items = doc.get(section) if isinstance(doc, LineDict) else None
    if isinstance(items, LineList):
        yield from enumerate(items)


def locate(
    doc: Any, section: str, item_id: str, field: str | None = None
) -> tuple[int | None, int | None]:
    """Line and column of a field of the item with `item_id` in a list section, if present."""
    for index, item in iter_locations(doc, section):
        if isinstance(item, dict) and item.get("id") == item_id:
            loc: tuple[int | str, ...] = (
                (section, index) if field is None else (section, index, field)
            )
            return position_of(doc, loc) or (None, None)
    return (None, None)


def _duplicates(path: str, doc: Any) -> Iterator[Problem]:
    for section in _SECTIONS:
        seen: dict[str, int] = {}
        for index, item in iter_locations(doc, section):
            item_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item_id, str):
                continue
            if item_id in seen:
                line, col = position_of(doc, (section, index, "id")) or (None, None)
                yield Problem(
                    path,
                    line,
                    col,
                    f"duplicate id {item_id!r} in {section} (first defined as item {seen[item_id] + 1})",
                )
            else:
                seen[item_id] = index


def integrity_problems(model: SystemModel, path: str, doc: Any) -> Iterator[Problem]:
    """Every broken reference, duplicate id and boundary cycle in the (merged) model."""
    yield from _duplicates(path, doc)

    boundaries = {b.id: b for b in model.boundaries}
    elements = {e.id for e in model.elements}
    assets = {a.id for a in model.assets}
    data_flows = {f.id for f in model.data_flows}
    flows = {f.id for f in model.flows}

    def at(section: str, item_id: str, field: str | None = None) -> tuple[int | None, int | None]:
        return locate(doc, section, item_id, field)

    for b in model.boundaries:
        if b.parent is not None and b.parent not in boundaries:
            yield Problem(
                path,
                *at("boundaries", b.id, "parent"),
                f"boundary {b.id!r} has unknown parent {b.parent!r}",
            )
    reported: set[str] = set()
    for b in model.boundaries:
        chain = [b.id]
        current = b.parent
        while current is not None and current in boundaries:
            if current in chain:
                cycle = [*chain[chain.index(current) :], current]
                key = min(cycle)
                if key not in reported:
                    reported.add(key)
                    yield Problem(
                        path,
                        *at("boundaries", b.id, "parent"),
                        "boundary nesting has a cycle: " + " -> ".join(cycle),
                    )
                break
            chain.append(current)
            current = boundaries[current].parent

    for b in model.boundaries:
        for field, ids in (
            ("workloadCreators", b.workload_creators),
            ("exemptFrom", b.exempt_from),
        ):
            for ref in ids:
                if ref not in elements:
                    yield Problem(
                        path,
                        *at("boundaries", b.id, field),
                        f"boundary {b.id!r} {field} names unknown element {ref!r}",
                    )

    for e in model.elements:
        if e.boundary is not None and e.boundary not in boundaries:
            yield Problem(
                path,
                *at("elements", e.id, "boundary"),
                f"element {e.id!r} sits in unknown boundary {e.boundary!r}",
            )
        attrs = e.attributes
        if attrs.runs_on is not None and attrs.runs_on not in boundaries:
            yield Problem(
                path,
                *at("elements", e.id, "attributes"),
                f"element {e.id!r} attributes.runsOn names unknown boundary {attrs.runs_on!r}",
            )
        for field, ids, known, noun in (
            ("stores", attrs.stores, assets, "asset"),
            ("holdsCredentials", attrs.holds_credentials, assets, "asset"),
            ("suppliesArtifacts", attrs.supplies_artifacts, assets, "asset"),
            ("runsArtifacts", attrs.runs_artifacts, assets, "asset"),
            ("configuredBy", attrs.configured_by, assets, "asset"),
            ("writers", attrs.writers, elements, "element"),
            ("reachableFrom", attrs.reachable_from, set(boundaries), "boundary"),
        ):
            for ref in ids:
                if ref not in known:
                    yield Problem(
                        path,
                        *at("elements", e.id, "attributes"),
                        f"element {e.id!r} attributes.{field} names unknown {noun} {ref!r}",
                    )

    for a in model.assets:
        for granted in a.grants:
            if granted not in elements:
                yield Problem(
                    path,
                    *at("assets", a.id, "grants"),
                    f"asset {a.id!r} grants the authority of unknown element {granted!r}",
                )
        for field, ids, known, noun in (
            ("grantsRead", a.grants_read, assets, "asset"),
            ("grantsWrite", a.grants_write, assets, "asset"),
            ("issues", a.issues, assets, "asset"),
            ("derivedFrom", a.derived_from, assets, "asset"),
            ("writers", a.writers, elements, "element"),
        ):
            for ref in ids:
                if ref not in known:
                    yield Problem(
                        path,
                        *at("assets", a.id, field),
                        f"asset {a.id!r} {field} names unknown {noun} {ref!r}",
                    )
        if a.scope_boundary is not None and a.scope_boundary not in boundaries:
            yield Problem(
                path,
                *at("assets", a.id, "scopeBoundary"),
                f"asset {a.id!r} scopeBoundary names unknown boundary {a.scope_boundary!r}",
            )

    for f in model.data_flows:
        for field, ref in (("from", f.source), ("to", f.target)):
            if ref not in elements:
                yield Problem(
                    path,
                    *at("dataFlows", f.id, field),
                    f"data flow {f.id!r} {field} unknown element {ref!r}",
                )
        for asset in f.carries:
            if asset not in assets:
                yield Problem(
                    path,
                    *at("dataFlows", f.id, "carries"),
                    f"data flow {f.id!r} carries unknown asset {asset!r}",
                )
        for asset in f.returns:
            if asset not in assets:
                yield Problem(
                    path,
                    *at("dataFlows", f.id, "returns"),
                    f"data flow {f.id!r} returns unknown asset {asset!r}",
                )
        for asset in f.target_chosen_by:
            if asset not in assets:
                yield Problem(
                    path,
                    *at("dataFlows", f.id, "targetChosenBy"),
                    f"data flow {f.id!r} targetChosenBy names unknown asset {asset!r}",
                )

    for flow in model.flows:
        for number, step in enumerate(flow.steps, start=1):
            where = _step_position(doc, flow.id, number - 1)
            refs = [x for x in (step.uses, step.actor, step.include) if x is not None]
            if len(refs) != 1:
                yield Problem(
                    path,
                    *where,
                    f"flow {flow.id!r} step {number} must name exactly one of "
                    "uses (data flow), actor (element) or include (flow)",
                )
            if step.uses is not None and step.uses not in data_flows:
                yield Problem(
                    path,
                    *where,
                    f"flow {flow.id!r} step {number} uses unknown data flow {step.uses!r}",
                )
            if step.actor is not None and step.actor not in elements:
                yield Problem(
                    path,
                    *where,
                    f"flow {flow.id!r} step {number} names unknown element {step.actor!r}",
                )
            if step.include is not None and step.include == flow.id:
                yield Problem(
                    path,
                    *where,
                    f"flow {flow.id!r} step {number} includes itself; a flow cannot run "
                    "inside its own steps: include another flow or list the steps",
                )
            elif step.include is not None and step.include not in flows:
                yield Problem(
                    path,
                    *where,
                    f"flow {flow.id!r} step {number} includes missing flow {step.include!r}",
                )
            elif step.include is not None:
                back = _include_chain(step.include, flow.id, model)
                if back is not None:
                    loop = " -> ".join((flow.id, *back))
                    yield Problem(
                        path,
                        *where,
                        f"flow {flow.id!r} step {number} includes {step.include!r}, which "
                        f"includes {flow.id!r} again ({loop}); break the cycle",
                    )
    yield from flow_semantics_problems(model, path, doc)


def _include_chain(start: str, wanted: str, model: SystemModel) -> tuple[str, ...] | None:
    """The flows from `start` through includes to `wanted` (both named), or None when
    `wanted` cannot be reached: an include cycle would run forever."""
    includes = {
        flow.id: [step.include for step in flow.steps if step.include is not None]
        for flow in model.flows
    }
    parents: dict[str, str | None] = {start: None}
    todo = [start]
    while todo:
        current = todo.pop()
        for nxt in includes.get(current, ()):
            if nxt == wanted:
                chain = [nxt, current]
                while (up := parents[chain[-1]]) is not None:
                    chain.append(up)
                return tuple(reversed(chain))
            if nxt not in parents:
                parents[nxt] = current
                todo.append(nxt)
    return None


def _step_position(doc: Any, flow_id: str, index: int) -> tuple[int | None, int | None]:
    for position, item in iter_locations(doc, "flows"):
        if isinstance(item, dict) and item.get("id") == flow_id:
            return position_of(doc, ("flows", position, "steps", index)) or (None, None)
    return (None, None)
