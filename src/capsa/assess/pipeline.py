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
    UncuttableRoute,
)
from capsa.assess.status import ThreatInput
from capsa.model.types import SystemModel
from capsa.scan.result import ScanResult
from capsa.scan.selection import Selection
from capsa.sim.records import FmeaReport
from capsa.sources.aws.collect import AwsOptions

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
    vars_files: Sequence[str] = ()
    ignore_file: str | None = None
    tracking: str | None = None
    now: datetime | None = None
    aws: AwsOptions | None = None
    root: str | None = None  # locations relative to this (None: the folder the paths name)
    selection: Selection = field(default_factory=Selection)  # checks and files left out

    @property
    def uses_example(self) -> bool:
        return not self.paths and not self.cluster and self.aws is None


@dataclass(frozen=True)
class ThreatStage:
    threats: Sequence[ThreatInput]
    candidates: Sequence[CandidateThreat] = ()
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
    not_applicable: Sequence[CheckOutcome] = ()
    skipped_files: int = 0  # files --skip-path left unread


@dataclass(frozen=True)
class PathStage:
    """Ranked paths and the cut; the routes no checkable mitigation closes; and, per
    threat, the techniques realising it that lie on an open route."""

    paths: Sequence[PathRecord] = ()
    cut: Sequence[CutEntry] = ()
    errors: Sequence[InputProblem] = ()
    uncuttable: Sequence[UncuttableRoute] = ()
    open_techniques: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # technique -> one route using it, for techniques on no listed path
    open_routes: Mapping[str, str] = field(default_factory=dict)
    # why no search ran (no entry point or no target in the graph): empty when one did
    not_searched: Sequence[str] = ()


@dataclass(frozen=True)
class RepositoryStage:
    """The repository checks' results (none without --repo), recorded like the scan's."""

    findings: Sequence[FindingRecord] = ()
    passes: Sequence[CheckOutcome] = ()
    unknown: Sequence[CheckOutcome] = ()
    not_applicable: Sequence[CheckOutcome] = ()
    checks: Sequence[CheckSummary] = ()
    errors: Sequence[InputProblem] = ()


@dataclass(frozen=True)
class FmeaStage:
    """The flows under faults; None with the problems when the model's flows cannot run."""

    report: FmeaReport | None = None
    errors: Sequence[InputProblem] = ()


@dataclass(frozen=True)
class Stages:
    """The pipeline's steps. Each raises capsa.errors.InputError on unusable input."""

    load_model: Callable[[str], SystemModel]
    threats: Callable[[SystemModel, AssessRequest], ThreatStage]
    scan: Callable[[AssessRequest, Sequence[str]], ScanStage]
    paths: Callable[[SystemModel, ScanStage], PathStage]
    repository: Callable[[AssessRequest, datetime], RepositoryStage]
    example_paths: Callable[[], Sequence[str]]
    fmea: Callable[[SystemModel, AssessRequest, ScanStage], FmeaStage] | None = None
