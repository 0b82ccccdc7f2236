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


def evidence(
    deployment: Deployment, holds: Iterable[str] = (), violated: Iterable[str] = ()
) -> MitigationEvidence:
    """Evidence where `holds` passed and `violated` failed in every scope."""
    records: dict[str, dict[str, list[EvidenceRef]]] = {}
    for scope in every_scope(deployment):
        per = records.setdefault(scope, {})
        for m in holds:
            per.setdefault(m, []).append(EvidenceRef("CAPSA-T-PASS", "Kind x", "f.yaml:1", True))
        for m in violated:
            per.setdefault(m, []).append(EvidenceRef("CAPSA-T-FAIL", "Kind x", "f.yaml:2", False))
    return MitigationEvidence(records)


def techniques_in(graph: AttackGraph) -> set[str]:
    return {e.technique for e in graph.edges}
