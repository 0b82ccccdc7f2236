"""Every threat rule carries, in rules.yaml, a tiny model it fires on and one it stays
silent on; each is run here through the engine."""

from __future__ import annotations

import pytest

from capsa.threats.engine import example_fires
from capsa.threats.rules import CompiledRule, load_rules

RULES = {rule.spec.id: rule for rule in load_rules()}
EXAMPLES = [
    pytest.param(rule, verdict, example, id=f"{rule_id}-{verdict}-{index}")
    for rule_id, rule in RULES.items()
    for verdict, examples in rule.spec.examples.by_verdict()
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_a_firing_and_a_silent_example(rule_id: str) -> None:
    examples = RULES[rule_id].spec.examples
    assert examples.fail, f"{rule_id}: add an example under examples.fail"
    assert examples.pass_, f"{rule_id}: add an example under examples.pass"


@pytest.mark.parametrize(("rule", "verdict", "example"), EXAMPLES)
def test_rule_example(rule: CompiledRule, verdict: str, example: object) -> None:
    fired = example_fires(rule, example)  # type: ignore[arg-type]
    assert fired == (verdict == "fail"), f"{rule.spec.id} on {example}"
