"""Every live check carries, in checks.yaml, Kubernetes objects it fires on and objects
it stays silent on; each is run here through the check's registered analysis."""

from __future__ import annotations

import pytest

from capsa.live.catalog import LiveCheck, LiveExample, example_findings, live_checks

CHECKS = live_checks()
EXAMPLES = [
    pytest.param(check, verdict, example, id=f"{check.id}-{verdict}-{index}")
    for check in CHECKS.values()
    for verdict, examples in check.examples.by_verdict()
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_every_live_check_has_a_firing_and_a_silent_example(check_id: str) -> None:
    examples = CHECKS[check_id].examples
    assert examples.fail, f"{check_id}: add an example under examples.fail"
    assert examples.pass_, f"{check_id}: add an example under examples.pass"


@pytest.mark.parametrize(("check", "verdict", "example"), EXAMPLES)
def test_live_example(check: LiveCheck, verdict: str, example: LiveExample) -> None:
    findings = example_findings(check, example)
    if verdict == "fail":
        assert findings, f"{check.id} stayed silent on a fail example"
        names = {body["metadata"]["name"] for body in example.objects}
        assert all(f.resource.name in names for f in findings)
    else:
        assert findings == [], [f.message for f in findings]
