"""Files a kustomize configMapGenerator/secretGenerator lists are payloads of the generated
ConfigMap/Secret: never objects of the management cluster, workload payload when a
ClusterResourceSet among the inputs names the generated object, else of unknown
destination, said on every finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.sources.generator_cases import ADDON, CLUSTER, resource_set

from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan
from capsa.sources.files import read_manifests
from capsa.sources.generators import generated_files


def _tree(
    root: Path,
    *,
    crs: str | None = "addon-components",
    options: str = "generatorOptions: {disableNameSuffixHash: true}\n",
    prefix: str = "",
    entry: str = "addon.yaml",
) -> Path:
    (root / "cluster.yaml").write_text(CLUSTER)
    (root / "addon.yaml").write_text(ADDON)
    resources = ["cluster.yaml"]
    if crs is not None:
        (root / "crs.yaml").write_text(resource_set(crs))
        resources.append("crs.yaml")
    (root / "kustomization.yaml").write_text(
        f"resources: [{', '.join(resources)}]\n{prefix}"
        f"configMapGenerator:\n  - name: addon-components\n    files: [{entry}]\n{options}"
    )
    return root


def _scan(path: Path) -> ScanResult:
    return scan(ScanRequest(paths=[str(path)]))


def _fired(result: ScanResult, check: str) -> list[tuple[str, str | None]]:
    return [(f.resource.name, f.location.carrier) for f in result.findings if f.check_id == check]


def test_a_carried_payload_is_workload_configuration_not_management_rbac(tmp_path: Path) -> None:
    result = _scan(_tree(tmp_path))
    assert _fired(result, "CAPSA-RBAC-001") == []
    assert _fired(result, "CAPSA-RBAC-002") == []
    (image,) = _fired(result, "CAPSA-IMG-001")
    assert image[0] == "addon"
    assert image[1] is not None
    assert image[1].startswith(
        "ConfigMap//addon-components:addon.yaml, from the configMapGenerator"
    )
    assert "a ClusterResourceSet applies it to workload clusters" in image[1]
    # the set sees what the generated ConfigMap carries: a credential Secret
    assert [name for name, _ in _fired(result, "CAPSA-TOPO-006")] == ["addon-set"]


def test_findings_on_a_payload_keep_the_payload_files_own_lines(tmp_path: Path) -> None:
    result = _scan(_tree(tmp_path))
    (finding,) = [f for f in result.findings if f.check_id == "CAPSA-IMG-001"]
    assert finding.location.path.endswith("addon.yaml")
    assert (
        finding.location.line
        == ADDON.splitlines().index("          image: example.com/addon:v1.2.3") + 1
    )


def test_without_a_set_the_destination_is_unknown_and_said(tmp_path: Path) -> None:
    result = _scan(_tree(tmp_path, crs=None))
    assert _fired(result, "CAPSA-RBAC-001") == []
    (image,) = _fired(result, "CAPSA-IMG-001")
    assert image[1] is not None and "destination unknown" in image[1]
    assert "no ClusterResourceSet among the inputs names it" in image[1]


def test_a_hashed_name_is_not_what_a_set_names(tmp_path: Path) -> None:
    result = _scan(_tree(tmp_path, options=""))
    assert _fired(result, "CAPSA-RBAC-001") == []
    assert _fired(result, "CAPSA-TOPO-006") == []  # the set names a ConfigMap nobody makes
    (image,) = _fired(result, "CAPSA-IMG-001")
    assert image[1] is not None
    assert image[1].startswith("ConfigMap//addon-components-<hash>:addon.yaml")
    assert "content hash" in image[1]


def test_a_per_generator_option_disables_the_hash_too(tmp_path: Path) -> None:
    root = _tree(tmp_path, options="")
    text = (root / "kustomization.yaml").read_text()
    text += "    options: {disableNameSuffixHash: true}\n"
    (root / "kustomization.yaml").write_text(text)
    (image,) = _fired(_scan(root), "CAPSA-IMG-001")
    assert image[1] is not None and "a ClusterResourceSet applies it" in image[1]


@pytest.mark.parametrize(
    ("crs", "carried"), [("team-addon-components-v2", True), ("addon-components", False)]
)
def test_name_prefix_and_suffix_make_the_generated_name(
    tmp_path: Path, crs: str, carried: bool
) -> None:
    root = _tree(tmp_path, crs=crs, prefix="namePrefix: team-\nnameSuffix: -v2\n")
    result = _scan(root)
    assert _fired(result, "CAPSA-RBAC-001") == []
    (image,) = _fired(result, "CAPSA-IMG-001")
    assert image[1] is not None
    assert image[1].startswith("ConfigMap//team-addon-components-v2:addon.yaml")
    assert ("a ClusterResourceSet applies it" in image[1]) is carried
    assert bool(_fired(result, "CAPSA-TOPO-006")) is carried


def test_the_key_equals_path_form_names_the_data_key(tmp_path: Path) -> None:
    (image,) = _fired(_scan(_tree(tmp_path, entry="components=addon.yaml")), "CAPSA-IMG-001")
    assert image[1] is not None
    assert image[1].startswith("ConfigMap//addon-components:components, from")


def test_a_secret_generator_makes_a_secret_payload(tmp_path: Path) -> None:
    root = _tree(tmp_path, crs=None)
    text = (
        (root / "kustomization.yaml").read_text().replace("configMapGenerator", "secretGenerator")
    )
    (root / "kustomization.yaml").write_text(text)
    result = _scan(root)
    assert _fired(result, "CAPSA-RBAC-001") == []
    (image,) = _fired(result, "CAPSA-IMG-001")
    assert image[1] is not None and image[1].startswith("Secret//addon-components:addon.yaml")
    assert "secretGenerator" in image[1]


def test_plain_rbac_beside_a_generator_keeps_firing(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "admin.yaml").write_text(ADDON.split("---")[0] + "---" + ADDON.split("---")[1])
    result = _scan(root)
    assert [(n, c) for n, c in _fired(result, "CAPSA-RBAC-001")] == [("addon-admin", None)]
    (admin,) = [f for f in result.findings if f.check_id == "CAPSA-RBAC-001"]
    assert admin.location.path.endswith("admin.yaml")


def test_a_file_also_listed_as_a_resource_stays_an_object(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    text = (root / "kustomization.yaml").read_text()
    text = text.replace(
        "resources: [cluster.yaml, crs.yaml]", "resources: [cluster.yaml, crs.yaml, addon.yaml]"
    )
    (root / "kustomization.yaml").write_text(text)
    result = _scan(root)
    assert [n for n, _ in _fired(result, "CAPSA-RBAC-001")] == ["addon-admin"]
    (image,) = _fired(result, "CAPSA-IMG-001")
    assert image[1] is None


def test_the_same_file_without_any_generator_is_management_rbac(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    (tmp_path / "addon.yaml").write_text(ADDON)
    result = _scan(tmp_path)
    assert [n for n, _ in _fired(result, "CAPSA-RBAC-001")] == ["addon-admin"]


def test_a_listed_directory_makes_each_file_in_it_a_payload(tmp_path: Path) -> None:
    root = _tree(tmp_path, entry="addons")
    (root / "addons").mkdir()
    (root / "addon.yaml").rename(root / "addons" / "first.yaml")
    result = _scan(root)
    assert _fired(result, "CAPSA-RBAC-001") == []
    (image,) = _fired(result, "CAPSA-IMG-001")
    assert image[1] is not None and image[1].startswith("ConfigMap//addon-components:first.yaml")


def test_flattened_copies_resolve_generator_paths(tmp_path: Path) -> None:
    """A corpus that names `a/b/kustomization.yaml` as `a__b__kustomization.yaml`."""
    (tmp_path / "a__b__kustomization.yaml").write_text(
        "resources: [crs.yaml]\nconfigMapGenerator:\n  - name: addon-components\n"
        "    files: [../data/addon.yaml]\ngeneratorOptions: {disableNameSuffixHash: true}\n"
    )
    (tmp_path / "a__data__addon.yaml").write_text(ADDON)
    (tmp_path / "a__b__crs.yaml").write_text(resource_set("addon-components"))
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    result = read_manifests([str(tmp_path)])
    carried = [r for r in result.resources if r.origin.path.endswith("a__data__addon.yaml")]
    assert carried and all(r.origin.generated == "ConfigMap//addon-components" for r in carried)
    assert all("a ClusterResourceSet applies it" in (r.origin.carrier or "") for r in carried)


def test_a_file_in_two_listed_directories_goes_with_the_one_listed_first(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "configMapGenerator:\n  - name: outer\n    files: [addons]\n"
        "  - name: inner\n    files: [addons/sub]\n"
        "generatorOptions: {disableNameSuffixHash: true}\n"
    )
    (tmp_path / "addons" / "sub").mkdir(parents=True)
    (tmp_path / "addons" / "sub" / "addon.yaml").write_text(ADDON)
    (tmp_path / "addons" / "other.yaml").write_text(ADDON)
    (tmp_path / "addons-extra.yaml").write_text(ADDON)  # shares a prefix, lies outside
    result = read_manifests([str(tmp_path)])
    made = {r.origin.path.removeprefix(str(tmp_path)): r.origin.generated for r in result.resources}
    assert made == {
        "/addons/other.yaml": "ConfigMap//outer",
        "/addons/sub/addon.yaml": "ConfigMap//outer",
        "/addons-extra.yaml": None,
    }


def test_entries_kustomize_refuses_are_not_followed() -> None:
    files = generated_files(
        [
            (
                "k/kustomization.yaml",
                {"configMapGenerator": [{"name": "x", "files": ["=a", "b=", "c=d=e"]}]},
            )
        ]
    )
    assert files == {}


CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def test_corpus_addon_bindings_are_payloads_of_their_resource_sets() -> None:
    """The gpu-operator and EFS CSI bindings CAPA's e2e kustomizations ship through
    configMapGenerator (carried by crs-gpu-operator / crs-csi) are workload payload."""
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present")
    aws = CORPUS / "cluster-api-provider-aws"
    names = ("gpu-operator", "efs-csi-provisioner-binding")
    bindings = [
        r
        for r in read_manifests([str(aws)]).resources
        if r.kind == "ClusterRoleBinding"
        and r.name in names
        and "kustomize_sources" in r.origin.path
    ]
    assert {r.name for r in bindings} == set(names)
    for binding in bindings:
        assert binding.origin.generated is not None
        assert "a ClusterResourceSet applies it" in (binding.origin.carrier or "")
