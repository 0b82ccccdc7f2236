"""The pre-check of a rule's simple first condition answers false only when CEL would, so
it never changes what the rules derive."""

from __future__ import annotations

import dataclasses

import pytest
from validation_set import SYSTEMS, model

from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.threats.cel_text import guard
from capsa.threats.engine import generate
from capsa.threats.rules import load_rules


@pytest.mark.parametrize(
    ("expression", "bindings", "expected"),
    [
        ('flow.authentication == "none" && x', {"flow": {"authentication": "mtls"}}, False),
        ('flow.authentication == "none" && x', {"flow": {"authentication": "none"}}, True),
        ("!flow.local && x", {"flow": {"local": True}}, False),
        ("element.attributes.pdp && x", {"element": {"attributes": {"pdp": False}}}, False),
        ('target.type in ["process", "service"]', {"target": {"type": "datastore"}}, False),
        ("asset.rank >= 3 && x", {"asset": {"rank": 2}}, False),
        ("asset.rank >= 3 && x", {"asset": {"rank": 3}}, True),
        # anything unusual is left to CEL
        ("flow.server_authenticated == false && x", {"flow": {"server_authenticated": None}}, True),
        ("asset.rank >= 3 && x", {"asset": {"rank": "3"}}, True),
        ("missing.field && x", {}, True),
    ],
)
def test_guard_answers_false_only_when_the_first_condition_is_false(
    expression: str, bindings: dict[str, object], expected: bool
) -> None:
    check = guard(expression)
    assert check is not None
    assert check(bindings) is expected


@pytest.mark.parametrize("expression", ["a || b", "(a || b) && c", "size(x) > 0 && y"])
def test_no_guard_for_other_shapes(expression: str) -> None:
    assert guard(expression) is None


def _models() -> list[SystemModel]:
    return [load_model("builtin:capi-aws"), *(model(s) for s in SYSTEMS)]


def test_guards_never_change_the_threats_derived() -> None:
    rules = load_rules()
    unguarded = [dataclasses.replace(r, guard=None) for r in rules]
    assert sum(r.guard is not None for r in rules) >= len(rules) // 2
    for system in _models():
        with_guards = [(t.id, t.mitigated) for t in generate(system, rules)]
        without = [(t.id, t.mitigated) for t in generate(system, unguarded)]
        assert with_guards == without, system.metadata.name
