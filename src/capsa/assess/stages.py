"""The real pipeline stages behind `capsa assess`, each importing its engine when it runs.

Threats come from the catalogue (plus the engine's candidates and tracking decisions when
`capsa.threats.service` is installed); evidence comes from `capsa.assess.scan_service`
when present, else straight from the file/cluster readers and the check engine; attack
paths from `capsa.graph`; project gaps from the repository's governance files.
"""

from __future__ import annotations

import importlib
import importlib.util
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


def _optional(module: str) -> Any | None:
    """Import a pipeline module that other work may not have installed yet."""
    if importlib.util.find_spec(module) is None:
        return None
    return importlib.import_module(module)


# --- threats ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    raw = getattr(value, "value", value)
    return "" if raw is None else str(raw)


def _tracking(raw: Any) -> TrackingDecision | None:
    if raw is None:
        return None
    return TrackingDecision(
        decision=_text(getattr(raw, "decision", raw)),
        owner=_text(getattr(raw, "owner", "")),
        reference=_text(getattr(raw, "reference", "") or getattr(raw, "issue", "")),
        note=_text(getattr(raw, "note", "") or getattr(raw, "reason", "")),
    )


def _candidate(raw: Any) -> CandidateThreat:
    targets = getattr(raw, "targets", None) or (
        [*getattr(raw, "elements", ()), *getattr(raw, "flows", ())]
    )
    return CandidateThreat(
        id=_text(getattr(raw, "id", "")),
        rule=_text(getattr(raw, "rule", "") or getattr(raw, "rule_id", "")),
        category=_text(getattr(raw, "category", "")),
        title=_text(getattr(raw, "title", "")),
        description=_text(getattr(raw, "description", "")),
        targets=[_text(t) for t in targets],
    )


def threat_stage(model: SystemModel, request: AssessRequest) -> ThreatStage:
    from capsa.threats.catalogue import load_catalogue

    catalogue = load_catalogue(model)
    service = _optional("capsa.threats.service")
    decisions: dict[str, TrackingDecision] = {}
    candidates: list[CandidateThreat] = []
    if service is not None:
        report = service.assess_threats(model, tracking=request.tracking)
        candidates = [_candidate(c) for c in getattr(report, "candidates", ()) or ()]
        for item in getattr(report, "tracking", None) or ():
            decision = _tracking(item)
            threat_id = _text(getattr(item, "threat", "") or getattr(item, "id", ""))
            if decision is not None and threat_id:
                decisions[threat_id] = decision
    elif request.tracking:
        message = "tracking decisions need capsa.threats.service, which is not installed"
        raise InputError([Problem(request.tracking, None, None, message)])
    threats = [
        ThreatInput(
            id=t.id,
            category=t.category.value,
            title=t.title,
            description=t.description,
            elements=tuple(t.elements),
            flows=tuple(t.flows),
            assets=tuple(t.assets),
            mitigations=tuple(
                MitigationInput(
                    id=m.id,
                    text=m.text,
                    upstream_status=m.upstream_status.value,
                    status_note=m.status_note,
                    checks=tuple(m.checks),
                    status_in_2022=m.status_in2022,
                )
                for m in t.mitigations
            ),
            tracking=decisions.get(t.id),
        )
        for t in catalogue.threats
    ]
    gap_text = {t.id: (t.title, t.description) for t in catalogue.threats if not t.is_stride}
    return ThreatStage(threats=threats, candidates=candidates, gap_text=gap_text)


# --- scan ------------------------------------------------------------------------------


