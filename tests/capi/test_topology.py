import io
from collections.abc import Callable
from pathlib import Path

import pytest

from capsa.capi.clusters import ClusterView
from capsa.capi.context import HealthCheck
from capsa.capi.topology import Topology, build_topology
from capsa.sources.files import read_manifests
from capsa.sources.resource import Resource
from capsa.yamlio import position_of

Loader = Callable[..., list[Resource]]


def _view(topology: Topology, name: str) -> ClusterView:
    return next(v for v in topology.clusters if v.name == name)


def _named(resources: list[Resource], kind: str, name: str) -> Resource:
    return next(r for r in resources if r.kind == kind and r.name == name)


def _assert_plain(value: object) -> None:
    if isinstance(value, dict):
        assert type(value) is dict
        for key, item in value.items():
            assert isinstance(key, str)
            _assert_plain(item)
    elif isinstance(value, list):
        assert type(value) is list
        for item in value:
            _assert_plain(item)
    else:
        assert value is None or isinstance(value, (str, int, float, bool))


def test_v1beta1_cluster_resolves_infrastructure_control_plane_and_workers(load: Loader) -> None:
    resources = load("v1beta1-kcp-cluster.yaml")
    topology = build_topology(resources)
    view = _view(topology, "alpha")
    assert topology.problems == ()
    assert (
        view.infrastructure_cluster is not None and view.infrastructure_cluster.kind == "AWSCluster"
    )
    assert view.control_plane is not None and view.control_plane.name == "alpha-cp"
    assert view.control_plane_machine_template is not None
    assert view.control_plane_machine_template.name == "alpha-cp"
    roles = {(m.resource.kind, m.resource.name): m.role for m in view.members}
    assert roles[("AWSMachineTemplate", "alpha-cp")] == "control-plane"
    assert roles[("AWSMachineTemplate", "alpha-md-0")] == "worker"
    assert roles[("KubeadmConfigTemplate", "alpha-md-0")] == "worker"
    assert roles[("MachineHealthCheck", "alpha-md-0")] == ""
    assert roles[("ClusterResourceSet", "alpha-cni")] == ""


def test_v1beta1_aws_cluster_without_identity_ref_defaults_to_the_controller_identity(
    load: Loader,
) -> None:
    view = _view(build_topology(load("v1beta1-kcp-cluster.yaml")), "alpha")
    assert view.identity_ref.kind == "AWSClusterControllerIdentity"
    assert view.identity_ref.defaulted is True
    assert view.identity_ref.found is False


def test_v1beta2_cluster_resolves_api_group_references_and_identity_chain(load: Loader) -> None:
    resources = load("v1beta2-kcp-cluster.yaml")
    topology = build_topology(resources)
    view = _view(topology, "beta")
    assert topology.problems == ()
    assert view.control_plane_machine_template is not None
    assert view.control_plane_machine_template.name == "beta-cp"
    assert view.identity is not None and view.identity.kind == "AWSClusterRoleIdentity"
    assert view.identity_ref.chain == ("AWSClusterRoleIdentity", "AWSClusterControllerIdentity")
    roles = {(m.resource.kind, m.resource.name): m.role for m in view.members}
    assert roles[("AWSMachinePool", "beta-mp-0")] == "worker"
    assert roles[("KubeadmConfig", "beta-mp-0")] == "worker"


def test_context_is_plain_and_describes_cluster_role_namespace(load: Loader) -> None:
    resources = load("v1beta2-kcp-cluster.yaml")
    topology = build_topology(resources)
    template = _named(resources, "AWSMachineTemplate", "beta-cp")
    context = topology.context_for(template)
    _assert_plain(context)
    assert context["role"] == "control-plane"
    assert context["cluster"]["name"] == "beta"
    assert context["namespace"]["hasResourceQuota"] is True
    assert sorted(context["namespace"]["quotaCounts"]) == [
        "count/clusters.cluster.x-k8s.io",
        "count/machines.cluster.x-k8s.io",
    ]
    assert context["identity"]["spec"]["roleARN"].endswith(":role/beta")
    assert context["controlPlane"]["kind"] == "KubeadmControlPlane"
    assert context["infrastructureCluster"]["spec"]["region"] == "eu-west-1"


def test_resource_outside_any_cluster_gets_an_empty_context(load: Loader) -> None:
    resources = load("v1beta2-kcp-cluster.yaml")
    topology = build_topology(resources)
    context = topology.context_for(_named(resources, "ResourceQuota", "capi-objects"))
    assert context["cluster"]["name"] == ""
    assert context["role"] == ""
    _assert_plain(context)


