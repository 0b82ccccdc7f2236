"""capsa.live.clusters and capsa.live.analyse: probe, CA age, static identities, end to end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from fakeapi import CANARY, FakeApiServer
from live_support import live

from capsa.live import CA_REUSE, LiveOptions, analyse
from capsa.live.clusters import ca_age, probe_failures, static_identities
from capsa.sources.cluster import read_cluster
from capsa.sources.resource import Resource

Build = Callable[[str], list[Resource]]


def test_failed_remote_connection_probe_fires_for_v1beta2_conditions(
    mgmt_resources: list[Resource],
) -> None:
    findings = probe_failures(live(mgmt_resources))
    assert [f.resource.identity for f in findings] == ["cluster.x-k8s.io/Cluster/team-a/prod"]
    assert findings[0].mitigation == ""  # a lost probe shows the heartbeat working
    assert "2026-03-01T11:40:00Z" in findings[0].message


def test_probe_false_in_v1beta1_status_fires_and_true_is_silent(build: Build) -> None:
    text = """
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {{name: c, namespace: n}}
status: {{v1beta2: {{conditions: [{{type: RemoteConnectionProbe, status: "{status}"}}]}}}}
"""
    assert len(probe_failures(live(build(text.format(status="False"))))) == 1
    assert probe_failures(live(build(text.format(status="True")))) == []


def test_old_ca_fires_and_young_ca_is_silent(mgmt_resources: list[Resource], now: datetime) -> None:
    findings = ca_age(live(mgmt_resources, now))
    assert [f.resource.identity for f in findings] == ["cluster.x-k8s.io/Cluster/team-a/prod"]
    assert "729 days ago" in findings[0].message and "3650 days" in findings[0].message
    assert findings[0].mitigation == "STRIDE-INFODISCLOSE-3.M2"
    assert ca_age(live(mgmt_resources, now, max_ca_age=timedelta(days=800))) == []


def test_ca_close_to_its_configured_expiry_fires(build: Build, now: datetime) -> None:
    text = """
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: c, namespace: n}
spec: {controlPlaneRef: {kind: KubeadmControlPlane, name: cp}}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata: {name: cp, namespace: n}
spec: {kubeadmConfigSpec: {clusterConfiguration: {caCertificateValidityPeriodDays: 120}}}
---
apiVersion: v1
kind: Secret
metadata: {name: c-ca, namespace: n, creationTimestamp: "2025-12-01T12:00:00Z"}
"""
    findings = ca_age(live(build(text), now))
    assert len(findings) == 1 and "expires in about 30 days" in findings[0].message


def test_static_identity_in_use_fires_with_secret_age(
    mgmt_resources: list[Resource], now: datetime
) -> None:
    findings = static_identities(live(mgmt_resources, now))
    assert [f.resource.identity for f in findings] == [
        "infrastructure.cluster.x-k8s.io/AWSClusterStaticIdentity//team-a-static"
    ]
    assert "team-a/prod" in findings[0].message and "638 days old" in findings[0].message
    assert findings[0].mitigation == "STRIDE-SPOOF-1.M1"


def test_unused_static_identity_is_silent(mgmt_resources: list[Resource], now: datetime) -> None:
    role_only = [r for r in mgmt_resources if not (r.kind == "AWSCluster" and r.name == "prod")]
    assert static_identities(live(role_only, now)) == []


def test_read_then_analyse_the_fake_management_cluster(
    fake_api: FakeApiServer, kubeconfig: Path, now: datetime
) -> None:
    result = read_cluster(str(kubeconfig), None, page_size=4)
    report = analyse(result.resources, now, unread=[k for k, _ in result.not_assessable])
    ids = sorted({f.check_id for f in report.findings})
    assert ids == [f"CAPSA-LIVE-{n:03d}" for n in range(1, 11)]
    assert report.not_assessable == [CA_REUSE]
    assert all(f.location.path.startswith("cluster://fake-mgmt/") for f in report.findings)
    assert CANARY not in repr(report)
    assert {r.method for r in fake_api.requests} == {"GET"}


def test_unreadable_kinds_make_their_checks_not_assessable(
    mgmt_resources: list[Resource], now: datetime
) -> None:
    report = analyse(mgmt_resources, now, LiveOptions(), unread=["Pod", "RoleBinding"])
    gaps = dict(report.not_assessable)
    assert gaps["CAPSA-LIVE-006"] == "could not read Pod"
    assert "RoleBinding" in gaps["CAPSA-LIVE-001"] and "RoleBinding" in gaps["CAPSA-LIVE-002"]
    assert "CAPSA-LIVE-008" not in gaps


def test_fingerprints_are_stable_and_distinct(
    mgmt_resources: list[Resource], now: datetime
) -> None:
    first = analyse(mgmt_resources, now).findings
    second = analyse(list(reversed(mgmt_resources)), now).findings
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]
    assert len({f.fingerprint for f in first}) == len(first)


def test_a_live_check_without_a_finding_is_a_pass_only_when_it_judged_something(
    mgmt_resources: list[Resource], now: datetime
) -> None:
    """No finding is evidence only when objects of the kind the check judges were read:
    with none it is not applicable; with a kind it needs unreadable it is unknown."""
    quiet = [r for r in mgmt_resources if r.kind not in ("Pod",)]
    report = analyse(quiet, now, LiveOptions())
    fired = {f.check_id for f in report.findings}
    passed = {p.check_id for p in report.passes}
    skipped = {n.check_id for n in report.not_applicable}
    assert "CAPSA-LIVE-006" in skipped and "CAPSA-LIVE-006" not in passed | fired
    assert not passed & fired
    for result in report.passes:
        assert result.reason and result.reason.startswith("no finding on")
        assert result.location.path.startswith("cluster://")
    unread = analyse(quiet, now, LiveOptions(), unread=["Pod"])
    assert {u.check_id for u in unread.unknown} == {"CAPSA-LIVE-006"}


def test_a_live_check_passes_on_a_clean_cluster(
    mgmt_resources: list[Resource], now: datetime
) -> None:
    clusters = [r for r in mgmt_resources if r.kind == "Cluster"]
    for cluster in clusters:  # every probe healthy
        cluster.body.setdefault("status", {})["conditions"] = [
            {"type": "RemoteConnectionProbe", "status": "True"}
        ]
    report = analyse(mgmt_resources, now, LiveOptions())
    if "CAPSA-LIVE-008" not in {f.check_id for f in report.findings}:
        assert "CAPSA-LIVE-008" in {p.check_id for p in report.passes}


CLUSTER_WITH_KCP = """
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: c, namespace: n}
spec: {controlPlaneRef: {kind: KubeadmControlPlane, name: cp}}
"""
CA = """
---
apiVersion: v1
kind: Secret
metadata: {name: c-ca, namespace: n, creationTimestamp: "2025-03-10T12:00:00Z"}
"""
KCP_400_DAYS = """
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata: {name: cp, namespace: n}
spec: {kubeadmConfigSpec: {clusterConfiguration: {caCertificateValidityPeriodDays: 400}}}
"""


def test_ca_validity_unread_or_ca_secret_missing_is_unknown_not_a_pass(
    build: Build, now: datetime
) -> None:
    """The CA validity comes from the KubeadmControlPlane (cluster-api
    util/secret/certificates.go:78-79): forbidden, the 10-year fallback would pass a CA
    due in 47 days. A Cluster with no <cluster>-ca Secret has no CA age to judge."""
    read = build(CLUSTER_WITH_KCP + CA + KCP_400_DAYS)
    assert len(analyse(read, now).findings) >= 1  # readable: fires (expires in ~47 days)
    forbidden = [r for r in read if r.kind != "KubeadmControlPlane"]
    report = analyse(forbidden, now, unread={"KubeadmControlPlane": "403 Forbidden"})
    assert "CAPSA-LIVE-009" not in {p.check_id for p in report.passes}
    unknown = next(u for u in report.unknown if u.check_id == "CAPSA-LIVE-009")
    assert "KubeadmControlPlane" in str(unknown.reason)
    no_ca = analyse(build(CLUSTER_WITH_KCP + KCP_400_DAYS), now)
    assert "CAPSA-LIVE-009" not in {p.check_id for p in no_ca.passes}
    assert "no Secret c-ca" in str(
        next(u.reason for u in no_ca.unknown if u.check_id == "CAPSA-LIVE-009")
    )
