"""Who can reach an element without a declared flow, who shares the wire, and co-location."""

from __future__ import annotations

from typing import Any

from threats_support import build_model, element, flow

from capsa.model.index import ModelIndex
from capsa.model.types import Isolation
from capsa.threats.network import Network

BOUNDARIES = [
    {"id": "vpc", "name": "VPC", "kind": "vpc"},
    {"id": "cluster", "name": "Cluster", "kind": "cluster", "parent": "vpc"},
    {"id": "ns", "name": "Namespace", "kind": "namespace", "parent": "cluster"},
    {"id": "pod", "name": "Pod", "kind": "pod", "parent": "ns"},
    {"id": "node", "name": "Node", "kind": "node", "parent": "cluster"},
    {"id": "outside", "name": "Outside", "kind": "internet"},
]


def _network(target: dict[str, Any], flows: list[dict[str, Any]] | None = None) -> Network:
    model = build_model(
        boundaries=BOUNDARIES,
        elements=[
            target,
            element("pod-neighbour", boundary="pod", runs_untrusted_workloads=True),
            element("cluster-pod", boundary="ns", runs_untrusted_workloads=True),
            element("node-pod", boundary="node", runs_untrusted_workloads=True),
            element("vpc-host", boundary="vpc", trusted=False),
            element("stranger", "actor", boundary="outside", trusted=False),
        ],
        flows=flows or [],
    )
    return Network(ModelIndex(model))


def _callers(**attrs: Any) -> tuple[set[str], bool]:
    callers, anonymous = _network(element("target", boundary="pod", **attrs)).network_callers(
        "target"
    )
    return set(callers), anonymous


def test_exposure_bounds_callers_by_the_nearest_boundary_of_its_kind() -> None:
    assert _callers(exposure="pod-local") == ({"pod-neighbour"}, False)
    assert _callers(exposure="namespace") == ({"pod-neighbour", "cluster-pod"}, False)
    assert _callers(exposure="cluster") == ({"pod-neighbour", "cluster-pod", "node-pod"}, False)
    assert _callers(exposure="vpc") == (
        {"pod-neighbour", "cluster-pod", "node-pod", "vpc-host"},
        False,
    )
    everyone = {"pod-neighbour", "cluster-pod", "node-pod", "vpc-host", "stranger"}
    assert _callers(exposure="internet") == (everyone, True)


def test_no_exposure_or_none_means_declared_flows_only() -> None:
    assert _callers() == (set(), False)
    assert _callers(exposure="none") == (set(), False)


def test_reachable_from_replaces_what_exposure_implies() -> None:
    assert _callers(exposure="internet", reachable_from=["node"]) == ({"node-pod"}, False)
    assert _callers(reachable_from=["outside"]) == ({"stranger"}, True)


def test_untrusted_on_the_path_share_the_innermost_common_boundary() -> None:
    network = _network(
        element("target", boundary="ns"),
        flows=[flow("f", "target", "cluster-pod"), flow("g", "target", "stranger")],
    )
    index = network.index
    assert network.on_path(index.data_flows["f"]) == {"pod-neighbour"}
    # no boundary holds both ends: the flow may cross any network
    assert network.on_path(index.data_flows["g"]) == {
        "pod-neighbour",
        "cluster-pod",
        "node-pod",
        "vpc-host",
    }


def test_colocation_follows_runs_on_and_isolation() -> None:
    network = _network(element("target", boundary="ns", runs_on="node"))
    assert network.node_of("target") == "node"
    assert network.colocated_untrusted("target", Isolation.WEAK) == {"node-pod"}
    strong = _network(element("target", boundary="ns"))
    assert strong.colocated_untrusted("target", Isolation.WEAK) == set()
