"""`assess(request)`: model → threats → scan → paths → repository → one Assessment.

The stages are passed in (`Stages`, see `capsa.assess.pipeline`), so the orchestration
and the status rules are tested with small fakes; without them the real stages run
(`capsa.assess.stages.default_stages()`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from capsa import __version__
from capsa.assess.gaps import project_gaps
from capsa.assess.model import Assessment, CheckSummary, InputProblem, Inputs
from capsa.assess.pipeline import AssessRequest, Progress, ScanStage, Stages
from capsa.assess.providers import provider_note
from capsa.assess.stages import default_stages
from capsa.assess.status import Evidence, ThreatInput, assess_threat
from capsa.assess.summary import summarize, summarize_checks
from capsa.model.loader import BUILTIN_PREFIX
from capsa.model.types import SystemModel
from capsa.scan.selection import Selection
from capsa.sources.root import shown_path

_NO_EVIDENCE = (
    "no manifests, cluster or cloud account were given, and the bundled example deploys "
    "Cluster API on AWS, which this model does not describe: no check ran (give the "
    "system's manifests, --cluster or --aws)"
)


def _path_threats() -> frozenset[str]:
    """The threats some attack technique realises: a search that did not run leaves
    only these undecided."""
    from capsa.graph.techniques import load_techniques

    return frozenset(t for technique in load_techniques().techniques for t in technique.threats)


def describes_the_example(model: SystemModel) -> bool:
    """Whether the bundled example (Cluster API on AWS) is evidence about `model`: the
    attack graph built from the model on a generic cluster has an entry point and a
    target (one shared id, such as `internet`, is not enough). A model of another
    system assessed with no input judges nothing rather than the example."""
    from capsa.graph.build import build_graph
    from capsa.graph.deployment import generic
    from capsa.graph.search import default_entries, default_targets
    from capsa.graph.service import model_ids
    from capsa.graph.techniques import load_techniques

    graph = build_graph(load_techniques(), generic(), model_ids=model_ids(model))
    return bool(default_entries(graph)) and bool(default_targets(graph))


def _inputs(request: AssessRequest, paths: Sequence[str]) -> Inputs:
    return Inputs(
        paths=list(request.paths),
        model=request.model,
        cluster=(request.context or "") if request.cluster else None,
        repo=request.repo,
        variables=sorted(request.variables),
        vars_files=list(request.vars_files),
        selection=request.selection.described(),
        ignore_file=request.ignore_file,
        tracking=request.tracking,
        example=request.uses_example and bool(paths),
    )


def _from_scan(inputs: Inputs, scan: ScanStage) -> Inputs:
    """The scan root, the cloud sources the scan read or (once) why the cloud checks did
    not run, and what the model does not describe of the clusters read."""
    result = scan.result
    if result is None:
        return inputs
    sources = [f.source for f in result.cloud_sources]
    root = shown_path(Path(result.root)) if result.root and not inputs.example else None
    providers = provider_note(inputs.model, result.clusters)
    return inputs.model_copy(
        update={
            "root": root,
            "cloud": sources,
            "cloud_note": result.cloud_note,
            "provider_note": providers,
        }
    )


def _excluded(
    selection: Selection, checks: Sequence[CheckSummary], threats: Sequence[ThreatInput]
) -> dict[str, str]:
    """Every check the selection leaves out -> the option that did: those that ran (by id
    or severity) and those the catalogue's mitigations name (by id)."""
    if selection.empty:
        return {}
    out: dict[str, str] = {}
    for check in checks:
        why = selection.excluded_by(check.id, check.severity.value)
        if why is not None:
            out[check.id] = why
    for threat in threats:
        for mitigation in threat.mitigations:
            for check_id in mitigation.checks:
                why = selection.excluded_by(check_id, None)
                if check_id not in out and why is not None:
                    out[check_id] = why
    return out


def assess(
    request: AssessRequest, stages: Stages | None = None, progress: Progress | None = None
) -> Assessment:
    if stages is None:
        stages = default_stages()
    tell = progress or (lambda _step: None)
    now = request.now or datetime.now(UTC)

    tell("model")
    model = stages.load_model(request.model)
    tell("threats")
    threat_stage = stages.threats(model, request)
    tell("scan")
    example = request.uses_example and (
        request.model.startswith(BUILTIN_PREFIX) or describes_the_example(model)
    )
    paths = list(request.paths) or (list(stages.example_paths()) if example else [])
    judged_nothing = request.uses_example and not example
    if judged_nothing:
        scan = ScanStage(errors=[InputProblem(path="inputs", message=_NO_EVIDENCE)])
    else:
        scan = stages.scan(request, paths)
    tell("paths")
    path_stage = stages.paths(model, scan)
    tell("repository")
    repository = stages.repository(request, now)
    fmea = stages.fmea(model, request, scan) if stages.fmea is not None else None

    every_check = [*scan.checks, *repository.checks]
    excluded = _excluded(request.selection, every_check, threat_stage.threats)
    findings = [f for f in (*scan.findings, *repository.findings) if f.check_id not in excluded]
    passes = [p for p in (*scan.passes, *repository.passes) if p.check_id not in excluded]
    unknown = [u for u in (*scan.unknown, *repository.unknown) if u.check_id not in excluded]
    not_applicable = [
        n for n in (*scan.not_applicable, *repository.not_applicable) if n.check_id not in excluded
    ]
    checks = [c for c in every_check if c.id not in excluded]
    evidence = Evidence(
        excluded=excluded,
        findings=findings,
        passes=passes,
        unknown=unknown,
        not_applicable=not_applicable,
        checks=every_check,
        carriers=frozenset({"deployment", "project"} if request.repo else {"deployment"}),
        open_techniques=path_stage.open_techniques,
        open_routes=path_stage.open_routes,
        paths_not_searched=path_stage.not_searched,
        path_threats=_path_threats(),
    )
    threats = [assess_threat(t, evidence) for t in threat_stage.threats]
    errors = [*threat_stage.warnings, *scan.errors, *path_stage.errors, *repository.errors]
    errors.extend(fmea.errors if fmea is not None else ())
    tell("assessment")
    return Assessment(
        capsa_version=__version__,
        generated_at=now,
        inputs=_from_scan(_inputs(request, paths), scan).model_copy(
            update={"excluded_checks": sorted(excluded), "skipped_files": scan.skipped_files}
        ),
        model=model,
        threats=threats,
        checks=summarize_checks(checks, findings, passes, unknown, not_applicable),
        findings=findings,
        passes=passes,
        unknown=unknown,
        not_applicable=not_applicable,
        gaps=project_gaps(threats, checks, findings),
        candidates=list(threat_stage.candidates),
        paths=list(path_stage.paths),
        cut=list(path_stage.cut),
        uncuttable=list(path_stage.uncuttable),
        errors=errors,
        fmea=fmea.report if fmea is not None else None,
        summary=summarize(
            threats,
            findings,
            passes,
            unknown,
            path_stage.paths,
            path_stage.cut,
            errors,
            scan.resources,
            not_applicable=not_applicable,
            uncuttable=path_stage.uncuttable,
            not_searched=path_stage.not_searched,
        ).model_copy(update={"judged_nothing": judged_nothing}),
    )
