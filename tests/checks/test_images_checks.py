"""CAPSA-IMG-*: images by digest, AMIs by id (also for workloads a ClusterResourceSet embeds)."""

from __future__ import annotations

import pytest
from checks_support import MACHINES, aws_machine, outcome, run

DIGEST = "registry.k8s.io/cluster-api/cluster-api-controller@sha256:" + "a" * 64


def workload(kind: str, image: str, init: str | None = None) -> str:
    group = {"Pod": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    containers = f"containers: [{{name: c, image: '{image}'}}]"
    if init:
        containers += f"\n  initContainers: [{{name: i, image: '{init}'}}]"
    pod = "spec:\n  " + containers.replace("\n", "\n")
    if kind == "Pod":
        body = pod
    elif kind == "CronJob":
        body = "spec:\n  jobTemplate:\n    spec:\n      template:\n        " + pod.replace(
            "\n", "\n        "
        )
    else:
        body = "spec:\n  template:\n    " + pod.replace("\n", "\n    ")
    return f"apiVersion: {group}\nkind: {kind}\nmetadata: {{name: w}}\n{body}\n"


@pytest.mark.parametrize(
    "kind", ["Deployment", "DaemonSet", "StatefulSet", "Pod", "Job", "CronJob"]
)
def test_img_001(kind: str) -> None:
    assert (
        outcome(
            "CAPSA-IMG-001",
            workload(kind, "registry.k8s.io/cluster-api/cluster-api-controller:v1.10.0"),
        )
        == "fail"
    )
    assert outcome("CAPSA-IMG-001", workload(kind, DIGEST, init="busybox:1.36")) == "fail"
    assert outcome("CAPSA-IMG-001", workload(kind, DIGEST)) == "pass"


def test_img_001_embedded_in_a_resource_set_points_at_the_carrier() -> None:
    text = workload("DaemonSet", "docker.io/calico/node:v3.26.1")
    finding = run(
        "CAPSA-IMG-001", text, path="crs.yaml", carrier="ConfigMap default/calico"
    ).findings[0]
    assert finding.location.carrier == "ConfigMap default/calico"


@pytest.mark.parametrize("kind", MACHINES)
def test_img_002_ami_lookup(kind: str) -> None:
    assert outcome("CAPSA-IMG-002", aws_machine(kind, "imageLookupBaseOS: ubuntu-24.04")) == "fail"
    assert outcome("CAPSA-IMG-002", aws_machine(kind, "ami: {id: ami-0123456789abcdef0}")) == "pass"
