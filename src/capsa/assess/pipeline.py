"""The assessment's request and the typed values its stages hand to the orchestrator.

Apart from `service` (which runs the stages) and `stages` (the real ones), so both
import these types and neither imports the other's module back; test fakes build the
same values without the engines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from capsa.assess.model import (
    CandidateThreat,
    CheckOutcome,
    CheckSummary,
    CutEntry,
    FindingRecord,
    InputProblem,
    PathRecord,
    ProjectGap,
)
from capsa.assess.status import ThreatInput
from capsa.model.types import SystemModel
from capsa.scan.result import ScanResult

Progress = Callable[[str], None]


@dataclass(frozen=True)
class AssessRequest:
    """What to assess. No paths and no cluster means the bundled example deployment."""

    paths: Sequence[str] = ()
    model: str = "builtin:capi-aws"
    cluster: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    namespaces: Sequence[str] = ()
    cluster_timeout: float | None = None
    repo: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    vars_file: str | None = None
    ignore_file: str | None = None
    tracking: str | None = None
    now: datetime | None = None

    @property
    def uses_example(self) -> bool:
        return not self.paths and not self.cluster


@dataclass(frozen=True)
class ThreatStage:
    threats: Sequence[ThreatInput]
    candidates: Sequence[CandidateThreat] = ()
    gap_text: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    warnings: Sequence[InputProblem] = ()


@dataclass(frozen=True)
class ScanStage:
    """The scan as the Assessment records it, plus the scan's own result, which the
    attack-path stage turns into evidence (None when a fake stage has no real scan)."""

    findings: Sequence[FindingRecord] = ()
    passes: Sequence[CheckOutcome] = ()
    unknown: Sequence[CheckOutcome] = ()
    checks: Sequence[CheckSummary] = ()
    errors: Sequence[InputProblem] = ()
    resources: int = 0
    result: ScanResult | None = None


@dataclass(frozen=True)
class PathStage:
    paths: Sequence[PathRecord] = ()
    cut: Sequence[CutEntry] = ()
    errors: Sequence[InputProblem] = ()


@dataclass(frozen=True)
class Stages:
    """The pipeline's steps. Each raises capsa.errors.InputError on unusable input."""

    load_model: Callable[[str], SystemModel]
    threats: Callable[[SystemModel, AssessRequest], ThreatStage]
    scan: Callable[[AssessRequest, Sequence[str]], ScanStage]
    paths: Callable[[SystemModel, ScanStage], PathStage]
    gaps: Callable[[AssessRequest, datetime, Mapping[str, tuple[str, str]]], list[ProjectGap]]
    example_paths: Callable[[], Sequence[str]]
