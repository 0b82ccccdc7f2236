"""Copies of one tree (an overlay per environment, a base beside each flavour) repeat
every name: an object whose file holds no match for what it names goes with the match
nearest it (the most leading folders in common), not with the first copy read."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.capi.index import Nearby, ResourceIndex
from capsa.capi.kinds import ObjectRef
from capsa.capi.topology import build_topology
from capsa.scan.service import ScanRequest, scan
from capsa.sources.files import read_manifests
from capsa.sources.resource import Origin, Resource

CLUSTER = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: "${CLUSTER_NAME}", labels: {cni: calico}}
spec:
  infrastructureRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2,
    kind: AWSCluster, name: "${CLUSTER_NAME}"}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSCluster
metadata: {name: "${CLUSTER_NAME}"}
spec: {region: eu-west-1}
"""

POOL = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata: {name: "${CLUSTER_NAME}-md-0"}
spec:
  clusterName: "${CLUSTER_NAME}"
  template:
    spec:
      clusterName: "${CLUSTER_NAME}"
      infrastructureRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2,
        kind: AWSMachineTemplate, name: "${CLUSTER_NAME}-md-0"}
"""

ADDONS = """\
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata: {name: crs-cni}
spec:
  clusterSelector: {matchLabels: {cni: calico}}
  resources: [{kind: ConfigMap, name: cni}]
"""

CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cni}
data: {cni.yaml: "kind: Namespace"}
"""


def _tree(root: Path, layout: str) -> None:
    """Two copies (`a`, `b`) of a base: the Cluster, its pools, its addons and their
    ConfigMap each in a file of their own, as folders or as a flattened mirror."""
    for copy in ("a", "b"):
        for name, text in (
            ("cluster", CLUSTER),
            ("pool", POOL),
            ("addons", ADDONS),
            ("config", CONFIG),
        ):
            if layout == "folders":
                path = root / copy / "base" / f"{name}.yaml"
            else:
                path = root / f"{copy}__base__{name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def _copy_of(path: str) -> str:
    return "b" if "/b/" in path or "/b__" in path else "a"


def test_copies_in_folders_and_flattened_mirrors_keep_to_their_own_copy(tmp_path: Path) -> None:
    for layout in ("folders", "flat"):
        root = tmp_path / layout
        _tree(root, layout)
        resources = read_manifests([str(root)]).resources
        topology = build_topology(resources)
        assert len(topology.clusters) == 2
        for view in topology.clusters:
            own = _copy_of(view.cluster.origin.path)
            kinds = {m.resource.kind: _copy_of(m.resource.origin.path) for m in view.members}
            assert kinds["MachineDeployment"] == own, layout
            assert kinds["ClusterResourceSet"] == own, layout
            payload = topology.context_of(
                next(m.resource for m in view.members if m.resource.kind == "ClusterResourceSet")
            ).resource_set_payload
            assert payload and all(entry.found for entry in payload)


def _at(path: str) -> Resource:
    return Resource(
        api_version="v1",
        kind="ConfigMap",
        namespace="default",
        name="cni",
        body={},
        origin=Origin(path=path, line=1),
    )


def test_the_nearest_wins_and_input_order_breaks_ties() -> None:
    first, second, third = _at("x/a/one.yaml"), _at("x/b/one.yaml"), _at("x/b/two.yaml")
    nearby = Nearby([first, second, third])
    assert nearby.nearest("x/b/two.yaml") is third  # its own file
    assert nearby.nearest("x/b/three.yaml") is second  # same folder, first read
    assert nearby.nearest("x/c/one.yaml") is first  # equally far: the first read
    assert nearby.nearest("y/one.yaml") is first
    assert Nearby([]).nearest("x/a/one.yaml") is None


def test_a_double_underscore_separates_folders_and_a_single_one_does_not() -> None:
    first, second = _at("m/a__base__cm.yaml"), _at("m/b__base__cm.yaml")
    nearby = Nearby([first, second, _at("m/b__base__cm.yaml")])
    assert nearby.nearest("m/b__base__crs.yaml") is second  # folders m, b, base
    assert nearby.nearest("m/b___base__crs.yaml") is second  # `b`, then `_base`
    assert nearby.nearest("m/b_base_crs.yaml") is first  # folder m only: the first read


