"""The scan releases free memory now and then (`capsa.scan.heap`)."""

from __future__ import annotations

import gc

import pytest

from capsa.scan import heap


def test_files_are_counted_into_releases(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    trimmed: list[int] = []
    monkeypatch.setattr(heap, "_done", 0)
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    monkeypatch.setattr(heap, "_trim", lambda: lambda pad: trimmed.append(pad) or 1)
    for _ in range(heap.EVERY * 2 - 1):
        heap.now_and_then()
    assert collected == [0] and trimmed == [0]
    heap.now_and_then()
    assert collected == [0, 0] and trimmed == [0, 0]


def test_without_a_trim_a_release_still_collects(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    monkeypatch.setattr(heap, "_trim", lambda: None)  # a C library without malloc_trim
    heap.release_free_memory()
    assert collected == [0]
