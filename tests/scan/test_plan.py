"""How planning packs files into groups (`capsa.scan.plan`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from capsa.scan.plan import _closure, _pack


@st.composite
def _inputs(draw: st.DrawFn) -> tuple[list[set[int]], list[int], int]:
    files = draw(st.integers(min_value=0, max_value=12))
    sizes = draw(st.lists(st.integers(0, 6), min_size=files, max_size=files))
    needs = [
        draw(st.sets(st.integers(0, files - 1), max_size=3)) if files else set()
        for _ in range(files)
    ]
    return needs, sizes, draw(st.integers(1, 20))


@given(_inputs())
def test_groups_own_files_in_order_load_their_closures_and_fill_the_budget(
    case: tuple[list[set[int]], list[int], int],
) -> None:
    needs, sizes, budget = case
    groups = _pack(needs, sizes, budget)
    owned = [file for group in groups for file in group.owned]
    assert owned == list(range(len(sizes)))

    def size(files: set[int]) -> int:
        return sum(sizes[f] for f in files)

    for at, group in enumerate(groups):
        closures = set().union(*(_closure(f, needs) for f in group.owned))
        assert set(group.loads) == closures
        assert group.loads == tuple(sorted(group.loads))
        assert len(group.owned) == 1 or size(closures) <= budget
        if at + 1 < len(groups):  # the next file did not fit
            assert size(closures | _closure(groups[at + 1].owned[0], needs)) > budget
