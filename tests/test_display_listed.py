"""`display.listed`: every item up to the limit, the first ones and a count beyond it."""

from __future__ import annotations

from capsa.display import listed


def test_items_up_to_the_limit_are_all_named() -> None:
    assert listed(["a", "b", "c"], 3) == "a, b, c"
    assert listed([], 3) == ""


def test_items_beyond_the_limit_are_counted() -> None:
    assert listed(["a", "b", "c", "d", "e"], 3) == "a, b, c and 2 more"
