"""The fixed system every fault example runs on: a client, a server, six data flows
between them (`call`: https, the caller not authenticated and the server's verification
not stated; `plain`: http; `mutual`: mTLS; `unverified`: https whose server is not
verified; `signed`: http with a signed request; `bearer`: https, a bearer token
authenticating the caller) and two assets; an example adds only its flow's steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from capsa.model.index import ModelIndex
from capsa.model.types import SystemModel
from capsa.model.validate import integrity_problems
from capsa.sim.plan import PlannedStep, plan_flow

EXAMPLE_FLOW = "example"

EXAMPLE_SYSTEM: dict[str, Any] = {
    "apiVersion": "capsa.dev/v1alpha1",
    "kind": "SystemModel",
    "metadata": {"name": "fault-example"},
    "elements": [
        {"id": "client", "name": "Client", "type": "process"},
        {"id": "server", "name": "Server", "type": "service"},
    ],
    "assets": [
        {"id": "token", "name": "Token", "kind": "credential", "sensitivity": "secret"},
        {"id": "data", "name": "Data", "kind": "configuration", "sensitivity": "critical"},
    ],
    "dataFlows": [
        {"id": "call", "from": "client", "to": "server", "protocol": "https", "encrypted": True},
        {"id": "plain", "from": "client", "to": "server", "protocol": "http", "encrypted": False},
        {
            "id": "mutual",
            "from": "client",
            "to": "server",
            "protocol": "https",
            "encrypted": True,
            "authentication": "mtls",
            "serverAuthenticated": True,
        },
        {
            "id": "unverified",
            "from": "client",
            "to": "server",
            "protocol": "https",
            "encrypted": True,
            "serverAuthenticated": False,
        },
        {
            "id": "signed",
            "from": "client",
            "to": "server",
            "protocol": "http",
            "encrypted": False,
            "signed": True,
        },
        {
            "id": "bearer",
            "from": "client",
            "to": "server",
            "protocol": "https",
            "encrypted": True,
            "authentication": "bearer-token",
        },
    ],
}


def example_model(steps: Sequence[dict[str, Any]]) -> tuple[SystemModel | None, list[str]]:
    """The example system with `steps` as its one named flow, or None and what is wrong."""
    flow = {"id": EXAMPLE_FLOW, "name": "Example", "steps": list(steps)}
    try:
        model = SystemModel.model_validate({**EXAMPLE_SYSTEM, "flows": [flow]})
    except ValidationError as error:
        return None, [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
    problems = [p.message for p in integrity_problems(model, "<example>", None)]
    return (None, problems) if problems else (model, [])


def example_plan(model: SystemModel) -> tuple[PlannedStep, ...]:
    return plan_flow(ModelIndex(model), EXAMPLE_FLOW)
