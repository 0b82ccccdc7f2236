"""Decisions a team records about threats, kept in `capsa-tracking.yaml` beside the model.

Patterns are anchored globs over the whole threat id (`STRIDE-DOS-*`, `rule@*`). An entry
that matches no threat is an error by default: it is usually a typo or a threat that no
longer exists, and a silent stale decision is worse than a loud one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import model_validator

from capsa.datafile import DataFile
from capsa.errors import Problem
from capsa.frozen import FrozenModel

TRACKING_FILE = "capsa-tracking.yaml"


class Decision(StrEnum):
    OPEN = "open"
    MITIGATED = "mitigated"
    ACCEPTED = "accepted"
    TRANSFERRED = "transferred"
    FALSE_POSITIVE = "false-positive"


class TrackingEntry(FrozenModel):
    threat: str
    decision: Decision
    justification: str = ""
    ticket: str = ""
    date: dt.date | None = None
    reviewer: str = ""

    @model_validator(mode="after")
    def _closed_needs_reason(self) -> TrackingEntry:
        if self.decision is not Decision.OPEN and not self.justification.strip():
            raise ValueError(f"a {self.decision.value!r} decision needs a justification")
        return self


class TrackingFile(FrozenModel):
    api_version: Literal["capsa.dev/v1alpha1"]
    kind: Literal["ThreatTracking"]
    decisions: tuple[TrackingEntry, ...] = ()


@dataclass(frozen=True)
class Tracking:
    """A loaded tracking file: entries and where each one is written."""

    path: str
    entries: tuple[TrackingEntry, ...]
    lines: tuple[tuple[int | None, int | None], ...]

    def decision_for(self, threat_id: str) -> TrackingEntry | None:
        """The exact entry for a threat, else the first pattern that matches it."""
        exact = next((e for e in self.entries if e.threat == threat_id), None)
        if exact is not None:
            return exact
        return next((e for e in self.entries if fnmatchcase(threat_id, e.threat)), None)

    def orphans(self, threat_ids: Iterable[str]) -> list[Problem]:
        """Entries that match none of the given threat ids."""
        ids = list(threat_ids)
        problems = []
        for entry, (line, col) in zip(self.entries, self.lines, strict=True):
            if not any(fnmatchcase(t, entry.threat) for t in ids):
                problems.append(
                    Problem(
                        self.path, line, col, f"tracking entry {entry.threat!r} matches no threat"
                    )
                )
        return problems


def default_tracking_path(model_ref: str) -> Path | None:
    """`capsa-tracking.yaml` next to a model file, when there is one."""
    if model_ref.startswith("builtin:"):
        return None
    candidate = Path(model_ref).parent / TRACKING_FILE
    return candidate if candidate.is_file() else None


def load_tracking(path: Path | str) -> Tracking:
    """Read and validate a tracking file; raise InputError with file:line on any problem."""
    file = DataFile.load(
        path,
        what="a tracking file must be a YAML mapping with apiVersion, kind and decisions",
        noun="tracking file",
    )
    entries = file.entries(TrackingEntry, ("decisions",), required=False)
    file.validate(TrackingFile, file.with_entries({"decisions": entries}))
    file.raise_problems()
    lines = tuple(file.position(e.loc) for e in entries)
    return Tracking(file.path, tuple(e.value for e in entries), lines)
