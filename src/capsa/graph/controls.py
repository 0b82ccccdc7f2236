"""Mitigations that are one control, and the checks that evidence each mitigation.

The assessment recommends some controls under several threats ("enforce Pod Security"
under four of them); the catalogue marks the repeats with `sameAs`. Evidence for one is
evidence for all of them, and a cut needs only one: edges and the cut speak of the
group's root (`root_of`), every member lists the group's checks (`with_same_control`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache

from capsa.threats.catalogue import builtin_catalogue


@cache
def _roots() -> dict[str, str]:
    return {m.id: m.same_as or m.id for t in builtin_catalogue().threats for m in t.mitigations}


def root_of(mitigation: str) -> str:
    """The mitigation that stands for `mitigation`'s group of equal controls."""
    return _roots().get(mitigation, mitigation)


@cache
def _groups() -> dict[str, tuple[str, ...]]:
    """Root -> every member of its group, sorted: worked out once, as evidence asks for
    a group per result and scope (millions of times for a large repository)."""
    members: dict[str, list[str]] = {}
    for mitigation, root in _roots().items():
        members.setdefault(root, []).append(mitigation)
    return {root: tuple(sorted(found)) for root, found in members.items()}


def group_of(mitigation: str) -> tuple[str, ...]:
    """Every mitigation recommending the same control as `mitigation` (itself included)."""
    return _groups().get(root_of(mitigation), (mitigation,))


def with_same_control(checks: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """`checks` (mitigation -> check ids) with every member of a group listing the checks
    of the whole group."""
    by_root: dict[str, set[str]] = {}
    for mitigation, ids in checks.items():
        by_root.setdefault(root_of(mitigation), set()).update(ids)
    out: dict[str, tuple[str, ...]] = {}
    for mitigation in {*checks, *(m for root in by_root for m in group_of(root))}:
        found = by_root.get(root_of(mitigation))
        if found:
            out[mitigation] = tuple(sorted(found))
    return out


def checks_of(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """(check id, mitigation id) pairs as mitigation -> check ids, equal controls merged;
    checks that evidence no mitigation (empty id) are left out."""
    grouped: dict[str, list[str]] = {}
    for check_id, mitigation in pairs:
        if mitigation:
            grouped.setdefault(mitigation, []).append(check_id)
    return with_same_control(grouped)
