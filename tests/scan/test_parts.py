"""Planning a directory subtree at a time makes the whole input's plan (`capsa.scan.parts`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import capsa.scan.grouped as grouped
import capsa.scan.parts as parts
from capsa.scan.parts import Heads, Leaves, Load, leaves
from capsa.scan.plan import Plan, plan_groups

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "capsa" / "examples" / "capa-demo"
FIXTURES = ROOT / "tests" / "capi" / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


def _plans(
    paths: Sequence[str], part_budget: int, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Plan | None, Plan]]:
    """Each plan a grouped scan of `paths` made unit by unit (None: it planned whole),
    beside the plan of the same skeletons made whole."""
    made: list[tuple[Plan | None, Plan]] = []
    real = parts.plan_in_parts

    def both(
        blocks: int,
        heads: Heads,
        load: Load,
        paths: Sequence[str],
        file_of: Any,
        sizes: Sequence[int],
        budget: int,
        rbac: Any,
        part_budget_: int | None = None,
    ) -> Plan | None:
        in_parts = real(blocks, heads, load, paths, file_of, sizes, budget, rbac, part_budget)
        skeletons = [s for block in range(blocks) for s in load(block)]
        made.append((in_parts, plan_groups(skeletons, file_of, sizes, budget, rbac)))
        return in_parts

    monkeypatch.setattr(grouped, "plan_in_parts", both)
    grouped.scan_groups(list(paths), {}, None, checks=(), budget=1)
    return made


def _same(in_parts: Plan | None, whole: Plan) -> None:
    assert in_parts is not None, "the input was planned whole"
    assert in_parts.groups == whole.groups
    assert in_parts.shared == whole.shared
    assert dict(in_parts.cluster_order) == dict(whole.cluster_order)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir(parents=True)
        shutil.copy(source, target / source.name)


@pytest.mark.parametrize("part_budget", [1, 12, 60])
def test_copies_of_the_example_and_fixtures_plan_as_the_whole(
    part_budget: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        _copy(DEMO, tmp_path / f"env{n}" / "demo")
        _copy(FIXTURES, tmp_path / f"env{n}" / "fixtures")
    (made,) = _plans([str(tmp_path)], part_budget, monkeypatch)
    _same(*made)


@pytest.mark.parametrize("part_budget", [150, 2_000])
def test_corpus_copies_plan_as_the_whole(
    part_budget: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus's overlays, generator files and ClusterResourceSets that pick their
    carriers by name, in two copies cut into leaves across and within the copies."""
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    for n in range(2):
        shutil.copytree(CORPUS, tmp_path / f"copy{n}")
    (made,) = _plans([str(tmp_path)], part_budget, monkeypatch)
    _same(*made)


CLUSTER = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {{name: {cluster}, namespace: {ns}, labels: {{addons: {label}}}}}
spec:
  controlPlaneRef:
    apiVersion: controlplane.cluster.x-k8s.io/v1beta1
    kind: KubeadmControlPlane
    name: {control_plane}
  infrastructureRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
    kind: AWSCluster
    name: {infra}
"""
CONTROL_PLANE = """\
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KubeadmControlPlane
metadata: {{name: {name}, namespace: {ns}}}
spec:
  machineTemplate:
    infrastructureRef:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
      kind: AWSMachineTemplate
      name: {template}