def test_clusters_sharing_a_vpc_see_each_other(load: Loader) -> None:
    resources = load("v1beta1-kcp-cluster.yaml", "v1beta2-kcp-cluster.yaml")
    topology = build_topology(resources, management_vpc_ids=["vpc-0beta"])
    alpha = topology.context_for(_named(resources, "AWSCluster", "alpha"))
    beta = topology.context_for(_named(resources, "AWSCluster", "beta"))
    assert alpha["vpc"] == {"id": "vpc-0shared", "sharedWith": [], "management": False}
    assert beta["vpc"]["management"] is True


def test_clusterclass_v1beta1_applies_variable_and_literal_patches(load: Loader) -> None:
    resources = load("clusterclass-v1beta1.yaml")
    topology = build_topology(resources)
    view = _view(topology, "gamma")
    assert view.topology_class == "aws-class"
    assert topology.problems == ()
    infra = topology.context_for(_named(resources, "Cluster", "gamma"))["infrastructureCluster"]
    assert infra["kind"] == "AWSCluster"
    assert infra["spec"]["region"] == "eu-central-1"
    assert infra["spec"]["additionalTags"] == {"owner": "platform", "cluster": "gamma"}
    by_name = {r.name: r for r in view.resolved if r.kind == "AWSMachineTemplate"}
    cp = by_name["aws-class-cp@gamma"]
    assert cp.body["spec"]["template"]["spec"]["iamInstanceProfile"] == (
        "control-plane.cluster-api-provider-aws.sigs.k8s.io"
    )
    worker = by_name["aws-class-worker@gamma.md-0"]
    assert worker.body["spec"]["template"]["spec"]["instanceType"] == "m6i.2xlarge"
    assert worker.body["spec"]["template"]["spec"]["instanceMetadataOptions"] == {
        "httpTokens": "required"
    }


def test_resolved_templates_point_at_the_template_file_lines(load: Loader) -> None:
    resources = load("clusterclass-v1beta1.yaml")
    topology = build_topology(resources)
    raw = _named(resources, "AWSMachineTemplate", "aws-class-cp")
    resolved = _named(list(topology.resolved_resources), "AWSMachineTemplate", "aws-class-cp@gamma")
    path = ("spec", "template", "spec", "iamInstanceProfile")
    assert resolved.origin.path == raw.origin.path
    assert position_of(resolved.body, path) == position_of(raw.body, path)
    # the raw template is untouched
    assert raw.body["spec"]["template"]["spec"]["iamInstanceProfile"] == "REPLACEME"


def test_go_template_and_external_patches_are_recorded_not_guessed(load: Loader) -> None:
    view = _view(build_topology(load("clusterclass-v1beta1.yaml")), "gamma")
    reasons = {n.patch: n.reason for n in view.not_evaluated}
    assert "Go-template value" in reasons["etcdTag"]
    assert "external" in reasons["lifecycle-hooks"]
    applied = {a.patch for a in view.applied_patches}
    assert applied == {"region", "clusterNameTag", "controlPlaneProfile", "workerType", "imds"}


def test_clusterclass_health_checks_are_collected_with_their_caps(load: Loader) -> None:
    view = _view(build_topology(load("clusterclass-v1beta1.yaml")), "gamma")
    assert list(view.machine_health_checks) == [
        HealthCheck("control-plane", "ClusterClass"),
        HealthCheck("md-0", "ClusterClass", {"maxUnhealthy": "33%"}),
    ]


def test_clusterclass_v1beta2_enabled_if_patch_removes_taints(load: Loader) -> None:
    resources = load("clusterclass-v1beta2.yaml")
    topology = build_topology(resources)
    view = _view(topology, "delta")
    assert topology.problems == ()
    context = topology.context_for(_named(resources, "Cluster", "delta"))
    spec = context["controlPlane"]["spec"]["kubeadmConfigSpec"]
    assert spec["initConfiguration"]["nodeRegistration"]["taints"] == []
    assert spec["joinConfiguration"]["nodeRegistration"]["taints"] == []
    assert context["identityRef"]["kind"] == "AWSClusterStaticIdentity"
    assert context["identityRef"]["found"] is True
    assert {a.patch for a in view.applied_patches} == {"controlPlaneTaint"}


