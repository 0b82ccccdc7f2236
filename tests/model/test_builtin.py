"""The built-in Cluster API + AWS model matches Figure 1, the named flows and the facts threats rely on."""

from __future__ import annotations

import pytest

from capsa.model.loader import builtin_names, load_model
from capsa.model.types import (
    AssetLifetime,
    AuthMethod,
    BoundaryKind,
    ClusterType,
    DataFlow,
    Element,
    Exposure,
    Protocol,
    SystemModel,
)

# Figure 1 of the assessment, node by node (mermaid name -> model id).
FIGURE_1_NODES = {
    "kcp": "kcp-controller",
    "kbc": "kubeadm-bootstrap-controller",
    "capi": "capi-controller",
    "capa": "capa-controller",
    "mgmtk8s": "mgmt-apiserver",
    "mgmtetcd": "mgmt-etcd",
    "secrets": "secrets-manager",
    "EC2": "ec2-api",
    "ELB": "elb",
    "k8sapi": "workload-apiserver",
    "IMDS": "imds",
    "Kubelet": "kubelet",
    "Kubeadm": "kubeadm",
    "cloud-init": "cloud-init",
    "awscli": "aws-cli",
}

# Figure 1 edges as (from, to, protocol). The figure's ELB node is both the API the
# controller calls and the balancer in the VPC; the model splits them (elb-api, elb).
FIGURE_1_EDGES = [
    ("kcp-to-mgmt-api", "kcp-controller", "mgmt-apiserver", Protocol.HTTPS),
    ("kbc-to-mgmt-api", "kubeadm-bootstrap-controller", "mgmt-apiserver", Protocol.HTTPS),
    ("capi-to-mgmt-api", "capi-controller", "mgmt-apiserver", Protocol.HTTPS),
    ("capa-to-mgmt-api", "capa-controller", "mgmt-apiserver", Protocol.HTTPS),
    ("mgmt-api-to-etcd", "mgmt-apiserver", "mgmt-etcd", Protocol.HTTPS),
    ("capa-to-secrets-manager", "capa-controller", "secrets-manager", Protocol.HTTPS),
    ("capa-to-ec2", "capa-controller", "ec2-api", Protocol.HTTPS),
    ("capa-to-elb-api", "capa-controller", "elb-api", Protocol.HTTPS),
    ("kcp-to-workload-api", "kcp-controller", "workload-apiserver", Protocol.HTTPS),
    ("capi-to-workload-api", "capi-controller", "workload-apiserver", Protocol.HTTPS),
    ("kbc-to-workload-api", "kubeadm-bootstrap-controller", "workload-apiserver", Protocol.HTTPS),
    ("elb-to-workload-api", "elb", "workload-apiserver", Protocol.TCP_PASSTHROUGH),
    ("cloud-init-executes-aws-cli", "cloud-init", "aws-cli", Protocol.LOCAL_EXEC),
    ("cloud-init-executes-kubeadm", "cloud-init", "kubeadm", Protocol.LOCAL_EXEC),
    ("cloud-init-starts-kubelet", "cloud-init", "kubelet", Protocol.LOCAL_EXEC),
    ("workload-api-to-kubelet", "workload-apiserver", "kubelet", Protocol.WEBSOCKET),
    ("aws-cli-to-secrets-manager", "aws-cli", "secrets-manager", Protocol.HTTPS),
    ("kubeadm-to-workload-api", "kubeadm", "workload-apiserver", Protocol.HTTPS),
    ("kubelet-to-imds", "kubelet", "imds", Protocol.HTTP),
    ("aws-cli-to-imds", "aws-cli", "imds", Protocol.HTTP),
    ("kubelet-to-workload-api", "kubelet", "workload-apiserver", Protocol.HTTPS),
]

PERSONAS = ["cloud-admin", "platform-operator", "workload-operator", "application-developer"]


@pytest.fixture(scope="module")
def model() -> SystemModel:
    return load_model("builtin:capi-aws")


def _element(model: SystemModel, element_id: str) -> Element:
    return next(e for e in model.elements if e.id == element_id)


def _flow(model: SystemModel, flow_id: str) -> DataFlow:
    return next(f for f in model.data_flows if f.id == flow_id)


def test_model_is_shipped_and_loads(model: SystemModel) -> None:
    assert "capi-aws" in builtin_names()
    assert model.metadata.name == "capi-aws"


def test_every_figure_1_node_is_an_element(model: SystemModel) -> None:
    ids = {e.id for e in model.elements}
    assert set(FIGURE_1_NODES.values()) <= ids
    assert "elb-api" in ids  # the figure's "Elastic Load Balancing" as an API


