"""Severity ordering and the JSON shape of a finding."""

from __future__ import annotations

from dataclasses import replace

import pytest

from capsa.checks.findings import Finding, Location, ResourceRef, Severity, fingerprint


def test_severity_orders_by_rank_not_by_name() -> None:
    assert Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert sorted(["critical", "low", "high"], key=Severity) == ["low", "high", "critical"]
    assert Severity.HIGH >= "medium"
    assert max(Severity) is Severity.CRITICAL
    with pytest.raises(TypeError):
        assert Severity.LOW < "urgent"


def test_finding_as_dict_and_suppression_copy() -> None:
    ref = ResourceRef("cluster.x-k8s.io/v1beta2", "Cluster", "ns", "c")
    finding = Finding(
        fingerprint=fingerprint("CAPSA-X-001", ref, "spec"),
        check_id="CAPSA-X-001",
        title="t",
        severity=Severity.MEDIUM,
        threats=("STRIDE-DOS-2",),
        mitigation="STRIDE-DOS-2.M1",
        resource=ref,
        location=Location("c.yaml", 3),
        message="m",
        remediation="r",
        references=("https://example.invalid",),
    )
    data = finding.as_dict()
    assert data["check"] == "CAPSA-X-001" and data["severity"] == "medium"
    assert data["resource"] == {
        "apiVersion": "cluster.x-k8s.io/v1beta2",
        "kind": "Cluster",
        "namespace": "ns",
        "name": "c",
    }
    assert data["location"] == {"path": "c.yaml", "line": 3}
    muted = replace(finding, suppressed=True, suppression_reason="accepted")
    assert muted.fingerprint == finding.fingerprint and muted.as_dict()["suppressed"]
    assert ref.identity == "cluster.x-k8s.io/Cluster/ns/c"
