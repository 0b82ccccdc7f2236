"""Checks on named flows' step semantics that a schema cannot express.

A flow is read as it runs: its `given` products exist first, each step may use only
products made before it (by earlier steps or by flows it includes), and an included
flow's `given` must have been made by the time it is included. Names of threats,
mitigations, checks and deployment settings are not known here (they belong to later
stages); `capsa.sim` checks them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from capsa.errors import Problem
from capsa.model.types import (
    AuthMethod,
    DataFlow,
    FlowStep,
    InputCheck,
    NamedFlow,
    ProductLifetime,
    StepSemantics,
    SystemModel,
)
from capsa.yamlio import LineDict, LineList, position_of

Where = tuple[int | None, int | None]


def _flow_index(doc: Any, key: str = "flows") -> dict[str, int]:
    flows = doc.get(key) if isinstance(doc, LineDict) else None
    out: dict[str, int] = {}
    if isinstance(flows, LineList):
        for index, item in enumerate(flows):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                out.setdefault(item["id"], index)
    return out


class _Locator:
    """Positions inside the model document of the file being loaded (a flow merged in from
    a parent file has none here)."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.flows = _flow_index(doc)
        self.data_flows = _flow_index(doc, "dataFlows")

    def __call__(self, flow_id: str, *path: int | str) -> Where:
        index = self.flows.get(flow_id)
        if index is None:
            return (None, None)
        return position_of(self.doc, ("flows", index, *path)) or (None, None)

    def data_flow(self, flow_id: str, key: str) -> str:
        """ " (line N)" where the data flow states `key` in this file, else ""."""
        index = self.data_flows.get(flow_id)
        where = position_of(self.doc, ("dataFlows", index, key)) if index is not None else None
        return f" (line {where[0]})" if where and where[0] is not None else ""


def _produced(
    flow: NamedFlow, flows: Mapping[str, NamedFlow], depth: int = 0
) -> Iterator[tuple[int, str]]:
    """(step index, product name) of every product a flow makes, included flows counted at
    the include step."""
    for index, step in enumerate(flow.steps):
        if step.semantics is not None:
            yield from ((index, p.name) for p in step.semantics.produces)
        included = flows.get(step.include or "")
        if included is not None and included.id != flow.id and depth < 8:
            yield from ((index, name) for _, name in _produced(included, flows, depth + 1))


def _step_problems(
    path: str,
    flow: NamedFlow,
    number: int,
    step: FlowStep,
    available: set[str],
    assets: set[str],
    flows: Mapping[str, NamedFlow],
    data_flows: Mapping[str, DataFlow],
    at: _Locator,
) -> Iterator[Problem]:
    semantics = step.semantics
    assert semantics is not None
    base: tuple[int | str, ...] = ("steps", number - 1, "semantics")
    label = f"flow {flow.id!r} step {number}"
    if step.include is not None:
        yield Problem(
            path,
            *at(flow.id, *base),
            f"{label} includes a flow: its semantics belong to the included flow's steps",
        )
    made = {p.name for p in semantics.produces}
    for field, names, pool in (
        ("requires", semantics.requires, available),
        ("removes", semantics.removes, available | made),
    ):
        for index, name in enumerate(names):
            if name not in pool:
                yield Problem(
                    path,
                    *at(flow.id, *base, field, index),
                    f"{label} {field} {name!r}, which no earlier step makes and the flow is "
                    "not given",
                )
    credential = semantics.credential
    if credential is not None and credential.name not in available | assets:
        yield Problem(
            path,
            *at(flow.id, *base, "credential", "name"),
            f"{label} authenticates with {credential.name!r}: neither a product made before "
            "it nor a data asset",
        )
    data_flow = data_flows.get(step.uses or "")
    if data_flow is not None:
        yield from _claim_problems(path, flow.id, label, base, semantics, data_flow, at)
    everything = {name for _, name in _produced(flow, flows)}
    yield from _product_problems(path, flow.id, label, base, semantics, assets, everything, at)
    seen: set[str] = set()
    for index, item in enumerate(semantics.inputs):
        if item.name in seen:
            yield Problem(
                path,
                *at(flow.id, *base, "inputs", index, "name"),
                f"{label} lists input {item.name!r} twice",
            )
        seen.add(item.name)


