"""`release_free_memory`: the C allocator's free pages handed back between steps."""

from __future__ import annotations

import platform

import pytest

from capsa.scan import heap


def test_the_allocator_is_asked_to_trim_when_it_can(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def trim(pad: int) -> int:
        calls.append(pad)
        return 1

    monkeypatch.setattr(heap, "_trim", lambda: trim)
    heap.release_free_memory()
    assert calls == [0]


def test_without_a_trim_call_nothing_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_trim", lambda: None)
    heap.release_free_memory()  # no C library call, no error


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_glibc_has_the_trim_call() -> None:
    heap._trim.cache_clear()
    found = heap._trim()
    assert found is not None
    found(0)
