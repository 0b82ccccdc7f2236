"""Explanations are derived from the rule and the model: conditions split at their top
level, facts read, and edits that were tried by deriving the threat again."""

from __future__ import annotations

from threats_support import build_model, element, flow

from capsa.threats.explain import Explanation, explain, split_top
from capsa.threats.rules import load_rules


def test_split_at_the_top_level_only() -> None:
    expression = 'a && (b || c) && d in ["x && y"] && f("&&")'
    assert split_top(expression, "&&") == ["a", "b || c", 'd in ["x && y"]', 'f("&&")']
    assert split_top("(a && b)", "&&") == ["a", "b"]
    assert split_top("(a) || (b)", "&&") == ["(a) || (b)"]


def _webhook(authentication: str = "none") -> Explanation | None:
    model = build_model(
        boundaries=[{"id": "cluster", "name": "Cluster", "kind": "cluster"}],
        elements=[
            element("api", boundary="cluster"),
            element("hook", boundary="cluster", exposure="cluster"),
            element("pod", boundary="cluster", runs_untrusted_workloads=True),
        ],
        flows=[flow("api-to-hook", "api", "hook", authentication=authentication)],
    )
    return explain(model, load_rules(), "unauthenticated-inbound@api-to-hook")


def test_explanation_shows_each_condition_its_facts_and_verified_changes() -> None:
    found = _webhook()
    assert found is not None
    assert all(c.holds for c in found.applicable)
    auth = next(c for c in found.applicable if c.text == 'flow.authentication == "none"')
    assert [(f.path, f.value, f.origin) for f in auth.facts] == [
        ("flow.authentication", "none", "data flow api-to-hook authentication")
    ]
    callers = next(c for c in found.mitigated_when if "untrusted_callers" in c.text)
    assert not callers.holds
    assert ("target_callers", ("pod",)) in found.evidence
    changes = {(c.where, c.effect) for c in found.changes}
    assert ("data flow api-to-hook authentication", "removes it") in changes
    assert ("data flow api-to-hook signed", "removes it") in changes
    assert ("element hook attributes.exposure", "marks it mitigated") in changes


def test_only_controls_are_offered_as_changes() -> None:
    found = _webhook()
    assert found is not None
    assert not any("protocol" in c.where or "direction" in c.where for c in found.changes)


def test_a_threat_the_rules_do_not_derive_has_no_explanation() -> None:
    found = _webhook(authentication="mtls")
    assert found is None
