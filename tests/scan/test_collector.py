"""`collector_paused`: the collector is off inside, back on after, nothing left for the
youngest generation to walk, cycles made inside still collectable, a caller's frozen
objects left frozen."""

from __future__ import annotations

import gc
import weakref

from capsa.scan.service import collector_paused


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


def test_the_collector_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_what_was_built_inside_is_not_walked_when_the_collector_comes_back() -> None:
    gc.collect()
    started: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    with collector_paused():
        kept = [[index] for index in range(50_000)]
        assert gc.get_count()[0] >= 50_000
        gc.callbacks.append(note)
    try:
        after = [[index] for index in range(100)]  # a few allocations, as any caller makes
    finally:
        gc.callbacks.remove(note)
    assert started == []  # no collection walked the 50,000 lists on the way out
    assert gc.get_freeze_count() == 0
    assert len(kept) == 50_000 and len(after) == 100


def test_a_cycle_made_inside_is_still_collected() -> None:
    with collector_paused():
        made = _cycle()
    assert made() is not None  # nothing collected it yet: reference counts cannot
    gc.collect()
    assert made() is None


def test_a_callers_frozen_objects_stay_frozen() -> None:
    gc.collect()
    held = [[index] for index in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            pass
        # not released (unfreezing empties the permanent generation), nothing added;
        # a frozen object freed meanwhile by reference counting may lower the count
        assert 0 < gc.get_freeze_count() <= frozen
        assert frozen - gc.get_freeze_count() < 1_000
    finally:
        gc.unfreeze()
    assert len(held) == 100


def test_a_caller_that_disabled_the_collector_keeps_it_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
