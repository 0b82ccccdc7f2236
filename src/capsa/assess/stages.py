"""The real pipeline stages behind `capsa assess`, each importing its engine when it runs.

Threats (catalogue, tracking decisions, the engine's candidates) come from
`capsa.threats.service`; evidence from `capsa.assess.scan_service` (suppressions
included); attack paths from `capsa.graph.service`; project gaps from the repository's
governance files (`capsa.sources.repository`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from capsa.assess.model import CandidateThreat, InputProblem, ProjectGap, TrackingDecision
from capsa.assess.service import AssessRequest, PathStage, ScanStage, Stages, ThreatStage
from capsa.assess.status import MitigationInput, ThreatInput
from capsa.errors import InputError, Problem
from capsa.model.types import SystemModel

# --- threats ---------------------------------------------------------------------------


def _tracking(entry: Any) -> TrackingDecision | None:
    if entry is None:
        return None
    when = f" ({entry.date.isoformat()})" if entry.date else ""
    return TrackingDecision(
        decision=str(entry.decision.value),
        owner=entry.reviewer,
        reference=entry.ticket,
        note=entry.justification + when,
    )


def threat_stage(model: SystemModel, request: AssessRequest) -> ThreatStage:
    """Catalogue threats with their checks attached, tracking decisions and the engine's
    candidates (generated threats the catalogue does not cover)."""
    from capsa.threats.service import assess_threats

    # By reference, not the loaded model: the threats service applies the built-in
    # catalogue to builtin:capi-aws (and models extending it), which it tells by the ref.
    # Checks are linked to mitigations later, from each check's own `mitigation`.
    report = assess_threats(request.model, tracking=request.tracking)
    in_2022 = {m.id: m.status_in2022 for t in report.catalogue.threats for m in t.mitigations}
    threats = [
        ThreatInput(
            id=t.id,
            category=t.category,
            title=t.title,
            description=t.description,
            elements=tuple(t.elements),
            flows=tuple(t.flows),
            assets=tuple(t.assets),
            mitigations=tuple(
                MitigationInput(
                    id=m.id,
                    text=m.text,
                    upstream_status=m.upstream_status,
                    status_note=m.status_note,
                    checks=tuple(m.checks),
                    status_in_2022=in_2022.get(m.id, ""),
                )
                for m in t.mitigations
            ),
            tracking=_tracking(t.tracking),
        )
        for t in report.catalogue_threats
    ]
    wanted = set(report.candidates)
    candidates = [
        CandidateThreat(
            id=g.id,
            rule=g.rule,
            category=g.category,
            title=g.title,
            description=g.why,
            targets=[g.subject],
        )
        for g in report.generated
        if g.id in wanted
    ]
    gap_text = {t.id: (t.title, t.description) for t in report.catalogue.threats if not t.is_stride}
    return ThreatStage(
        threats=threats,
        candidates=candidates,
        gap_text=gap_text,
        warnings=[_problem(w) for w in report.warnings],
    )


def _problem(item: Problem) -> InputProblem:
    return InputProblem(path=item.path, line=item.line, column=item.column, message=item.message)


# --- scan ------------------------------------------------------------------------------


def _display_roots() -> list[Path]:
    """Folders shown relative: the bundled example's parent, then the working directory."""
    from capsa.examples import demo_path

    return [demo_path().parent, Path.cwd()]


def short_path(path: str, roots: Sequence[Path] | None = None) -> str:
    """A manifest path relative to where the user is, so reports are portable."""
    if "://" in path or not path:
        return path
    absolute = Path(path).absolute()
    for root in roots if roots is not None else _display_roots():
        if absolute.is_relative_to(root):
            return absolute.relative_to(root).as_posix()
    return path


def _shorten(stage: ScanStage) -> ScanStage:
    roots = _display_roots()

    def fix_location(item: Any) -> Any:
        if item.location is None:
            return item
        location = item.location.model_copy(update={"path": short_path(item.location.path, roots)})
        return item.model_copy(update={"location": location})

    return replace(
        stage,
        findings=[fix_location(f) for f in stage.findings],
        passes=[fix_location(p) for p in stage.passes],
        unknown=[fix_location(u) for u in stage.unknown],
        errors=[e.model_copy(update={"path": short_path(e.path, roots)}) for e in stage.errors],
    )


