"""How planning packs files into groups (`capsa.scan.plan`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capsa.capi.clusters import ClusterView
from capsa.capi.index import ResourceKey, resource_key
from capsa.capi.topology import build_topology, planning_view, shared_facts
from capsa.scan.plan import Follow, RecordingIndex, _closure, pack_groups
from capsa.sources.files import read_manifests
from capsa.sources.resource import Resource


@st.composite
def _inputs(draw: st.DrawFn) -> tuple[dict[int, set[int]], list[int], int]:
    files = draw(st.integers(min_value=0, max_value=12))
    sizes = draw(st.lists(st.integers(0, 6), min_size=files, max_size=files))
    needs = {  # planning keeps a set only for a file that links to another
        file: targets
        for file in range(files)
        if (targets := draw(st.sets(st.integers(0, files - 1), max_size=3)))
    }
    return needs, sizes, draw(st.integers(1, 20))


@given(_inputs())
def test_groups_own_files_in_order_load_their_closures_and_fill_the_budget(
    case: tuple[dict[int, set[int]], list[int], int],
) -> None:
    needs, sizes, budget = case
    groups = pack_groups(needs, sizes, budget)
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


ROOT = Path(__file__).resolve().parents[2]
INPUTS = [
    ROOT / "src" / "capsa" / "examples" / "capa-demo",
    ROOT / "tests" / "capi" / "fixtures",
    ROOT.parent / "shared" / "corpus",
]


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name)
def test_planning_follows_every_reference_the_whole_resolution_follows(source: Path) -> None:
    """`planning_view` skips the check contexts, not the lookups made to fill them (a
    ClusterResourceSet's carriers, an outside AWSCluster's identity): each brings a file
    into a closure."""
    if not source.exists():
        pytest.skip(f"{source} is absent")
    resources = read_manifests([str(source)]).resources
    followed: dict[str, Counter[tuple[ResourceKey, ResourceKey]]] = {
        "whole": Counter(),
        "planning": Counter(),
    }

    def recorder(name: str) -> Follow:
        def follow(near: Resource, found: Resource) -> None:
            followed[name][(resource_key(near), resource_key(found))] += 1

        return follow

    whole = RecordingIndex(resources, recorder("whole"))
    planning = RecordingIndex(resources, recorder("planning"))
    topology = build_topology(resources, index=whole)
    clusters: list[ClusterView] = []
    shared = planning_view(resources, planning, seen=clusters.append)
    assert [v.cluster for v in clusters] == [v.cluster for v in topology.clusters]
    assert clusters == list(topology.clusters)
    assert shared == shared_facts(topology)
    # the same lookups, each as often: planning makes them in another order (a view's
    # context references as the view is resolved)
    assert followed["planning"] == followed["whole"]
    asking = {near[0].split("/")[1] for near, _ in followed["planning"]}
    assert "ClusterResourceSet" in asking or source.name == "capa-demo"
