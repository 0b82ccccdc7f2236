"""Each cross-object check in checks/data/topology.yaml fires on a bad topology and stays
silent on a good one, evaluated against the context capsa.capi.topology builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checks_support import all_checks

from capsa.capi.topology import build_topology
from capsa.checks.engine import evaluate
from capsa.sources.files import read_manifests
from capsa.sources.resource import Origin, Resource

FIXTURES = Path(__file__).parents[1] / "capi" / "fixtures"


def _load(*names: str) -> list[Resource]:
    """Fixture files read the way `capsa scan` reads them (variables, embedded payloads)."""
    result = read_manifests([str(FIXTURES / name) for name in names])
    assert not result.problems, result.problems
    return list(result.resources)


def _run(check_id: str, resources: list[Resource], **options: Any) -> dict[tuple[str, str], str]:
    """(kind, name) -> pass | fail | unknown | n/a for every resource the check evaluates,
    through the engine with the context the topology builds (as `capsa scan` does)."""
    topology = build_topology(resources, **options)
    outcome = evaluate(
        topology.evaluation_resources(resources), [all_checks()[check_id]], topology.context_for
    )
    assert not outcome.problems, outcome.problems
    results: dict[tuple[str, str], str] = {}
    for label, refs in (
        ("pass", [r.resource for r in outcome.passes]),
        ("n/a", [r.resource for r in outcome.not_applicable]),
        ("unknown", [r.resource for r in outcome.unknown]),
        ("fail", [f.resource for f in outcome.findings]),
    ):
        for ref in refs:
            results[(ref.kind, ref.name)] = label
    return results


def test_every_topo_check_is_topology_scoped() -> None:
    topology = [c for c in all_checks().values() if c.id.startswith("CAPSA-TOPO-")]
    assert len(topology) == 7
    assert all(c.scope == "topology" for c in topology)


# --- default control-plane instance profile: CAPSA-IDENT-004 owns the fact ---------------
# (CAPSA-TOPO-001 reported the same profile on the same line for control planes only; one
# finding per fact, so it is gone and IDENT-004 is checked here on resolved topologies.)


def test_default_profile_fires_on_the_control_plane_template_v1beta1() -> None:
    results = _run("CAPSA-IDENT-004", _load("v1beta1-kcp-cluster.yaml"))
    assert results[("AWSMachineTemplate", "alpha-cp")] == "fail"


def test_default_profile_silent_on_dedicated_profile_v1beta2() -> None:
    results = _run("CAPSA-IDENT-004", _load("v1beta2-kcp-cluster.yaml"))
    assert results[("AWSMachineTemplate", "beta-cp")] == "pass"


def test_default_profile_a_class_variable_patches_in_is_seen() -> None:
    resources = _load("clusterclass-v1beta1.yaml")
    key = ("AWSMachineTemplate", "aws-class-cp@gamma")
    # the class's external (runtime-extension) patch may set any field: undecided
    assert _run("CAPSA-IDENT-004", resources)[key] == "unknown"
    cluster_class = next(r for r in resources if r.kind == "ClusterClass")
    patches = cluster_class.body["spec"]["patches"]
    patches[:] = [p for p in patches if "external" not in p]
    assert _run("CAPSA-IDENT-004", resources)[key] == "fail"
    cluster = next(r for r in resources if r.kind == "Cluster")
    cluster.body["spec"]["topology"]["variables"][1]["value"] = "gamma-control-plane"
    assert _run("CAPSA-IDENT-004", resources)[key] == "pass"
    cluster.body["spec"]["topology"]["variables"][1]["value"] = "__CAPSA_UNRESOLVED_CP_PROFILE__"
    assert _run("CAPSA-IDENT-004", resources)[key] == "unknown"


def test_one_finding_per_fact_for_identity_and_profile() -> None:
    """The controller identity and the default profile are each reported once per object
    and line (they used to come twice, from an object and a topology check)."""
    resources = _load("v1beta1-kcp-cluster.yaml")
    topology = build_topology(resources)
    result = evaluate(
        topology.evaluation_resources(resources),
        list(all_checks().values()),
        topology.context_for,
    )
    facts = [
        (f.mitigation, f.resource.kind, f.resource.name, f.location.line)
        for f in result.findings
        if f.mitigation in ("STRIDE-INFODISCLOSE-1.M1", "STRIDE-INFODISCLOSE-1.M3")
    ]
    assert facts and len(facts) == len(set(facts)), facts


# --- CAPSA-TOPO-002 / 003: identities -----------------------------------------------------


def test_topo_002_fires_when_identity_ref_is_absent() -> None:
    results = _run("CAPSA-TOPO-002", _load("v1beta1-kcp-cluster.yaml"))
    assert results[("AWSCluster", "alpha")] == "fail"


def test_topo_002_silent_on_role_identity() -> None:
    results = _run("CAPSA-TOPO-002", _load("v1beta2-kcp-cluster.yaml"))
    assert results[("AWSCluster", "beta")] == "pass"


def _eks(identity: str) -> list[Resource]:
    from checks_support import resources

    text = (
        "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\n"
        "metadata: {name: eks, namespace: team-a}\nspec:\n"
        "  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, "
        "kind: AWSManagedControlPlane, name: eks}\n---\n"
        "apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: AWSManagedControlPlane\n"
        f"metadata: {{name: eks, namespace: team-a}}\nspec: {{region: eu-west-1{identity}}}\n"
    )
    return resources(text)


def test_topo_002_covers_eks_control_planes() -> None:
    """The controller identity on an EKS cluster is reported by the same check (it owns
    the fact since CAPSA-IDENT-003, its object-level twin, is gone)."""
    key = ("AWSManagedControlPlane", "eks")
    assert _run("CAPSA-TOPO-002", _eks(""))[key] == "fail"
    role = ", identityRef: {kind: AWSClusterRoleIdentity, name: eks-role}"
    assert _run("CAPSA-TOPO-002", _eks(role))[key] == "pass"


def test_topo_003_fires_on_static_identity_from_class_template() -> None:
    results = _run("CAPSA-TOPO-003", _load("clusterclass-v1beta2.yaml"))
    assert results[("AWSClusterTemplate", "dev-class@delta")] == "fail"
    assert (
        _run("CAPSA-TOPO-002", _load("clusterclass-v1beta2.yaml"))[
            ("AWSClusterTemplate", "dev-class@delta")
        ]
        == "pass"
    )


def test_topo_003_fires_on_role_identity_assumed_from_static_keys() -> None:
    resources = _load("v1beta2-kcp-cluster.yaml")
    role = next(r for r in resources if r.kind == "AWSClusterRoleIdentity")
    role.body["spec"]["sourceIdentityRef"] = {"kind": "AWSClusterStaticIdentity", "name": "keys"}
    resources += _load("clusterclass-v1beta2.yaml")
    static = next(r for r in resources if r.kind == "AWSClusterStaticIdentity")
    static.body["metadata"]["name"] = "keys"
    resources = [
        r if r is not static else Resource(r.api_version, r.kind, None, "keys", r.body, r.origin)
        for r in resources
    ]
    assert _run("CAPSA-TOPO-003", resources)[("AWSCluster", "beta")] == "fail"


def test_topo_003_silent_on_role_identity_from_controller() -> None:
    results = _run("CAPSA-TOPO-003", _load("v1beta2-kcp-cluster.yaml"))
    assert results[("AWSCluster", "beta")] == "pass"


# --- CAPSA-TOPO-004: object-count quota ---------------------------------------------------


NAMESPACE_A = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n"


def _outcomes(check_id: str, resources: list[Resource], **options: Any) -> Any:
    topology = build_topology(resources, **options)
    return evaluate(
        topology.evaluation_resources(resources), [all_checks()[check_id]], topology.context_for
    )


def test_topo_004_is_unknown_on_a_template_alone_naming_the_management_cluster() -> None:
    """Quotas live in the management cluster: a template without any is no evidence."""
    outcome = _outcomes("CAPSA-TOPO-004", _load("v1beta1-kcp-cluster.yaml"))
    assert not outcome.findings
    (unknown,) = outcome.unknown
    assert unknown.resource.name == "alpha" and "capsa scan --cluster" in unknown.reason


def test_topo_004_fires_where_the_inputs_create_the_namespace(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(NAMESPACE_A)
    resources = [*_load("v1beta1-kcp-cluster.yaml"), *read_manifests([str(tmp_path)]).resources]
    assert _run("CAPSA-TOPO-004", resources)[("Cluster", "alpha")] == "fail"
    assert _run("CAPSA-TOPO-004", _load("v1beta2-kcp-cluster.yaml"))[("Cluster", "beta")] == "pass"


def test_topo_004_a_namespace_of_a_workload_payload_or_an_unread_live_quota_is_no_evidence(
    tmp_path: Path,
) -> None:
    """A Namespace a ClusterResourceSet ships lands in workload clusters; a live read that
    could not list ResourceQuotas cannot show one is missing."""
    payload = "".join("    " + line for line in NAMESPACE_A.splitlines(keepends=True))
    (tmp_path / "crs.yaml").write_text(
        "apiVersion: addons.cluster.x-k8s.io/v1beta2\nkind: ClusterResourceSet\n"
        "metadata: {name: addons, namespace: team-a}\n"
        "spec:\n  clusterSelector: {matchLabels: {}}\n  resources: [{kind: ConfigMap, name: ns}]\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ns, namespace: team-a}\n"
        f"data:\n  ns.yaml: |\n{payload}"
    )
    read = read_manifests([str(tmp_path)]).resources
    assert any(r.kind == "Namespace" and r.origin.carrier for r in read)  # read as payload
    resources = [*_load("v1beta1-kcp-cluster.yaml"), *read]
    assert _run("CAPSA-TOPO-004", resources)[("Cluster", "alpha")] == "unknown"
    live = Resource(
        "v1", "Namespace", None, "team-a", {"metadata": {"name": "team-a"}},
        Origin("cluster://mgmt//Namespace/team-a"),
    )  # fmt: skip
    resources = [*_load("v1beta1-kcp-cluster.yaml"), live]
    assert _run("CAPSA-TOPO-004", resources)[("Cluster", "alpha")] == "fail"
    assert _run("CAPSA-TOPO-004", resources, quotas_unread=True)[("Cluster", "alpha")] == "unknown"


UNRESOLVED_NS = """apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: c1, namespace: "${TEAM}"}
spec: {}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: capi, namespace: team-b}
spec:
  hard: {count/clusters.cluster.x-k8s.io: "2", count/machines.cluster.x-k8s.io: "20"}
