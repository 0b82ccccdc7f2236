"""Kustomize patch files are fragments: they add evidence where they set a field, never
"lack" one, and take no part in a cluster's topology."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.checks.checks_support import kubeadm_control_plane

from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan
from capsa.sources.files import read_manifests
from capsa.sources.kustomize import patch_files

AWS = "infrastructure.cluster.x-k8s.io/v1beta2"

BASE = f"""\
apiVersion: {AWS}
kind: AWSMachineTemplate
metadata: {{name: workers}}
spec:
  template:
    spec:
      instanceType: t3.large
      instanceMetadataOptions: {{httpTokens: required, httpEndpoint: enabled}}
"""


def _overlay(tmp_path: Path, patch: str, key: str = "patches") -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "patches").mkdir()
    (tmp_path / "patches" / "change.yaml").write_text(patch)
    entry = (
        "- path: patches/change.yaml" if key != "patchesStrategicMerge" else "- patches/change.yaml"
    )
    (tmp_path / "kustomization.yaml").write_text(f"resources: [base.yaml]\n{key}:\n{entry}\n")
    return tmp_path


def _scan(path: Path) -> ScanResult:
    return scan(ScanRequest(paths=[str(path)]))


def _on(result: ScanResult, check: str, name: str) -> list[str]:
    """Where `check` fired on files called `name`."""
    return [
        f"{f.location.path}:{f.location.line}"
        for f in result.findings
        if f.check_id == check and f.location.path.endswith(name)
    ]


def _unknown(result: ScanResult, check: str, name: str) -> list[str]:
    return [
        u.reason for u in result.unknown if u.check_id == check and u.location.path.endswith(name)
    ]


@pytest.mark.parametrize("key", ["patches", "patchesStrategicMerge", "patchesJson6902"])
def test_a_patch_that_only_sets_other_fields_lacks_nothing(tmp_path: Path, key: str) -> None:
    patch = f"apiVersion: {AWS}\nkind: AWSMachineTemplate\nmetadata: {{name: workers}}\n"
    patch += "spec:\n  template:\n    spec:\n      instanceType: m5.xlarge\n"
    result = _scan(_overlay(tmp_path, patch, key))
    assert _on(result, "CAPSA-IMDS-001", "change.yaml") == []
    reasons = _unknown(result, "CAPSA-IMDS-001", "change.yaml")
    assert reasons and "kustomization.yaml" in reasons[0] and "base decides" in reasons[0]


def test_a_patch_that_sets_the_bad_value_is_a_finding_on_the_patch(tmp_path: Path) -> None:
    patch = f"apiVersion: {AWS}\nkind: AWSMachineTemplate\nmetadata: {{name: workers}}\n"
    patch += "spec:\n  template:\n    spec:\n      instanceMetadataOptions:\n"
    patch += "        httpTokens: optional\n"
    result = _scan(_overlay(tmp_path, patch))
    assert [p.split(":")[-1] for p in _on(result, "CAPSA-IMDS-001", "change.yaml")] == [
        "8"
    ]  # httpTokens


def test_the_same_document_outside_any_kustomization_is_judged_whole(tmp_path: Path) -> None:
    text = f"apiVersion: {AWS}\nkind: AWSMachineTemplate\nmetadata: {{name: workers}}\n"
    text += "spec:\n  template:\n    spec:\n      instanceType: m5.xlarge\n"
    (tmp_path / "alone.yaml").write_text(text)
    assert _on(_scan(tmp_path), "CAPSA-IMDS-001", "alone.yaml")


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2"])
def test_extra_args_in_a_patch_merge_into_the_base(tmp_path: Path, api: str) -> None:
    """A patch adding one apiserver flag says nothing about the flags the base carries."""
    (tmp_path / "kustomization.yaml").write_text("patchesStrategicMerge: [kcp.yaml]\n")
    (tmp_path / "kcp.yaml").write_text(kubeadm_control_plane(api, {"cloud-provider": "external"}))
    result = _scan(tmp_path)
    for check in ("CAPSA-AUDIT-001", "CAPSA-APISRV-001"):
        assert _on(result, check, "kcp.yaml") == [], check
    (tmp_path / "kustomization.yaml").unlink()
    assert _on(_scan(tmp_path), "CAPSA-AUDIT-001", "kcp.yaml")


def test_a_cluster_patch_makes_no_cluster_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("patches:\n- path: cluster.yaml\n")
    (tmp_path / "cluster.yaml").write_text(
        "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: c}\n"
        "spec:\n  clusterNetwork: {pods: {cidrBlocks: [192.168.0.0/16]}}\n"
    )
    result = _scan(tmp_path)
    assert result.topology.clusters == ()
    assert not result.findings


def test_flattened_copies_resolve_patches_by_their_flattened_names(tmp_path: Path) -> None:
    """A mirror naming files after their path (`a/b.yaml` as `a__b.yaml`)."""
    (tmp_path / "t__ignition__kustomization.yaml").write_text(
        "resources: [../default]\npatchesStrategicMerge:\n- patches/worker.yaml\n"
        "- ../addons/cni.yaml\n"
    )
    found = patch_files(
        [
            (
                str(tmp_path / "t__ignition__kustomization.yaml"),
                {
                    "patchesStrategicMerge": ["patches/worker.yaml", "../addons/cni.yaml"],
                },
            )
        ]
    )
    assert str(tmp_path / "t__ignition__patches__worker.yaml") in found
    assert str(tmp_path / "t__addons__cni.yaml") in found
    (tmp_path / "t__ignition__patches__worker.yaml").write_text(BASE)
    read = read_manifests([str(tmp_path)])
    assert [r.fragment_of for r in read.resources] == [
        str(tmp_path / "t__ignition__kustomization.yaml")
    ]


def test_inline_patches_name_no_file(tmp_path: Path) -> None:
    found = patch_files([("k/kustomization.yaml", {"patches": [{"patch": "- op: remove"}]})])
    assert found == {}