"""
INFRA = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSCluster
metadata: {{name: {name}, namespace: {ns}}}
spec: {{network: {{vpc: {{id: {vpc}}}}}}}
"""
TEMPLATE = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {{name: {name}, namespace: {ns}}}
spec: {{template: {{spec: {{instanceType: t3.large}}}}}}
"""
DEPLOYMENT = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  clusterName: {cluster}
  template:
    spec:
      clusterName: {cluster}
      infrastructureRef:
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
        kind: AWSMachineTemplate
        name: {template}
"""
RESOURCE_SET = """\
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata: {{name: {name}, namespace: {ns}}}
spec:
  clusterSelector: {{matchLabels: {{addons: {label}}}}}
  resources: [{{kind: ConfigMap, name: {carrier}}}]
"""
CARRIER = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}, namespace: {ns}}}
data: {{addon.yaml: "kind: Namespace\\napiVersion: v1\\nmetadata: {{name: addon}}\\n"}}
"""
NAMES = ["a", "b", "c"]
FOLDERS = ["x", "x/y", "x/y/z", "w", "w/x", "v", ""]


def _object(draw: st.DrawFn) -> str:
    name = st.sampled_from(NAMES)
    ns = draw(st.sampled_from(["default", "team", "${NAMESPACE}"]))
    shape = draw(
        st.sampled_from(
            [CLUSTER, CONTROL_PLANE, INFRA, TEMPLATE, DEPLOYMENT, RESOURCE_SET, CARRIER]
        )
    )
    return shape.format(
        cluster=draw(name),
        control_plane=draw(name),
        infra=draw(name),
        template=draw(name),
        name=draw(name),
        carrier=draw(name),
        label=draw(st.sampled_from(["on", "off"])),
        vpc=draw(st.sampled_from(["vpc-1", "vpc-2", "${VPC}"])),
        ns=ns,
    )


@st.composite
def _trees(draw: st.DrawFn) -> dict[str, str]:
    """Files in a few nested folders whose objects name each other from a small pool
    of names, so that lookups meet candidates in their own file, their own subtree,
    a sibling subtree and the root: every way one could leave a part."""
    files: dict[str, str] = {}
    for n in range(draw(st.integers(2, 9))):
        folder = draw(st.sampled_from(FOLDERS))
        documents = [_object(draw) for _ in range(draw(st.integers(1, 4)))]
        files[f"{folder}/f{n}.yaml".lstrip("/")] = "---\n".join(documents)
    return files


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tree=_trees(), part_budget=st.sampled_from([1, 3, 6]))
def test_any_tree_plans_as_the_whole_or_is_planned_whole(
    tree: dict[str, str], part_budget: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("tree")
    for name, text in tree.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        made = _plans([str(root)], part_budget, monkeypatch)
    for in_parts, whole in made:
        if in_parts is not None:  # planned in parts: it must be the whole's plan
            _same(in_parts, whole)


def test_a_lookup_into_another_subtree_escapes_and_the_parts_are_planned_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Cluster in `a/` names a control plane that only `b/` holds: planned alone, `a/`
    would find nothing, so the two leaves are planned as one and the plan links them."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cluster = CLUSTER.format(
        cluster="one", ns="default", label="on", control_plane="cp", infra="none"
    )
    (tmp_path / "a" / "cluster.yaml").write_text(cluster, encoding="utf-8")
    plane = CONTROL_PLANE.format(name="cp", ns="default", template="none")
    (tmp_path / "b" / "plane.yaml").write_text(plane, encoding="utf-8")
    escapes: list[dict[int, int]] = []
    real = parts._plan_unit

    def noted(*args: Any) -> Any:
        planned = real(*args)
        escapes.append(planned.escapes)
        return planned

    monkeypatch.setattr(parts, "_plan_unit", noted)
    (made,) = _plans([str(tmp_path)], 1, monkeypatch)
    _same(*made)
    assert {0: 0b10} in escapes  # leaf a/ escaped to leaf b/
    in_parts = made[0]
    assert in_parts is not None
    assert any(group.loads == (0, 1) for group in in_parts.groups)


def test_a_lookup_answered_in_its_own_subtree_does_not_escape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each copy's Cluster finds its control plane in its own folder: no leaf is planned
    with another, though every copy holds the same names."""
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        cluster = CLUSTER.format(
            cluster="one", ns="default", label="on", control_plane="cp", infra="none"
        )
        plane = CONTROL_PLANE.format(name="cp", ns="default", template="none")
        (tmp_path / copy / "cluster.yaml").write_text(cluster, encoding="utf-8")
        (tmp_path / copy / "plane.yaml").write_text(plane, encoding="utf-8")
    units: list[int] = []
    real = parts._plan_unit

    def noted(unit: int, *args: Any) -> Any:
        units.append(unit)
        planned = real(unit, *args)
        assert not planned.escapes
        return planned

    monkeypatch.setattr(parts, "_plan_unit", noted)
    (made,) = _plans([str(tmp_path)], 2, monkeypatch)
    _same(*made)
    assert units == [0b01, 0b10]


def test_lookups_that_keep_escaping_leave_the_input_to_be_planned_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cluster = CLUSTER.format(
        cluster="one", ns="default", label="on", control_plane="cp", infra="none"
    )
    (tmp_path / "a" / "cluster.yaml").write_text(cluster, encoding="utf-8")
    plane = CONTROL_PLANE.format(name="cp", ns="default", template="none")
    (tmp_path / "b" / "plane.yaml").write_text(plane, encoding="utf-8")
    monkeypatch.setattr(parts, "MERGE_ROUNDS", 1)
    (made,) = _plans([str(tmp_path)], 1, monkeypatch)
    assert made[0] is None


def test_clusters_read_twice_under_one_key_keep_their_places_in_the_whole_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items of a one-line List share its line: the first and third Cluster below have
    one key, the second (namespace `default` written out) another, and all three one
    name. The whole resolves them in input order; so must the part (review of stop 33:
    the third took the first's place and came before the second)."""
    items = [
        {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "metadata": meta}
        for meta in ({"name": "c"}, {"name": "c", "namespace": "default"}, {"name": "c"})
    ]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    (tmp_path / "a" / "list.yaml").write_text(listed, encoding="utf-8")
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    (tmp_path / "b" / "cm.yaml").write_text(other, encoding="utf-8")
    (made,) = _plans([str(tmp_path)], 1, monkeypatch)
    _same(*made)


def _cut(paths: list[str], sizes: list[int], budget: int) -> Leaves:
    return leaves(paths, sizes, budget)


def test_a_folder_over_the_budget_is_cut_into_its_subtrees_and_its_own_files() -> None:
    paths = ["r/a/1.yaml", "r/a/2.yaml", "r/b/c/3.yaml", "r/4.yaml"]
    cut = _cut(paths, [5, 5, 5, 5], 12)
    assert cut.of_file == (0, 0, 1, 2)
    assert cut.subtree == (True, True, False)
    assert cut.prefix == (("r", "a"), ("r", "b", "c"), ("r",))
    assert cut.first == (0, 2, 3)


def test_a_folder_within_the_budget_is_one_leaf_and_one_folder_is_looked_into() -> None:
    assert _cut(["r/a/1.yaml", "r/b/2.yaml"], [5, 5], 10).subtree == (True,)
    cut = _cut(["r/only/a/1.yaml", "r/only/b/2.yaml"], [5, 5], 6)
    assert cut.prefix == (("r", "only", "a"), ("r", "only", "b"))


def test_flattened_mirror_names_count_as_folders() -> None:
    """`dir__file` names a file in `dir` (`capi.index.folders_of`), as lookups read it."""
    cut = _cut(["m/x__1.yaml", "m/y__2.yaml"], [5, 5], 6)
    assert cut.subtree == (True, True)
    assert cut.prefix == (("m", "x"), ("m", "y"))


def test_an_input_of_one_leaf_is_planned_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy(DEMO, tmp_path / "demo")
    (made,) = _plans([str(tmp_path)], 10_000, monkeypatch)
    assert made[0] is None
