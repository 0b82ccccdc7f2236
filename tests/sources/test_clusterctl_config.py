"""One list of clusterctl configuration keys serves both readers: `--vars-file` and the
directory scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.sources.clusterctl_config import SETTINGS, is_config, variables_section
from capsa.sources.clusterctl_vars import load_vars_file
from capsa.sources.files import read_manifests


@pytest.mark.parametrize(
    "key", ["providers", "cert-manager", "overridesFolder", "managementClusterName", "intervals"]
)
def test_a_key_only_clusterctl_files_use_tells_a_config(key: str) -> None:
    assert is_config({key: [], "AWS_REGION": "eu-west-1"})


@pytest.mark.parametrize(
    "doc",
    [
        {"images": [{"name": "nginx", "newTag": "1.27"}]},  # a kustomization field too
        {"apiVersion": "v1", "kind": "ConfigMap", "providers": []},  # an object
        {"AWS_REGION": "eu-west-1"},  # plain variables say nothing
    ],
)
def test_objects_kustomize_images_and_plain_mappings_are_not_configs(
    doc: dict[str, object],
) -> None:
    assert not is_config(doc)


def test_the_variables_section_is_used_only_beside_settings() -> None:
    e2e = {"images": [], "variables": {"A": "b"}}
    assert variables_section(e2e) == {"A": "b"}
    lone = {"variables": {"A": "b"}, "B": "c"}
    assert variables_section(lone) is lone


def test_vars_file_skips_every_setting_of_clusterctl_yaml(tmp_path: Path) -> None:
    path = tmp_path / "clusterctl.yaml"
    path.write_text(
        "providers:\n- name: aws\n  url: https://example.invalid\n  type: InfrastructureProvider\n"
        "cert-manager:\n  version: v1.16.0\noverridesFolder: /tmp/o\n"
        "images:\n  all:\n    repository: r.example\nAWS_REGION: eu-west-1\n"
    )
    values, problems = load_vars_file(str(path))
    assert values == {"AWS_REGION": "eu-west-1"} and problems == []
    assert {"providers", "cert-manager", "overridesFolder", "images"} <= SETTINGS


def test_vars_file_reads_an_e2e_config_with_images_only_beside_its_variables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "e2e.yaml"
    path.write_text(
        "managementClusterName: mgmt\nimages:\n- name: capa:dev\n"
        "variables:\n  KUBERNETES_VERSION: v1.31.0\n"
    )
    values, problems = load_vars_file(str(path))
    assert values == {"KUBERNETES_VERSION": "v1.31.0"} and problems == []


def test_a_scanned_clusterctl_config_is_skipped_quietly(tmp_path: Path) -> None:
    (tmp_path / "clusterctl.yaml").write_text("cert-manager:\n  version: v1.16.0\nA: b\n")
    (tmp_path / "other.yaml").write_text("images:\n- name: x\n")
    result = read_manifests([str(tmp_path)])
    assert result.documents_skipped == 1
    assert [(Path(p.path).name, p.line) for p in result.problems] == [("other.yaml", 1)]
