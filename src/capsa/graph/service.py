"""One call from manifests (or none) to ranked attack paths and the cut.

Runs the scanner (read manifests, resolve the Cluster API topology, evaluate the checks),
turns its results into per-scope mitigation evidence, instantiates the technique
catalogue over the clusters found, and searches. Without manifests it searches one
generic cluster from the model, with every mitigation unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from capsa.errors import Problem
from capsa.graph.build import AttackGraph, Subject, build_graph, subjects_from_findings
from capsa.graph.deployment import Deployment, from_topology, generic
from capsa.graph.evidence import MitigationEvidence, build_evidence
from capsa.graph.search import PathReport, analyse
from capsa.graph.techniques import TechniqueCatalogue, load_techniques


@dataclass(frozen=True)
class Scan:
    """What the graph needs from a scan."""

    deployment: Deployment
    evidence: MitigationEvidence
    subjects: tuple[Subject, ...]
    problems: tuple[Problem, ...]
    nothing_read: bool = False  # inputs were given but none could be used


@dataclass(frozen=True)
class PathsResult:
    graph: AttackGraph
    report: PathReport
    scan: Scan


def scan_from_result(result: Any, topology: Any, checks: Iterable[Any] = ()) -> Scan:
    """Evidence from an EvaluationResult and the topology it was computed on."""
    deployment = from_topology(topology)
    mitigations = {str(c.id): str(c.mitigation) for c in checks}
    evidence = build_evidence(result, deployment, mitigations)
    subjects = subjects_from_findings(getattr(result, "findings", ()) or ())
    problems = tuple(getattr(result, "problems", ()) or ()) + tuple(topology.problems)
    return Scan(deployment, evidence, tuple(subjects), problems)


def scan_manifests(
    paths: Sequence[str],
    variables: Mapping[str, str] | None = None,
    *,
    cluster: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    ignore_file: str | None = None,
) -> Scan:
    """Scan manifests (and, with `cluster`, a live management cluster) the way `capsa scan`
    does — suppressions, live-only checks and all — and turn the result into evidence."""
    from capsa.assess.scan_service import ScanRequest, scan

    result = scan(
        ScanRequest(
            paths=tuple(paths),
            variables=dict(variables or {}),
            cluster=cluster,
            kubeconfig=kubeconfig,
            context=context,
            ignore_file=ignore_file,
        )
    )
    if result.topology is None:  # nothing could be read: search the generic cluster
        return Scan(generic(), MitigationEvidence(), (), tuple(result.errors), True)
    found = scan_from_result(result, result.topology, result.checks)
    return Scan(
        found.deployment, found.evidence, found.subjects, tuple(result.errors), result.nothing_read
    )


def generic_scan() -> Scan:
    return Scan(generic(), MitigationEvidence(), (), ())


def model_ids(model: Any) -> set[str]:
    """Element and asset ids of a SystemModel (what capabilities may stand for)."""
    return {e.id for e in model.elements} | {a.id for a in model.assets}


def attack_paths(
    scan: Scan,
    *,
    model: Any | None = None,
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
    )
    report = analyse(graph, entries, targets, top, assume, checks)
    return PathsResult(graph, report, scan)
