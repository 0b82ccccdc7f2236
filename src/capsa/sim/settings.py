"""Deployment settings the simulator reads (data/settings.yaml), and their values.

A setting decides how a flow behaves under a fault: whether a machine that never joins is
ever deleted, how long a token stays valid. Its value comes from deployment evidence
(`capsa.sim.evidence`) or, without any, from the upstream default, marked assumed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Literal

from capsa.datafile import DataFile
from capsa.frozen import FrozenModel

_NOT_A_MAPPING = "a settings file must be a YAML mapping with a settings list"


class SettingType(StrEnum):
    BOOL = "bool"
    SECONDS = "seconds"


class OccurrenceShift(FrozenModel):
    """Raise a failure mode's occurrence when the setting sits above or below its default."""

    when: Literal["above-default", "below-default"]
    add: int


class SettingSpec(FrozenModel):
    id: str
    title: str
    type: SettingType
    default: bool | int
    default_basis: str
    decided_by: str
    decides: Literal["remediation", "remediation-cap"] | None = None
    safer: bool | None = None
    mitigation: str = ""
    occurrence: OccurrenceShift | None = None
    references: tuple[str, ...] = ()


class _File(FrozenModel):
    api_version: Literal["capsa.dev/v1alpha1"]
    kind: Literal["DeploymentSettings"]
    settings: tuple[SettingSpec, ...]


Source = Literal["evidence", "absent", "assumed"]


@dataclass(frozen=True)
class SettingValue:
    """One setting's value in one deployment scope, and what it rests on.

    `evidence`: read from an object among the inputs; `absent`: looked for among the
    inputs and not found (the inputs may not hold everything the cluster runs);
    `assumed`: no input could say, so the upstream default stands."""

    id: str
    value: bool | int
    source: Source
    basis: str

    @property
    def assumed(self) -> bool:
        return self.source == "assumed"

    def label(self) -> str:
        shown = ("yes" if self.value else "no") if isinstance(self.value, bool) else self.value
        return f"{self.id}={shown} ({self.source}: {self.basis})"


class SettingCatalogue:
    """The known settings by id."""

    def __init__(self, specs: Iterable[SettingSpec]) -> None:
        self.specs: dict[str, SettingSpec] = {s.id: s for s in specs}

    def default(self, setting_id: str) -> SettingValue:
        spec = self.specs[setting_id]
        return SettingValue(setting_id, spec.default, "assumed", spec.default_basis)

    def deciding(self, part: str) -> str | None:
        """The id of the setting that decides `part` (remediation, remediation-cap)."""
        return next((s.id for s in self.specs.values() if s.decides == part), None)

    def defaults(self) -> dict[str, SettingValue]:
        return {s: self.default(s) for s in self.specs}

    def shift(self, value: SettingValue) -> int:
        """How much the value moves the occurrence of a failure mode that consulted it."""
        spec = self.specs.get(value.id)
        if spec is None or spec.occurrence is None or isinstance(value.value, bool):
            return 0
        default = int(spec.default)
        above = value.value > default
        below = value.value < default
        if (spec.occurrence.when == "above-default" and above) or (
            spec.occurrence.when == "below-default" and below
        ):
            return spec.occurrence.add
        return 0


def _load(file: DataFile) -> SettingCatalogue:
    entries = file.entries(SettingSpec, ("settings",))
    file.validate(_File, file.with_entries({"settings": entries}))
    file.unique(entries, "setting id")
    for entry in entries:
        spec = entry.value
        kind_ok = isinstance(spec.default, bool) == (spec.type is SettingType.BOOL)
        if not kind_ok:
            file.report((*entry.loc, "default"), f"{spec.id}: default must be a {spec.type}")
        if spec.safer is not None and spec.type is not SettingType.BOOL:
            file.report((*entry.loc, "safer"), f"{spec.id}: only bool settings have a safer value")
        if spec.safer is not None and not spec.mitigation:
            file.report(
                (*entry.loc, "safer"), f"{spec.id}: a safer value needs its mitigation text"
            )
    file.raise_problems()
    return SettingCatalogue(e.value for e in entries)


@cache
def load_settings() -> SettingCatalogue:
    """The shipped settings (parsed once per process)."""
    return _load(DataFile.builtin("capsa.sim", "data", "settings.yaml", what=_NOT_A_MAPPING))


def parse_settings(text: str, display: str = "<settings>") -> SettingCatalogue:
    return _load(DataFile.parse(display, text, what=_NOT_A_MAPPING))


Settings = Mapping[str, SettingValue]