def test_disabled_enabled_if_leaves_the_template_alone(load: Loader) -> None:
    resources = load("clusterclass-v1beta2.yaml")
    cluster = _named(resources, "Cluster", "delta")
    cluster.body["spec"]["topology"]["variables"][0]["value"] = True
    topology = build_topology(resources)
    context = topology.context_for(cluster)
    assert "joinConfiguration" not in context["controlPlane"]["spec"]["kubeadmConfigSpec"]


def test_unknown_variable_makes_the_patched_field_unknown(load: Loader) -> None:
    resources = load("clusterclass-v1beta1.yaml")
    cluster = _named(resources, "Cluster", "gamma")
    cluster.body["spec"]["topology"]["variables"][1]["value"] = "__CAPSA_UNRESOLVED_CP_PROFILE__"
    topology = build_topology(resources)
    resolved = _named(list(topology.resolved_resources), "AWSMachineTemplate", "aws-class-cp@gamma")
    assert ("spec", "template", "spec", "iamInstanceProfile") in resolved.unknown_paths


def test_unknown_variable_in_enabled_if_is_not_evaluated(load: Loader) -> None:
    resources = load("clusterclass-v1beta2.yaml")
    cluster = _named(resources, "Cluster", "delta")
    cluster.body["spec"]["topology"]["variables"][0]["value"] = "__CAPSA_UNRESOLVED_TAINT__"
    view = _view(build_topology(resources), "delta")
    assert view.applied_patches == ()
    assert any("enabledIf" in n.reason for n in view.not_evaluated)


def test_evaluation_resources_swap_class_templates_for_resolved_ones(load: Loader) -> None:
    resources = load("clusterclass-v1beta2.yaml")
    topology = build_topology(resources)
    names = [r.name for r in topology.evaluation_resources(resources)]
    assert "dev-class-cp" not in names
    assert "dev-class-cp@delta" in names
    assert "dev-class-worker@delta.md-0" in names
    assert "delta" in names and "dev-class" in names


def test_unresolved_references_are_problems_with_lines(load: Loader) -> None:
    topology = build_topology(load("unresolved-refs.yaml"))
    messages = sorted(p.message for p in topology.problems)
    assert len(messages) == 3
    assert any("AWSCluster 'orphan'" in m for m in messages)
    assert any("KubeadmControlPlane 'orphan-cp'" in m for m in messages)
    assert any("ClusterClass 'does-not-exist'" in m for m in messages)
    assert all(p.line is not None and p.line > 1 for p in topology.problems)
    assert {v.name for v in topology.clusters} == {"orphan", "classless"}


def test_empty_and_odd_input_never_raises() -> None:
    assert build_topology([]).clusters == ()


CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def test_corpus_builds_and_resolves_the_capa_template() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    resources = list(read_manifests([str(CORPUS)]).resources)
    topology = build_topology(resources)
    assert len(topology.clusters) > 20
    for resource in topology.evaluation_resources(resources):
        _assert_plain(topology.context_for(resource))
    template = "cluster-api-provider-aws/templates__cluster-template.yaml"
    view = next(v for v in topology.clusters if v.cluster.origin.path.endswith(template))
    assert view.control_plane is not None and view.control_plane.kind == "KubeadmControlPlane"
    machine = view.control_plane_machine_template
    assert machine is not None and machine.origin.path.endswith(template)
    assert machine.body["spec"]["template"]["spec"]["iamInstanceProfile"] == (
        "control-plane.cluster-api-provider-aws.sigs.k8s.io"
    )
    simple = "templates__cluster-template-simple-clusterclass.yaml"
    class_view = next(v for v in topology.clusters if v.cluster.origin.path.endswith(simple))
    assert class_view.topology_class == "quick-start"
    assert {a.patch for a in class_view.applied_patches} >= {"region", "sshKeyName"}


EKS = """
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: eks}
spec:
  infrastructureRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
    kind: AWSManagedCluster
    name: eks
  controlPlaneRef:
    apiVersion: controlplane.cluster.x-k8s.io/v1beta2
    kind: AWSManagedControlPlane
    name: eks-cp
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSManagedCluster
metadata: {name: eks}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: AWSManagedControlPlane
metadata: {name: eks-cp}
spec:
  identityRef: {kind: AWSClusterRoleIdentity, name: eks-role}
"""


def test_eks_identity_is_read_from_the_managed_control_plane() -> None:
    view = _view(build_topology(read_manifests(["-"], stdin=io.StringIO(EKS)).resources), "eks")
    assert view.identity_ref.kind == "AWSClusterRoleIdentity"
    assert view.identity_ref.defaulted is False
    assert view.control_plane is not None and view.control_plane.kind == "AWSManagedControlPlane"
