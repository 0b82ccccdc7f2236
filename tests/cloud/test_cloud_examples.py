"""Every cloud check fires on each of its `fail` examples and stays silent on each of its
`pass` examples, through the same engine a scan uses; each has at least one of both."""

from __future__ import annotations

import pytest

from capsa.cloud.catalog import cloud_checks
from capsa.cloud.engine import run_checks
from capsa.cloud.model import CloudCheck, CloudExample
from capsa.sources.aws.facts import FACT_KINDS, CloudFacts

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
        got = {
            "pass": results.passes,
            "not-applicable": results.not_applicable,
            "unknown": results.unknown,
        }
        if example.expect is not None:
            assert got[example.expect], (example.expect, got)
            others = [v for k, v in got.items() if k != example.expect]
            assert not any(others), (example.expect, got)


def test_no_check_passes_on_an_account_with_nothing_in_it() -> None:
    # every kind read, nothing found: each check says not applicable or, where absence
    # is itself the violation (no trail), fails; none passes vacuously
    facts = CloudFacts(
        source="empty", account="111122223333", regions=("eu-west-1",), collected=FACT_KINDS
    )
    results = run_checks(cloud_checks(), facts)
    assert results.passes == []
    assert results.unknown == []
    judged = {r.check_id for r in results.not_applicable} | {f.check_id for f in results.findings}
    assert judged == {c.id for c in cloud_checks()}
    assert {f.check_id for f in results.findings} == {"CAPSA-AWS-040", "CAPSA-AWS-041"}
    assert all(r.reason and r.reason.startswith("no ") for r in results.not_applicable)
