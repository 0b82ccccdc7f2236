"""Instantiating techniques over deployments: evidence, roles, accounts and cluster
classes. Each technique's own firing and silent cases are its inline examples
(test_technique_examples.py)."""

from __future__ import annotations

from graph_support import every_scope, evidence, techniques_in

from capsa.graph.build import OPEN, Subject, build_graph
from capsa.graph.deployment import ClusterSpec, Deployment, PoolSpec, generic
from capsa.graph.evidence import EvidenceRef, MitigationEvidence
from capsa.graph.techniques import load_techniques

CATALOGUE = load_techniques()
SUBJECT = Subject("ServiceAccount", "default", "reader", "CAPSA-LIVE-RBAC")


def test_violated_mitigation_opens_the_edge_with_its_evidence() -> None:
    deployment = generic()
    graph = build_graph(CATALOGUE, deployment, evidence(deployment, violated=["STRIDE-SPOOF-1.M5"]))
    imds = [e for e in graph.edges if e.technique == "pod-reaches-imds"]
    assert imds and all(e.status == OPEN for e in imds)
    # only the checks the technique names decide it (the IMDS settings, in manifests
    # and as read from the account's instances)
    assert {r.check_id for r in imds[0].refs} == {
        "CAPSA-IMDS-001",
        "CAPSA-IMDS-002",
        "CAPSA-AWS-020",
        "CAPSA-AWS-021",
    }


def test_a_broad_mitigations_other_checks_do_not_decide_a_narrow_edge() -> None:
    """A pod reaching IMDS is decided by the IMDS settings: a finding of another check of
    the same mitigation (an identity usable from every namespace) neither opens the edge
    nor appears as its evidence, and its pass does not block it."""
    deployment = generic()
    scopes = every_scope(deployment)
    identity_only = MitigationEvidence(
        {
            s: {"STRIDE-SPOOF-1.M5": [EvidenceRef("CAPSA-IDENT-001", "x", "i.yaml:8", False)]}
            for s in scopes
        }
    )
    graph = build_graph(CATALOGUE, deployment, identity_only)
    imds = [e for e in graph.edges if e.technique == "pod-reaches-imds"]
    assert imds and all(e.status == "assumed" and not e.refs for e in imds)
    passing = MitigationEvidence(
        {
            s: {"STRIDE-SPOOF-1.M5": [EvidenceRef("CAPSA-IDENT-001", "x", "i.yaml:8", True)]}
            for s in scopes
        }
    )
    graph = build_graph(CATALOGUE, deployment, passing)
    assert [e for e in graph.edges if e.technique == "pod-reaches-imds"]


def test_roles_pick_the_machine_group() -> None:
    graph = build_graph(CATALOGUE, generic())
    admin_conf = [e for e in graph.edges if e.technique == "control-plane-admin-conf"]
    assert [graph.nodes[e.source].id for e in admin_conf] == [
        "default/workload/control-plane:node-files"
    ]
    workers = [e for e in graph.edges if e.technique == "schedule-on-workers"]
    assert [graph.nodes[e.target].id for e in workers] == ["default/workload/workers:pod-on-node"]


def _cluster(name: str, account: str, namespace: str = "ns") -> ClusterSpec:
    pools = (PoolSpec("control-plane", "control-plane"), PoolSpec("md-0", "worker"))
    return ClusterSpec(f"{namespace}/{name}", namespace, account, pools)


def test_snapshot_only_from_the_management_account() -> None:
    deployment = Deployment((_cluster("shared", "management"), _cluster("own", "111122223333")))
    graph = build_graph(CATALOGUE, deployment)
    snapshots = [e for e in graph.edges if e.technique == "snapshot-management-disk"]
    assert [graph.nodes[e.source].id for e in snapshots] == [
        "account/management:account-ec2-control"
    ]


def test_clusters_sharing_an_account_share_its_nodes_and_form_one_class() -> None:
    deployment = Deployment(tuple(_cluster(f"c{i}", "management") for i in range(5)))
    graph = build_graph(CATALOGUE, deployment)
    readers = {
        graph.nodes[e.target].id
        for e in graph.edges
        if e.technique == "node-role-reads-bootstrap-secrets"
    }
    assert readers == {"account/management:account-secrets-read"}
    assert len(graph.class_members) == 1
    assert sorted(graph.clusters_like("ns/c3")) == [f"ns/c{i}" for i in range(5)]
    searchable_clusters = {n.cluster for i, n in enumerate(graph.nodes) if graph.searchable[i]}
    assert searchable_clusters == {None, "ns/c0"}


def test_different_evidence_makes_different_classes() -> None:
    deployment = Deployment((_cluster("a", "management"), _cluster("b", "management")))
    records = evidence(Deployment((deployment.clusters[0],)), holds=["STRIDE-SPOOF-1.M5"])
    graph = build_graph(CATALOGUE, deployment, records)
    assert graph.cluster_class["ns/a"] != graph.cluster_class["ns/b"]


def test_identical_worker_pools_are_searched_once() -> None:
    pools = (
        PoolSpec("control-plane", "control-plane"),
        *(PoolSpec(f"md-{i}", "worker") for i in range(4)),
    )
    graph = build_graph(CATALOGUE, Deployment((ClusterSpec("ns/c", "ns", "management", pools),)))
    searched_pools = {n.pool for i, n in enumerate(graph.nodes) if graph.searchable[i] and n.pool}
    assert searched_pools == {"control-plane", "md-0"}


def test_model_without_imds_drops_the_imds_chain() -> None:
    everything = {m for c in CATALOGUE.capabilities.values() for m in c.model}
    graph = build_graph(CATALOGUE, generic(), model_ids=everything - {"imds"})
    assert not any(n.capability == "imds" for n in graph.nodes)
    assert "imds-role-credentials" not in techniques_in(graph)


def test_to_networkx_keeps_parallel_techniques() -> None:
    graph = build_graph(CATALOGUE, generic())
    nx_graph = graph.to_networkx()
    assert nx_graph.number_of_nodes() == len(graph.nodes)
    assert nx_graph.number_of_edges() == len(graph.edges)


def test_a_suppressed_finding_still_makes_its_subject_an_entry() -> None:
    """A suppression accepts the risk a subject poses; the subject can still act."""
    from capsa.checks.findings import Finding, Location, ResourceRef, Severity
    from capsa.graph.build import subjects_from_findings

    catalogue = load_techniques()
    wanted = sorted(
        {threat for t in catalogue.techniques if t.source == "rbac-subject" for threat in t.threats}
    )
    made = [
        Finding(
            fingerprint=f"{i}" * 64,
            check_id="CAPSA-LIVE-RBAC-001",
            title="t",
            severity=Severity.HIGH,
            threats=tuple(wanted[:1]),
            mitigation="",
            resource=ResourceRef("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None, "b"),
            location=Location("live", None),
            message="m",
            remediation="r",
            references=("x",),
            suppressed=suppressed,
        )
        for i, suppressed in enumerate((False, True))
    ]
    assert wanted
    assert len(subjects_from_findings(made[1:], catalogue)) == 1
    assert len(subjects_from_findings(made[:1], catalogue)) == 1
