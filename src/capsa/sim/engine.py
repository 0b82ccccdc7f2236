"""Run one flow with one fault case injected at one step, and decide how it ends.

Steps run in order; a step whose required products are missing, or whose element is
down, fails. The first failure stops the flow (a step that continues on failure lets the
rest of its own flow run first). When the run is over every product still alive is
judged: intended results stay; something that outlives its use (a secret nobody deletes,
a token renewed while its machine waits forever, an orphaned copy) is residue; products
removed with their machine depend on whether the deployment remediates. Deterministic:
the same plan, fault and settings always give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

from capsa.model.types import HaltCleanup, OnFailure, ProductKind, ProductLifetime, StepProduct
from capsa.sim.effects import EFFECTS
from capsa.sim.plan import PlannedStep
from capsa.sim.settings import SettingValue
from capsa.sim.state import (
    Compromise,
    Injection,
    Live,
    Outcome,
    RunState,
    SettingsView,
    StepContext,
)


@dataclass(frozen=True)
class Residue:
    product: StepProduct
    step: str
    why: str
    orphan: bool = False


@dataclass(frozen=True)
class RunResult:
    """How one run ended, and everything the FMEA needs to score it."""

    flow: str
    injection: Injection
    at: PlannedStep
    outcome: Outcome
    halted_at: PlannedStep | None
    halt_reason: str
    residue: tuple[Residue, ...]
    compromises: tuple[Compromise, ...]
    churn: tuple[StepProduct, ...]
    outage: tuple[str, ...]
    notes: tuple[str, ...]
    consulted: tuple[SettingValue, ...]

    @property
    def threats(self) -> tuple[str, ...]:
        """Catalogue threats the outcome realises, first seen first."""
        found: list[str] = []
        groups = [
            *(c.threats for c in self.compromises),
            *(r.product.exposes for r in self.residue),
            *(p.exposes for p in self.churn),
            self.outage,
        ]
        for group in groups:
            found.extend(t for t in group if t not in found)
        return tuple(found)


def _blocked(step: PlannedStep, state: RunState) -> str | None:
    missing = [
        name
        for name in step.semantics.requires
        if name not in state.live and name not in state.given
    ]
    if missing:
        return f"needs {', '.join(missing)}, which the run did not make or has removed"
    down = [e for e in step.elements if e in state.down]
    if down:
        return f"{', '.join(down)} is down"
    credential = step.semantics.credential
    if credential is not None and credential.name in state.refused:
        return f"{credential.name} is refused"
    return None


def _ignore(_: StepContext) -> None:
    raise AssertionError("no step is hit in a fault-free run")


def _run_steps(plan: tuple[PlannedStep, ...], state: RunState) -> None:
    effect = EFFECTS.get(state.injection.fault, _ignore)
    for step in plan:
        failed = state.failed_at
        if failed is not None and not (
            failed.semantics.on_failure is OnFailure.FINISH_FLOW and step.scope == failed.scope
        ):
            break
        context = StepContext(step, state)
        blocked = _blocked(step, state)
        if blocked is not None:
            context.fail(blocked)
        elif step.number == state.injection.step:
            effect(context)
        else:
            context.proceed()


def _fate(live: Live, halted: bool, state: RunState) -> str | None:
    """Why `live` is residue once the run is over, or None when it is not."""
    why = _judge(live, halted, state)
    ttl = live.product.ttl
    if (why is not None or live.orphan) and ttl is not None and ttl.setting is not None:
        state.settings.get(ttl.setting)  # how long what is left stays usable
    return why


def _judge(live: Live, halted: bool, state: RunState) -> str | None:
    """Intended results stay; what was to be removed and was not, what is still renewed
    while its machine waits, and copies nothing refers to, are left behind."""
    product = live.product
    expires = product.lifetime is ProductLifetime.EXPIRES
    if live.orphan:
        return None if expires else "an orphaned copy: nothing refers to it, so nothing removes it"
    disabled = product.name in state.cleanup_disabled
    renewing = product.renewed_while_pending and (
        product.recorded_in is None or product.recorded_in in state.live
    )
    if not halted:
        if product.lifetime is ProductLifetime.KEPT:
            return None
        if expires:
            return "its renewal never stops" if disabled and product.renewed_while_pending else None
        return "nothing removed it" + (": its cleanup never ran" if disabled else "")
    if disabled:
        return "the flow stopped and its cleanup never runs"
    if product.on_halt in (HaltCleanup.ALWAYS, HaltCleanup.WITH_OWNER):
        return None
    if expires and not renewing:
        return None
    if product.on_halt is HaltCleanup.REMEDIATION:
        remediation = state.settings.part("remediation")
        if remediation is not None and remediation.value:
            return None
        renewal = "; it is renewed while the machine waits" if renewing else ""
        return f"the flow stopped and no remediation deletes its machine{renewal}"
    return "the flow stopped and nothing removes it"


def _churn(state: RunState, stuck: bool) -> tuple[StepProduct, ...]:
    """Cloud resources a remediation loop keeps replacing: the fault persists, remediation
    deletes the machine, and nothing caps how often that repeats. The remediation settings
    are consulted only when such a resource exists: a run they cannot change does not
    rest on them (nor is it marked assumed on them)."""
    if not stuck or not state.injection.persistent:
        return ()
    replaced = tuple(
        live.product
        for live in state.live.values()
        if live.product.on_halt is HaltCleanup.REMEDIATION
        and live.product.kind is ProductKind.CLOUD_RESOURCE
    )
    if not replaced:
        return ()
    remediation = state.settings.part("remediation")
    if remediation is None or not remediation.value:
        return ()
    cap = state.settings.part("remediation-cap")
    if cap is not None and cap.value:
        return ()
    return replaced


def simulate(
    plan: tuple[PlannedStep, ...],
    injection: Injection,
    settings: SettingsView,
    flow: str,
    given: frozenset[str] = frozenset(),
    goal: str | None = None,
    by_design: frozenset[str] = frozenset(),
) -> RunResult:
    """Run `plan` with `injection` under `settings` (which records what it consulted).

    A run that fails after the flow's `goal` exists is judged as a completed one: what the
    flow was for is done, and nothing is left waiting. Products in `by_design` are left by
    the flow even without a fault (see `baseline`); they are not the fault's residue."""
    at = next((step for step in plan if step.number == injection.step), plan[0])
    state = RunState(injection, settings, given)
    _run_steps(plan, state)
    halted = state.failed_at
    stuck = halted is not None and (goal is None or goal not in state.live)
    residue = []
    for live in [*state.live.values(), *state.orphans]:
        if live.product.kind is ProductKind.STATE:
            continue
        why = _fate(live, stuck, state)
        if why is not None and (live.orphan or live.product.name not in by_design):
            residue.append(Residue(live.product, live.step, why, live.orphan))
    churn = _churn(state, stuck)
    if state.compromises:
        outcome = Outcome.COMPLETES_COMPROMISED
    elif residue:
        outcome = Outcome.LEAVES_RESIDUE
    elif halted is not None:
        outcome = Outcome.HALTS_SAFELY
    else:
        outcome = Outcome.COMPLETES
    return RunResult(
        flow=flow,
        injection=injection,
        at=at,
        outcome=outcome,
        halted_at=halted,
        halt_reason=state.failure,
        residue=tuple(residue),
        compromises=tuple(state.compromises),
        churn=churn,
        outage=tuple(halted.semantics.outage) if halted is not None else (),
        notes=tuple(state.notes),
        consulted=tuple(settings.consulted.values()),
    )


NO_FAULT = "none"


def baseline(
    plan: tuple[PlannedStep, ...],
    settings: SettingsView,
    flow: str,
    given: frozenset[str] = frozenset(),
    goal: str | None = None,
) -> RunResult:
    """The flow run without any fault: what it leaves by design."""
    return simulate(plan, Injection(NO_FAULT, NO_FAULT, "", False), settings, flow, given, goal)
