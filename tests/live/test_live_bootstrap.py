"""capsa.live.bootstrap: Machines that never joined, and the bootstrap token TTL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from live_support import live

from capsa.live import analyse
from capsa.live.bootstrap import parse_go_duration, stale_bootstrap, token_ttl
from capsa.sources.resource import Resource

Build = Callable[[str], list[Resource]]


def _machine_and_config(created: str, node_ref: bool) -> str:
    status = (
        "status: {nodeRef: {name: ip-10-0-0-1}}" if node_ref else "status: {phase: Provisioned}"
    )
    return f"""
apiVersion: cluster.x-k8s.io/v1beta2
kind: Machine
metadata: {{name: m1, namespace: ns, creationTimestamp: "{created}"}}
{status}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfig
metadata:
  name: m1
  namespace: ns
  ownerReferences: [{{apiVersion: cluster.x-k8s.io/v1beta2, kind: Machine, name: m1, uid: u}}]
"""


def test_fixture_flags_only_the_stuck_machine(
    mgmt_resources: list[Resource], now: datetime
) -> None:
    findings = stale_bootstrap(live(mgmt_resources, now))
    assert [f.resource.identity for f in findings] == [
        "bootstrap.cluster.x-k8s.io/KubeadmConfig/team-a/prod-md-0-stuck-q9z8w"
    ]
    f = findings[0]
    assert f.mitigation == "STRIDE-INFODISCLOSE-2.M1"
    assert set(f.threats) == {"STRIDE-INFODISCLOSE-2", "STRIDE-SPOOF-4", "STRIDE-SPOOF-5"}
    assert "75.0 h" in f.message and "Secret prod-md-0-stuck-q9z8w still exists" in f.message


def test_machine_without_node_ref_older_than_threshold_fires(build: Build, now: datetime) -> None:
    resources = build(_machine_and_config("2026-03-01T10:30:00Z", node_ref=False))
    assert len(stale_bootstrap(live(resources, now))) == 1


@pytest.mark.parametrize(
    ("created", "node_ref"),
    [("2026-03-01T11:30:00Z", False), ("2020-01-01T00:00:00Z", True)],
)
def test_young_or_joined_machine_is_silent(
    build: Build, now: datetime, created: str, node_ref: bool
) -> None:
    resources = build(_machine_and_config(created, node_ref))
    assert stale_bootstrap(live(resources, now)) == []


def test_threshold_is_configurable(build: Build, now: datetime) -> None:
    resources = build(_machine_and_config("2026-03-01T11:30:00Z", node_ref=False))
    assert (
        len(stale_bootstrap(live(resources, now, stale_bootstrap_after=timedelta(minutes=10)))) == 1
    )


CABPK = "registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:v1.9.4"


def _deployment(args: str, image: str = CABPK, name: str = "manager") -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: capi-kubeadm-bootstrap-controller-manager, namespace: capi-kubeadm-bootstrap-system}}
spec:
  template:
    spec:
      containers: [{{name: {name}, image: "{image}", args: {args}}}]
"""


def test_fixture_bootstrap_controller_ttl_of_one_hour_fires(mgmt_resources: list[Resource]) -> None:
    findings = token_ttl(live(mgmt_resources))
    assert len(findings) == 1
    assert findings[0].check_id == "CAPSA-LIVE-004" and "60 min" in findings[0].message


@pytest.mark.parametrize(
    "args", ['["--bootstrap-token-ttl", "20m"]', '["--bootstrap-token-ttl=1h0m0s"]']
)
def test_long_ttl_fires_in_both_flag_forms(build: Build, args: str) -> None:
    assert len(token_ttl(live(build(_deployment(args))))) == 1


@pytest.mark.parametrize(
    "args", ['["--bootstrap-token-ttl=15m"]', '["--bootstrap-token-ttl=600s"]', "[--leader-elect]"]
)
def test_default_or_shorter_ttl_is_silent(build: Build, args: str) -> None:
    assert token_ttl(live(build(_deployment(args)))) == []


def test_go_durations() -> None:
    assert parse_go_duration("1h30m") == timedelta(minutes=90)
    assert parse_go_duration("1.5h") == timedelta(minutes=90)
    assert parse_go_duration("900s") == timedelta(minutes=15)
    assert parse_go_duration("500ms") == timedelta(milliseconds=500)
    assert parse_go_duration("0") == timedelta(0)
    assert parse_go_duration("15") is None
    assert parse_go_duration("") is None
    assert parse_go_duration("1d") is None


def test_the_last_occurrence_of_the_flag_is_judged(build: Build) -> None:
    """pflag's Set overwrites at each occurrence (cluster-api bootstrap/kubeadm/main.go
    registers it with fs.DurationVar): `=1h` then `=10m` runs with 10 minutes."""
    shorter_last = '["--bootstrap-token-ttl=1h", "--bootstrap-token-ttl=10m"]'
    longer_last = '["--bootstrap-token-ttl=10m", "--bootstrap-token-ttl", "1h"]'
    assert token_ttl(live(build(_deployment(shorter_last)))) == []
    findings = token_ttl(live(build(_deployment(longer_last))))
    assert len(findings) == 1 and "=1h" in findings[0].message


def test_only_the_bootstrap_controller_is_judged(build: Build) -> None:
    """The flag on another Deployment is not the bootstrap controller's: with no kubeadm
    bootstrap controller the check has nothing to judge (not applicable, never a pass)."""
    other = live(build(_deployment('["--bootstrap-token-ttl=2h"]', image="busybox:1.36")))
    assert token_ttl(other) == []
    assert other.notes.judged["CAPSA-LIVE-004"][0] == 0
    report = analyse(build(_deployment("[]", image="busybox:1.36")))
    assert [r.check_id for r in report.not_applicable if r.check_id == "CAPSA-LIVE-004"]
    assert "no kubeadm bootstrap controller" in next(
        r.reason for r in report.not_applicable if r.check_id == "CAPSA-LIVE-004"
    )
    assert "CAPSA-LIVE-004" not in {r.check_id for r in report.passes}
