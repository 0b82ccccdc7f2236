"""The built-in model's four flows under every fault: semantics on every step, each fault
exercised on each flow, and the outcomes the issue names."""

from __future__ import annotations

from functools import cache

import pytest

from capsa.model.index import ModelIndex
from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.sim.engine import RunResult, simulate
from capsa.sim.faults import cases_for, load_faults
from capsa.sim.plan import plan_flow
from capsa.sim.settings import SettingValue, load_settings
from capsa.sim.state import Injection, Outcome, SettingsView
from capsa.threats.catalogue import builtin_catalogue

FLOWS = {"ec2-instance-start": 7, "flow-1": 12, "flow-2": 13, "flow-3": 12}


@cache
def _model() -> SystemModel:
    return load_model("builtin:capi-aws")


def _run(flow_id: str, step: str, fault_id: str, case: str, **settings: bool | int) -> RunResult:
    model = _model()
    flow = ModelIndex(model).flows[flow_id]
    plan = plan_flow(ModelIndex(model), flow_id)
    fault = load_faults().fault(fault_id)
    injection = Injection(fault_id, case, step, fault.case(case).persistent)
    values = {
        key.replace("_", "-"): SettingValue(key.replace("_", "-"), value, "evidence", "test")
        for key, value in settings.items()
    }
    view = SettingsView(values, load_settings())
    return simulate(plan, injection, view, flow_id, frozenset(flow.given), flow.goal)


def test_the_four_flows_have_the_assessment_step_counts() -> None:
    assert {f.id: len(f.steps) for f in _model().flows} == FLOWS


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_every_step_has_semantics(flow_id: str) -> None:
    plan = plan_flow(ModelIndex(_model()), flow_id)
    assert [s.number for s in plan if not s.described] == []


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
@pytest.mark.parametrize("fault_id", sorted(load_faults().faults))
def test_every_fault_applies_somewhere_in_every_flow(flow_id: str, fault_id: str) -> None:
    plan = plan_flow(ModelIndex(_model()), flow_id)
    fault = load_faults().fault(fault_id)
    assert any(cases_for(fault, step) for step in plan)


def test_token_step_with_cleanup_disabled_leaves_the_token_linked_to_infodisclose_2() -> None:
    result = _run("flow-3", "2", "cleanup-never-runs", "skipped")
    assert result.outcome is Outcome.LEAVES_RESIDUE
    assert [r.product.name for r in result.residue] == ["bootstrap-token"]
    assert "STRIDE-INFODISCLOSE-2" in result.threats


def test_a_machine_stuck_without_remediation_keeps_its_token_renewed() -> None:
    result = _run("flow-3", "7", "unavailable", "crash", machine_health_check=False)
    assert result.outcome is Outcome.LEAVES_RESIDUE
    token = next(r for r in result.residue if r.product.name == "bootstrap-token")
    assert "renewed while the machine waits" in token.why
    assert {"STRIDE-INFODISCLOSE-2", "STRIDE-SPOOF-5", "STRIDE-DOS-1"} <= set(result.threats)


def test_remediation_removes_what_the_stuck_machine_left() -> None:
    result = _run(
        "flow-3", "7", "unavailable", "crash", machine_health_check=True, remediation_capped=True
    )
    assert result.outcome is Outcome.HALTS_SAFELY
    assert result.residue == () and result.churn == ()


def test_uncapped_remediation_of_a_persistent_fault_churns_instances() -> None:
    result = _run(
        "flow-3", "7", "unavailable", "crash", machine_health_check=True, remediation_capped=False
    )
    assert result.outcome is Outcome.HALTS_SAFELY
    assert [p.name for p in result.churn] == ["instance"]
    assert "STRIDE-DOS-6" in result.threats


def test_a_transient_partition_does_not_churn() -> None:
    result = _run(
        "flow-3",
        "7",
        "unavailable",
        "partition",
        machine_health_check=True,
        remediation_capped=False,
    )
    assert result.outcome is Outcome.COMPLETES


def test_tampered_bootstrap_payload_without_integrity_check_completes_compromised() -> None:
    result = _run("ec2-instance-start", "5", "tampered", "altered")
    assert result.outcome is Outcome.COMPLETES_COMPROMISED
    assert [(c.input, c.how) for c in result.compromises] == [("bootstrap-payload", "tampered")]
    assert result.halted_at is None


def test_a_join_with_a_stolen_token_is_accepted_as_a_spoofed_worker() -> None:
    result = _run("flow-3", "7", "spoofed-sender", "stolen-credential")
    assert result.outcome is Outcome.COMPLETES_COMPROMISED
    assert result.threats == ("STRIDE-SPOOF-5",)


def test_a_join_without_the_token_is_refused() -> None:
    result = _run("flow-3", "7", "spoofed-sender", "outsider")
    assert result.outcome is Outcome.COMPLETES


def test_a_control_plane_join_with_a_stolen_token_is_spoof_4() -> None:
    result = _run("flow-2", "13", "spoofed-sender", "stolen-credential")
    assert result.threats == ("STRIDE-SPOOF-4",)


def test_partial_write_of_the_secret_orphans_it() -> None:
    result = _run("ec2-instance-start", "1", "partial-write", "first-write-only")
    assert result.outcome is Outcome.LEAVES_RESIDUE
    assert [(r.product.name, r.orphan) for r in result.residue] == [("bootstrap-secret", True)]


def test_the_second_deletion_covers_a_skipped_first_one() -> None:
    result = _run("ec2-instance-start", "6", "cleanup-never-runs", "skipped")
    assert result.outcome is Outcome.COMPLETES


def test_losing_the_load_balancer_is_dos_5() -> None:
    result = _run("flow-1", "7", "unavailable", "crash")
    assert result.outcome is Outcome.HALTS_SAFELY
    assert result.threats == ("STRIDE-DOS-5",)


def test_a_failure_after_the_node_joined_leaves_nothing_waiting() -> None:
    result = _run("flow-3", "11", "unavailable", "crash", machine_health_check=False)
    assert result.outcome is Outcome.HALTS_SAFELY
    assert result.residue == ()


def test_a_revoked_instance_role_also_stops_the_deletion() -> None:
    result = _run("ec2-instance-start", "5", "credential-expired", "revoked")
    assert "bootstrap-secret" in [r.product.name for r in result.residue]


def test_runs_are_deterministic() -> None:
    first = _run("flow-2", "4.6", "unavailable", "crash")
    second = _run("flow-2", "4.6", "unavailable", "crash")
    assert first == second


@pytest.mark.parametrize("fault_id", sorted(load_faults().faults))
def test_each_fault_lists_exactly_the_threats_it_realises_on_the_builtin_flows(
    fault_id: str,
) -> None:
    """The catalogue threats a fault names are those its runs link to, with and without a
    MachineHealthCheck: the data cannot claim more or less than the simulation shows."""
    model = _model()
    fault = load_faults().fault(fault_id)
    found: set[str] = set()
    for flow in model.flows:
        plan = plan_flow(ModelIndex(model), flow.id)
        for step in plan:
            for case in cases_for(fault, step):
                for remediation in (False, True):
                    settings = {"machine_health_check": remediation}
                    found.update(
                        _run(flow.id, step.number, fault_id, case.name, **settings).threats
                    )
    assert sorted(found) == sorted(fault.threats)
    known = {t.id for t in builtin_catalogue().threats}
    assert set(fault.threats) <= known
