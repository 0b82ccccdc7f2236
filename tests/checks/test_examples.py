"""Every check carries inline examples that fire and that stay silent, and each behaves
as labelled when run through the engine the way `capsa scan` runs it."""

from __future__ import annotations

import pytest
from checks_support import all_checks

from capsa.checks.examples import run_examples
from capsa.checks.model import Example, Examples


@pytest.mark.parametrize("check_id", sorted(all_checks()))
def test_check_examples_behave_as_labelled(check_id: str) -> None:
    check = all_checks()[check_id]
    assert check.examples.fail, f"{check_id} has no example that makes it fire"
    assert check.examples.pass_, f"{check_id} has no example that keeps it silent"
    outcomes = run_examples(check)
    wrong = [outcome.explain() for outcome in outcomes if not outcome.as_labelled]
    assert not wrong, "\n".join(wrong)
    if check.expression.strip() != "false":  # a check that fires on all it matches
        assert any(o.ran for o in outcomes if o.label == "pass"), (
            f"{check_id}: no pass example is of a kind the check matches"
        )


def test_firing_examples_with_several_objects_name_the_ones_flagged() -> None:
    """A finding on the wrong object is worse than none: when an example holds several
    objects, it says which of them the check must flag (and the run compares)."""
    unnamed = [
        f"{check.id} examples.fail[{i}]"
        for check in all_checks().values()
        for i, example in enumerate(check.examples.fail)
        if len(example.documents) > 1 and not example.fires
    ]
    assert not unnamed


def test_a_mislabelled_example_is_caught() -> None:
    check = all_checks()["CAPSA-IMDS-001"]
    swapped = check.model_copy(
        update={"examples": Examples(fail=check.examples.pass_, pass_=check.examples.fail)}
    )
    outcomes = run_examples(swapped)
    assert outcomes and not any(o.as_labelled for o in outcomes)
    assert "expected to fail, got 0 finding(s)" in outcomes[0].explain()


def test_a_finding_on_another_object_than_named_is_caught() -> None:
    check = all_checks()["CAPSA-TOPO-007"]
    example = check.examples.fail[0].model_copy(update={"fires": ("AWSCluster/prod",)})
    moved = check.model_copy(update={"examples": Examples(fail=(example,))})
    [outcome] = run_examples(moved)
    assert not outcome.as_labelled
    assert "AWSCluster/test" in outcome.explain()


def test_an_example_the_engine_cannot_decide_is_not_as_labelled() -> None:
    check = all_checks()["CAPSA-NET-002"]
    undecidable = Example.model_validate(
        {
            "object": {
                "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
                "kind": "AWSCluster",
                "metadata": {"name": "x"},
                "spec": "not a mapping",
            }
        }
    )
    broken = check.model_copy(update={"examples": Examples(pass_=(undecidable,))})
    [outcome] = run_examples(broken)
    assert not outcome.as_labelled
