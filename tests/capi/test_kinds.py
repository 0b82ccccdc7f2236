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
