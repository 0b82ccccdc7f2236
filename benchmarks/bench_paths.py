"""Attack paths at fleet scale: 1,000 workload clusters (control plane + 7 worker pools
each, >= 50,000 graph nodes) spread over 20 namespaces and 10 accounts, with evidence
that varies by cluster. Times building the graph, the top-20 path shapes for every
entry/target pair and the minimum cut, on one core; then runs plain networkx
(`shortest_simple_paths`, Yen's algorithm, on the same whole graph with the same costs)
for the same pairs and reports the ratio.

Then the same fleet with 500 cloud principals as entry points (half able to reach the
controllers' credentials, half to read bootstrap secrets and delete the API load balancer
of every cluster in their account): build + search + cut, as a ratio to the fleet without
them.

Run: `python -m benchmarks paths` (networkx takes minutes on all pairs; time it on three
pairs and extrapolate with `python -m benchmarks.bench_paths --quick` or
CAPSA_BENCH_QUICK=1).
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from capsa.checks.catalog import checks_by_mitigation
from capsa.graph.build import AttackGraph, CloudPrincipal, build_graph
from capsa.graph.deployment import (
    MANAGEMENT_SCOPE,
    ClusterSpec,
    Deployment,
    PoolSpec,
    cluster_scope,
    pool_scope,
)
from capsa.graph.evidence import EvidenceRef, MitigationEvidence
from capsa.graph.search import analyse, default_entries, default_targets
from capsa.graph.techniques import load_techniques

CLUSTERS = 1_000
WORKER_POOLS = 7
TOP = 20
PRINCIPALS = 500


def fleet() -> tuple[Deployment, MitigationEvidence]:
    """Clusters with deterministic, varied evidence (a few profiles of hardening)."""
    clusters = []
    records: dict[str, dict[str, list[EvidenceRef]]] = {}
    profiles = [
        {"STRIDE-SPOOF-1.M5": False, "STRIDE-INFODISCLOSE-1.M1": False},
        {"STRIDE-SPOOF-1.M5": True, "STRIDE-INFODISCLOSE-1.M1": False},
        {"STRIDE-SPOOF-1.M5": True, "STRIDE-INFODISCLOSE-1.M1": True, "STRIDE-EOP-2.M2": True},
        {"STRIDE-INFODISCLOSE-4.M1": False, "STRIDE-INFODISCLOSE-2.M2": False},
    ]
    for i in range(CLUSTERS):
        namespace = f"team-{i % 20}"
        account = "management" if i % 10 < 3 else f"{100000000000 + i % 10}"
        key = f"{namespace}/c{i}"
        pools = (
            PoolSpec("control-plane", "control-plane"),
            *(PoolSpec(f"md-{p}", "worker") for p in range(WORKER_POOLS)),
        )
        clusters.append(ClusterSpec(key, namespace, account, pools))
        profile = profiles[i % len(profiles)]
        scopes = [cluster_scope(key), *(pool_scope(key, p.name) for p in pools)]
        for scope in scopes:
            per = records.setdefault(scope, {})
            for mitigation, holds in profile.items():
                ref = EvidenceRef("CAPSA-BENCH", f"AWSMachineTemplate {key}", None, holds)
                per.setdefault(mitigation, []).append(ref)
    records[MANAGEMENT_SCOPE] = {}
    return Deployment(tuple(clusters)), MitigationEvidence(records)


def principals(deployment: Deployment) -> list[CloudPrincipal]:
    """PRINCIPALS IAM users spread over the accounts: odd ones may take the controllers'
    credentials, even ones read bootstrap secrets and delete every API load balancer of
    their account's clusters."""
    accounts = sorted({c.account for c in deployment.clusters})
    members = {a: tuple(c.key for c in deployment.clusters if c.account == a) for a in accounts}
    out = []
    for i in range(PRINCIPALS):
        account = accounts[i % len(accounts)]
        odd = i % 2 == 1
        checks = ("CAPSA-AWS-004", "CAPSA-AWS-007") if odd else ("CAPSA-AWS-002", "CAPSA-AWS-011")
        arn = f"arn:aws:iam::{account}:user/u{i:03d}"
        out.append(
            CloudPrincipal(
                "IAMUser", arn, account, frozenset(checks), () if odd else members[account]
            )
        )
    return out