def _claim_problems(
    path: str,
    flow_id: str,
    label: str,
    base: tuple[int | str, ...],
    semantics: StepSemantics,
    data_flow: DataFlow,
    at: _Locator,
) -> Iterator[Problem]:
    """An input whose authentication check the step's own data flow says is not made: the
    flow's `authentication` is none (and no signature) for a check by its receiver, or
    `serverAuthenticated: false` for one by its sender. Each fact is read as the threat
    rules read it: an unstated `authentication` is none (its default, on which
    unauthenticated-inbound fires), while an unstated `serverAuthenticated` is unknown,
    not false (spoofable-service-endpoint fires on false only), so the step's word stands."""
    stated = data_flow.model_fields_set
    no_caller = data_flow.authentication is AuthMethod.NONE and data_flow.signed is not True
    no_server = "server_authenticated" in stated and data_flow.server_authenticated is False
    if "authentication" in stated:
        says_none = (
            f"data flow {data_flow.id!r} states authentication: none"
            f"{at.data_flow(data_flow.id, 'authentication')}"
        )
    else:
        says_none = (
            f"data flow {data_flow.id!r}{at.data_flow(data_flow.id, 'id')} leaves "
            "authentication unstated, which reads as its default, none, as the threat rules "
            "read it,"
        )
    for index, item in enumerate(semantics.inputs):
        if InputCheck.AUTHENTICATION not in item.checks:
            continue
        where = at(
            flow_id, *base, "inputs", index, "checks", item.checks.index(InputCheck.AUTHENTICATION)
        )
        if item.taken_by == "receiver" and no_caller:
            yield Problem(
                path,
                *where,
                f"{label} input {item.name!r} says its receiver authenticates the sender, but "
                f"{says_none} and no signature: state how the "
                "caller authenticates on the data flow, or drop the check",
            )
        elif item.taken_by == "sender" and no_server:
            yield Problem(
                path,
                *where,
                f"{label} input {item.name!r} says its sender authenticates the answer, but "
                f"data flow {data_flow.id!r} states serverAuthenticated: false"
                f"{at.data_flow(data_flow.id, 'serverAuthenticated')}: correct one of them",
            )


def _product_problems(
    path: str,
    flow_id: str,
    label: str,
    base: tuple[int | str, ...],
    semantics: StepSemantics,
    assets: set[str],
    everything: set[str],
    at: _Locator,
) -> Iterator[Problem]:
    for index, product in enumerate(semantics.produces):
        here = (*base, "produces", index)
        if product.asset is not None and product.asset not in assets:
            yield Problem(
                path,
                *at(flow_id, *here, "asset"),
                f"{label} produces {product.name!r} as unknown asset {product.asset!r}",
            )
        expires = product.lifetime is ProductLifetime.EXPIRES
        if expires and product.ttl is None:
            yield Problem(
                path,
                *at(flow_id, *here, "lifetime"),
                f"{label} product {product.name!r} expires: give its ttl",
            )
        if product.recorded_in is not None and product.recorded_in not in everything:
            yield Problem(
                path,
                *at(flow_id, *here, "recordedIn"),
                f"{label} product {product.name!r} is recorded in {product.recorded_in!r}, "
                "which no step of the flow makes",
            )
        if not expires and (product.ttl is not None or product.renewed_while_pending):
            yield Problem(
                path,
                *at(flow_id, *here, "lifetime"),
                f"{label} product {product.name!r} has a ttl or renewal: its lifetime must "
                "be 'expires'",
            )


def flow_semantics_problems(model: SystemModel, path: str, doc: Any) -> Iterator[Problem]:
    """Every step semantics that names a product before it exists, an unknown asset, a
    lifetime that contradicts itself, or an authentication check its data flow says is not
    made; included flows' `given` must be made before."""
    flows = {f.id: f for f in model.flows}
    data_flows = {f.id: f for f in model.data_flows}
    assets = {a.id for a in model.assets}
    at = _Locator(doc)
    for flow in model.flows:
        if flow.goal is not None and flow.goal not in {n for _, n in _produced(flow, flows)}:
            yield Problem(
                path,
                *at(flow.id, "goal"),
                f"flow {flow.id!r} has goal {flow.goal!r}, which none of its steps makes",
            )
        available = set(flow.given)
        produced_at: dict[str, int] = {}
        for number, step in enumerate(flow.steps, start=1):
            if step.semantics is not None:
                yield from _step_problems(
                    path, flow, number, step, available, assets, flows, data_flows, at
                )
                made = [p.name for p in step.semantics.produces]
            else:
                made = []
            included = flows.get(step.include or "")
            if included is not None and included.id != flow.id:
                for name in included.given:
                    if name not in available:
                        yield Problem(
                            path,
                            *at(flow.id, "steps", number - 1, "include"),
                            f"flow {flow.id!r} step {number} includes {included.id!r}, which "
                            f"is given {name!r}: no earlier step makes it",
                        )
                made.extend(name for _, name in _produced(included, flows))
            for name in made:
                if name in produced_at or name in flow.given:
                    yield Problem(
                        path,
                        *at(flow.id, "steps", number - 1),
                        f"flow {flow.id!r} step {number} makes {name!r} again (names a product "
                        "once per flow, included flows counted)",
                    )
                produced_at.setdefault(name, number)
                available.add(name)