"""


def test_topo_004_is_unknown_while_the_namespace_is_an_unset_variable(tmp_path: Path) -> None:
    """The inputs keep quotas, but which namespace the Cluster lands in is ${TEAM} (a
    template's ${NAMESPACE} alike, though clusterctl moves every object into it)."""
    (tmp_path / "c.yaml").write_text(UNRESOLVED_NS)
    outcome = _outcomes("CAPSA-TOPO-004", list(read_manifests([str(tmp_path)]).resources))
    assert not outcome.findings and not outcome.passes
    (unknown,) = outcome.unknown
    assert "TEAM" in unknown.reason
    (tmp_path / "ns.yaml").write_text(NAMESPACE_A.replace("team-a", "${NAMESPACE}"))
    (tmp_path / "c.yaml").write_text(UNRESOLVED_NS.replace("TEAM", "NAMESPACE"))
    outcome = _outcomes("CAPSA-TOPO-004", list(read_manifests([str(tmp_path)]).resources))
    assert not outcome.findings and not outcome.passes and len(outcome.unknown) == 1
    (tmp_path / "ns.yaml").unlink()
    (tmp_path / "c.yaml").write_text(UNRESOLVED_NS)
    for value, verdict in (("team-b", "pass"), ("team-c", "fail")):
        resources = list(read_manifests([str(tmp_path)], {"TEAM": value}).resources)
        assert _run("CAPSA-TOPO-004", resources)[("Cluster", "c1")] == verdict


# --- CAPSA-TOPO-005: managed health checks without a cap ----------------------------------


def test_topo_005_fires_on_uncapped_class_health_check_v1beta1_and_v1beta2() -> None:
    assert (
        _run("CAPSA-TOPO-005", _load("clusterclass-v1beta1.yaml"))[("Cluster", "gamma")] == "fail"
    )
    assert (
        _run("CAPSA-TOPO-005", _load("clusterclass-v1beta2.yaml"))[("Cluster", "delta")] == "fail"
    )


def test_topo_005_silent_when_class_health_checks_are_capped() -> None:
    resources = _load("clusterclass-v1beta2.yaml")
    cluster_class = next(r for r in resources if r.kind == "ClusterClass")
    cluster_class.body["spec"]["controlPlane"]["healthCheck"]["remediation"] = {
        "triggerIf": {"unhealthyLessThanOrEqualTo": "34%"}
    }
    assert _run("CAPSA-TOPO-005", resources)[("Cluster", "delta")] == "pass"
    v1beta1 = _load("clusterclass-v1beta1.yaml")
    cluster_class = next(r for r in v1beta1 if r.kind == "ClusterClass")
    cluster_class.body["spec"]["controlPlane"]["machineHealthCheck"]["maxUnhealthy"] = "1"
    assert _run("CAPSA-TOPO-005", v1beta1)[("Cluster", "gamma")] == "pass"


def test_topo_005_leaves_standalone_health_checks_to_object_checks() -> None:
    # a Cluster without a managed topology creates no health check: nothing to judge here
    assert _run("CAPSA-TOPO-005", _load("v1beta1-kcp-cluster.yaml"))[("Cluster", "alpha")] == "n/a"


# --- CAPSA-TOPO-006: credentials shipped by a ClusterResourceSet --------------------------


def test_topo_006_fires_on_embedded_credential_secret() -> None:
    results = _run("CAPSA-TOPO-006", _load("crs-cloud-credentials.yaml"))
    assert results[("ClusterResourceSet", "csi-credentials")] == "fail"


def test_topo_006_silent_on_harmless_payload() -> None:
    results = _run("CAPSA-TOPO-006", _load("v1beta1-kcp-cluster.yaml"))
    # it ships no Secret at all, so the check has nothing to judge (never a pass)
    assert results[("ClusterResourceSet", "alpha-cni")] == "n/a"


def test_topo_006_context_holds_key_names_never_values() -> None:
    resources = _load("crs-cloud-credentials.yaml")
    crs = next(r for r in resources if r.kind == "ClusterResourceSet")
    context = build_topology(resources).context_for(crs)
    assert "AWS_SECRET_ACCESS_KEY" not in repr(context)
    secret = next(p for p in context["resourceSetPayload"] if p["kind"] == "Secret")
    assert secret["keys"] == ["access_key", "key_id"]


# --- CAPSA-TOPO-007: shared VPC -----------------------------------------------------------


def test_topo_007_fires_when_two_clusters_share_a_vpc() -> None:
    results = _run("CAPSA-TOPO-007", _load("v1beta1-kcp-cluster.yaml", "shared-vpc-cluster.yaml"))
    assert results[("AWSCluster", "alpha")] == "fail"
    assert results[("AWSCluster", "alpha-twin")] == "fail"


def test_topo_007_fires_on_the_management_vpc_and_is_silent_otherwise() -> None:
    resources = _load("v1beta2-kcp-cluster.yaml")
    assert _run("CAPSA-TOPO-007", resources)[("AWSCluster", "beta")] == "pass"
    flagged = _run("CAPSA-TOPO-007", resources, management_vpc_ids=["vpc-0beta"])
    assert flagged[("AWSCluster", "beta")] == "fail"


# --- CAPSA-TOPO-008: control-plane taint removed by a class patch -------------------------


def test_topo_008_fires_when_a_variable_enables_the_taint_removal() -> None:
    assert (
        _run("CAPSA-TOPO-008", _load("clusterclass-v1beta2.yaml"))[("Cluster", "delta")] == "fail"
    )


def test_topo_008_silent_when_the_taint_is_kept_or_not_a_topology() -> None:
    resources = _load("clusterclass-v1beta2.yaml")
    cluster = next(r for r in resources if r.kind == "Cluster")
    cluster.body["spec"]["topology"]["variables"][0]["value"] = True
    assert _run("CAPSA-TOPO-008", resources)[("Cluster", "delta")] == "pass"
    assert _run("CAPSA-TOPO-008", _load("v1beta1-kcp-cluster.yaml"))[("Cluster", "alpha")] == "n/a"


def test_topo_008_silent_when_the_patch_keeps_the_control_plane_taint() -> None:
    resources = _load("clusterclass-v1beta2.yaml")
    cluster_class = next(r for r in resources if r.kind == "ClusterClass")
    kept = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    for op in cluster_class.body["spec"]["patches"][0]["definitions"][0]["jsonPatches"]:
        op["value"] = kept
    assert _run("CAPSA-TOPO-008", resources)[("Cluster", "delta")] == "pass"
