"""Computed relations: crossings from boundary ancestry and what untrusted code can reach."""

from __future__ import annotations

from threats_support import asset, build_model, element, flow

from capsa.threats.relations import Relations


def _chain_model(untrusted_auth: str = "none") -> Relations:
    """pod → metadata (gives a role credential) ; role credential unlocks a vault holding a token."""
    model = build_model(
        boundaries=[
            {"id": "vpc", "name": "VPC", "kind": "vpc"},
            {"id": "node", "name": "Node", "kind": "node", "parent": "vpc"},
            {"id": "cloud", "name": "Cloud", "kind": "region"},
        ],
        elements=[
            element("pod", boundary="node", runs_untrusted_workloads=True),
            element("metadata", "service", boundary="vpc", stores=["role"]),
            element("agent", boundary="node", holds_credentials=["role"]),
            element("vault", "service", boundary="cloud", stores=["token"]),
            element("unrelated", "datastore", boundary="cloud", stores=["other"]),
        ],
        assets=[asset("role", grants=["agent"]), asset("token"), asset("other")],
        flows=[
            flow("pod-to-metadata", "pod", "metadata", authentication=untrusted_auth),
            flow(
                "agent-to-vault",
                "agent",
                "vault",
                authentication="aws-sigv4",
                carries=["role", "token"],
            ),
        ],
    )
    return Relations(model)


def test_credentials_obtained_unlock_further_flows() -> None:
    """The role credential carries the agent's authority, so the pod can make the agent's flow."""
    relations = _chain_model()
    assert relations.asset_reachers["role"] == ["pod"]
    assert relations.asset_reachers["token"] == ["pod"]
    assert relations.asset_reachers["other"] == []
    assert relations.element_reachers["vault"] == ["pod"]
    assert relations.element_view("vault")["reachable_by_untrusted"] is True
    assert relations.element_view("unrelated")["reachable_by_untrusted"] is False
    assert relations.asset_via["token"] == ["vault"]


def test_a_credential_granting_nobody_unlocks_nothing() -> None:
    model = _chain_model().model
    role = model.assets[0].model_copy(update={"grants": []})
    relations = Relations(model.model_copy(update={"assets": [role, *model.assets[1:]]}))
    assert relations.asset_reachers["role"] == ["pod"]
    assert relations.asset_reachers["token"] == []


def test_crossings_come_from_boundary_ancestry() -> None:
    relations = _chain_model()
    assert relations.crossings["pod-to-metadata"] == ["node"]
    assert relations.crossings["agent-to-vault"] == ["node", "vpc", "cloud"]
    view = relations.flow_view(relations.index.data_flows["agent-to-vault"])
    assert view["crossing_count"] == 3 and view["max_sensitivity"] == 4


def test_placement_lists_holders_and_reachers() -> None:
    relations = _chain_model()
    placement = relations.placement_view(relations.index.assets["role"])
    assert placement["holder_count"] == 2 and placement["reachable_by_untrusted"] is True
