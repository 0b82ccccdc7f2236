"""The FMEA as data: every failure mode with its scores and what they rest on.

`capsa fmea --format json` writes an `FmeaReport`; the Assessment carries the same value,
so a saved assessment.json re-renders its FMEA section without simulating again.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from capsa.frozen import FrozenModel
from capsa.sim.state import Outcome


class _Frozen(FrozenModel):
    model_config = ConfigDict(serialize_by_alias=True)


class SettingRecord(_Frozen):
    id: str
    value: bool | int
    source: Literal["evidence", "absent", "assumed"]
    basis: str


class ProfileRecord(_Frozen):
    """Deployment scopes (cluster and machine role) that share every setting value."""

    id: int
    role: str | None = None
    scopes: list[str] = Field(default_factory=list)
    settings: list[SettingRecord] = Field(default_factory=list)


class ResidueRecord(_Frozen):
    product: str
    kind: str
    asset: str | None = None
    step: str
    why: str
    orphan: bool = False
    threats: list[str] = Field(default_factory=list)


class CompromiseRecord(_Frozen):
    step: str
    input: str
    how: str
    checked_by: str = ""
    threats: list[str] = Field(default_factory=list)


class WhatIf(_Frozen):
    """The same failure mode with one setting at its safer value."""

    setting: str
    value: bool | int
    outcome: Outcome
    rpn: int
    mitigation: str


class FailureMode(_Frozen):
    id: str
    flow: str
    step: str
    step_flow: str
    description: str
    element: str | None = None
    fault: str
    case: str
    outcome: Outcome
    effect: str
    halted_at: str | None = None
    residue: list[ResidueRecord] = Field(default_factory=list)
    compromise: list[CompromiseRecord] = Field(default_factory=list)
    churn: list[str] = Field(default_factory=list)
    threats: list[str] = Field(default_factory=list)
    severity: int
    occurrence: int
    occurrence_basis: str
    assumed: bool = False
    decided_by: list[str] = Field(default_factory=list)
    detection: int
    detected_by: list[str] = Field(default_factory=list)
    rpn: int
    mitigations: list[str] = Field(default_factory=list)
    what_if: list[WhatIf] = Field(default_factory=list)
    profiles: list[int] = Field(default_factory=lambda: [1])
    notes: list[str] = Field(default_factory=list)


class FlowRecord(_Frozen):
    id: str
    name: str
    steps: int
    run_steps: int = Field(description="steps run, included flows' steps counted")
    described: int
    undescribed: list[str] = Field(default_factory=list)
    by_design: list[ResidueRecord] = Field(
        default_factory=list, description="what the flow leaves without any fault"
    )
    runs: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)


class FmeaReport(_Frozen):
    schema_: Literal["capsa/v1"] = Field("capsa/v1", alias="schema")
    kind: Literal["FMEA"] = "FMEA"
    model: str
    faults: list[str] = Field(default_factory=list)
    profiles: list[ProfileRecord] = Field(default_factory=list)
    flows: list[FlowRecord] = Field(default_factory=list)
    runs: int = 0
    modes: list[FailureMode] = Field(default_factory=list)

    def ranked(self, flow: str | None = None) -> list[FailureMode]:
        """Failure modes, highest risk priority first (ties: worse outcome, then id)."""
        chosen = [m for m in self.modes if flow is None or m.flow == flow]
        return sorted(chosen, key=lambda m: (-m.rpn, -m.outcome.rank, m.id))

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, by_alias=True) + "\n"
