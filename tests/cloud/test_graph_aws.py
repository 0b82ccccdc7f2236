"""Cloud evidence in the attack graph, read from seeded moto accounts: IAM principals the
findings name become entry points, the cut accounts for them, and cloud facts decide
edges that manifests leave assumed. Without cloud evidence none of this appears."""

from __future__ import annotations

import json

from cloud_support import REGION
from motoserver import MotoServer
from seed import SUFFIX, clients, seed_default, seed_hardened

from capsa.examples import demo_path
from capsa.graph.build import AttackGraph
from capsa.graph.search import analyse
from capsa.graph.service import PathsResult, Scan, attack_paths, scan_manifests
from capsa.sources.aws.collect import AwsOptions

ACCOUNT = "123456789012"
CONTROL_PLANE = f"arn:aws:iam::{ACCOUNT}:role/control-plane{SUFFIX}"
NODES = f"arn:aws:iam::{ACCOUNT}:role/nodes{SUFFIX}"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:user/ci-deployer"


def _scan() -> Scan:
    return scan_manifests([], aws=AwsOptions(regions=(REGION,), max_attempts=1))


def _edges(graph: AttackGraph, technique: str) -> dict[str, str]:
    """Source node id -> status of each open/assumed edge of `technique`, and
    "blocked" for each edge a holding mitigation removed."""
    out = {graph.nodes[e.source].id: e.status for e in graph.edges if e.technique == technique}
    out.update({b.source: "blocked" for b in graph.blocked if b.technique == technique})
    return out


def _refs(graph: AttackGraph, technique: str) -> set[str]:
    found = {r.resource for e in graph.edges if e.technique == technique for r in e.refs}
    found |= {r.resource for b in graph.blocked if b.technique == technique for r in b.refs}
    return found


