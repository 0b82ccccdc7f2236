"""One call from a scan to ranked attack paths and the cut.

Turns a scan's results into per-scope mitigation evidence, instantiates the technique
catalogue over the clusters found, and searches. The checks that can evidence each
mitigation (and so make it a cut candidate) are the scan's own: its manifest checks,
and its live checks when a live scan supplied results. On request (`generic_scan`) it
searches one generic cluster from the model instead, with every mitigation unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from capsa.checks.catalog import checks_by_mitigation
from capsa.errors import Problem
from capsa.graph.build import (
    AttackGraph,
    CloudPrincipal,
    Subject,
    build_graph,
    subjects_from_findings,
)
from capsa.graph.cloud import cloud_principals, with_cloud
from capsa.graph.controls import checks_of
from capsa.graph.deployment import Deployment, from_views, generic
from capsa.graph.evidence import MitigationEvidence, build_evidence
from capsa.graph.search import PathReport, analyse
from capsa.graph.techniques import TechniqueCatalogue, load_techniques
from capsa.model.types import SystemModel
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan
from capsa.sources.aws.collect import AwsOptions


@dataclass(frozen=True)
class Scan:
    """What the graph needs from a scan."""

    deployment: Deployment
    evidence: MitigationEvidence
    subjects: tuple[Subject, ...]
    problems: tuple[Problem, ...]
    nothing_read: bool = False  # inputs were given but none could be used
    checks: Mapping[str, tuple[str, ...]] | None = None  # mitigation -> checks; None: shipped
    principals: tuple[CloudPrincipal, ...] = ()  # IAM roles/users cloud findings name


def evidence_checks(result: ScanResult) -> dict[str, tuple[str, ...]]:
    """Mitigation -> ids of the checks that ran and can evidence it: the manifest checks,
    plus the live checks when a live scan ran and the cloud checks when cloud evidence
    was read (equal controls merged)."""
    pairs = [(c.id, c.mitigation) for c in result.checks]
    pairs += [(c.id, c.mitigation) for c in result.live_checks]
    pairs += [(c.id, c.mitigation) for c in result.cloud_checks]
    return checks_of(pairs)


@dataclass(frozen=True)
class PathsResult:
    graph: AttackGraph
    report: PathReport
    scan: Scan


def from_scan(result: ScanResult) -> Scan:
    """Evidence from a scan's findings and passes, attributed to the clusters they were
    computed on (`ScanResult.clusters`). A scan that kept no clusters (neither a
    topology nor their views) gives the generic cluster, every mitigation unknown."""
    views = result.clusters
    if views is None:
        return Scan(generic(), MitigationEvidence(), (), result.errors, True)
    deployment = with_cloud(from_views(views), result.cloud_sources, views)
    mitigations = {c.id: c.mitigation for c in result.checks}
    mitigations.update({c.id: c.mitigation for c in result.cloud_checks})
    mitigations.update({c.id: c.mitigation for c in result.live_checks})
    root = Path(result.root) if result.root else None
    evidence = build_evidence(result.findings, result.passes, deployment, mitigations, root)
    catalogue = load_techniques()
    subjects = tuple(subjects_from_findings(result.findings, catalogue))
    principals = cloud_principals(result.findings, result.cloud_sources, deployment, catalogue)
    return Scan(
        deployment,
        evidence,
        subjects,
        result.errors,
        result.nothing_read,
        evidence_checks(result),
        principals,
    )


def scan_manifests(
    paths: Sequence[str],
    variables: Mapping[str, str] | None = None,
    *,
    cluster: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    ignore_file: str | None = None,
    aws: AwsOptions | None = None,
    cluster_timeout: float | None = None,
) -> Scan:
    """Scan manifests (and, with `cluster`, a live management cluster) the way `capsa scan`
    does — suppressions, live-only checks and all — and turn the result into evidence."""
    request = ScanRequest(
        paths=tuple(paths),
        variables=dict(variables or {}),
        cluster=cluster,
        kubeconfig=kubeconfig,
        context=context,
        ignore_file=ignore_file,
        aws=aws,
        cluster_timeout=cluster_timeout,
        keep_topology=False,  # grouped: memory follows a group; the graph reads the views
        keep_clusters=True,
    )
    return from_scan(scan(request))


def generic_scan() -> Scan:
    """One generic cluster standing for the model, every mitigation unknown (evidence
    from nothing), the shipped manifest checks as cut candidates."""
    return Scan(generic(), MitigationEvidence(), (), (), checks=dict(checks_by_mitigation()))


def model_ids(model: SystemModel) -> set[str]:
    """Element, asset and boundary ids of a SystemModel (what capabilities may stand
    for: the `internet` entry stands for the built-in model's internet boundary)."""
    return (
        {e.id for e in model.elements}
        | {a.id for a in model.assets}
        | {b.id for b in model.boundaries}
    )


def attack_paths(
    scan: Scan,
    *,
    model: SystemModel | None = None,
    entries: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    top: int = 5,
    assume: Iterable[str] = (),
    catalogue: TechniqueCatalogue | None = None,
    checks: Mapping[str, Sequence[str]] | None = None,
) -> PathsResult:
    """Build the graph for `scan` and run the search and the cut."""
    graph = build_graph(
        catalogue or load_techniques(),
        scan.deployment,
        scan.evidence,
        scan.subjects,
        model_ids(model) if model is not None else None,
        scan.principals,
    )
    chosen = checks if checks is not None else scan.checks
    report = analyse(graph, entries, targets, top, assume, chosen)
    return PathsResult(graph, report, scan)


def threat_exposure(result: PathsResult) -> dict[str, tuple[str, ...]]:
    """Threat id -> techniques realising it that lie on an open route from an entry to a
    target (a threat with any is not verified)."""
    out: dict[str, set[str]] = {}
    for technique_id in result.report.route_techniques:
        for threat in result.graph.catalogue.technique(technique_id).threats:
            out.setdefault(threat, set()).add(technique_id)
    return {threat: tuple(sorted(ids)) for threat, ids in sorted(out.items())}
