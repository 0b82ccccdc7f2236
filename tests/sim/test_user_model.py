"""A user's own model: its flows are simulated and scored the same way, and names it
borrows from the catalogue, the checks and the settings are checked at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.errors import InputError
from capsa.model.loader import load_model
from capsa.sim.links import check_model_links, model_link_problems
from capsa.sim.service import run_fmea
from capsa.sim.state import Outcome

SHOP = Path(__file__).parent / "fixtures" / "shop-flows.yaml"


def _mode(report_modes: list, mode_id: str):  # type: ignore[no-untyped-def, type-arg]
    return next(m for m in report_modes if m.id == mode_id)


def test_a_user_models_flows_are_simulated() -> None:
    report = run_fmea(load_model(str(SHOP)))
    assert [f.id for f in report.flows] == ["checkout", "refund"]
    assert report.flows[0].steps == 3 and report.flows[0].undescribed == []
    # the staged copy is removed by step 3 only: skipping that cleanup leaves it
    skipped = _mode(report.modes, "checkout:3:cleanup-never-runs/skipped")
    assert skipped.outcome is Outcome.LEAVES_RESIDUE
    assert [r.product for r in skipped.residue] == ["staged-copy"]
    assert skipped.threats == ["STRIDE-INFODISCLOSE-3"]
    # the signed link only expires, so a reply lost after minting it leaves an orphan that
    # expires: the staged copy (a secret, not expiring) is what stays
    lost = _mode(report.modes, "checkout:2:message-lost/reply-lost")
    assert [(r.product, r.orphan) for r in lost.residue] == [("staged-copy", True)]
    # a refund request is not integrity checked: tampering with it is acted on
    tampered = _mode(report.modes, "refund:1:tampered/altered")
    assert tampered.outcome is Outcome.COMPLETES_COMPROMISED
    assert tampered.threats == []


def test_steps_without_semantics_only_fail_on_outages() -> None:
    """Without semantics a step makes, checks and cleans up nothing: only the faults that
    need no more than a step or a network data flow apply, and they only stop the flow."""
    model = load_model(str(SHOP))
    flows = [
        flow.model_copy(
            update={
                "goal": None,
                "steps": [s.model_copy(update={"semantics": None}) for s in flow.steps],
            }
        )
        for flow in model.flows
    ]
    report = run_fmea(model.model_copy(update={"flows": flows}))
    assert report.flows[0].undescribed == ["1", "2", "3"]
    assert {m.fault for m in report.modes} == {"unavailable", "message-lost"}
    assert {m.outcome for m in report.modes} == {Outcome.HALTS_SAFELY}


def test_names_borrowed_from_later_stages_are_checked_at_their_line(tmp_path: Path) -> None:
    text = (
        SHOP.read_text()
        .replace("exposes: [STRIDE-INFODISCLOSE-2]", "exposes: [STRIDE-LEAK-9]")
        .replace(
            "retries: {limit: 2}",
            "retries: {limit: 2}\n          detection: [{kind: capsa-check, name: x, check: CAPSA-NOPE-1}]",
        )
        .replace("ttl: {seconds: 3600}", "ttl: {seconds: 3600, setting: link-ttl}")
    )
    path = tmp_path / "shop.yaml"
    path.write_text(text)
    load_model(str(path))  # the model itself is valid
    lines = text.splitlines()

    def line(needle: str) -> int:
        return next(n for n, s in enumerate(lines, start=1) if needle in s)

    found = [(p.line, p.message) for p in model_link_problems(str(path))]
    assert sorted(found) == sorted(
        [
            (line("STRIDE-LEAK-9"), "flow step semantics: unknown threat id 'STRIDE-LEAK-9'"),
            (line("CAPSA-NOPE-1"), "flow step semantics: unknown capsa check 'CAPSA-NOPE-1'"),
            (line("link-ttl"), "flow step semantics: unknown deployment setting 'link-ttl'"),
        ]
    )
    with pytest.raises(InputError):
        check_model_links(str(path))


def test_the_builtin_model_names_only_known_things() -> None:
    assert model_link_problems("builtin:capi-aws") == []


def test_a_child_model_is_checked_with_its_parent(tmp_path: Path) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text(SHOP.read_text().replace("STRIDE-INFODISCLOSE-3", "STRIDE-X"))
    child = tmp_path / "child.yaml"
    child.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: SystemModel\nmetadata: {name: child}\n"
        "extends: parent.yaml\n"
    )
    found = model_link_problems(str(child))
    assert [(p.path, p.message) for p in found] == [
        (str(parent), "flow step semantics: unknown threat id 'STRIDE-X'")
    ]


def test_what_a_flow_leaves_without_a_fault_is_not_blamed_on_a_fault(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP.read_text().replace("          removes: [staged-copy]\n", ""))
    report = run_fmea(load_model(str(path)), flows=["checkout"])
    assert [r.product for r in report.flows[0].by_design] == ["staged-copy"]
    left = [r for m in report.modes for r in m.residue if r.product == "staged-copy"]
    assert left and all(r.orphan for r in left)


TRANSPORT = """\
apiVersion: capsa.dev/v1alpha1
kind: SystemModel
metadata: {name: transport}
elements:
  - {id: client, name: Client, type: process}
  - {id: server, name: Server, type: process}
