"""Helpers for the attack-graph tests: evidence that makes mitigations hold or fail."""

from __future__ import annotations

from collections.abc import Iterable

from capsa.graph.build import AttackGraph
from capsa.graph.deployment import MANAGEMENT_SCOPE, Deployment, cluster_scope, pool_scope
from capsa.graph.evidence import EvidenceRef, MitigationEvidence


def every_scope(deployment: Deployment) -> list[str]:
    scopes = [MANAGEMENT_SCOPE]
    for cluster in deployment.clusters:
        scopes.append(cluster_scope(cluster.key))
        scopes.extend(pool_scope(cluster.key, p.name) for p in cluster.pools)
    return scopes


def _deciding_checks() -> list[str]:
    """Every check a technique says decides it (`decidedBy`), so synthetic evidence
    counts wherever real evidence would."""
    from capsa.graph.techniques import load_techniques

    return sorted({c for t in load_techniques().techniques for c in t.decided_by})


def evidence(
    deployment: Deployment, holds: Iterable[str] = (), violated: Iterable[str] = ()
) -> MitigationEvidence:
    """Evidence where `holds` passed and `violated` failed in every scope (from a test
    check and from every check a technique names as deciding it)."""
    records: dict[str, dict[str, list[EvidenceRef]]] = {}
    checks = _deciding_checks()
    for scope in every_scope(deployment):
        per = records.setdefault(scope, {})
        for m in holds:
            for check in ("CAPSA-T-PASS", *checks):
                per.setdefault(m, []).append(EvidenceRef(check, "Kind x", "f.yaml:1", True))
        for m in violated:
            for check in ("CAPSA-T-FAIL", *checks):
                per.setdefault(m, []).append(EvidenceRef(check, "Kind x", "f.yaml:2", False))
    return MitigationEvidence(records)


def techniques_in(graph: AttackGraph) -> set[str]:
    return {e.technique for e in graph.edges}
