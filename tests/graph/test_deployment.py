"""Clusters, pools and accounts read from the resolved topology."""

from __future__ import annotations

from pathlib import Path

from capsa.capi.topology import build_topology
from capsa.graph.deployment import MANAGEMENT_SCOPE, from_topology, generic
from capsa.sources.files import read_manifests

FIXTURES = Path(__file__).parent / "fixtures"


def _deployment(folder: str):  # type: ignore[no-untyped-def]
    source = read_manifests([str(FIXTURES / folder)])
    return from_topology(build_topology(source.resources))


def test_default_cluster_lives_in_the_management_account() -> None:
    deployment = _deployment("defaults")
    (cluster,) = deployment.clusters
    assert cluster.key == "team-a/sandbox"
    assert cluster.account == "management"
    assert [(p.name, p.role) for p in cluster.pools] == [
        ("control-plane", "control-plane"),
        ("sandbox-md-0", "worker"),
    ]


def test_role_identity_puts_the_cluster_in_its_own_account() -> None:
    (cluster,) = _deployment("hardened").clusters
    assert cluster.account == "210987654321"


def test_resources_count_for_their_pools_and_cluster() -> None:
    deployment = _deployment("defaults")
    assert deployment.scopes_for("AWSMachineTemplate", "team-a", "sandbox-md-0") == (
        "cluster:team-a/sandbox",
        "pool:team-a/sandbox/sandbox-md-0",
    )
    assert "pool:team-a/sandbox/control-plane" in deployment.scopes_for(
        "AWSCluster", "team-a", "sandbox"
    )
    assert deployment.scopes_for("Deployment", "capa-system", "capa-controller-manager") == (
        MANAGEMENT_SCOPE,
    )


def test_generic_deployment_has_a_control_plane_and_workers() -> None:
    (cluster,) = generic(["a", "b"]).clusters
    assert [p.role for p in cluster.pools] == ["control-plane", "worker", "worker"]
