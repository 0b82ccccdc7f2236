"""Exact minimum-weight hitting set."""

from __future__ import annotations

from capsa.graph.hitting import greedy, min_hitting_set


def test_exact_beats_greedy_where_greedy_is_wrong() -> None:
    # Greedy takes "c" (hits three sets) and then needs "a" and "b"; the optimum is a + b.
    sets = [
        frozenset({"a", "c"}),
        frozenset({"b", "c"}),
        frozenset({"a", "d"}),
        frozenset({"b", "e"}),
        frozenset({"c", "f"}),
    ]
    weights = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 1.0}
    result = min_hitting_set(sets, weights)
    assert result.exact
    assert all(s & result.chosen for s in sets)
    assert result.cost <= len(greedy(sets, weights))
    assert len(result.chosen) == 3


def test_effort_weights_the_choice() -> None:
    sets = [frozenset({"cheap1", "dear"}), frozenset({"cheap2", "dear"})]
    assert min_hitting_set(sets, {"dear": 1.0, "cheap1": 1.0, "cheap2": 1.0}).chosen == {"dear"}
    assert min_hitting_set(sets, {"dear": 5.0, "cheap1": 1.0, "cheap2": 1.0}).chosen == {
        "cheap1",
        "cheap2",
    }


def test_budget_exhaustion_is_reported() -> None:
    sets = [frozenset({f"m{i}", f"m{i + 1}"}) for i in range(30)]
    result = min_hitting_set(sets, {}, budget=5)
    assert not result.exact
    assert all(s & result.chosen for s in sets)