def test_every_figure_1_edge_is_a_data_flow(model: SystemModel) -> None:
    flows = {f.id: f for f in model.data_flows}
    for flow_id, source, target, protocol in FIGURE_1_EDGES:
        assert flow_id in flows, flow_id
        flow = flows[flow_id]
        assert (flow.source, flow.target, flow.protocol) == (source, target, protocol), flow_id


def test_figure_1_elements_sit_in_their_subgraphs(model: SystemModel) -> None:
    expected = {
        "mgmt-apiserver": "management-cluster",
        "mgmt-etcd": "management-cluster",
        "capa-controller": "management-cluster",
        "secrets-manager": "aws-regional-services",
        "ec2-api": "aws-regional-services",
        "elb": "workload-vpc",
        "imds": "workload-vpc",
        "kubelet": "workload-node",
        "cloud-init": "workload-node",
        "workload-apiserver": "workload-control-plane",
    }
    for element_id, boundary in expected.items():
        assert _element(model, element_id).boundary == boundary, element_id


def test_named_boundaries_have_the_right_kinds(model: SystemModel) -> None:
    kinds = {b.id: b.kind for b in model.boundaries}
    assert kinds["workload-node"] == BoundaryKind.NODE
    assert kinds["workload-vpc"] == BoundaryKind.VPC
    assert kinds["internet"] == BoundaryKind.INTERNET
    parents = {b.id: b.parent for b in model.boundaries}
    assert parents["workload-node"] == "workload-vpc"
    assert parents["workload-vpc"] == "aws-account"


def test_all_three_cluster_types_are_present(model: SystemModel) -> None:
    by_id = {b.id: set(b.cluster_types) for b in model.boundaries}
    assert by_id["management-cluster"] == {ClusterType.BOOTSTRAP, ClusterType.MANAGEMENT}
    assert by_id["workload-control-plane"] == {ClusterType.WORKLOAD}


def test_four_personas_are_human_actors(model: SystemModel) -> None:
    for persona in PERSONAS:
        element = _element(model, persona)
        assert element.type == "actor"
        assert element.attributes.human


@pytest.mark.parametrize(
    ("flow_id", "steps"),
    [("ec2-instance-start", 7), ("flow-1", 12), ("flow-2", 13), ("flow-3", 12)],
)
def test_named_flows_have_the_assessment_step_counts(
    model: SystemModel, flow_id: str, steps: int
) -> None:
    flow = next(f for f in model.flows if f.id == flow_id)
    assert len(flow.steps) == steps


@pytest.mark.parametrize(("flow_id", "step"), [("flow-1", 8), ("flow-2", 4), ("flow-3", 4)])
def test_flows_include_instance_start_where_the_assessment_does(
    model: SystemModel, flow_id: str, step: int
) -> None:
    flow = next(f for f in model.flows if f.id == flow_id)
    assert flow.steps[step - 1].include == "ec2-instance-start"


def test_every_step_names_exactly_one_existing_thing(model: SystemModel) -> None:
    data_flows = {f.id for f in model.data_flows}
    elements = {e.id for e in model.elements}
    named = {f.id for f in model.flows}
    for flow in model.flows:
        for step in flow.steps:
            refs = [r for r in (step.uses, step.actor, step.include) if r is not None]
            assert len(refs) == 1, (flow.id, step.description)
            if step.uses is not None:
                assert step.uses in data_flows
            if step.actor is not None:
                assert step.actor in elements
            if step.include is not None:
                assert step.include in named and step.include != flow.id


def test_imds_is_unauthenticated_link_local_with_credentials(model: SystemModel) -> None:
    imds = _element(model, "imds").attributes
    assert imds.exposure == Exposure.LINK_LOCAL
    assert imds.requires_authentication == []
    assert {"instance-role-credentials", "cloud-init-userdata"} <= set(imds.stores)
    for flow_id in ("kubelet-to-imds", "aws-cli-to-imds", "pod-to-imds"):
        flow = _flow(model, flow_id)
        assert flow.protocol == Protocol.HTTP
        assert flow.authentication == AuthMethod.NONE
        assert not flow.encrypted


def test_pods_are_untrusted_and_can_reach_imds_and_disk(model: SystemModel) -> None:
    assert _element(model, "workload-pod").attributes.runs_untrusted_workloads
    assert _flow(model, "pod-to-imds").target == "imds"
    assert _flow(model, "pod-to-node-disk").target == "node-disk"


