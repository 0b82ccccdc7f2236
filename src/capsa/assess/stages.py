"""The real pipeline stages behind `capsa assess`.

Threats (catalogue, tracking decisions, the engine's candidates) come from
`capsa.threats.service`; evidence from `capsa.scan` (suppressions included); attack
paths from `capsa.graph.service`; repository evidence from the repository checks
(`capsa.assess.repository_checks`) over the governance files
(`capsa.sources.repository`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from capsa.assess.convert import (
    check_summary,
    cut_entries,
    finding_record,
    live_check_summary,
    outcome,
    path_record,
    problem,
    uncuttable_routes,
)
from capsa.assess.fmea_stage import fmea_stage
from capsa.assess.model import (
    CandidateThreat,
    CheckOutcome,
    InputProblem,
    TrackingDecision,
)
from capsa.assess.pipeline import (
    AssessRequest,
    PathStage,
    RepositoryStage,
    ScanStage,
    Stages,
    ThreatStage,
)
from capsa.assess.repository_checks import run_repository_checks
from capsa.assess.status import MitigationInput, ThreatInput
from capsa.checks.findings import CheckResult
from capsa.errors import InputError, Problem
from capsa.examples import demo_path
from capsa.graph.service import attack_paths, from_scan, threat_exposure
from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.scan.locations import rebased
from capsa.scan.selection import expand_skipping, without_excluded
from capsa.scan.service import ScanRequest, scan
from capsa.sources.repository import read_governance
from capsa.sources.root import scan_root
from capsa.threats.service import assess_threats
from capsa.threats.tracking import TrackingEntry

# --- threats ---------------------------------------------------------------------------


def _tracking(entry: TrackingEntry | None) -> TrackingDecision | None:
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
    # By reference, not the loaded model: the threats service applies the built-in
    # catalogue to builtin:capi-aws (and models extending it), which it tells by the ref.
    # Checks are linked to mitigations later, from each check's own `mitigation`.
    report = assess_threats(request.model, tracking=request.tracking)
    known = {m.id: m for t in report.catalogue.threats for m in t.mitigations}
    same = report.catalogue.same_control()
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
                    status_in_2022=known[m.id].status_in2022 if m.id in known else "",
                    carrier=known[m.id].carrier.value if m.id in known else "deployment",
                    same_as=tuple(sorted(same.get(m.id, frozenset()) - {m.id})),
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
            severity=g.severity,
            mitigated_in_model=g.mitigated,
        )
        for g in report.generated
        if g.id in wanted
    ]
    return ThreatStage(
        threats=threats,
        candidates=candidates,
        warnings=[problem(w) for w in report.warnings],
    )


# --- scan ------------------------------------------------------------------------------


_ALL_SKIPPED = "every file was skipped by --skip-path"


def scan_stage(request: AssessRequest, paths: Sequence[str]) -> ScanStage:
    """The shared scan (suppressions included), converted to the Assessment's records:
    the files --skip-path leaves out are not read, and the checks the selection leaves out
    count as not run (the attack paths see no evidence of theirs either)."""
    today = request.now.date() if request.now is not None else None
    selection = request.selection
    root = scan_root(paths, request.root)
    read, skip_problems, skipped = list(paths), list[Problem](), 0
    if selection.skip_paths and paths:
        read, skip_problems, skipped = expand_skipping(paths, selection.skip_paths)
        if not read and not request.cluster and request.aws is None:
            raise InputError([*skip_problems, Problem("inputs", None, None, _ALL_SKIPPED)])
    result = scan(
        ScanRequest(
            paths=read,
            root=None if root is None else str(root),
            variables=dict(request.variables),
            vars_files=list(request.vars_files),
            ignore_file=request.ignore_file,
            cluster=request.cluster,
            kubeconfig=request.kubeconfig,
            context=request.context,
            namespaces=list(request.namespaces),
            cluster_timeout=request.cluster_timeout,
            today=today,
            aws=request.aws,
            keep_topology=False,  # grouped: memory follows a group; paths and FMEA read
            keep_clusters=True,  # only the clusters' views
        )
    )
    if result.unusable:
        found = list(result.errors) or [Problem("inputs", None, None, "nothing could be read")]
        raise InputError(found)
    result = without_excluded(result, selection)
    result = replace(result, errors=(*skip_problems, *result.errors))
    shown = rebased(result)  # the records are portable; the graph reads the real paths
    stage = ScanStage(
        findings=[finding_record(f) for f in shown.findings],
        passes=_in_check_order(shown.passes),
        unknown=_in_check_order(shown.unknown),
        checks=[
            *(check_summary(c) for c in result.checks),
            *(check_summary(c) for c in result.cloud_checks),
            *(live_check_summary(c) for c in result.live_checks),
        ],
        errors=[problem(p) for p in result.errors],
        resources=result.summary.resources,
        result=result,
        not_applicable=_in_check_order(shown.not_applicable),
        skipped_files=skipped,
    )
    return stage


def _in_check_order(results: Sequence[CheckResult]) -> list[CheckOutcome]:
    """Results by check, then file, line and resource, then what else tells them apart:
    a scan lists them as it evaluated them, which depends on how it grouped the input
    (findings it sorts already). A total order, so both scans give one list: copies of a
    class's templates for two same-named Clusters share a place and differ only in the
    reasons their results give."""

    def place(result: CheckResult) -> tuple[str | int, ...]:
        where, what = result.location, result.resource
        return (
            result.check_id,
            where.path,
            where.line or 0,
            where.carrier or "",
            what.kind,
            what.namespace or "",
            what.name,
            what.api_version,
            result.reason or "",
            result.by_default or "",
        )

    return [outcome(r) for r in sorted(results, key=place)]


# --- attack paths ----------------------------------------------------------------------


def path_stage(model: SystemModel, scan: ScanStage) -> PathStage:
    """Build the attack graph from the evaluated deployment, then rank paths and cut."""
    if scan.result is None:
        return PathStage(not_searched=("no deployment was scanned",))
    if scan.result.clusters is None:
        why = "the scan kept no clusters to build a graph from"
        return PathStage(errors=[_no_paths(why)], not_searched=(why,))
    found = attack_paths(from_scan(scan.result), model=model)
    report = found.report
    return PathStage(
        paths=[path_record(p, _as_shown) for p in report.paths],  # relative to the root
        cut=cut_entries(report.cut),
        uncuttable=uncuttable_routes(report.cut),
        open_techniques=threat_exposure(found),
        open_routes=dict(report.route_examples),
        not_searched=() if report.searched else report.not_searched,
    )


def _as_shown(path: str) -> str:
    return path


def _no_paths(message: str) -> InputProblem:
    return InputProblem(path="capsa.graph", message=message)


# --- repository ------------------------------------------------------------------------


def repository_stage(request: AssessRequest, now: datetime) -> RepositoryStage:
    """The repository checks' results on `--repo` (nothing without it)."""
    if not request.repo:
        return RepositoryStage()
    facts = read_governance(request.repo)
    results = run_repository_checks(facts, now)
    return RepositoryStage(
        findings=results.findings,
        passes=results.passes,
        unknown=results.unknown,
        not_applicable=results.not_applicable,
        checks=results.checks,
        errors=[problem(p) for p in results.problems],
    )


def _example_paths() -> list[str]:
    return [str(demo_path())]


def default_stages() -> Stages:
    return Stages(
        load_model=load_model,
        threats=threat_stage,
        scan=scan_stage,
        paths=path_stage,
        repository=repository_stage,
        example_paths=_example_paths,
        fmea=fmea_stage,
    )
