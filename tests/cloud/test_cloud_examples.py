"""Every cloud check fires on each of its `fail` examples and stays silent on each of its
`pass` examples, through the same engine a scan uses; each has at least one of both."""

from __future__ import annotations

import pytest

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import run_checks
from capsa.cloud.model import CloudCheck, CloudExample

CASES = [
    pytest.param(check, verdict, example, id=f"{check.id}-{verdict}-{index}")
    for check in cloud_checks()
    for verdict, examples in check.examples.by_verdict()
    for index, example in enumerate(examples)
]


def test_every_check_has_a_firing_and_a_silent_example() -> None:
    lacking = [c.id for c in cloud_checks() if not (c.examples.fail and c.examples.pass_)]
    assert lacking == []


def test_every_check_has_an_example_it_judges_compliant() -> None:
    # silent can also mean "not applicable" (nothing to judge); one must be a real pass
    lacking = [
        c.id
        for c in cloud_checks()
        if not any(run_checks([c], e.facts).passes for e in c.examples.pass_)
    ]
    assert lacking == []


@pytest.mark.parametrize(("check", "verdict", "example"), CASES)
def test_example(check: CloudCheck, verdict: str, example: CloudExample) -> None:
    results = run_checks([check], example.facts)
    if verdict == "fail":
        assert results.findings, example.note
        assert all(f.check_id == check.id for f in results.findings)
    else:
        assert results.findings == [], [f.message for f in results.findings]