def test_key_stores_hold_keys_unencrypted(model: SystemModel) -> None:
    mgmt = _element(model, "mgmt-etcd").attributes
    assert {"ca-private-keys", "admin-kubeconfig", "etcd-data"} <= set(mgmt.stores)
    assert mgmt.encrypted_at_rest is False
    assert _element(model, "workload-etcd").attributes.encrypted_at_rest is False
    disk = _element(model, "node-disk").attributes
    assert {"ca-private-keys", "admin-kubeconfig", "instance-role-credentials"} <= set(disk.stores)
    assert disk.encrypted_at_rest is False


def test_secrets_manager_is_shared_and_holds_join_material(model: SystemModel) -> None:
    sm = _element(model, "secrets-manager").attributes
    assert {"cloud-init-userdata", "bootstrap-token", "ca-private-keys"} <= set(sm.stores)
    assert sm.shared_across_clusters
    assert "aws.cluster.x-k8s.io/" in _element(model, "secrets-manager").notes


def test_controllers_and_api_server_are_unbounded_and_unaudited(model: SystemModel) -> None:
    capa = _element(model, "capa-controller").attributes
    assert capa.holds_credentials == ["controller-cloud-credentials"]
    assert capa.creates_resources and capa.creation_bounded is False
    api = _element(model, "mgmt-apiserver").attributes
    assert api.audit_logging is False and api.creation_bounded is False
    assert api.stores == []
    elb = _element(model, "elb").attributes
    assert elb.single_point_of_failure and elb.exposure == Exposure.INTERNET


def test_join_authorisation_is_client_side(model: SystemModel) -> None:
    assert _element(model, "kubeadm").attributes.authorization_client_side_only
    assert _element(model, "kubelet").attributes.authorization_client_side_only


def test_credential_lifetimes_and_scopes(model: SystemModel) -> None:
    assets = {a.id: a for a in model.assets}
    assert assets["bootstrap-token"].lifetime == AssetLifetime.UNBOUNDED
    controller = assets["controller-cloud-credentials"]
    assert (controller.lifetime, controller.scope) == (AssetLifetime.LONG, "account")
    assert controller.grants == ["capa-controller"]
    instance = assets["instance-role-credentials"]
    assert (instance.lifetime, instance.scope) == (AssetLifetime.SHORT, "instance")
    assert {"kubelet", "aws-cli"} <= set(instance.grants)


def test_supply_chain_artifacts_are_unverified(model: SystemModel) -> None:
    for store in ("machine-image", "controller-images"):
        assert _element(model, store).attributes.artifact_integrity_verified is False
    for maintainer, artifact in (
        ("capi-maintainer", "controller-image-artifact"),
        ("image-builder-maintainer", "machine-image-artifact"),
    ):
        attrs = _element(model, maintainer).attributes
        assert attrs.privileged and artifact in attrs.supplies_artifacts
    admin = _element(model, "cloud-admin").attributes
    assert admin.privileged and admin.human


def test_every_data_flow_carries_only_declared_assets(model: SystemModel) -> None:
    assets = {a.id for a in model.assets}
    for flow in model.data_flows:
        assert set(flow.carries) <= assets, flow.id


def test_rendered_diagrams_show_every_figure_1_node_and_edge(model: SystemModel) -> None:
    from capsa.report.diagrams import mermaid_id, render_dot, render_mermaid

    mermaid = render_mermaid(model)
    dot = render_dot(model)
    for element_id in FIGURE_1_NODES.values():
        assert f"  {mermaid_id(element_id)}" in mermaid
        assert f'"{element_id}" [label=' in dot
    for _, source, target, _protocol in FIGURE_1_EDGES:
        label = next(
            f.label or f.protocol.value
            for f in model.data_flows
            if (f.source, f.target) == (source, target)
        )
        assert f'{mermaid_id(source)} -->|"{label}"| {mermaid_id(target)}' in mermaid
        assert f'"{source}" -> "{target}"' in dot


def test_flows_render_with_the_assessment_step_counts(model: SystemModel) -> None:
    from capsa.report.sequence import render_sequence

    for flow_id, steps in (
        ("ec2-instance-start", 7),
        ("flow-1", 12),
        ("flow-2", 13),
        ("flow-3", 12),
    ):
        text = render_sequence(model, flow_id)
        top_level = [line for line in text.splitlines() if f": {steps}. " in line]
        assert top_level, f"{flow_id} should show its step {steps}"
        assert not [line for line in text.splitlines() if f": {steps + 1}. " in line]
