"""What the grouped-scan tests share: forcing a budget, and copies of an input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import capsa.scan.grouped as grouped
import capsa.scan.parts as parts


def with_budget(monkeypatch: pytest.MonkeyPatch, budget: int | None) -> None:
    """Scans made while `monkeypatch` lasts plan groups of `budget` resources (None:
    the default); a budget of 1 makes every file its own group. Planning then cuts the
    input into parts of `budget` x 40 resources (`scan.parts`), so a small input is
    planned part by part too."""
    if budget is None:
        return
    monkeypatch.setattr(parts, "PART_BUDGET", budget * 40)
    original = grouped.scan_groups
    monkeypatch.setattr(
        grouped, "scan_groups", lambda *a, **k: original(*a, **{**k, "budget": budget})
    )


def copies(source: Path, target: Path, count: int) -> list[str]:
    """`count` copies of `source` under `target` (every name repeated), as scan paths."""
    for n in range(count):
        shutil.copytree(source, target / f"copy{n}")
    return [str(target)]
