"""The fault catalogue (data/faults.yaml): what can go wrong at a flow step, as data.

Each fault has an id, what a step must have for it to apply, its cases, the catalogue
threats it realises on the built-in model, a base occurrence and inline examples; its
effect is a function registered under the same id (`capsa.sim.effects`). Loading checks
threat ids against the threat catalogue, that every example's expected outcome fits its
verdict, that each fault has a firing and a silent example, and that every fault has an
effect and every effect a fault (file:line on error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from capsa.datafile import DataFile, Entry, Examples, Loc
from capsa.frozen import FrozenModel
from capsa.sim.effects import EFFECTS
from capsa.sim.example_system import example_model, example_plan
from capsa.sim.links import KnownNames, known_names, semantics_links
from capsa.sim.plan import PlannedStep
from capsa.sim.state import Outcome
from capsa.threats.catalogue import CatalogueIds, builtin_ids

BUILTIN = "builtin:faults"
_NOT_A_MAPPING = "a fault catalogue must be a YAML mapping with scales and faults"


class Applicability(StrEnum):
    STEP = "step"
    DATA_FLOW = "data-flow"
    NETWORK = "network"
    INPUTS = "inputs"
    CREDENTIAL = "credential"
    SHARED_CREDENTIAL = "shared-credential"
    TIMEOUT = "timeout"
    CLEANUP = "cleanup"
    TWO_WRITES = "two-writes"


class FaultCase(FrozenModel):
    name: str
    persistent: bool
    description: str = ""
    needs: tuple[Applicability, ...] = ()


class Occurrence(FrozenModel):
    base: int = Field(ge=1, le=10)
    why: str


class FaultExample(FrozenModel):
    """A tiny flow on the fixed example system, the step the fault hits and the outcome."""

    case: str
    at: str
    outcome: Outcome
    note: str = ""
    settings: dict[str, bool | int] = Field(default_factory=dict)
    steps: tuple[dict[str, Any], ...]


class Fault(FrozenModel):
    id: str
    title: str
    description: str
    applies_to: tuple[Applicability, ...]
    cases: tuple[FaultCase, ...] = Field(min_length=1)
    threats: tuple[str, ...] = ()
    occurrence: Occurrence
    examples: Examples[FaultExample] = Examples[FaultExample]()

    def case(self, name: str) -> FaultCase:
        return next(c for c in self.cases if c.name == name)


class SeverityScale(FrozenModel):
    completes: int
    halts_safely: int
    churn: int
    compromised: int
    compromised_critical: int
    residue: dict[str, int]


class Scales(FrozenModel):
    severity: SeverityScale
    detection: dict[str, int]


class _File(FrozenModel):
    api_version: Literal["capsa.dev/v1alpha1"]
    kind: Literal["FaultCatalogue"]
    scales: Scales
    faults: tuple[Fault, ...]


class FaultCatalogue:
    def __init__(self, faults: Iterable[Fault], scales: Scales, source: str = BUILTIN) -> None:
        self.faults: dict[str, Fault] = {f.id: f for f in faults}
        self.scales = scales
        self.source = source

    def fault(self, fault_id: str) -> Fault:
        return self.faults[fault_id]


def applies(requirement: Applicability, step: PlannedStep) -> bool:
    """Whether a (leaf) step has what `requirement` names."""
    semantics = step.semantics
    if requirement is Applicability.STEP:
        return True
    if requirement is Applicability.DATA_FLOW:
        return step.step.uses is not None
    if requirement is Applicability.NETWORK:
        return step.network
    if requirement is Applicability.INPUTS:
        return bool(semantics.inputs)
    if requirement is Applicability.CREDENTIAL:
        return semantics.credential is not None
    if requirement is Applicability.SHARED_CREDENTIAL:
        return semantics.credential is not None and semantics.credential.shared
    if requirement is Applicability.TIMEOUT:
        return semantics.timeout is not None
    if requirement is Applicability.TWO_WRITES:
        return len(semantics.produces) >= 2 and not semantics.atomic
    # cleanup: removes something, or makes something that must go or stop being renewed
    return bool(semantics.removes) or any(
        p.lifetime.value == "until-removed" or p.renewed_while_pending for p in semantics.produces
    )


def cases_for(fault: Fault, step: PlannedStep) -> list[FaultCase]:
    """The cases of `fault` that apply to `step` (none when the fault does not)."""
    if not all(applies(r, step) for r in fault.applies_to):
        return []
    return [c for c in fault.cases if all(applies(r, step) for r in c.needs)]


def _example_problems(
    file: DataFile, fault: Fault, example: FaultExample, at: Loc, known: KnownNames
) -> None:
    """The example's flow must be a valid model on the example system, name only known
    threats, mitigations, checks and settings, and be hit at a step it has."""
    model, problems = example_model(example.steps)
    for message in problems:
        file.report((*at, "steps"), f"{fault.id}: example flow: {message}")
    for index, step in enumerate(example.steps):
        semantics = step.get("semantics")
        if isinstance(semantics, dict):

            def report(loc: Loc, message: str) -> None:
                file.report(loc, f"{fault.id}: example: {message}")

            semantics_links(semantics, (*at, "steps", index, "semantics"), known, report)
    for key in example.settings:
        if key not in known.settings:
            file.report((*at, "settings", key), f"{fault.id}: unknown setting {key!r}", key=True)
    if model is not None:
        numbers = [s.number for s in example_plan(model)]
        if example.at not in numbers:
            file.report((*at, "at"), f"{fault.id}: the example flow has no step {example.at!r}")


def _fault_problems(
    file: DataFile, entry: Entry[Fault], ids: CatalogueIds, known: KnownNames
) -> None:
    fault, loc = entry.value, entry.loc
    ids.check_threats(file, (*loc, "threats"), fault.threats, fault.id)
    names = [c.name for c in fault.cases]
    for index, name in enumerate(names):
        if names.index(name) != index:
            file.report((*loc, "cases", index, "name"), f"{fault.id}: case {name!r} twice")
    for verdict, examples in fault.examples.by_verdict():
        if not examples:
            file.report(
                (*loc, "examples"),
                f"{fault.id}: needs at least one {verdict!r} example "
                f"({'fires' if verdict == 'fail' else 'stays silent'})",
                key=True,
            )
        for index, example in enumerate(examples):
            at = (*loc, "examples", verdict, index)
            if example.case not in names:
                file.report((*at, "case"), f"{fault.id}: no case {example.case!r}")
            _example_problems(file, fault, example, at, known)
            if example.outcome.fires != (verdict == "fail"):
                file.report(
                    (*at, "outcome"),
                    f"{fault.id}: a {verdict} example cannot end {example.outcome.value}",
                )


def _catalogue(file: DataFile, registered: Iterable[str]) -> FaultCatalogue:
    entries = file.entries(Fault, ("faults",))
    parsed = file.validate(_File, file.with_entries({"faults": entries}))
    file.unique(entries, "fault id")
    ids = builtin_ids()
    known = known_names()
    for entry in entries:
        _fault_problems(file, entry, ids, known)
    written = {e.value.id for e in entries}
    for entry in entries:
        if entry.value.id not in set(registered):
            file.report(
                (*entry.loc, "id"),
                f"{entry.value.id}: no effect is registered for this fault (capsa.sim.effects)",
            )
    for name in sorted(set(registered) - written):
        file.report(("faults",), f"effect {name!r} is registered but no fault has that id")
    file.raise_problems()
    assert parsed is not None
    return FaultCatalogue((e.value for e in entries), parsed.scales, file.path)


def _registered() -> list[str]:
    return list(EFFECTS)


@cache
def load_faults() -> FaultCatalogue:
    """The shipped fault catalogue (parsed once per process)."""
    file = DataFile.builtin("capsa.sim", "data", "faults.yaml", what=_NOT_A_MAPPING)
    return _catalogue(file, _registered())


def parse_faults(
    text: str, display: str = "<faults>", registered: Iterable[str] | None = None
) -> FaultCatalogue:
    """Parse catalogue text; every problem is raised together as an InputError."""
    file = DataFile.parse(display, text, what=_NOT_A_MAPPING)
    return _catalogue(file, _registered() if registered is None else registered)


def load_fault_file(path: str | Path) -> FaultCatalogue:
    file = DataFile.load(path, what=_NOT_A_MAPPING, noun="fault catalogue")
    return _catalogue(file, _registered())


FaultsById = Mapping[str, Fault]
