"""Ranked path shapes, the minimum cut and what-if."""

from __future__ import annotations

import pytest
from graph_support import evidence

from capsa.errors import InputError
from capsa.graph.build import build_graph
from capsa.graph.deployment import ClusterSpec, Deployment, PoolSpec, generic
from capsa.graph.search import analyse, find_paths, minimum_cut, what_if
from capsa.graph.techniques import TechniqueCatalogue, load_techniques

CATALOGUE = load_techniques()
EVERY_CHECKED = {m: (f"CHECK-{m}",) for m in CATALOGUE.mitigations()}


def _fleet(n: int) -> Deployment:
    pools = (PoolSpec("control-plane", "control-plane"), PoolSpec("md-0", "worker"))
    return Deployment(tuple(ClusterSpec(f"ns/c{i}", "ns", "management", pools) for i in range(n)))


def test_paths_are_ranked_by_score_then_length() -> None:
    graph = build_graph(CATALOGUE, generic())
    paths = find_paths(graph, ["pod-create"], ["admin-kubeconfig"], top=10)
    scores = [(-p.score, len(p.steps)) for p in paths]
    assert scores == sorted(scores)
    assert paths[0].shape == (
        "schedule-on-untainted-control-plane",
        "host-mount",
        "control-plane-admin-conf",
    )
    assert all(p.steps[0].source.endswith(":pod-create") for p in paths)
    assert all(p.steps[-1].target.endswith(":admin-kubeconfig") for p in paths)


def test_same_shape_across_clusters_counts_once_and_lists_them() -> None:
    graph = build_graph(CATALOGUE, _fleet(30))
    paths = find_paths(graph, ["pod-create"], ["ca-keys"], top=5)
    shapes = [p.shape for p in paths]
    assert len(shapes) == len(set(shapes)) == 5
    assert len(paths[0].clusters) == 30


def test_unknown_entry_is_a_usage_error() -> None:
    graph = build_graph(CATALOGUE, generic())
    with pytest.raises(InputError, match="unknown capability"):
        find_paths(graph, ["no-such-entry"])


def test_cut_closes_every_path_it_claims_to() -> None:
    graph = build_graph(CATALOGUE, _fleet(3))
    cut = minimum_cut(graph, checks=EVERY_CHECKED)
    assert cut.exact
    chosen = [c.mitigation for c in cut.mitigations]
    after = find_paths(graph, assume=chosen, top=50)
    assert {(p.entry, p.target) for p in after} <= set(cut.uncuttable)


def test_cut_uses_only_checked_mitigations() -> None:
    graph = build_graph(CATALOGUE, generic())
    checks = {"STRIDE-TAMPER-1.M2": ("CAPSA-IMG-001",)}
    cut = minimum_cut(graph, ["maintainer-account"], ["management-etcd"], checks=checks)
    assert [c.mitigation for c in cut.mitigations] == ["STRIDE-TAMPER-1.M2"]
    assert cut.mitigations[0].checks == ("CAPSA-IMG-001",)
    assert cut.uncuttable == ()


def test_pairs_no_checked_mitigation_can_close_are_reported_apart() -> None:
    graph = build_graph(CATALOGUE, generic())
    cut = minimum_cut(graph, ["maintainer-account"], ["management-etcd"], checks={})
    assert cut.mitigations == ()
    assert cut.uncuttable == (("maintainer-account", "management-etcd"),)


def test_cut_weighs_effort() -> None:
    checks = {m: ("C",) for m in ("STRIDE-INFODISCLOSE-1.M3", "STRIDE-INFODISCLOSE-1.M1")}
    cheap = minimum_cut(
        build_graph(CATALOGUE, generic()), ["node-shell"], ["management-etcd"], checks=checks
    )
    assert [c.mitigation for c in cheap.mitigations] == ["STRIDE-INFODISCLOSE-1.M1"]
    dear = TechniqueCatalogue(
        CATALOGUE.capabilities.values(),
        CATALOGUE.techniques,
        {**CATALOGUE.efforts, "STRIDE-INFODISCLOSE-1.M1": 10.0},
    )
    cut = minimum_cut(
        build_graph(dear, generic()), ["node-shell"], ["management-etcd"], checks=checks
    )
    assert [c.mitigation for c in cut.mitigations] == ["STRIDE-INFODISCLOSE-1.M3"]
    assert cut.total_effort == 3.0


