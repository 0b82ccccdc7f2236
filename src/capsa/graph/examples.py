"""Run a technique's inline example: build the attack graph of one generic workload
cluster (with one RBAC subject and one cloud principal) under the example's evidence and
model, and say what became of the edge.

The outcome is the status every instance of the technique's edge has (open, assumed,
unmitigated), or `blocked` when a holding mitigation removed it, or `absent` when it was
not instantiated at all (its capabilities are not in the model, or no machine group of
the role it needs exists).
"""

from __future__ import annotations

from capsa.graph.build import CloudPrincipal, Subject, build_graph
from capsa.graph.deployment import MANAGEMENT_SCOPE, Deployment, cluster_scope, generic, pool_scope
from capsa.graph.evidence import EvidenceRef, MitigationEvidence
from capsa.graph.techniques import (
    MANAGEMENT_ACCOUNT,
    Technique,
    TechniqueCatalogue,
    TechniqueExample,
)

EXAMPLE_SUBJECT = Subject("ServiceAccount", "default", "reader", "CAPSA-LIVE-001")


def example_principal(catalogue: TechniqueCatalogue, clusters: tuple[str, ...]) -> CloudPrincipal:
    """One IAM user named by every check a principal technique lists, reaching `clusters`."""
    checks = frozenset(c for t in catalogue.techniques for c in t.named_by)
    return CloudPrincipal(
        "IAMUser", "arn:aws:iam::111122223333:user/ops", MANAGEMENT_ACCOUNT, checks, clusters
    )


def _evidence(
    deployment: Deployment, example: TechniqueExample, technique: Technique
) -> MitigationEvidence:
    """Check results that make `holds` hold and `violated` fail in every scope, from a
    check that decides the technique (its first `decidedBy`, if it names any)."""
    check = technique.decided_by[0] if technique.decided_by else "example"
    passed = EvidenceRef(check, "a passing check", None, True)
    failed = EvidenceRef(check, "a failing check", None, False)
    scopes = [MANAGEMENT_SCOPE]
    for cluster in deployment.clusters:
        scopes.append(cluster_scope(cluster.key))
        scopes.extend(pool_scope(cluster.key, p.name) for p in cluster.pools)
    records = {
        scope: {
            **{m: [passed] for m in example.holds},
            **{m: [failed] for m in example.violated},
        }
        for scope in scopes
    }
    return MitigationEvidence(records)


def edge_outcomes(
    catalogue: TechniqueCatalogue, technique: Technique, example: TechniqueExample
) -> set[str]:
    """What became of every instance of `technique`'s edge under `example`."""
    deployment = generic(example.worker_pools)
    everything = {m for cap in catalogue.capabilities.values() for m in cap.model}
    graph = build_graph(
        catalogue,
        deployment,
        _evidence(deployment, example, technique),
        [EXAMPLE_SUBJECT],
        everything - set(example.absent) if example.absent else None,
        [example_principal(catalogue, tuple(c.key for c in deployment.clusters))],
    )
    statuses = {e.status for e in graph.edges if e.technique == technique.id}
    if statuses:
        return statuses
    if any(b.technique == technique.id for b in graph.blocked):
        return {"blocked"}
    return {"absent"}
