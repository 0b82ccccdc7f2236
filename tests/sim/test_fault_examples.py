"""Every fault carries, in faults.yaml, tiny flows it fires on (residue or compromise) and
stays silent on (completes or halts safely); each is run here through the simulator."""

from __future__ import annotations

import pytest

from capsa.sim.examples import run_example
from capsa.sim.faults import Fault, FaultExample, load_faults

FAULTS = load_faults().faults
EXAMPLES = [
    pytest.param(fault, verdict, example, id=f"{fault_id}-{verdict}-{index}")
    for fault_id, fault in FAULTS.items()
    for verdict, examples in fault.examples.by_verdict()
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize("fault_id", sorted(FAULTS))
def test_every_fault_has_a_firing_and_a_silent_example(fault_id: str) -> None:
    examples = FAULTS[fault_id].examples
    assert examples.fail, f"{fault_id}: add an example under examples.fail"
    assert examples.pass_, f"{fault_id}: add an example under examples.pass"


@pytest.mark.parametrize(("fault", "verdict", "example"), EXAMPLES)
def test_fault_example(fault: Fault, verdict: str, example: FaultExample) -> None:
    result = run_example(fault, example)
    assert result.outcome is example.outcome, (fault.id, result.notes, result.halt_reason)
    assert result.outcome.fires == (verdict == "fail")


def test_the_issue_lists_nine_fault_kinds() -> None:
    assert sorted(FAULTS) == sorted(
        [
            "unavailable",
            "slow",
            "message-lost",
            "replayed",
            "tampered",
            "spoofed-sender",
            "credential-expired",
            "cleanup-never-runs",
            "partial-write",
        ]
    )
