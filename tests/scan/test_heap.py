"""The scan collects cycles often and trims the heap seldom (`capsa.scan.heap`)."""

from __future__ import annotations

import gc

import pytest

from capsa.scan import heap


def test_files_are_counted_into_collections_and_rarer_trims(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collected: list[int] = []
    trimmed: list[int] = []
    monkeypatch.setattr(heap, "_done", 0)
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    monkeypatch.setattr(heap, "_trim", lambda: lambda pad: trimmed.append(pad) or 1)
    for _ in range(heap.TRIM_EVERY * 2):
        heap.now_and_then()
    assert collected == [0] * (2 * heap.TRIM_EVERY // heap.EVERY)
    assert trimmed == [0, 0]


def test_a_release_collects_and_trims_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    trimmed: list[int] = []
    monkeypatch.setattr(heap, "_trim", lambda: lambda pad: trimmed.append(pad) or 1)
    heap.release_free_memory()
    assert trimmed == [0]


def test_without_a_trim_a_release_still_collects(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    monkeypatch.setattr(heap, "_trim", lambda: None)  # a C library without malloc_trim
    heap.release_free_memory()
    assert collected == [0]