def _with_principals(
    deployment: Deployment,
    evidence: MitigationEvidence,
    checks: dict[str, tuple[str, ...]],
    base: float,
) -> None:
    catalogue = load_techniques()
    found = principals(deployment)
    started = time.perf_counter()
    graph = build_graph(catalogue, deployment, evidence, principals=found)
    report = analyse(graph, top=TOP, checks=checks)
    total = time.perf_counter() - started
    print(
        f"with {len(found)} cloud principals: {len(graph.nodes):,} nodes, {len(graph.edges):,} "
        f"edges; build + top-{TOP} per pair + cut: {total:.2f} s ({len(report.paths)} path "
        f"shapes, {len(report.cut.routes)} routes no cut closes); ratio to the fleet without "
        f"them {total / base:.2f}x"
    )


def _networkx_paths(graph: AttackGraph, pairs: list[tuple[str, str]]) -> float:
    """Top-TOP simple paths per pair with networkx on the whole graph (super source/sink)."""
    import networkx as nx

    started = time.perf_counter()
    digraph = nx.DiGraph()
    for edge in graph.edges:
        u, v = graph.nodes[edge.source].id, graph.nodes[edge.target].id
        old = digraph.get_edge_data(u, v)
        if old is None or old["cost"] > edge.cost:
            digraph.add_edge(u, v, cost=edge.cost)
    for entry, target in pairs:
        digraph.add_node("SRC")
        digraph.add_node("DST")
        role = graph.catalogue.capabilities[entry].entry_role
        for i in graph.nodes_of(entry, searchable_only=False):
            if role is None or graph.nodes[i].role == role:
                digraph.add_edge("SRC", graph.nodes[i].id, cost=0.0)
        for i in graph.nodes_of(target, False):
            digraph.add_edge(graph.nodes[i].id, "DST", cost=0.0)
        try:
            for _ in itertools.islice(
                nx.shortest_simple_paths(digraph, "SRC", "DST", weight="cost"), TOP
            ):
                pass
        except nx.NetworkXNoPath:
            pass
        digraph.remove_node("SRC")
        digraph.remove_node("DST")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    catalogue = load_techniques()
    deployment, evidence = fleet()
    checks = checks_by_mitigation() or {m: ("?",) for m in catalogue.mitigations()}

    started = time.perf_counter()
    graph = build_graph(catalogue, deployment, evidence)
    built = time.perf_counter() - started
    report = analyse(graph, top=TOP, checks=checks)
    total = time.perf_counter() - started
    searched = sum(graph.searchable)
    print(
        f"fleet: {CLUSTERS} clusters, {len(graph.nodes):,} nodes, {len(graph.edges):,} edges, "
        f"{len(graph.class_members)} cluster classes, {searched:,} nodes searched"
    )
    print(f"capsa build: {built:.2f} s")
    print(
        f"capsa build + top-{TOP} per pair + cut: {total:.2f} s "
        f"({len(report.paths)} path shapes, cut {len(report.cut.mitigations)} mitigations, "
        f"exact={report.cut.exact}, complete={report.complete})"
    )
    _with_principals(deployment, evidence, dict(checks), total)
    pairs = [(e, t) for e in default_entries(graph) for t in default_targets(graph) if e != t]
    quick = "--quick" in args or bool(os.environ.get("CAPSA_BENCH_QUICK"))
    timed = pairs[:3] if quick else pairs
    nx_seconds = _networkx_paths(graph, timed)
    per_pair = nx_seconds / max(len(timed), 1)
    estimate = per_pair * len(pairs)
    label = (
        "estimated from " + str(len(timed)) + " pairs" if len(timed) < len(pairs) else "measured"
    )
    print(
        f"networkx shortest_simple_paths, top-{TOP} for {len(pairs)} pairs on the whole graph: "
        f"{estimate:.2f} s ({label}); ratio networkx / capsa = {estimate / total:.1f}x"
    )


if __name__ == "__main__":
    main()
