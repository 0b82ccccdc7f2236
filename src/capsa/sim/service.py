"""`run_fmea`: every applicable fault case injected at every step of every named flow, under
the settings each deployment scope has, scored into an FMEA.

Scopes (cluster and machine role) whose settings are all alike are simulated once as a
profile; a failure mode lists the profile it holds for. Without a scan there is one
profile, every setting at its upstream default and marked assumed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from capsa.errors import InputError, Problem
from capsa.model.index import ModelIndex
from capsa.model.types import NamedFlow, SystemModel
from capsa.scan.result import ScanResult
from capsa.sim.engine import Residue, RunResult, baseline, simulate
from capsa.sim.evidence import Scope, scopes
from capsa.sim.faults import Fault, FaultCatalogue, cases_for, load_faults
from capsa.sim.plan import PlannedStep, plan_flow
from capsa.sim.records import (
    CompromiseRecord,
    FailureMode,
    FlowRecord,
    FmeaReport,
    ProfileRecord,
    ResidueRecord,
    SettingRecord,
    WhatIf,
)
from capsa.sim.scoring import Scores, score
from capsa.sim.settings import SettingCatalogue, SettingValue, load_settings
from capsa.sim.state import Injection, Outcome, SettingsView


@dataclass(frozen=True)
class Profile:
    id: int
    role: str | None
    scopes: tuple[str, ...]
    values: dict[str, SettingValue]


def _profiles(found: Sequence[Scope]) -> dict[str | None, list[Profile]]:
    """Scopes grouped by role, then by identical setting values (the first scope's evidence
    stands for the group)."""
    grouped: dict[tuple[str | None, tuple[tuple[str, object, str], ...]], list[Scope]] = {}
    for scope in found:
        key = tuple(sorted((k, v.value, v.source) for k, v in scope.settings.items()))
        grouped.setdefault((scope.role, key), []).append(scope)
    out: dict[str | None, list[Profile]] = {}
    for number, ((role, _), members) in enumerate(grouped.items(), start=1):
        names = tuple(f"{s.name} ({s.role} machines)" if s.role else s.name for s in members)
        out.setdefault(role, []).append(Profile(number, role, names, dict(members[0].settings)))
    return out


def _for_flow(flow: NamedFlow, profiles: dict[str | None, list[Profile]]) -> list[Profile]:
    if None in profiles:
        return profiles[None]
    return profiles.get(flow.machine_role or "worker", []) or [
        p for group in profiles.values() for p in group
    ]


def _effect(run: RunResult) -> str:
    parts: list[str] = []
    for c in run.compromises:
        check = c.item.checked_by or "nothing checks it"
        parts.append(f"accepts a {c.how} {c.input} at step {c.step} ({check})")
    for r in run.residue:
        copy = "an orphaned copy of " if r.orphan else ""
        parts.append(f"leaves {copy}{r.product.name} from step {r.step}: {r.why}")
    if run.halted_at is not None:
        parts.append(f"stops at step {run.halted_at.number}: {run.halt_reason}")
    if run.churn:
        names = ", ".join(p.name for p in run.churn)
        parts.append(f"remediation replaces the machine ({names}) again and again, uncapped")
    if not parts:
        parts.extend(n.split(": ", 1)[-1] for n in run.notes)
    return "; ".join(parts) or "no effect"


@dataclass(frozen=True)
class _Context:
    model: SystemModel
    index: ModelIndex
    faults: FaultCatalogue
    settings: SettingCatalogue
    baselines: dict[tuple[str, frozenset[tuple[str, object]]], RunResult] = field(
        default_factory=dict
    )

    def baseline(
        self, plan: tuple[PlannedStep, ...], flow: NamedFlow, values: dict[str, SettingValue]
    ) -> RunResult:
        """The fault-free run of `flow` under `values` (run once per flow and values)."""
        key = (flow.id, frozenset((k, v.value) for k, v in values.items()))
        found = self.baselines.get(key)
        if found is None:
            view = SettingsView(values, self.settings)
            given = frozenset(flow.given)
            found = self.baselines[key] = baseline(plan, view, flow.id, given, flow.goal)
        return found


def _run(
    ctx: _Context,
    plan: tuple[PlannedStep, ...],
    flow: NamedFlow,
    injection: Injection,
    values: dict[str, SettingValue],
) -> RunResult:
    by_design = frozenset(r.product.name for r in ctx.baseline(plan, flow, values).residue)
    view = SettingsView(values, ctx.settings)
    given = frozenset(flow.given)
    return simulate(plan, injection, view, flow.id, given, flow.goal, by_design)


def _what_if(
    ctx: _Context,
    plan: tuple[PlannedStep, ...],
    flow: NamedFlow,
    run: RunResult,
    fault: Fault,
    values: dict[str, SettingValue],
    scores: Scores,
) -> list[WhatIf]:
    out = []
    for consulted in run.consulted:
        spec = ctx.settings.specs.get(consulted.id)
        if spec is None or spec.safer is None or consulted.value == spec.safer:
            continue
        changed = {**values, spec.id: SettingValue(spec.id, spec.safer, "evidence", "what-if")}
        again = _run(ctx, plan, flow, run.injection, changed)
        new = score(again, fault, ctx.index, ctx.faults.scales, ctx.settings, changed)
        if new.rpn < scores.rpn or again.outcome.rank < run.outcome.rank:
            out.append(
                WhatIf(
                    setting=spec.id,
                    value=spec.safer,
                    outcome=again.outcome,
                    rpn=new.rpn,
                    mitigation=" ".join(spec.mitigation.split()),
                )
            )
    return out


def _mode(
    ctx: _Context,
    plan: tuple[PlannedStep, ...],
    flow: NamedFlow,
    run: RunResult,
    fault: Fault,
    profile: Profile,
) -> FailureMode:
    scores = score(run, fault, ctx.index, ctx.faults.scales, ctx.settings, profile.values)
    mitigations: list[str] = []
    for group in (
        *(r.product.mitigations for r in run.residue),
        *(c.item.mitigations for c in run.compromises),
    ):
        mitigations.extend(m for m in group if m not in mitigations)
    at = run.at
    return FailureMode(
        id=f"{flow.id}:{at.number}:{fault.id}/{run.injection.case}",
        flow=flow.id,
        step=at.number,
        step_flow=at.flow,
        description=" ".join(at.step.description.split()),
        element=at.receiver,
        fault=fault.id,
        case=run.injection.case,
        outcome=run.outcome,
        effect=_effect(run),
        halted_at=run.halted_at.number if run.halted_at is not None else None,
        residue=[_residue(r) for r in run.residue],
        compromise=[
            CompromiseRecord(
                step=c.step,
                input=c.input,
                how=c.how,
                checked_by=" ".join(c.item.checked_by.split()),
                threats=list(c.threats),
            )
            for c in run.compromises
        ],
        churn=[p.name for p in run.churn],
        threats=list(run.threats),
        severity=scores.severity,
        occurrence=scores.occurrence,
        occurrence_basis=scores.occurrence_basis,
        assumed=scores.assumed,
        decided_by=list(scores.decided_by),
        detection=scores.detection,
        detected_by=list(scores.detected_by),
        rpn=scores.rpn,
        mitigations=mitigations,
        what_if=_what_if(ctx, plan, flow, run, fault, profile.values, scores),
        profiles=[profile.id],
        notes=list(run.notes),
    )


def _residue(residue: Residue) -> ResidueRecord:
    return ResidueRecord(
        product=residue.product.name,
        kind=residue.product.kind.value,
        asset=residue.product.asset,
        step=residue.step,
        why=residue.why,
        orphan=residue.orphan,
        threats=list(residue.product.exposes),
    )


def _merged(found: list[FailureMode]) -> list[FailureMode]:
    """One row per distinct result of an injection: profiles that gave the same outcome,
    scores and effect share it; when results differ the id says which profile (@N)."""
    groups: dict[tuple[object, ...], FailureMode] = {}
    for mode in found:
        key = (mode.outcome, mode.rpn, mode.effect, tuple(mode.threats), mode.assumed)
        first = groups.get(key)
        if first is None:
            groups[key] = mode
        else:
            groups[key] = first.model_copy(update={"profiles": [*first.profiles, *mode.profiles]})
    if len(groups) == 1:
        return list(groups.values())
    return [m.model_copy(update={"id": f"{m.id}@{m.profiles[0]}"}) for m in groups.values()]


def _check_names(
    model: SystemModel, faults: FaultCatalogue, flows: Sequence[str], kinds: Sequence[str]
) -> None:
    problems = []
    known_flows = [f.id for f in model.flows]
    for name in flows:
        if name not in known_flows:
            problems.append(
                Problem(
                    "--flow", None, None, f"no named flow {name!r}; known: {', '.join(known_flows)}"
                )
            )
    for name in kinds:
        if name not in faults.faults:
            known = ", ".join(faults.faults)
            problems.append(Problem("--fault", None, None, f"no fault {name!r}; known: {known}"))
    if problems:
        raise InputError(problems)


def run_fmea(
    model: SystemModel,
    scan: ScanResult | None = None,
    *,
    flows: Sequence[str] = (),
    faults: Sequence[str] = (),
    model_label: str = "",
    catalogue: FaultCatalogue | None = None,
    display: Callable[[str], str] | None = None,
) -> FmeaReport:
    """Simulate every applicable fault case at every step of the chosen flows (all by
    default) and score each run that does not simply complete. `display` shortens the
    file paths the evidence is cited with."""
    catalogue = catalogue or load_faults()
    _check_names(model, catalogue, flows, faults)
    ctx = _Context(model, ModelIndex(model), catalogue, load_settings())
    in_scope = (
        scopes(scan, ctx.settings) if display is None else scopes(scan, ctx.settings, display)
    )
    profiles = _profiles(in_scope)
    chosen_faults = (
        [catalogue.faults[f] for f in faults] if faults else list(catalogue.faults.values())
    )
    modes: list[FailureMode] = []
    flow_records: list[FlowRecord] = []
    total = 0
    used: dict[int, Profile] = {}
    for flow in model.flows:
        if flows and flow.id not in flows:
            continue
        plan = plan_flow(ctx.index, flow.id)
        outcomes: Counter[str] = Counter()
        for_flow = _for_flow(flow, profiles)
        for profile in for_flow:
            used[profile.id] = profile
        for step in plan:
            for fault in chosen_faults:
                for case in cases_for(fault, step):
                    injection = Injection(fault.id, case.name, step.number, case.persistent)
                    found: list[FailureMode] = []
                    for profile in for_flow:
                        run = _run(ctx, plan, flow, injection, profile.values)
                        total += 1
                        outcomes[run.outcome.value] += 1
                        if run.outcome is not Outcome.COMPLETES:
                            found.append(_mode(ctx, plan, flow, run, fault, profile))
                    modes.extend(_merged(found))
        first = ctx.baseline(plan, flow, for_flow[0].values) if for_flow else None
        flow_records.append(
            FlowRecord(
                by_design=[_residue(r) for r in first.residue] if first is not None else [],
                id=flow.id,
                name=flow.name,
                steps=len(flow.steps),
                run_steps=len(plan),
                described=sum(1 for s in plan if s.described),
                undescribed=[s.number for s in plan if not s.described],
                runs=sum(outcomes.values()),
                outcomes={o.value: outcomes.get(o.value, 0) for o in Outcome},
            )
        )
    return FmeaReport(
        model=model_label or model.metadata.name,
        faults=[f.id for f in chosen_faults],
        profiles=[_profile_record(p) for p in sorted(used.values(), key=lambda p: p.id)],
        flows=flow_records,
        runs=total,
        modes=modes,
    )


def _profile_record(profile: Profile) -> ProfileRecord:
    return ProfileRecord(
        id=profile.id,
        role=profile.role,
        scopes=list(profile.scopes),
        settings=[
            SettingRecord(id=v.id, value=v.value, source=v.source, basis=v.basis)
            for v in profile.values.values()
        ],
    )