def test_a_reference_resolves_to_the_nearest_copy() -> None:
    near = _at("x/b/crs.yaml")
    index = ResourceIndex([_at("x/a/cm.yaml"), _at("x/b/cm.yaml")])
    found = index.resolve(ObjectRef(kind="ConfigMap", name="cni", group=""), "default", near)
    assert found is not None and found.origin.path == "x/b/cm.yaml"
    alone = index.resolve(ObjectRef(kind="ConfigMap", name="cni", group=""), "default")
    assert alone is not None and alone.origin.path == "x/a/cm.yaml"  # no referrer: first


def _config(path: str, namespace: str | None, api_version: str = "v1") -> Resource:
    return Resource(
        api_version=api_version,
        kind="ConfigMap",
        namespace=namespace,
        name="cni",
        body={},
        origin=Origin(path=path, line=1),
    )


def test_same_named_objects_of_the_referrers_file_are_told_apart_by_namespace() -> None:
    """A file holding two objects of one kind and name (one per namespace) keeps both
    for the referrer's lookup, in input order."""
    elsewhere = _config("x/a/cm.yaml", "team")
    first, second = _config("x/b/cm.yaml", None), _config("x/b/cm.yaml", "team")
    index = ResourceIndex([elsewhere, first, second])
    ref = ObjectRef(kind="ConfigMap", name="cni", group="")
    near = _at("x/b/crs.yaml")
    assert index.resolve(ref, "team", _at("x/b/cm.yaml")) is second
    assert index.resolve(ref, "default", _at("x/b/cm.yaml")) is first  # unset: default
    assert index.resolve(ref, None, _at("x/b/cm.yaml")) is first  # any namespace: first
    assert index.resolve(ref, "team", near) is second  # not in its file: the nearest
    assert index.resolve(ref, "team", _at("x/a/cm.yaml")) is elsewhere  # its file's only one
    assert index.resolve(ref, "default", _at("x/a/cm.yaml")) is first  # ... of another namespace
    assert index.resolve(ref, "team") is elsewhere  # no referrer: the first read


def test_a_referrers_file_without_a_match_falls_back_to_the_nearest_match() -> None:
    """The referrer's file holds the name only in another group and another namespace:
    neither is taken, and the lookup goes on to the other files."""
    other_group = _config("x/b/cm.yaml", "team", "example.com/v1")
    other_namespace = _config("x/b/cm.yaml", "other")
    wanted = _config("x/a/cm.yaml", "team")
    index = ResourceIndex([other_group, other_namespace, wanted])
    ref = ObjectRef(kind="ConfigMap", name="cni", group="")
    assert index.resolve(ref, "team", _at("x/b/cm.yaml")) is wanted
    assert index.resolve(ObjectRef(kind="ConfigMap", name="cni"), "team", _at("x/b/cm.yaml")) is (
        other_group  # a reference without a group matches any group
    )
    assert (
        index.resolve(ObjectRef(kind="ConfigMap", name="gone"), "team", _at("x/b/cm.yaml")) is None
    )
    assert index.named("ConfigMap", "cni") == [other_group, other_namespace, wanted]
    assert index.named("ConfigMap", "gone") == []


TARGET_NAMESPACE = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: VSphereClusterTemplate
metadata: {name: vsphere, namespace: "${NAMESPACE}"}
spec: {template: {spec: {server: vcenter.example.invalid}}}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: ClusterClass
metadata: {name: vsphere}
spec:
  infrastructure:
    templateRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2,
      kind: VSphereClusterTemplate, name: vsphere}
