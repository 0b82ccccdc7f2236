"""Manifests inside ClusterResourceSet carriers are scanned and located in the carrier file."""

from __future__ import annotations

import base64
from pathlib import Path

from capsa.sources.embedded import expand_embedded
from capsa.sources.files import read_manifests
from capsa.yamlio import position_of

CRS = """\
apiVersion: addons.cluster.x-k8s.io/v1beta1
kind: ClusterResourceSet
metadata:
  name: crs
spec:
  clusterSelector:
    matchLabels: {cni: calico}
  resources:
  - name: addons
    kind: ConfigMap
  - name: creds
    kind: Secret
"""

CONFIGMAP_CARRIER = """\
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: addons
data:
  manifests.yaml: |
    apiVersion: apps/v1
    kind: DaemonSet
    metadata:
      name: ccm
    spec:
      template:
        spec:
          hostNetwork: true
    ---
    apiVersion: v1
    kind: Secret
    metadata:
      name: inner
    stringData:
      password: hunter2
"""


def secret_carrier(payload: str) -> str:
    encoded = base64.b64encode(payload.encode()).decode()
    return (
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
        f"type: addons.cluster.x-k8s.io/resource-set\ndata:\n  cloud.yaml: {encoded}\n"
    )


CLOUD_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cloud\nstringData:\n  key: AKIAEXAMPLE\n"
)


def test_configmap_payload_objects_are_located_on_carrier_lines(tmp_path: Path) -> None:
    path = tmp_path / "crs.yaml"
    path.write_text(CRS + CONFIGMAP_CARRIER)
    result = read_manifests([str(path)])
    assert result.problems == []
    embedded = [r for r in result.resources if r.origin.carrier]
    assert [(r.kind, r.name) for r in embedded] == [("DaemonSet", "ccm"), ("Secret", "inner")]
    daemonset = embedded[0]
    assert daemonset.origin.path == str(path)
    assert daemonset.origin.line == 19  # the `manifests.yaml:` key
    assert daemonset.origin.carrier == "ConfigMap//addons:manifests.yaml"
    field = ("spec", "template", "spec", "hostNetwork")
    assert position_of(daemonset.body, field) == (27, 24)
    assert path.read_text().splitlines()[26].strip() == "hostNetwork: true"


def test_secret_found_inside_a_payload_is_redacted(tmp_path: Path) -> None:
    path = tmp_path / "crs.yaml"
    path.write_text(CRS + CONFIGMAP_CARRIER)
    inner = next(r for r in read_manifests([str(path)]).resources if r.name == "inner")
    assert inner.body["stringData"] == {"password": "<redacted>"}


def test_base64_secret_carrier_is_expanded_and_then_redacted(tmp_path: Path) -> None:
    path = tmp_path / "crs.yaml"
    path.write_text(CRS + secret_carrier(CLOUD_SECRET))
    result = read_manifests([str(path)])
    carrier = next(r for r in result.resources if r.name == "creds")
    assert carrier.body["data"] == {"cloud.yaml": "<redacted>"}
    cloud = next(r for r in result.resources if r.name == "cloud")
    assert cloud.origin.carrier == "Secret//creds:cloud.yaml"
    assert cloud.origin.line == 20
    assert cloud.body["stringData"] == {"key": "<redacted>"}
    assert position_of(cloud.body, ("stringData", "key")) == (20, 3)  # no literal: the key line
    assert "AKIAEXAMPLE" not in repr(result)


def test_unreferenced_configmap_is_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(CONFIGMAP_CARRIER)
    result = read_manifests([str(path)])
    assert [r.kind for r in result.resources] == ["ConfigMap"]


def test_bad_payloads_are_problems_at_the_key(tmp_path: Path) -> None:
    text = CRS + (
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: addons\n"
        "data:\n  broken.yaml: 'a: [1'\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
        "type: addons.cluster.x-k8s.io/resource-set\ndata:\n  x: '%%%not-base64'\n"
    )
    path = tmp_path / "crs.yaml"
    path.write_text(text)
    result = read_manifests([str(path)])
    assert [(p.line, p.message.split(":")[0]) for p in result.problems] == [
        (19, "ConfigMap//addons"),
        (27, "Secret//creds"),
    ]
    assert "not valid base64" in result.problems[1].message
    assert "%%%" not in result.problems[1].message


def test_unresolved_payload_variable_is_unknown_not_an_error(tmp_path: Path) -> None:
    text = CRS + (
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: addons\n"
        "data:\n  cni.yaml: ${CNI_RESOURCES}\n"
    )
    path = tmp_path / "crs.yaml"
    path.write_text(text)
    result = read_manifests([str(path)])
    assert result.problems == []
    assert [r.kind for r in result.resources] == ["ClusterResourceSet", "ConfigMap"]


def test_expand_embedded_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "crs.yaml"
    path.write_text(CRS + CONFIGMAP_CARRIER)
    once = read_manifests([str(path)]).resources
    again, problems = expand_embedded(once)
    assert again == once
    assert problems == []
