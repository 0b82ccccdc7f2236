"""FMEA speed: every fault over every flow of the built-in model, and over a generated
model of 200 named flows of 20 steps each (with step semantics).

Baselines, measured in the same process: loading the built-in model (parse, validate,
integrity checks), and validating the generated model the way the loader does
(`SystemModel.model_validate` plus the integrity and flow-semantics checks). Peak memory
is the process's maximum resident set size (`resource.getrusage`), read after each part.
"""

from __future__ import annotations

import random
import resource
import time
from typing import Any

from capsa.model.types import SystemModel
from capsa.model.validate import integrity_problems

FLOWS = 200
STEPS = 20
ELEMENTS = 40
DATA_FLOWS = 80
KINDS = ["object", "secret", "credential", "cloud-resource", "file"]
CHECKS = ["authentication", "integrity", "freshness", "ownership"]
THREATS = ["STRIDE-INFODISCLOSE-2", "STRIDE-DOS-1", "STRIDE-SPOOF-5", "STRIDE-INFODISCLOSE-3"]


def _step(rng: random.Random, flow: int, number: int, made: list[str]) -> dict[str, Any]:
    """One step with plausible semantics: it may need, make, check and remove things."""
    semantics: dict[str, Any] = {}
    if made and rng.random() < 0.6:
        semantics["requires"] = [rng.choice(made)]
    if made and rng.random() < 0.2:
        semantics["removes"] = [rng.choice(made)]
    products = []
    for k in range(rng.choice([0, 1, 1, 2])):
        kind = rng.choice(KINDS)
        product: dict[str, Any] = {
            "name": f"f{flow}-s{number}-p{k}",
            "kind": kind,
            "lifetime": rng.choice(["kept", "until-removed", "expires"]),
            "onHalt": rng.choice(["never", "always", "remediation", "with-owner"]),
            "exposes": [rng.choice(THREATS)] if rng.random() < 0.5 else [],
        }
        if product["lifetime"] == "expires":
            product["ttl"] = {"seconds": 900, "setting": "bootstrap-token-ttl"}
            product["renewedWhilePending"] = rng.random() < 0.5
        products.append(product)
    if products:
        semantics["produces"] = products
    if rng.random() < 0.5:
        semantics["inputs"] = [
            {
                "name": "request",
                "checks": rng.sample(CHECKS, rng.randrange(len(CHECKS) + 1)),
                "realises": {"spoofed": [rng.choice(THREATS)]},
            }
        ]
    if rng.random() < 0.4:
        semantics["credential"] = {
            "name": "token",
            "renewed": rng.random() < 0.5,
            "shared": rng.random() < 0.3,
        }
    if rng.random() < 0.3:
        semantics["timeout"] = {
            "seconds": 600,
            "setting": "node-startup-timeout",
            "needs": "machine-health-check",
        }
    if rng.random() < 0.6:
        semantics["retries"] = {"limit": rng.choice([None, 3])}
    semantics["idempotent"] = rng.random() < 0.5
    step: dict[str, Any] = {"description": f"step {number}", "semantics": semantics}
    if rng.random() < 0.8:
        step["uses"] = f"df-{rng.randrange(DATA_FLOWS)}"
    else:
        step["actor"] = f"el-{rng.randrange(ELEMENTS)}"
    made.extend(p["name"] for p in products)
    return step


def generated_model(seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    elements = [
        {"id": f"el-{i}", "name": f"Element {i}", "type": rng.choice(["process", "service"])}
        for i in range(ELEMENTS)
    ]
    data_flows = []
    for i in range(DATA_FLOWS):
        source, target = rng.sample(range(ELEMENTS), 2)
        data_flows.append(
            {
                "id": f"df-{i}",
                "from": f"el-{source}",
                "to": f"el-{target}",
                "protocol": rng.choice(["https", "grpc", "local-exec"]),
                "encrypted": True,
            }
        )
    flows = []
    for f in range(FLOWS):
        made: list[str] = []
        steps = [_step(rng, f, n, made) for n in range(1, STEPS + 1)]
        flows.append(
            {
                "id": f"flow-{f}",
                "name": f"Flow {f}",
                "steps": steps,
                "machineRole": rng.choice(["worker", "control-plane"]),
            }
        )
    return {
        "apiVersion": "capsa.dev/v1alpha1",
        "kind": "SystemModel",
        "metadata": {"name": "generated-flows"},
        "elements": elements,
        "assets": [{"id": "token", "name": "Token", "kind": "credential", "sensitivity": "secret"}],
        "dataFlows": data_flows,
        "flows": flows,
    }


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _validate(data: dict[str, Any]) -> SystemModel:
    model = SystemModel.model_validate(data)
    problems = list(integrity_problems(model, "<generated>", None))
    assert not problems, problems[:3]
    return model


def main() -> None:
    from capsa.model.loader import load_model
    from capsa.sim.faults import load_faults
    from capsa.sim.links import known_names
    from capsa.sim.service import run_fmea

    load_faults()  # the catalogue and the names it is checked against, parsed once
    known_names()
    load_time, builtin = _timed(lambda: load_model("builtin:capi-aws"))
    elapsed, report = _timed(lambda: run_fmea(builtin))
    print(
        f"fmea: builtin:capi-aws: {report.runs} runs ({len(report.faults)} faults over "
        f"{len(report.flows)} flows), {len(report.modes)} failure modes in "
        f"{elapsed * 1000:.0f} ms; baseline model load {load_time * 1000:.0f} ms; "
        f"ratio {elapsed / load_time:.1f}x; peak RSS {_peak_mib():.0f} MiB"
    )
    data = generated_model()
    baseline, model = _timed(lambda: _validate(data))
    elapsed, report = _timed(lambda: run_fmea(model))
    print(
        f"fmea: generated {FLOWS} flows x {STEPS} steps: {report.runs} runs, "
        f"{len(report.modes)} failure modes in {elapsed:.2f} s; baseline validation "
        f"{baseline:.2f} s; ratio {elapsed / baseline:.1f}x; peak RSS {_peak_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