"""


def test_an_object_in_the_unresolved_target_namespace_is_found_from_one_without_any(
    tmp_path: Path,
) -> None:
    """clusterctl renders every namespaced object of a template into its target
    namespace, `${NAMESPACE}`: a namespace-less ClusterClass finds its `${NAMESPACE}`
    template; a template in another, known namespace stays apart."""
    (tmp_path / "class.yaml").write_text(TARGET_NAMESPACE)
    resources = read_manifests([str(tmp_path)]).resources
    template, klass = resources
    ref = ObjectRef("VSphereClusterTemplate", "vsphere", "infrastructure.cluster.x-k8s.io")
    assert ResourceIndex(resources).resolve(ref, "default", klass) is template
    elsewhere = Resource(
        template.api_version, template.kind, "team-b", template.name, template.body,
        Origin("other.yaml", 1),
    )  # fmt: skip
    assert ResourceIndex([elsewhere, klass]).resolve(ref, "default", klass) is None


def test_an_object_of_the_very_namespace_wins_over_one_in_an_unresolved_namespace(
    tmp_path: Path,
) -> None:
    """An upstream template in `${NAMESPACE}` read first, or in the referrer's own file,
    never takes the place of the template in the referrer's own namespace."""
    (tmp_path / "a-upstream.yaml").write_text(TARGET_NAMESPACE.split("---")[0])
    (tmp_path / "b-prod.yaml").write_text(
        TARGET_NAMESPACE.split("---")[0].replace('"${NAMESPACE}"', "prod")
    )
    upstream, prod = read_manifests([str(tmp_path)]).resources
    assert (upstream.origin.path, prod.namespace) == (str(tmp_path / "a-upstream.yaml"), "prod")
    ref = ObjectRef("VSphereClusterTemplate", "vsphere", "infrastructure.cluster.x-k8s.io")
    index = ResourceIndex([upstream, prod])
    assert index.resolve(ref, "prod") is prod
    assert index.resolve(ref, "prod", upstream) is prod, "even from the upstream copy's file"
    assert index.resolve(ref, "team-b", prod) is upstream, "the unresolved one when no other"


TARGET_NAMESPACE_CLUSTER = """\
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: one, namespace: "${NAMESPACE}"}
spec:
  topology: {classRef: {name: vsphere}, version: v1.31.0}
"""


@pytest.mark.parametrize("given", [None, "team-a"])
def test_a_given_target_namespace_holds_a_templates_namespace_less_objects(
    tmp_path: Path, given: str | None
) -> None:
    """With `NAMESPACE` given, as `clusterctl generate --target-namespace` sets it, the
    namespace-less ClusterClass is rendered into that namespace with the rest: the
    Cluster finds it and the class its template. Unset, the variable stays unresolved
    and the same objects still meet (`_matching`'s loose match)."""
    (tmp_path / "class.yaml").write_text(TARGET_NAMESPACE + "---\n" + TARGET_NAMESPACE_CLUSTER)
    variables = {"NAMESPACE": given} if given else {}
    result = scan(ScanRequest(paths=[str(tmp_path)], variables=variables, keep_topology=True))
    assert result.topology is not None
    (view,) = result.topology.clusters
    assert view.topology_class == "vsphere"
    assert view.infrastructure_cluster is not None
    assert view.infrastructure_cluster.kind == "VSphereClusterTemplate"
    if given:
        read = read_manifests([str(tmp_path)], variables).resources
        namespaces = {r.kind: r.namespace for r in read}
        assert namespaces == dict.fromkeys(
            ("Cluster", "ClusterClass", "VSphereClusterTemplate"), given
        )


def test_a_classes_own_file_moves_into_the_target_namespace_with_its_cluster(
    tmp_path: Path,
) -> None:
    """clusterctl renders the ClusterClass it fetches for a Cluster into the target
    namespace too, though its file never names `${NAMESPACE}`: the Cluster finds it."""
    (tmp_path / "class.yaml").write_text(TARGET_NAMESPACE.replace('"${NAMESPACE}"', "null"))
    (tmp_path / "cluster.yaml").write_text(TARGET_NAMESPACE_CLUSTER)
    variables = {"NAMESPACE": "team-a"}
    result = scan(ScanRequest(paths=[str(tmp_path)], variables=variables, keep_topology=True))
    assert result.topology is not None
    (view,) = result.topology.clusters
    assert view.infrastructure_cluster is not None
    assert not [e for e in result.errors if "not among the inputs" in e.message]
