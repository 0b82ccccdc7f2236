"""A grouped scan keeping its clusters gives the views the whole topology gives.

`capsa assess`, `capsa paths` and `capsa fmea` read only the clusters' views of the
topology (the attack graph's deployment, cloud scopes, FMEA settings). They scan group by
group with `keep_clusters`, each group giving the views of the Clusters it owns, merged
in the whole input's order. These tests compare those views with the whole topology's on
the bundled example, on copies of it (every name repeated, so the order among clusters
of one name matters), on the templates fixture (one unresolved name in two files) and on
the shared corpus, and compare whole assessments made both ways."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.scan.grouping import copies, with_budget

import capsa.assess.stages as stages
import capsa.scan.grouped as grouped
from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess
from capsa.capi.clusters import ClusterView
from capsa.graph.service import attack_paths, from_scan
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

TODAY = date(2026, 3, 1)
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "capsa" / "examples" / "capa-demo"
TEMPLATES = ROOT / "tests" / "graph" / "fixtures" / "templates"
CORPUS = ROOT.parent / "shared" / "corpus"
TIED = Path(__file__).parent / "fixtures" / "tied"


def _comparable(views: tuple[ClusterView, ...]) -> list[ClusterView]:
    """Views without the class templates' copies (a grouped scan drops them) and with
    their members in one order: a Cluster's ClusterResourceSets come in the order their
    names first appear in what was resolved, which a part of the input cannot know.
    Nothing that reads views depends on that order; the assessments compared below
    check it."""

    def member_order(member: object) -> tuple[str, str, str, int]:
        resource = member.resource  # type: ignore[attr-defined]
        origin = resource.origin
        return (resource.kind, resource.name, origin.path, origin.line or 0)

    return [
        dataclasses.replace(
            view, resolved=(), members=tuple(sorted(view.members, key=member_order))
        )
        for view in views
    ]


def _same_views(paths: list[str], jobs: int = 1) -> tuple[ClusterView, ...]:
    whole = scan(ScanRequest(paths=paths, today=TODAY))
    parts = scan(
        ScanRequest(paths=paths, today=TODAY, keep_topology=False, keep_clusters=True, jobs=jobs)
    )
    assert whole.topology is not None and parts.topology is None
    assert whole.clusters and parts.clusters is not None
    assert [v.cluster.origin for v in parts.clusters] == [v.cluster.origin for v in whole.clusters]
    assert _comparable(parts.clusters) == _comparable(whole.clusters)
    assert from_scan(parts).deployment == from_scan(whole).deployment
    return parts.clusters


@pytest.mark.parametrize(("budget", "held"), [(None, True), (1, True), (1, False)])
def test_the_example_gives_the_whole_topology_s_views(
    budget: int | None, held: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not held:
        monkeypatch.setattr(grouped, "HOLD_BYTES", -1)
    with_budget(monkeypatch, budget)
    assert len(_same_views([str(DEMO)])) > 1


def test_copies_keep_the_whole_order_among_clusters_of_one_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole input lists clusters by name (each name where it first appears), then
    in read order: with every file its own group, a merge in group order would not."""
    with_budget(monkeypatch, 1)
    views = _same_views(copies(DEMO, tmp_path, 3))
    assert len({v.name for v in views}) < len(views), "copies repeat every name"


@pytest.mark.parametrize("jobs", [1, 2])
def test_templates_of_one_unresolved_name_stay_two_clusters(
    jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_budget(monkeypatch, 1)
    assert len(_same_views([str(TEMPLATES)], jobs=jobs)) == 2


def test_without_keep_clusters_a_grouped_scan_has_none() -> None:
    parts = scan(ScanRequest(paths=[str(DEMO)], today=TODAY, keep_topology=False))
    assert parts.clusters is None


@pytest.mark.parametrize("budget", [None, 300, 1])
def test_the_corpus_gives_the_whole_topology_s_views(
    budget: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    with_budget(monkeypatch, budget)
    assert len(_same_views([str(CORPUS)])) > 50


def _whole_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the assessment's scan keep the whole topology, as it did before grouping."""

    def whole(request: ScanRequest) -> ScanResult:
        return scan(dataclasses.replace(request, keep_topology=True, keep_clusters=False))

    monkeypatch.setattr(stages, "scan", whole)


def _tied(target: Path) -> list[str]:
    """Two Clusters `team-g/gamma` of one ClusterClass, one carried in a
    ClusterResourceSet payload of an earlier file: the class templates' copies of both
    share a name and a place, and their results differ only in their reasons. The whole
    evaluates them in view order, a grouped scan with the group of each Cluster's file."""
    target.mkdir()
    shutil.copy(
        ROOT / "tests" / "capi" / "fixtures" / "clusterclass-v1beta1.yaml", target / "m-class.yaml"
    )
    for part in TIED.iterdir():
        shutil.copy(part, target / part.name)
    return [str(target)]


@pytest.mark.parametrize("source", ["copies", "tied", "corpus"])
def test_an_assessment_made_group_by_group_is_the_whole_one(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "corpus" and not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    if source == "corpus":
        paths = [str(CORPUS)]
    else:
        paths = copies(DEMO, tmp_path, 2) if source == "copies" else _tied(tmp_path / "in")
    request = AssessRequest(paths=paths, now=datetime(2026, 3, 1, tzinfo=UTC))
    with_budget(monkeypatch, 300 if source == "corpus" else 1)
    grouped_json = assess(request).to_json()
    _whole_scan(monkeypatch)
    assert assess(request).to_json() == grouped_json
    found = attack_paths(from_scan(scan(ScanRequest(paths=paths, today=TODAY))))
    assert found.report.paths, "the comparison must include attack paths"
