from pathlib import Path

from capsa.capi import kinds


def test_args_of_reads_the_v1beta1_map_and_the_v1beta2_list_alike() -> None:
    assert kinds.args_of({"profiling": "false", "v": 2}) == {"profiling": "false", "v": "2"}
    listed = [{"name": "profiling", "value": "false"}, {"name": "v", "value": "2"}]
    assert kinds.args_of(listed) == {"profiling": "false", "v": "2"}


def test_args_of_lets_a_later_duplicate_win_and_ignores_junk() -> None:
    listed = [{"name": "a", "value": "1"}, "junk", {"value": "x"}, {"name": "a", "value": "2"}]
    assert kinds.args_of(listed) == {"a": "2"}
    assert kinds.args_of(None) == {}
    assert kinds.args_of("a=b") == {}


def test_ref_from_reads_object_references_of_both_generations() -> None:
    v1beta1 = kinds.ref_from(
        {
            "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
            "kind": "KubeadmControlPlane",
            "name": "cp",
        }
    )
    v1beta2 = kinds.ref_from(
        {"apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane", "name": "cp"}
    )
    assert (
        v1beta1
        == v1beta2
        == kinds.ObjectRef("KubeadmControlPlane", "cp", "controlplane.cluster.x-k8s.io")
    )
    assert kinds.ref_from({"kind": "AWSClusterRoleIdentity", "name": "r"}) == kinds.ObjectRef(
        "AWSClusterRoleIdentity", "r"
    )
    assert kinds.ref_from({"kind": "X"}) is None


def test_cluster_class_of_reads_class_and_class_ref() -> None:
    assert kinds.cluster_class_of(
        {"spec": {"topology": {"class": "c", "classNamespace": "ns"}}}
    ) == ("c", "ns")
    assert kinds.cluster_class_of({"spec": {"topology": {"classRef": {"name": "c"}}}}) == (
        "c",
        None,
    )
    assert kinds.cluster_class_of({"spec": {}}) is None


def test_control_plane_machine_template_ref_in_both_places() -> None:
    ref = {"kind": "AWSMachineTemplate", "name": "m"}
    v1beta1 = {"spec": {"machineTemplate": {"infrastructureRef": ref}}}
    v1beta2 = {"spec": {"machineTemplate": {"spec": {"infrastructureRef": ref}}}}
    assert kinds.control_plane_machine_template_ref(v1beta1)[0] == kinds.ObjectRef(
        "AWSMachineTemplate", "m"
    )
    assert kinds.control_plane_machine_template_ref(v1beta2)[1] == (
        "spec",
        "machineTemplate",
        "spec",
        "infrastructureRef",
    )


def test_class_workers_reads_template_ref_and_nested_ref() -> None:
    bootstrap = {"kind": "KubeadmConfigTemplate", "name": "b"}
    infra = {"kind": "AWSMachineTemplate", "name": "i"}
    v1beta1 = {
        "spec": {
            "workers": {
                "machineDeployments": [
                    {
                        "class": "w",
                        "template": {
                            "bootstrap": {"ref": bootstrap},
                            "infrastructure": {"ref": infra},
                        },
                    }
                ]
            }
        }
    }
    v1beta2 = {
        "spec": {
            "workers": {
                "machinePools": [
                    {
                        "class": "w",
                        "bootstrap": {"templateRef": bootstrap},
                        "infrastructure": {"templateRef": infra},
                    }
                ]
            }
        }
    }
    (old,) = kinds.class_workers(v1beta1)
    (new,) = kinds.class_workers(v1beta2)
    assert (old.pool, old.bootstrap, old.infrastructure) == (
        "machineDeployment",
        kinds.ObjectRef("KubeadmConfigTemplate", "b"),
        kinds.ObjectRef("AWSMachineTemplate", "i"),
    )
    assert (new.pool, new.bootstrap, new.infrastructure) == (
        "machinePool",
        old.bootstrap,
        old.infrastructure,
    )


