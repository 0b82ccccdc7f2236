"""`assess(request)`: model → threats → scan → paths → one Assessment.

The stages are passed in (`Stages`), so the orchestration and the status rules are tested
with small fakes, and the CLI uses `capsa.assess.stages.default_stages()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from capsa import __version__
from capsa.assess.model import (
    Assessment,
    AttackPath,
    CandidateThreat,
    CheckOutcome,
    CheckSummary,
    CutEntry,
    FindingRecord,
    InputProblem,
    Inputs,
    ProjectGap,
)
from capsa.assess.status import Evidence, ThreatInput, assess_threat
from capsa.assess.summary import summarize, summarize_checks
from capsa.model.types import SystemModel

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
    findings: Sequence[FindingRecord] = ()
    passes: Sequence[CheckOutcome] = ()
    unknown: Sequence[CheckOutcome] = ()
    checks: Sequence[CheckSummary] = ()
    errors: Sequence[InputProblem] = ()
    resources: int = 0
    raw: Any = None  # the engine's own result, for the attack-path stage


@dataclass(frozen=True)
class PathStage:
    paths: Sequence[AttackPath] = ()
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


def _inputs(request: AssessRequest, paths: Sequence[str]) -> Inputs:
    return Inputs(
        paths=list(request.paths),
        model=request.model,
        cluster=(request.context or "") if request.cluster else None,
        repo=request.repo,
        variables=sorted(request.variables),
        vars_file=request.vars_file,
        ignore_file=request.ignore_file,
        tracking=request.tracking,
        example=request.uses_example and bool(paths),
    )


def assess(
    request: AssessRequest, stages: Stages | None = None, progress: Progress | None = None
) -> Assessment:
    if stages is None:
        from capsa.assess.stages import default_stages

        stages = default_stages()
    tell = progress or (lambda _step: None)
    now = request.now or datetime.now(UTC)

    tell("model")
    model = stages.load_model(request.model)
    tell("threats")
    threat_stage = stages.threats(model, request)
    tell("scan")
    paths = list(request.paths) or (list(stages.example_paths()) if request.uses_example else [])
    scan = stages.scan(request, paths)
    tell("paths")
    path_stage = stages.paths(model, scan)
    tell("gaps")
    gaps = stages.gaps(request, now, threat_stage.gap_text)

    evidence = Evidence(
        findings=scan.findings,
        passes=scan.passes,
        unknown=scan.unknown,
        check_mitigation={c.id: c.mitigation for c in scan.checks},
    )
    threats = [assess_threat(t, evidence) for t in threat_stage.threats]
    errors = [*threat_stage.warnings, *scan.errors, *path_stage.errors]
    tell("assessment")
    return Assessment(
        capsa_version=__version__,
        generated_at=now,
        inputs=_inputs(request, paths),
        model=model,
        threats=threats,
        checks=summarize_checks(scan.checks, scan.findings, scan.passes, scan.unknown),
        findings=list(scan.findings),
        passes=list(scan.passes),
        unknown=list(scan.unknown),
        gaps=gaps,
        candidates=list(threat_stage.candidates),
        paths=list(path_stage.paths),
        cut=list(path_stage.cut),
        errors=errors,
        summary=summarize(
            threats,
            scan.findings,
            scan.passes,
            scan.unknown,
            path_stage.paths,
            path_stage.cut,
            errors,
            scan.resources,
        ),
    )
