"""Threat derivation speed on a generated model of 2,000 elements and 5,000 flows.

The baseline, measured in the same process, is validating that model with pydantic
(`SystemModel.model_validate`): work every consumer of a model pays. Aim: the whole
derivation (relations, attacker reach, every rule, catalogue matching) under 10 s, and
under 1 s on the built-in model. pytm 1.4.0 took 665 s for 100 elements + 100 flows.
"""

from __future__ import annotations

import random
import time
from typing import Any

from capsa.model.types import SystemModel

ELEMENTS = 2_000
FLOWS = 5_000
ASSETS = 300
CLUSTERS = 40


def generated_model(seed: int = 7) -> dict[str, Any]:
    """A deterministic, plausible-looking model: nested boundaries and namespaces, mixed
    attributes including exposure, breadth, writers, issuance and flow direction."""
    rng = random.Random(seed)
    boundaries: list[dict[str, Any]] = [
        {"id": "account", "name": "Account", "kind": "cloud-account"}
    ]
    for c in range(CLUSTERS):
        boundaries.append(
            {"id": f"vpc-{c}", "name": f"VPC {c}", "kind": "vpc", "parent": "account"}
        )
        boundaries.append(
            {
                "id": f"cluster-{c}",
                "name": f"Cluster {c}",
                "kind": "cluster",
                "parent": f"vpc-{c}",
                "clusterTypes": ["workload" if c else "management"],
            }
        )
        boundaries.append(
            {"id": f"node-{c}", "name": f"Node {c}", "kind": "node", "parent": f"vpc-{c}"}
        )
        boundaries.append(
            {
                "id": f"ns-{c}",
                "name": f"Namespace {c}",
                "kind": "namespace",
                "parent": f"cluster-{c}",
                "workloadCreators": [f"el-{rng.randrange(ELEMENTS)}"],
            }
        )
    kinds = ["credential", "key-material", "configuration", "data", "artifact", "log", "policy"]
    levels = ["public", "internal", "confidential", "secret", "critical"]
    ratings = [None, "low", "medium", "high", "critical"]
    assets = []
    for i in range(ASSETS):
        asset: dict[str, Any] = {
            "id": f"asset-{i}",
            "name": f"Asset {i}",
            "kind": kinds[i % len(kinds)],
            "sensitivity": rng.choice(levels),
            "lifetime": rng.choice(["short", "long", "unbounded", "n/a"]),
            "grants": [f"el-{rng.randrange(ELEMENTS)}" for _ in range(rng.randrange(3))],
            "scope": rng.choice([None, "namespace", "cluster", "account"]),
            "breadth": rng.choice([None, "narrow", "broad", "full"]),
            "writers": [f"el-{rng.randrange(ELEMENTS)}" for _ in range(rng.randrange(3))],
        }
        for rating in ("integrity", "availability"):
            if (value := rng.choice(ratings)) is not None:
                asset[rating] = value
        if rng.random() < 0.2:
            asset["grantsRead"] = [f"asset-{rng.randrange(ASSETS)}"]
            asset["grantsWrite"] = [f"asset-{rng.randrange(ASSETS)}"]
        if rng.random() < 0.05:
            asset["issues"] = [f"asset-{rng.randrange(ASSETS)}"]
        assets.append(asset)
    credentials = [a["id"] for a in assets if a["kind"] == "credential"]
    types = ["process", "process", "process", "datastore", "service", "actor"]
    elements = []
    for i in range(ELEMENTS):
        etype = types[i % len(types)]
        elements.append(
            {
                "id": f"el-{i}",
                "name": f"Element {i}",
                "type": etype,
                "boundary": rng.choice(boundaries)["id"],
                "attributes": {
                    "runsUntrustedWorkloads": rng.random() < 0.03,
                    "privileged": rng.random() < 0.1,
                    "human": etype == "actor",
                    "stores": [f"asset-{rng.randrange(ASSETS)}" for _ in range(rng.randrange(3))]
                    if etype in ("datastore", "service")
                    else [],
                    "holdsCredentials": [rng.choice(credentials)] if rng.random() < 0.2 else [],
                    "createsResources": rng.random() < 0.05,
                    "singlePointOfFailure": rng.random() < 0.02,
                    "authorizationClientSideOnly": rng.random() < 0.01,
                    "exposure": rng.choice(
                        [None, None, "internet", "vpc", "cluster", "namespace", "node-local"]
                    ),
                    "hostAccess": rng.random() < 0.02,
                    "policyDecisionPoint": rng.random() < 0.02,
                    "configuredBy": [f"asset-{rng.randrange(ASSETS)}"]
                    if rng.random() < 0.2
                    else [],
                    "runsArtifacts": [f"asset-{rng.randrange(ASSETS)}"]
                    if rng.random() < 0.1
                    else [],
                },
            }
        )
    flows = []
    for i in range(FLOWS):
        source, target = rng.sample(range(ELEMENTS), 2)
        flows.append(
            {
                "id": f"flow-{i}",
                "from": f"el-{source}",
                "to": f"el-{target}",
                "protocol": rng.choice(["https", "http", "grpc", "file"]),
                "authentication": rng.choice(["none", "mtls", "aws-sigv4", "bearer-token"]),
                "encrypted": rng.random() < 0.8,
                "carries": [f"asset-{rng.randrange(ASSETS)}" for _ in range(rng.randrange(3))],
                "direction": rng.choice([None, "push", "pull", "both"]),
                "targetChosenBy": [f"asset-{rng.randrange(ASSETS)}"] if rng.random() < 0.02 else [],
            }
        )
    return {
        "apiVersion": "capsa.dev/v1alpha1",
        "kind": "SystemModel",
        "metadata": {"name": "generated"},
        "boundaries": boundaries,
        "elements": elements,
        "assets": assets,
        "dataFlows": flows,
    }


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _cpu(fn: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds: on a shared machine the wall time also counts waiting."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def main() -> None:
    from capsa.threats.service import assess_threats

    data = generated_model()
    baseline, model = _timed(lambda: SystemModel.model_validate(data))
    elapsed, cpu, report = _cpu(lambda: assess_threats(model, catalogue_ref=None))
    print(
        f"threats: generated model {ELEMENTS} elements / {FLOWS} flows: "
        f"{len(report.generated)} threats in {elapsed:.2f} s ({cpu:.2f} s CPU) "
        f"(aim < 10 s); pydantic validation baseline {baseline:.3f} s; ratio {elapsed / baseline:.1f}x"
    )
    try:
        from capsa.model.loader import load_model

        load_time, builtin = _timed(lambda: load_model("builtin:capi-aws"))
    except Exception as exc:  # the built-in model may be absent in a partial checkout
        print(f"threats: builtin:capi-aws unavailable ({exc})")
        return
    elapsed, report = _timed(lambda: assess_threats(builtin, catalogue_ref="builtin:catalogue"))
    print(
        f"threats: builtin:capi-aws: {len(report.generated)} threats, recall "
        f"{report.recall_matched}/{report.recall_total} in {elapsed * 1000:.0f} ms (aim < 1 s); "
        f"model load {load_time * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