def test_report_links_cut_mitigations_to_paths() -> None:
    graph = build_graph(CATALOGUE, generic())
    report = analyse(graph, top=3, checks=EVERY_CHECKED)
    for item in report.cut.mitigations:
        for i in item.paths_cut:
            assert any(item.mitigation in s.blocked_by for s in report.paths[i].steps)


def test_what_if_reports_the_paths_removed() -> None:
    graph = build_graph(CATALOGUE, generic())
    result = what_if(graph, ["STRIDE-SPOOF-1.M5"], ["pod-create"], ["cloud-admin-creds"], top=10)
    assert result.removed
    assert all("pod-reaches-imds" in p.shape for p in result.removed)
    assert not any("pod-reaches-imds" in p.shape for p in result.after)


def test_evidence_that_holds_removes_paths_like_an_assumption() -> None:
    deployment = generic()
    held = build_graph(CATALOGUE, deployment, evidence(deployment, holds=["STRIDE-SPOOF-1.M5"]))
    assumed = build_graph(CATALOGUE, deployment)
    by_evidence = {p.shape for p in find_paths(held, top=20)}
    by_assumption = {p.shape for p in find_paths(assumed, top=20, assume=["STRIDE-SPOOF-1.M5"])}
    assert by_evidence == by_assumption


DECIDED = """\
capabilities:
  - {id: a, name: A, scope: cluster, entry: true}
  - {id: b, name: B, scope: cluster, target: true}
techniques:
  - id: a-to-b
    name: A to B
    from: a
    to: b
    threats: [STRIDE-SPOOF-1]
    blockedBy: [STRIDE-SPOOF-1.M5]
    decidedBy: [CAPSA-AWS-002]
    likelihood: 0.5
"""


def test_a_mitigation_cuts_a_decided_technique_only_through_a_deciding_check() -> None:
    from capsa.graph.techniques import parse_techniques

    catalogue = parse_techniques(DECIDED, "t.yaml")
    graph = build_graph(catalogue, generic())
    # SPOOF-1.M5 has a check, but not one that decides this edge: no cut can close it
    other = analyse(graph, checks={"STRIDE-SPOOF-1.M5": ("CAPSA-IMDS-001",)})
    assert not other.cut.closes_every_path
    assert [(r.entry, r.target) for r in other.cut.routes] == [("a", "b")]
    # the deciding check ran: the mitigation closes it
    deciding = analyse(graph, checks={"STRIDE-SPOOF-1.M5": ("CAPSA-AWS-002",)})
    assert deciding.cut.closes_every_path
    assert [m.mitigation for m in deciding.cut.mitigations] == ["STRIDE-SPOOF-1.M5"]
    assert deciding.cut.mitigations[0].paths_cut == (0,)
    assert other.paths and not any(m.paths_cut for m in other.cut.mitigations)


def test_every_route_technique_is_on_a_listed_path_or_has_a_route_shown() -> None:
    """A threat is not verified while a route from an entry to a target uses one of its
    techniques; the reader must be able to find that route. Techniques on none of the
    listed paths (the best `top` per entry and target) each get one route, which starts
    at an entry, ends at a target and uses the technique."""
    graph = build_graph(CATALOGUE, generic())
    report = analyse(graph, top=1)
    listed = {s.technique for p in report.paths for s in p.steps}
    shown = dict(report.route_examples)
    assert set(report.route_techniques) <= listed | set(shown)
    assert shown and not (listed & set(shown))
    for technique, route in shown.items():
        start, rest = route.split(" → ", 1)
        end, _, techniques = rest.partition(" via ")
        assert start.rpartition(":")[2] in report.entries, route
        assert end.rpartition(":")[2] in report.targets, route
        assert technique in techniques.split(" › "), route


def test_with_every_path_listed_no_route_is_shown_apart() -> None:
    graph = build_graph(CATALOGUE, generic())
    report = analyse(graph, top=1000)
    listed = {s.technique for p in report.paths for s in p.steps}
    assert dict(report.route_examples).keys() == set(report.route_techniques) - listed