def scan_stage(request: AssessRequest, paths: Sequence[str]) -> ScanStage:
    """The shared scan (suppressions included), converted to the Assessment's records."""
    from capsa.assess.convert import check_summary, finding_record, outcome, problem
    from capsa.assess.scan_service import ScanRequest, scan

    today = request.now.date() if request.now is not None else None
    result = scan(
        ScanRequest(
            paths=list(paths),
            variables=dict(request.variables),
            vars_files=[request.vars_file] if request.vars_file else [],
            ignore_file=request.ignore_file,
            cluster=request.cluster,
            kubeconfig=request.kubeconfig,
            context=request.context,
            namespaces=list(request.namespaces),
            today=today,
        )
    )
    if result.unusable:
        found = list(result.errors) or [Problem("inputs", None, None, "nothing could be read")]
        raise InputError(found)
    stage = ScanStage(
        findings=[finding_record(f) for f in result.findings],
        passes=[outcome(p) for p in result.passes],
        unknown=[outcome(u) for u in result.unknown],
        checks=[check_summary(c) for c in result.checks],
        errors=[problem(p) for p in result.errors],
        resources=result.summary.resources,
        raw=(result, result.topology, result.checks),
    )
    return _shorten(stage)


# --- attack paths ----------------------------------------------------------------------


def path_stage(model: SystemModel, scan: ScanStage) -> PathStage:
    """Build the attack graph from the evaluated deployment, then rank paths and cut."""
    if scan.raw is None:
        return PathStage()
    result, topology, checks = scan.raw
    if topology is None:
        return PathStage(errors=[_no_paths("the scan gave no topology to build a graph from")])
    from capsa.graph.service import attack_paths, scan_from_result

    found = attack_paths(scan_from_result(result, topology, checks), model=model)
    return PathStage(paths=_paths(found.report.paths), cut=_cut(found.report))


def _no_paths(message: str) -> InputProblem:
    return InputProblem(path="capsa.graph", message=message)


def _paths(paths: Sequence[Any]) -> list[Any]:
    from capsa.assess.convert import paths_from_json

    return paths_from_json(
        {
            "entry": p.entry,
            "target": p.target,
            "score": p.score,
            "clusters": list(p.clusters),
            "steps": [
                {
                    "from": s.source,
                    "to": s.target,
                    "technique": s.technique,
                    "threats": list(s.threats),
                    "blocked_by": list(s.blocked_by),
                    "evidence": [_ref_text(r) for r in s.refs] or [str(s.status)],
                }
                for s in p.steps
            ],
        }
        for p in paths
    )


def _ref_text(ref: Any) -> str:
    verdict = "passed" if ref.passed else "failed"
    where = f" at {short_path(ref.location)}" if ref.location else ""
    return f"{ref.check_id} {verdict} on {ref.resource}{where}"


def _cut(report: Any) -> list[Any]:
    from capsa.assess.convert import cut_from_json

    return cut_from_json(
        {"mitigation": m.mitigation, "checks": list(m.checks), "paths_cut": len(m.paths_cut)}
        for m in report.cut.mitigations
    )


# --- project gaps ----------------------------------------------------------------------


def gap_stage(
    request: AssessRequest, now: datetime, text: Mapping[str, tuple[str, str]]
) -> list[ProjectGap]:
    from capsa.assess.gaps import project_gaps

    facts = None
    if request.repo:
        from capsa.sources.repository import read_governance

        facts = read_governance(request.repo)
    return project_gaps(facts, now, dict(text))


def _example_paths() -> list[str]:
    from capsa.examples import demo_path

    return [str(demo_path())]


def _load_model(ref: str) -> SystemModel:
    from capsa.model.loader import load_model

    return load_model(ref)


def default_stages() -> Stages:
    return Stages(
        load_model=_load_model,
        threats=threat_stage,
        scan=scan_stage,
        paths=path_stage,
        gaps=gap_stage,
        example_paths=_example_paths,
    )
