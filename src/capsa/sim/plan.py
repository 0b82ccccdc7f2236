"""A named flow laid out as the simulator runs it: one leaf step after another, included
flows expanded in place and numbered as the assessment numbers them ("4.2" is step 2 of
the flow included at step 4)."""

from __future__ import annotations

from dataclasses import dataclass

from capsa.model.index import ModelIndex
from capsa.model.types import FlowStep, NamedFlow, Protocol, StepSemantics

MAX_DEPTH = 8


@dataclass(frozen=True)
class PlannedStep:
    """A leaf step in run order: where it sits, what it does, which elements it needs."""

    number: str
    flow: str  # the named flow the step is written in
    scope: str  # number prefix of that flow's run ("" for the top flow, "4." inside it)
    step: FlowStep
    semantics: StepSemantics
    described: bool  # the model gives this step semantics
    elements: tuple[str, ...]
    receiver: str | None  # the element that does the work: data flow target, or the actor
    network: bool  # the step's data flow crosses a network (not a local exec or file)

    @property
    def label(self) -> str:
        return f"{self.flow} step {self.number.removeprefix(self.scope)}"


_LOCAL = frozenset({Protocol.LOCAL_EXEC, Protocol.FILE})


def _elements(index: ModelIndex, step: FlowStep) -> tuple[tuple[str, ...], str | None, bool]:
    if step.uses is not None and step.uses in index.data_flows:
        flow = index.data_flows[step.uses]
        return (flow.source, flow.target), flow.target, flow.protocol not in _LOCAL
    if step.actor is not None:
        return (step.actor,), step.actor, False
    return (), None, False


def _expand(
    index: ModelIndex, flow: NamedFlow, prefix: str, out: list[PlannedStep], depth: int
) -> None:
    for number, step in enumerate(flow.steps, start=1):
        label = f"{prefix}{number}"
        if step.include is not None:
            included = index.flows.get(step.include)
            if included is not None and included.id != flow.id and depth < MAX_DEPTH:
                _expand(index, included, f"{label}.", out, depth + 1)
            continue
        elements, receiver, network = _elements(index, step)
        out.append(
            PlannedStep(
                number=label,
                flow=flow.id,
                scope=prefix,
                step=step,
                semantics=step.semantics or StepSemantics(),
                described=step.semantics is not None,
                elements=elements,
                receiver=receiver,
                network=network,
            )
        )


def plan_flow(index: ModelIndex, flow_id: str) -> tuple[PlannedStep, ...]:
    """The leaf steps of a named flow, in the order they run."""
    out: list[PlannedStep] = []
    _expand(index, index.flows[flow_id], "", out, 0)
    return tuple(out)