# --- what was searched -------------------------------------------------------------------

EVERY_MODEL_ID = {m for c in CATALOGUE.capabilities.values() for m in c.model}


def test_a_model_naming_nothing_the_catalogue_stands_for_is_not_searched() -> None:
    """No entry point and no target: "no open path" would claim what was never looked at."""
    graph = build_graph(CATALOGUE, generic(), model_ids={"web", "vault", "argocd"})
    report = analyse(graph, checks=EVERY_CHECKED)
    assert not report.searched and report.paths == ()
    assert not report.cut_closes_every_path
    entry_note, target_note = report.not_searched
    assert entry_note.startswith("no entry point is in the graph: pod-create stands for ")
    assert "kubelet, which the model lacks" in entry_note
    assert target_note.startswith("no target is in the graph: ")


def test_an_entry_no_cluster_holds_is_not_searched_and_says_why() -> None:
    """Without clusters the management and account capabilities are still searched."""
    graph = build_graph(CATALOGUE, Deployment(()))
    assert analyse(graph, checks=EVERY_CHECKED).searched
    report = analyse(graph, ["pod-create"], checks=EVERY_CHECKED)
    assert not report.searched
    assert report.not_searched == (
        "no entry point is in the graph: pod-create: no cluster of the deployment holds it",
    )


def test_a_full_model_is_searched_and_says_nothing_is_missing() -> None:
    graph = build_graph(CATALOGUE, generic(), model_ids=EVERY_MODEL_ID)
    report = analyse(graph, checks=EVERY_CHECKED)
    assert report.searched and report.not_searched == () and report.paths


def test_an_entry_asked_for_that_the_model_lacks_is_named() -> None:
    graph = build_graph(CATALOGUE, generic(), model_ids=EVERY_MODEL_ID - {"kubelet"})
    report = analyse(graph, ["pod-create", "node-shell"], ["ca-keys"], checks=EVERY_CHECKED)
    assert report.searched
    assert report.not_searched == (
        "entry points asked for but not in the graph, not searched: node-shell stands for "
        "kubelet, which the model lacks",
    )
    alone = analyse(graph, ["node-shell"], ["ca-keys"], checks=EVERY_CHECKED)
    assert not alone.searched and not alone.cut_closes_every_path


def test_a_target_only_a_cloud_principal_reaches_leaves_nothing_searched() -> None:
    """With no cloud evidence no technique leads to it: "no path" would claim a search."""
    graph = build_graph(CATALOGUE, generic(), model_ids={"workload-pod", "elb"})
    report = analyse(graph, checks=EVERY_CHECKED)
    assert not report.searched and report.targets == ()
    assert (
        "management-cut-off: no technique of this deployment leads to it"
        in (report.not_searched[-1])
    )


def test_targets_every_technique_into_is_blocked_are_still_searched() -> None:
    """Everything holding: the search ran and found no path, which is a result."""
    deployment = generic()
    held = evidence(deployment, holds=CATALOGUE.mitigations())
    graph = build_graph(CATALOGUE, deployment, held)
    report = analyse(graph, checks=EVERY_CHECKED)
    assert report.searched and report.paths == () and report.targets
    assert report.cut_closes_every_path


def test_the_report_lists_only_the_entries_it_searched() -> None:
    graph = build_graph(CATALOGUE, generic(), model_ids=EVERY_MODEL_ID - {"kubelet"})
    report = analyse(graph, ["pod-create", "node-shell"], ["ca-keys"], checks=EVERY_CHECKED)
    assert report.entries == ("pod-create",)


def test_every_id_a_capability_stands_for_is_in_the_built_in_model() -> None:
    """A misspelt or misplaced id drops the capability silently (the internet entry
    stood for a boundary the model ids left out)."""
    from capsa.graph.service import model_ids
    from capsa.model.loader import load_model

    ids = model_ids(load_model("builtin:capi-aws"))
    missing = {(c.id, m) for c in CATALOGUE.capabilities.values() for m in c.model if m not in ids}
    assert missing == set()
    graph = build_graph(CATALOGUE, generic(), model_ids=ids)
    assert "internet" in analyse(graph, checks=EVERY_CHECKED).entries