def _variables(request: AssessRequest) -> dict[str, str]:
    """--vars-file (a clusterctl-style YAML mapping) overridden by --var K=V."""
    values: dict[str, str] = {}
    if request.vars_file:
        import yaml

        try:
            with open(request.vars_file, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as exc:
            raise InputError([Problem(request.vars_file, None, None, str(exc))]) from None
        if data is not None and not isinstance(data, dict):
            message = "a variables file must be a mapping of NAME: value"
            raise InputError([Problem(request.vars_file, 1, 1, message)])
        values.update({str(k): "" if v is None else str(v) for k, v in (data or {}).items()})
    values.update(request.variables)
    return values


def _display_root(request: AssessRequest) -> list[Path]:
    """Folders that finding paths are shown relative to (cwd, and the example's parent)."""
    roots = [Path.cwd()]
    if request.uses_example:
        from capsa.examples import demo_path

        roots.insert(0, demo_path().parent)
    return roots


def _shorten(stage: ScanStage, roots: Sequence[Path]) -> ScanStage:
    """Show manifest paths relative to where the user is, so reports are portable."""

    def short(path: str) -> str:
        if "://" in path:
            return path
        absolute = Path(path).absolute()
        for root in roots:
            if absolute.is_relative_to(root):
                return absolute.relative_to(root).as_posix()
        return path

    def fix_location(item: Any) -> Any:
        if item.location is None:
            return item
        location = item.location.model_copy(update={"path": short(item.location.path)})
        return item.model_copy(update={"location": location})

    return replace(
        stage,
        findings=[fix_location(f) for f in stage.findings],
        passes=[fix_location(p) for p in stage.passes],
        unknown=[fix_location(u) for u in stage.unknown],
        errors=[e.model_copy(update={"path": short(e.path)}) for e in stage.errors],
    )


def _direct_scan(request: AssessRequest, paths: Sequence[str]) -> ScanStage:
    """Read, resolve topology, evaluate every check: the scan without suppressions."""
    from capsa.assess.convert import check_summary, finding_record, outcome, problem
    from capsa.capi.topology import build_topology
    from capsa.checks.catalog import load_checks
    from capsa.checks.engine import evaluate
    from capsa.sources.files import read_manifests

    if request.ignore_file:
        message = "suppressions need capsa.assess.scan_service, which is not installed"
        raise InputError([Problem(request.ignore_file, None, None, message)])
    problems: list[Problem] = []
    resources = []
    if paths:
        read = read_manifests(paths, _variables(request))
        resources.extend(read.resources)
        problems.extend(read.problems)
    if request.cluster:
        from capsa.sources.cluster import read_cluster

        live = read_cluster(request.kubeconfig, request.context, request.namespaces)
        resources.extend(live.resources)
        problems.extend(live.problems)
    checks = load_checks()
    topology = build_topology(resources)
    result = evaluate(topology.evaluation_resources(resources), checks, topology.context_for)
    problems.extend(result.problems)
    problems.extend(getattr(topology, "problems", ()) or ())
    return ScanStage(
        findings=[finding_record(f) for f in result.findings],
        passes=[outcome(p) for p in result.passes],
        unknown=[outcome(u) for u in result.unknown],
        checks=[check_summary(c) for c in checks],
        errors=[problem(p) for p in problems],
        resources=len(resources),
        raw=(result, topology, checks),
    )


def scan_stage(request: AssessRequest, paths: Sequence[str]) -> ScanStage:
    service = _optional("capsa.assess.scan_service")
    if service is None:
        stage = _direct_scan(request, paths)
    else:
        stage = _service_scan(service, request, paths)
    return _shorten(stage, _display_root(request))


def _service_scan(service: Any, request: AssessRequest, paths: Sequence[str]) -> ScanStage:
    """Use the shared scan service (suppressions, baselines) and convert its result."""
    from capsa.assess.convert import check_summary, finding_record, outcome, problem
    from capsa.checks.catalog import load_checks

    scan_request = service.ScanRequest(
        paths=list(paths),
        cluster=request.cluster,
        kubeconfig=request.kubeconfig,
        context=request.context,
        variables=_variables(request),
        ignore_file=request.ignore_file,
    )
    result = service.scan(scan_request)
    checks = load_checks()
    errors = list(getattr(result, "errors", ()) or ())
    return ScanStage(
        findings=[finding_record(f) for f in result.findings],
        passes=[outcome(p) for p in result.passes],
        unknown=[outcome(u) for u in result.unknown],
        checks=[check_summary(c) for c in checks],
        errors=[problem(p) for p in errors if isinstance(p, Problem)],
        resources=int(getattr(getattr(result, "summary", None), "resources", 0) or 0),
        raw=(result, getattr(result, "topology", None), checks),
    )


# --- attack paths ----------------------------------------------------------------------


def path_stage(model: SystemModel, scan: ScanStage) -> PathStage:
    """Build the attack graph from the evaluated deployment, then rank paths and cut."""
    if scan.raw is None:
        return PathStage()
    result, topology, checks = scan.raw
    if topology is None:
        return PathStage(errors=[_no_paths("the scan gave no topology to build a graph from")])
    try:
        from capsa.graph.build import build_graph, subjects_from_findings
        from capsa.graph.deployment import from_topology
        from capsa.graph.evidence import build_evidence
        from capsa.graph.search import analyse
        from capsa.graph.techniques import load_techniques
    except ImportError as exc:
        return PathStage(errors=[_no_paths(f"attack-path analysis unavailable: {exc}")])
    findings = getattr(result, "findings", ())
    deployment = from_topology(topology)
    evidence = build_evidence(result, deployment, {c.id: c.mitigation for c in checks})
    model_ids = [e.id for e in model.elements] + [a.id for a in model.assets]
    graph = build_graph(
        load_techniques(), deployment, evidence, subjects_from_findings(findings), model_ids
    )
    report = analyse(graph)
    return PathStage(paths=_paths(report.paths), cut=_cut(report))


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
                    "evidence": [_ref_text(r) for r in s.refs] or [_text(s.status)],
                }
                for s in p.steps
            ],
        }
        for p in paths
    )


def _ref_text(ref: Any) -> str:
    location = getattr(ref, "location", None)
    check = getattr(ref, "check_id", None) or getattr(ref, "check", None)
    parts = [str(x) for x in (check, location) if x]
    return " @ ".join(parts) if parts else str(ref)


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
