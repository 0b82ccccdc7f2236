"""The FMEA over the built-in model: scores and what they rest on, what-if mitigations,
evidence changing outcomes, filters and the JSON form."""

from __future__ import annotations

from functools import cache

import pytest

from capsa.errors import InputError
from capsa.examples import demo_path
from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.scan.service import ScanRequest, scan
from capsa.sim.records import FailureMode, FmeaReport
from capsa.sim.service import run_fmea
from capsa.sim.state import Outcome


@cache
def _model() -> SystemModel:
    return load_model("builtin:capi-aws")


@cache
def _assumed() -> FmeaReport:
    return run_fmea(_model())


@cache
def _demo() -> FmeaReport:
    return run_fmea(_model(), scan(ScanRequest(paths=[str(demo_path())])))


def _mode(report: FmeaReport, mode_id: str) -> FailureMode:
    return next(m for m in report.modes if m.id == mode_id)


def test_every_flow_is_run_and_every_failure_mode_has_a_unique_id() -> None:
    report = _assumed()
    assert [f.id for f in report.flows] == ["ec2-instance-start", "flow-1", "flow-2", "flow-3"]
    assert report.runs == sum(f.runs for f in report.flows)
    assert len({m.id for m in report.modes}) == len(report.modes)
    assert all(m.outcome is not Outcome.COMPLETES for m in report.modes)


def test_token_residue_is_scored_and_says_what_would_decide_it() -> None:
    mode = _mode(_assumed(), "flow-3:7:unavailable/crash")
    assert mode.outcome is Outcome.LEAVES_RESIDUE
    assert "STRIDE-INFODISCLOSE-2" in mode.threats
    assert mode.severity == 8  # cloud-init user data is critical
    assert mode.occurrence == 4
    assert mode.assumed
    assert any("MachineHealthCheck" in d for d in mode.decided_by)
    assert "assumed machine-health-check=no" in mode.occurrence_basis
    assert mode.detection == 3  # CAPSA-LIVE-003 notices a machine that never became a Node
    assert mode.rpn == mode.severity * mode.occurrence * mode.detection
    assert "STRIDE-INFODISCLOSE-2.M1" in mode.mitigations
    (what_if,) = [w for w in mode.what_if if w.setting == "machine-health-check"]
    assert what_if.outcome is Outcome.HALTS_SAFELY and what_if.rpn < mode.rpn


def test_a_spoofed_join_is_undetected() -> None:
    mode = _mode(_assumed(), "flow-3:7:spoofed-sender/stolen-credential")
    assert (mode.outcome, mode.threats, mode.detection) == (
        Outcome.COMPLETES_COMPROMISED,
        ["STRIDE-SPOOF-5"],
        10,
    )
    assert mode.detected_by == []
    # how long a stolen token works is the bootstrap token TTL, which only a live read shows
    assert mode.assumed and any("--bootstrap-token-ttl" in d for d in mode.decided_by)
    assert mode.mitigations == ["STRIDE-SPOOF-5.M1"]


def test_failure_modes_are_ranked_by_priority() -> None:
    ranked = _assumed().ranked("flow-3")
    assert all(m.flow == "flow-3" for m in ranked)
    assert [m.rpn for m in ranked] == sorted((m.rpn for m in ranked), reverse=True)


def test_evidence_of_a_health_check_removes_the_residue() -> None:
    mode = _mode(_demo(), "flow-3:7:unavailable/crash@4")
    assert mode.outcome is Outcome.HALTS_SAFELY  # sandbox workers: remediated, but uncapped
    assert mode.threats == ["STRIDE-DOS-1", "STRIDE-DOS-6"]
    assert [w.setting for w in mode.what_if] == ["remediation-capped"]
    profiles = {p.id: p for p in _demo().profiles}
    assert profiles[4].scopes == ["team-sandbox/sandbox (worker machines)"]
    capped = _mode(_demo(), "flow-3:7:unavailable/crash@2")
    assert capped.outcome is Outcome.HALTS_SAFELY and capped.threats == []


def test_identical_results_across_profiles_share_a_row() -> None:
    mode = _mode(_demo(), "flow-3:7:spoofed-sender/stolen-credential")
    assert mode.profiles == [2, 4]


def test_a_short_node_startup_timeout_raises_occurrence() -> None:
    from capsa.sim.settings import SettingValue, load_settings

    catalogue = load_settings()
    short = SettingValue("node-startup-timeout", 120, "evidence", "test")
    assert catalogue.shift(short) == 2
    assert catalogue.shift(SettingValue("node-startup-timeout", 600, "evidence", "test")) == 0
    long_ttl = SettingValue("bootstrap-token-ttl", 3600, "evidence", "test")
    assert catalogue.shift(long_ttl) == 1


def test_filters_and_unknown_names() -> None:
    report = run_fmea(_model(), flows=["flow-3"], faults=["tampered"])
    assert [f.id for f in report.flows] == ["flow-3"]
    assert {m.fault for m in report.modes} == {"tampered"}
    with pytest.raises(InputError) as info:
        run_fmea(_model(), flows=["flow-9"], faults=["melting"])
    assert sorted(p.path for p in info.value.problems) == ["--fault", "--flow"]


def test_the_report_round_trips_through_json() -> None:
    report = _assumed()
    again = FmeaReport.model_validate_json(report.to_json())
    assert again == report
    assert '"schema": "capsa/v1"' in report.to_json()


def test_a_longer_token_ttl_raises_the_occurrence_of_a_spoofed_join() -> None:
    from capsa.checks.findings import Finding
    from capsa.live.catalog import example_findings, live_checks
    from capsa.scan.result import ScanResult

    check = live_checks()["CAPSA-LIVE-004"]
    findings: tuple[Finding, ...] = tuple(example_findings(check, check.examples.fail[0]))
    demo = scan(ScanRequest(paths=[str(demo_path())]))
    with_ttl = ScanResult(**{**demo.__dict__, "findings": demo.findings + findings})
    report = run_fmea(_model(), with_ttl, flows=["flow-3"], faults=["spoofed-sender"])
    mode = _mode(report, "flow-3:7:spoofed-sender/stolen-credential")
    assert mode.occurrence == 4  # base 3, +1: the token stays valid an hour
    assert "bootstrap-token-ttl=3600 (evidence: CAPSA-LIVE-004" in mode.occurrence_basis
    plain = _mode(_assumed(), "flow-3:7:spoofed-sender/stolen-credential")
    assert plain.occurrence == 3 and plain.assumed
