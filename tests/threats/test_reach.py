"""What an attacker controlling one element gets: credentials, what they read, issue and
identify, shells, host access, pods, and which way a flow's data moves."""

from __future__ import annotations

from typing import Any

from threats_support import asset, build_model, element, flow

from capsa.model.types import AuthMethod, SystemModel
from capsa.threats.relations import Relations


def _reach(model: SystemModel, start: str) -> Any:
    from capsa.threats.reach import ReachContext, attacker_reach

    relations = Relations(model)
    ctx = ReachContext(
        relations.index,
        relations.network,
        relations.flows_out,
        relations.flows_in,
        relations.open_to,
    )
    return attacker_reach(ctx, start)


def test_a_credential_reads_grants_and_issues() -> None:
    model = build_model(
        elements=[
            element("pod", runs_untrusted_workloads=True, holds_credentials=["token"]),
            element("db", "datastore", stores=["records"]),
        ],
        assets=[
            asset("token", grants_read=["records"], issues=["minted"]),
            asset("records", kind="data"),
            asset("minted"),
        ],
    )
    reach = _reach(model, "pod")
    assert {"token", "records", "minted"} <= reach.assets
    assert reach.via["records"] == "db"


def test_a_shell_flow_gives_control_and_host_access_gives_the_node() -> None:
    model = build_model(
        boundaries=[{"id": "node", "name": "Node", "kind": "node"}],
        elements=[
            element("admin", "actor", trusted=False),
            element("host", boundary="node", privileged=True, host_access=True),
            element("agent", boundary="node", holds_credentials=["agent-key"]),
        ],
        assets=[asset("agent-key", grants=["agent"])],
        flows=[flow("ssh", "admin", "host", protocol="ssh", authentication="ssh-key")],
    )
    reach = _reach(model, "admin")
    assert {"host", "agent"} <= reach.controlled
    assert "agent-key" in reach.assets


def test_a_pod_shares_everything_but_a_node_only_with_host_access() -> None:
    boundaries = [
        {"id": "pod", "name": "Pod", "kind": "pod"},
        {"id": "node", "name": "Node", "kind": "node"},
    ]
    model = build_model(
        boundaries=boundaries,
        elements=[
            element("proxy", boundary="pod", runs_untrusted_workloads=True),
            element("sidecar", boundary="pod", holds_credentials=["sa"]),
            element("tenant", boundary="node", runs_untrusted_workloads=True),
            element("agent", boundary="node", holds_credentials=["agent-key"]),
        ],
        assets=[asset("sa", grants=["sidecar"]), asset("agent-key", grants=["agent"])],
    )
    assert "sa" in _reach(model, "proxy").assets
    assert "agent-key" not in _reach(model, "tenant").assets


def test_a_stolen_credential_does_not_replay_attestation() -> None:
    model = build_model(
        elements=[
            element("thief", runs_untrusted_workloads=True, holds_credentials=["jwt"]),
            element("workload"),
            element("agent", stores=["workload-key"]),
        ],
        assets=[asset("jwt", grants=["workload"]), asset("workload-key")],
        flows=[
            flow("api", "workload", "agent", authentication="attestation", direction="pull"),
        ],
    )
    assert "workload-key" not in _reach(model, "thief").assets
    replayable = model.model_copy(
        update={
            "data_flows": [
                f.model_copy(update={"authentication": AuthMethod.BEARER_TOKEN})
                for f in model.data_flows
            ]
        }
    )
    assert "workload-key" in _reach(replayable, "thief").assets


def _writers(**flow_fields: Any) -> list[str]:
    model = build_model(
        elements=[element("caller"), element("server", configured_by=["config"])],
        assets=[asset("config", "internal", kind="configuration"), asset("answer", "internal")],
        flows=[flow("f", "caller", "server", carries=["config"], **flow_fields)],
    )
    return Relations(model).writers["config"]


def test_only_flows_that_say_which_way_data_moves_give_write_authority() -> None:
    assert _writers(direction="push") == ["caller"]
    assert _writers(direction="both", returns=["answer"]) == ["caller"]
    assert _writers(direction="both") == []
    assert _writers(direction="pull") == []
    assert _writers() == []


def test_the_caller_of_a_pull_obtains_what_comes_back() -> None:
    model = build_model(
        elements=[element("pod", runs_untrusted_workloads=True), element("svc", "service")],
        assets=[asset("secret"), asset("request", "internal", kind="data")],
        flows=[
            flow("ask", "pod", "svc", direction="push", carries=["request"], returns=["secret"])
        ],
    )
    reach = _reach(model, "pod")
    assert "secret" in reach.assets and "request" in reach.writes


def _deployer(**rendered: Any) -> Relations:
    """A deployer pulls rendered manifests and applies them with its own credential."""
    return Relations(
        build_model(
            elements=[
                element("dev", "actor", trusted=False),
                element("git", "service", stores=["source"]),
                element("cache", "datastore", stores=["rendered"]),
                element("deployer", holds_credentials=["admin"]),
                element("api", privileged=True),
            ],
            assets=[
                asset("source", "internal", kind="configuration", writers=["dev"]),
                asset("rendered", "internal", kind="configuration", **rendered),
                asset("admin", "critical", grants=["deployer"], breadth="full"),
            ],
            flows=[
                flow("pull", "deployer", "cache", direction="pull", carries=["rendered"]),
                flow(
                    "apply",
                    "deployer",
                    "api",
                    authentication="bearer-token",
                    direction="push",
                    carries=["rendered"],
                ),
            ],
        )
    )


def test_a_relay_that_applies_an_asset_with_its_credential_acts_on_it() -> None:
    relations = _deployer()
    assert relations.consumers["rendered"] == ["deployer"]
    assert relations.writers["rendered"] == ["deployer"]


def test_writers_of_what_an_asset_is_derived_from_shape_it() -> None:
    relations = _deployer(derived_from=["source"])
    assert relations.writers["rendered"] == ["deployer", "dev"]


def test_an_unauthenticated_store_reached_over_the_network_can_be_written() -> None:
    model = build_model(
        boundaries=[{"id": "cluster", "name": "Cluster", "kind": "cluster"}],
        elements=[
            element("pod", boundary="cluster", runs_untrusted_workloads=True),
            element(
                "cache",
                "datastore",
                boundary="cluster",
                exposure="cluster",
                requires_authentication=["none"],
                stores=["rendered"],
            ),
        ],
        assets=[asset("rendered", "internal", kind="configuration")],
    )
    reach = _reach(model, "pod")
    assert "rendered" in reach.assets and "rendered" in reach.writes