assets:
  - {id: data, name: Data, kind: data, sensitivity: confidential}
dataFlows:
  - {id: call, from: client, to: server, protocol: https, authentication: mtls,
     encrypted: true, serverAuthenticated: true, carries: [data]}
flows:
  - id: f
    name: F
    steps:
      - description: client sends a request the server acts on
        uses: call
        semantics:
          inputs:
            - name: req
              realises: {spoofed: [STRIDE-SPOOF-5], tampered: [STRIDE-SPOOF-5]}
"""


def _modes(tmp_path: Path, text: str) -> dict[str, Outcome]:
    path = tmp_path / "model.yaml"
    path.write_text(text)
    return {m.id: m.outcome for m in run_fmea(load_model(str(path))).modes}


def test_what_the_data_flow_guarantees_counts_as_well_as_the_steps_checks(
    tmp_path: Path,
) -> None:
    """The audit's case: an input the step checks nothing of, over mutual TLS. An outsider
    has no certificate and is refused (the run completes, so no mode is listed); a change
    on the way breaks TLS and stops the flow; a change where the request is kept is still
    acted on: TLS does not protect it there."""
    modes = _modes(tmp_path, TRANSPORT)
    assert "f:1:spoofed-sender/outsider" not in modes
    assert modes["f:1:tampered/in-transit"] is Outcome.HALTS_SAFELY
    assert modes["f:1:tampered/altered"] is Outcome.COMPLETES_COMPROMISED
    plain = TRANSPORT.replace("protocol: https, authentication: mtls", "protocol: http")
    plain = plain.replace("encrypted: true, serverAuthenticated: true", "encrypted: false")
    modes = _modes(tmp_path, plain)
    assert modes["f:1:spoofed-sender/outsider"] is Outcome.COMPLETES_COMPROMISED
    assert modes["f:1:tampered/in-transit"] is Outcome.COMPLETES_COMPROMISED
    # an address allow-list is not a credential: an outsider is still taken for the caller
    allow_list = TRANSPORT.replace("authentication: mtls", "authentication: source-address")
    assert _modes(tmp_path, allow_list)["f:1:spoofed-sender/outsider"] is (
        Outcome.COMPLETES_COMPROMISED
    )


def test_a_crash_rests_on_remediation_only_where_a_step_leaves_it_something() -> None:
    """No step of the shop's flows has a product remediation removes: no outage there is
    assumed on the MachineHealthCheck setting, whose value could not change it. In the
    built-in model, a crash before the machine exists does not rest on it either, while
    one after does."""
    shop = run_fmea(load_model(str(SHOP)))
    crashes = [m for m in shop.modes if m.id.endswith("unavailable/crash")]
    assert crashes and not any(m.assumed or m.decided_by for m in crashes)
    builtin = {m.id: m for m in run_fmea(load_model("builtin:capi-aws")).modes}
    assert not builtin["ec2-instance-start:1:unavailable/crash"].assumed
    assert any(
        m.assumed and "MachineHealthCheck" in " ".join(m.decided_by)
        for m in builtin.values()
        if m.id.endswith("unavailable/crash")
    )