def test_principals_the_default_account_names_become_entry_points(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    scan = _scan()
    principals = {p.arn: p for p in scan.principals}
    assert principals[DEPLOYER].checks == {"CAPSA-AWS-004"}
    assert principals[DEPLOYER].kind == "IAMUser"
    # clusterawsadm attaches the controllers policy (DeleteLoadBalancer on "*") and the
    # nodes policy to the control-plane role: it may delete workload's API load balancer
    assert principals[CONTROL_PLANE].checks == {
        "CAPSA-AWS-002",
        "CAPSA-AWS-004",
        "CAPSA-AWS-011",
    }
    assert principals[CONTROL_PLANE].clusters == ("aws/workload",)
    assert principals[NODES].checks == {"CAPSA-AWS-002"}

    found = attack_paths(scan, top=50)
    graph, report = found.graph, found.report
    assert "cloud-principal" in report.entries
    assert "management-cut-off" in report.targets
    targets = {p.target for p in report.paths if p.entry == "cloud-principal"}
    assert {"cloud-admin-creds", "management-cut-off", "ca-keys"} <= targets
    # each principal starts only what its findings name, and its own finding opens the
    # edge, naming it by ARN
    assert _edges(graph, "principal-passes-controllers-role") == {
        f"principal/{DEPLOYER}:cloud-principal": "open",
        f"principal/{CONTROL_PLANE}:cloud-principal": "open",
    }
    assert _edges(graph, "principal-deletes-api-load-balancer") == {
        f"principal/{CONTROL_PLANE}:cloud-principal": "unmitigated"
    }
    assert set(_edges(graph, "principal-reads-bootstrap-secrets")) == {
        f"principal/{CONTROL_PLANE}:cloud-principal",
        f"principal/{NODES}:cloud-principal",
    }
    assert any(DEPLOYER in r for r in _refs(graph, "principal-passes-controllers-role"))
    _cut_accounts_for_principals(found)


def _cut_accounts_for_principals(found: PathsResult) -> None:
    """No checked mitigation stops a DeleteLoadBalancer call: that route is reported as
    one the cut cannot close; with the cut applied, no principal reaches the
    controllers' credentials any more."""
    cut = found.report.cut
    assert not cut.closes_every_path
    routes = {(r.entry, r.target): r.techniques for r in cut.routes}
    assert routes[("cloud-principal", "management-cut-off")] == (
        "principal-deletes-api-load-balancer",
    )
    chosen = [m.mitigation for m in cut.mitigations]
    assert "STRIDE-SPOOF-1.M5" in chosen
    after = analyse(
        found.graph,
        ["cloud-principal"],
        ["cloud-admin-creds"],
        assume=chosen,
        checks=found.scan.checks,
    )
    assert after.paths == ()


def test_cloud_facts_decide_edges_both_ways(moto: MotoServer) -> None:
    seed_default(moto.endpoint)
    graph = attack_paths(_scan()).graph
    # the nodes policy reads every cluster's bootstrap data: open, named by the role
    reads = _edges(graph, "node-role-reads-bootstrap-secrets")
    assert set(reads.values()) == {"open"}
    assert any(NODES in r for r in _refs(graph, "node-role-reads-bootstrap-secrets"))
    # workload's secret outlived its machine; mgmt's belongs to a machine still booting
    lingering = {
        graph.nodes[e.target].id: e.status
        for e in graph.edges
        if e.technique == "read-lingering-bootstrap-secret"
    }
    lingering.update(
        {
            b.target: "blocked"
            for b in graph.blocked
            if b.technique == "read-lingering-bootstrap-secret"
        }
    )
    assert lingering == {
        "aws/workload:bootstrap-data": "open",
        "aws/mgmt:bootstrap-data": "blocked",
    }
    assert set(_edges(graph, "control-plane-role-has-controller-policy").values()) == {"open"}
    assert set(_edges(graph, "pod-reaches-imds").values()) == {"open"}  # IMDSv1, hop 2
    # mgmt and workload share the account: the account's own result opens the snapshot
    assert set(_edges(graph, "snapshot-management-disk").values()) == {"open"}
    assert f"AWSAccount arn:aws:iam::{ACCOUNT}:root" in _refs(graph, "snapshot-management-disk")

    moto.reset()
    seed_hardened(moto.endpoint)
    scan = _scan()
    assert scan.principals == ()
    graph = attack_paths(scan).graph
    assert not graph.nodes_of("cloud-principal", searchable_only=False)
    assert set(_edges(graph, "node-role-reads-bootstrap-secrets").values()) == {"blocked"}
    refs = _refs(graph, "node-role-reads-bootstrap-secrets")
    assert any(f"arn:aws:iam::{ACCOUNT}:role/workload-nodes" in r for r in refs)
    assert set(_edges(graph, "read-lingering-bootstrap-secret").values()) == {"blocked"}
    assert set(_edges(graph, "control-plane-role-has-controller-policy").values()) == {"blocked"}
    assert set(_edges(graph, "pod-reaches-imds").values()) == {"blocked"}
    assert set(_edges(graph, "snapshot-management-disk").values()) == {"blocked"}


def test_without_cloud_evidence_no_principal_and_the_edges_stay_assumed() -> None:
    scan = scan_manifests([str(demo_path())])  # the bundled demo: manifests only
    found = attack_paths(scan)
    assert scan.principals == ()
    assert not found.graph.nodes_of("cloud-principal", searchable_only=False)
    assert "management-cut-off" not in found.report.targets
    for technique in ("node-role-reads-bootstrap-secrets", "read-lingering-bootstrap-secret"):
        assert set(_edges(found.graph, technique).values()) == {"assumed"}, technique


def test_a_principal_that_may_assume_the_controllers_role_enters(moto: MotoServer) -> None:
    seed_hardened(moto.endpoint)
    iam = clients(moto.endpoint)["iam"]
    # someone widened the controllers role's trust to the whole account
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
             "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "sts:AssumeRole"},
        ],
    }  # fmt: skip
    iam.update_assume_role_policy(RoleName=f"controllers{SUFFIX}", PolicyDocument=json.dumps(trust))
    scan = _scan()
    assert scan.principals == ()  # trusting the account alone lets nobody in
    iam.create_user(UserName="ops")
    iam.put_user_policy(
        UserName="ops",
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        ),
    )
    scan = _scan()
    ops = f"arn:aws:iam::{ACCOUNT}:user/ops"
    assert [(p.arn, p.checks) for p in scan.principals] == [(ops, {"CAPSA-AWS-007"})]
    found = attack_paths(scan)
    assert _edges(found.graph, "principal-assumes-controllers-role") == {
        f"principal/{ops}:cloud-principal": "open"
    }
    assert any(
        p.entry == "cloud-principal" and p.target == "cloud-admin-creds" for p in found.report.paths
    )
    # the cut can close it: remove the grant (SPOOF-1.M5, as CAPSA-AWS-007 shows)
    assert "STRIDE-SPOOF-1.M5" in [m.mitigation for m in found.report.cut.mitigations]