def test_health_check_spec_normalises_both_generations() -> None:
    assert kinds.health_check_spec({"spec": {"maxUnhealthy": "40%"}}) == {"maxUnhealthy": "40%"}
    v1beta2 = {"remediation": {"triggerIf": {"unhealthyInRange": "[1-3]"}}}
    assert kinds.health_check_spec(v1beta2) == {"unhealthyInRange": "[1-3]"}
    assert kinds.health_check_spec({"checks": {}}) == {}


def test_v1beta2_contract_is_about_cluster_api_groups_only() -> None:
    assert kinds.is_v1beta2_contract("cluster.x-k8s.io/v1beta2")
    assert not kinds.is_v1beta2_contract("cluster.x-k8s.io/v1beta1")
    assert not kinds.is_v1beta2_contract("infrastructure.cluster.x-k8s.io/v1beta2")


M = "__CAPSA_UNRESOLVED_CLUSTER_NAME__"


def test_may_equal_is_false_only_when_no_value_of_the_variables_can_make_the_names_meet() -> None:
    assert not kinds.may_equal(f"{M}-controlplane", f"{M}-control-plane")
    assert not kinds.may_equal(f"{M}-x", "prod-y")
    for one, other in ((f"{M}-md-0", f"{M}-md-0"), (f"{M}-x", "prod-x"), (f"{M}-a", f"a-{M}")):
        assert kinds.may_equal(one, other) and kinds.may_equal(other, one)


TEMPLATE = """apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: c, namespace: ns}
spec: {}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata: {name: md, namespace: ns}
spec:
  clusterName: c
  template:
    spec:
      clusterName: c
      bootstrap:
        configRef: {apiGroup: bootstrap.cluster.x-k8s.io, kind: KubeadmConfigTemplate, name: "${CLUSTER_NAME}-md-0"}
      infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DockerMachineTemplate, name: "${CLUSTER_NAME}-controlplane"}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DockerMachineTemplate
metadata: {name: "${CLUSTER_NAME}-control-plane", namespace: ns}
spec: {template: {spec: {}}}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata: {name: "${CLUSTER_NAME}-md-0", namespace: ns}
spec: {template: {spec: {}}}
"""


def _unresolved(tmp_path: Path, text: str) -> list[str]:
    from capsa.capi.topology import build_topology
    from capsa.sources.files import read_manifests

    (tmp_path / "t.yaml").write_text(text)
    return [p.message for p in build_topology(read_manifests([str(tmp_path)]).resources).problems]


def test_a_reference_no_variable_value_can_match_names_the_typo_not_the_variable(
    tmp_path: Path,
) -> None:
    (message,) = _unresolved(tmp_path, TEMPLATE)
    assert (
        "'${CLUSTER_NAME}-controlplane' cannot be resolved whatever CLUSTER_NAME holds" in message
    )
    assert "differs from '${CLUSTER_NAME}-control-plane'" in message
    assert "has no value" not in message


def test_an_api_group_with_a_version_is_named_as_the_cause(tmp_path: Path) -> None:
    versioned = TEMPLATE.replace(
        "{apiGroup: bootstrap.cluster.x-k8s.io,", "{apiGroup: bootstrap.cluster.x-k8s.io/v1beta2,"
    ).replace("-controlplane", "-control-plane")
    (message,) = _unresolved(tmp_path, versioned)
    assert "its apiGroup 'bootstrap.cluster.x-k8s.io/v1beta2' holds a version" in message


def test_a_name_a_value_could_match_still_names_the_variable(tmp_path: Path) -> None:
    """The silent side: when some value may be the one meant, the unset variable is the
    cause, as before (here the only template of the kind is named by another variable)."""
    other = TEMPLATE.replace('"${CLUSTER_NAME}-control-plane"', '"${WORKER_NAME}"')
    (message,) = _unresolved(tmp_path, other)
    assert "the clusterctl variable CLUSTER_NAME has no value" in message
