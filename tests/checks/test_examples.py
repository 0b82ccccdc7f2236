"""Every check carries inline examples that fire and that stay silent, and each behaves
as labelled when run through the engine the way `capsa scan` runs it: a silent example
states its outcome (pass, pass by default, not applicable, unknown) and gets exactly it."""

from __future__ import annotations

import pytest
from checks_support import all_checks

from capsa.checks.examples import run_examples
from capsa.checks.model import ByDefault, Example, Examples


@pytest.mark.parametrize("check_id", sorted(all_checks()))
def test_check_examples_behave_as_labelled(check_id: str) -> None:
    check = all_checks()[check_id]
    assert check.examples.fail, f"{check_id} has no example that makes it fire"
    assert check.examples.pass_, f"{check_id} has no example that keeps it silent"
    outcomes = run_examples(check)
    wrong = [outcome.explain() for outcome in outcomes if not outcome.as_labelled]
    assert not wrong, "\n".join(wrong)
    if check.expression.strip() != "false":  # a check that fires on all it matches
        assert any(o.passes for o in outcomes if o.label == "pass"), (
            f"{check_id}: no pass example shows the check passing on an object"
        )


@pytest.mark.parametrize("check_id", sorted(all_checks()))
def test_every_outcome_a_check_can_give_has_an_example(check_id: str) -> None:
    """A check that can say "not applicable" or "pass by default" shows when it does."""
    check = all_checks()[check_id]
    expected = {e.expect for e in check.examples.pass_}
    if check.applies_when is not None:
        assert "not-applicable" in expected, f"{check_id}: no not-applicable example"
    if check.by_default is not None:
        assert "pass-by-default" in expected, f"{check_id}: no pass-by-default example"


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
    assert "expected fail, got 0 finding(s)" in outcomes[0].explain()


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


def _autoscaled(annotations: dict[str, str] | None) -> Example:
    metadata: dict[str, object] = {"name": "workers"}
    if annotations is not None:
        metadata["annotations"] = annotations
    return Example.model_validate(
        {
            "object": {
                "apiVersion": "cluster.x-k8s.io/v1beta2",
                "kind": "MachineDeployment",
                "metadata": metadata,
            }
        }
    )


def test_a_vacuous_pass_is_not_applicable_not_a_pass() -> None:
    """No autoscaler annotation at all: the bounds check has nothing to judge."""
    check = all_checks()["CAPSA-SCALE-003"]
    assert check.applies_when is not None
    bare = _autoscaled(None)
    as_pass = check.model_copy(update={"examples": Examples(pass_=(bare,))})
    [outcome] = run_examples(as_pass)
    assert outcome.not_applicable == 1 and outcome.passes == 0
    assert not outcome.as_labelled, "a not-applicable result must not count as a pass"
    labelled = bare.model_copy(update={"expect": "not-applicable"})
    as_na = check.model_copy(update={"examples": Examples(pass_=(labelled,))})
    assert run_examples(as_na)[0].as_labelled


def test_an_example_expecting_not_applicable_fails_when_the_check_passes() -> None:
    check = all_checks()["CAPSA-SCALE-003"]
    bounded = _autoscaled(
        {
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "1",
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "3",
        }
    ).model_copy(update={"expect": "not-applicable"})
    wrong = check.model_copy(update={"examples": Examples(pass_=(bounded,))})
    [outcome] = run_examples(wrong)
    assert outcome.passes == 1 and not outcome.as_labelled
    assert "expected not-applicable" in outcome.explain()


def test_a_pass_by_default_is_told_apart_from_an_explicit_pass() -> None:
    check = all_checks()["CAPSA-SCALE-003"]
    rests_on_default = check.model_copy(
        update={
            "by_default": ByDefault(
                when="!('cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size' "
                "in object.metadata.annotations)",
                default="an example default",
                reference="example@0:path:1",
            )
        }
    )
    explicit = _autoscaled(
        {
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "1",
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "3",
        }
    )
    as_default = explicit.model_copy(update={"expect": "pass-by-default"})
    wrong = rests_on_default.model_copy(update={"examples": Examples(pass_=(as_default,))})
    [outcome] = run_examples(wrong)
    assert outcome.passes == 1 and outcome.by_default == 0 and not outcome.as_labelled
    right = rests_on_default.model_copy(update={"examples": Examples(pass_=(explicit,))})
    assert run_examples(right)[0].as_labelled
