"""A named flow laid out as the simulator runs it: one leaf step after another, included
flows expanded in place and numbered as the assessment numbers them ("4.2" is step 2 of
the flow included at step 4)."""

from __future__ import annotations

from dataclasses import dataclass

from capsa.model.index import ModelIndex
from capsa.model.types import (
    AuthMethod,
    DataFlow,
    FlowStep,
    InputCheck,
    NamedFlow,
    Protocol,
    StepInput,
    StepSemantics,
)

MAX_DEPTH = 8


@dataclass(frozen=True)
class Transport:
    """What a step's data flow itself guarantees, whatever its inputs say they check: the
    facts the threat rules read (unauthenticated-inbound, spoofable-service-endpoint,
    tampering-in-transit), so the FMEA and the threats judge one model alike. Each is how
    the flow makes the check, or "" when it does not."""

    caller_authenticated: str = ""  # the receiver knows who sends: the flow's method
    server_authenticated: str = ""  # the sender knows who answers
    integrity_in_transit: str = ""  # alteration on the way is detected
    signed: bool = False  # the request's payload carries a signature the receiver checks

    def makes(self, check: InputCheck, item: StepInput) -> str:
        """How the flow makes `check` for `item` (taken by its receiver or its sender)."""
        if check is InputCheck.AUTHENTICATION:
            return (
                self.caller_authenticated
                if item.taken_by == "receiver"
                else self.server_authenticated
            )
        if check is InputCheck.INTEGRITY:
            if item.taken_by == "receiver" and self.signed:
                return "the data flow's payload is signed"
            return self.integrity_in_transit
        return ""


# An address allow-list does not refuse an outsider: the address is not a credential.
_NOT_CREDENTIALS = frozenset({AuthMethod.NONE, AuthMethod.SOURCE_ADDRESS})


def transport_of(flow: DataFlow) -> Transport:
    verified = flow.encrypted and flow.server_authenticated is True
    if flow.authentication not in _NOT_CREDENTIALS:
        caller = f"the data flow authenticates the caller ({flow.authentication.value})"
    elif flow.signed:
        caller = "the data flow's payload is signed"
    else:
        caller = ""
    return Transport(
        caller_authenticated=caller,
        server_authenticated="the data flow verifies the server" if verified else "",
        integrity_in_transit=(
            "the data flow is encrypted, which detects alteration on the way"
            if flow.encrypted and flow.server_authenticated is not False
            else ""
        ),
        signed=flow.signed is True,
    )


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
    transport: Transport = Transport()  # what the data flow guarantees (none without one)

    @property
    def label(self) -> str:
        return f"{self.flow} step {self.number.removeprefix(self.scope)}"


_LOCAL = frozenset({Protocol.LOCAL_EXEC, Protocol.FILE})


def _elements(
    index: ModelIndex, step: FlowStep
) -> tuple[tuple[str, ...], str | None, bool, Transport]:
    if step.uses is not None and step.uses in index.data_flows:
        flow = index.data_flows[step.uses]
        network = flow.protocol not in _LOCAL
        return (flow.source, flow.target), flow.target, network, transport_of(flow)
    if step.actor is not None:
        return (step.actor,), step.actor, False, Transport()
    return (), None, False, Transport()


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
        elements, receiver, network, transport = _elements(index, step)
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
                transport=transport,
            )
        )


def plan_flow(index: ModelIndex, flow_id: str) -> tuple[PlannedStep, ...]:
    """The leaf steps of a named flow, in the order they run."""
    out: list[PlannedStep] = []
    _expand(index, index.flows[flow_id], "", out, 0)
    return tuple(out)
