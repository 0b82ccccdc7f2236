"""Minimum-weight hitting set by branch and bound.

Given sets of mitigations (each set closes one attack path when any member is applied),
find the cheapest set of mitigations meeting every set. The instances the cut produces
are small (a few dozen mitigations, tens of sets), so an exact search with a greedy upper
bound finishes at once; past `budget` explored nodes it returns the best found and says
it may not be optimal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class HittingSet:
    chosen: frozenset[str]
    cost: float
    exact: bool


def _key(chosen: frozenset[str], weight: Mapping[str, float]) -> tuple[float, int, tuple[str, ...]]:
    return (round(sum(weight.get(m, 1.0) for m in chosen), 9), len(chosen), tuple(sorted(chosen)))


def greedy(sets: Sequence[frozenset[str]], weight: Mapping[str, float]) -> frozenset[str]:
    """Weighted greedy: repeatedly take the mitigation with the best sets-hit per cost."""
    chosen: set[str] = set()
    open_sets = [s for s in sets if s]
    while open_sets:
        counts: dict[str, int] = {}
        for s in open_sets:
            for m in s:
                counts[m] = counts.get(m, 0) + 1
        best = min(counts, key=lambda m: (-counts[m] / weight.get(m, 1.0), m))
        chosen.add(best)
        open_sets = [s for s in open_sets if best not in s]
    return frozenset(chosen)


def min_hitting_set(
    sets: Sequence[frozenset[str]], weight: Mapping[str, float], budget: int = 200_000
) -> HittingSet:
    """Cheapest set meeting every non-empty set in `sets` (ties: fewer, then by name)."""
    work = sorted({s for s in sets if s}, key=len)
    best = greedy(work, weight)
    best_key = _key(best, weight)
    explored = 0
    exact = True

    def search(chosen: frozenset[str], cost: float, forbidden: frozenset[str]) -> None:
        nonlocal best, best_key, explored, exact
        explored += 1
        if explored > budget:
            exact = False
            return
        unhit = next((s for s in work if not s & chosen), None)
        if unhit is None:
            key = _key(chosen, weight)
            if key < best_key:
                best, best_key = chosen, key
            return
        options = sorted(unhit - forbidden, key=lambda m: (weight.get(m, 1.0), m))
        banned = set(forbidden)
        for m in options:
            step = cost + weight.get(m, 1.0)
            if (round(step, 9), len(chosen) + 1) <= best_key[:2]:
                search(chosen | {m}, step, frozenset(banned))
            banned.add(m)

    search(frozenset(), 0.0, frozenset())
    return HittingSet(best, best_key[0], exact)
