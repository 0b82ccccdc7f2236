"""Each generic rule fires on a tiny model that has the weakness and stays silent without it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from threats_support import asset, build_model, element, flow

from capsa.errors import InputError
from capsa.model.types import SystemModel
from capsa.threats.engine import generate
from capsa.threats.rules import load_rules

BOUNDARIES = [
    {"id": "outer", "name": "Outer", "kind": "vpc"},
    {"id": "inner", "name": "Inner", "kind": "node", "parent": "outer"},
]


def _untrusted_reaches(cred: dict[str, Any], untrusted: bool = True, **holder: Any) -> SystemModel:
    """An untrusted workload calls a metadata-like service that stores a credential."""
    return build_model(
        boundaries=BOUNDARIES,
        elements=[
            element("workload", boundary="inner", runs_untrusted_workloads=untrusted),
            element("meta", "service", boundary="outer", stores=[cred["id"]], **holder),
            element("boss", privileged=True),
            element("helper"),
        ],
        assets=[cred],
        flows=[
            flow(
                "workload-to-meta", "workload", "meta", authentication="none", carries=[cred["id"]]
            )
        ],
    )


def _one(etype: str = "process", **attrs: Any) -> SystemModel:
    return build_model(
        boundaries=BOUNDARIES,
        elements=[
            element("subject", etype, boundary="inner", **attrs),
            element("peer", boundary="outer"),
        ],
        flows=[flow("subject-to-peer", "subject", "peer")],
    )


def _crossing(
    same_boundary: bool = False, target_type: str = "service", **fields: Any
) -> SystemModel:
    return build_model(
        boundaries=BOUNDARIES,
        elements=[
            element("caller", boundary="inner"),
            element("callee", target_type, boundary="inner" if same_boundary else "outer"),
        ],
        assets=[asset("token", "secret"), asset("config", "confidential", kind="configuration")],
        flows=[flow("caller-to-callee", "caller", "callee", **fields)],
    )


def _privileged_call(privileged: bool) -> SystemModel:
    return build_model(
        elements=[element("admin", "actor", human=True, privileged=privileged), element("api")],
        flows=[flow("admin-to-api", "admin", "api", authentication="mtls")],
    )


CASES: dict[str, tuple[str, Callable[[], SystemModel], Callable[[], SystemModel]]] = {
    "credential-obtainable-by-untrusted": (
        "cred",
        lambda: _untrusted_reaches(asset("cred", grants=["helper"])),
        lambda: _untrusted_reaches(asset("cred", grants=["helper"]), untrusted=False),
    ),
    "privileged-human-without-mfa": (
        "subject",
        lambda: _one("actor", human=True, privileged=True),
        lambda: _one("actor", human=True, privileged=False),
    ),
    "artifact-supplier-impersonation": (
        "subject",
        lambda: _one("actor", human=True, supplies_artifacts=["image"]),
        lambda: _one("actor", human=True),
    ),
    "spoofable-service-endpoint": (
        "caller-to-callee",
        lambda: _crossing(carries=["token"]),
        lambda: _crossing(same_boundary=True, carries=["token"]),
    ),
    "unauthenticated-sensitive-crossing": (
        "caller-to-callee",
        lambda: _crossing(authentication="none", carries=["token"]),
        lambda: _crossing(authentication="mtls", carries=["token"]),
    ),
    "client-side-only-authorization": (
        "subject",
        lambda: _one(authorization_client_side_only=True),
        lambda: _one(authorization_client_side_only=False),
    ),
    "unverified-artifact": (
        "store",
        lambda: build_model(
            elements=[element("store", "datastore", stores=["image"])],
            assets=[asset("image", "internal", kind="artifact")],
        ),
        lambda: build_model(
            elements=[element("store", "datastore", stores=["notes"])],
            assets=[asset("notes", "internal", kind="data")],
        ),
    ),
    "unaudited-privileged-call": (
        "admin-to-api",
        lambda: _privileged_call(True),
        lambda: _privileged_call(False),
    ),
    "sensitive-asset-obtainable-by-untrusted": (
        "cred",
        lambda: _untrusted_reaches(asset("cred", "secret")),
        lambda: _untrusted_reaches(asset("cred", "internal")),
    ),
    "unencrypted-sensitive-crossing": (
        "caller-to-callee",
        lambda: _crossing(encrypted=False, protocol="http", carries=["config"]),
        lambda: _crossing(encrypted=True, carries=["config"]),
    ),
    "sensitive-store-unencrypted": (
        "store",
        lambda: build_model(
            elements=[element("store", "datastore", stores=["keys"])],
            assets=[asset("keys", "critical", kind="key-material")],
        ),
        lambda: build_model(
            elements=[element("store", "datastore", stores=["keys"])],
            assets=[asset("keys", "internal", kind="key-material")],
        ),
    ),
    "untrusted-gains-privileged-authority": (
        "cred",
        lambda: _untrusted_reaches(asset("cred", grants=["boss"])),
        lambda: _untrusted_reaches(asset("cred", grants=["helper"])),
    ),
    "unbounded-resource-creation": (
        "subject",
        lambda: _one(creates_resources=True),
        lambda: _one(creates_resources=False),
    ),
    "single-point-of-failure": (
        "subject",
        lambda: _one(single_point_of_failure=True),
        lambda: _one(single_point_of_failure=False),
    ),
    "long-lived-credential": (
        "cred",
        lambda: _untrusted_reaches(asset("cred", lifetime="long")),
        lambda: _untrusted_reaches(asset("cred", lifetime="short")),
    ),
}


def _ids(model: SystemModel) -> set[str]:
    return {t.id for t in generate(model, load_rules())}


def test_every_rule_has_a_case() -> None:
    assert {r.spec.id for r in load_rules()} == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_bad_model(rule_id: str) -> None:
    subject, bad, _ = CASES[rule_id]
    assert f"{rule_id}@{subject}" in _ids(bad())


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_is_silent_on_good_model(rule_id: str) -> None:
    subject, _, good = CASES[rule_id]
    assert f"{rule_id}@{subject}" not in _ids(good())


def test_mitigated_when_reads_the_model() -> None:
    rules = load_rules()
    open_one = _one("actor", human=True, privileged=True)
    with_mfa = _one("actor", human=True, privileged=True, requires_authentication=["mfa"])
    [found] = [t for t in generate(open_one, rules) if t.rule == "privileged-human-without-mfa"]
    [fixed] = [t for t in generate(with_mfa, rules) if t.rule == "privileged-human-without-mfa"]
    assert (found.mitigated, fixed.mitigated) == (False, True)


def test_generated_threat_explains_itself_and_rates_severity() -> None:
    model = _untrusted_reaches(asset("cred", "critical", grants=["boss"]))
    [threat] = [
        t for t in generate(model, load_rules()) if t.rule == "untrusted-gains-privileged-authority"
    ]
    assert "workload" in threat.why and "boss" in threat.why and "meta" in threat.why
    assert threat.severity == "critical"
    assert set(threat.elements) >= {"workload", "meta", "boss"}
    assert threat.category == "elevation-of-privilege"


def test_bad_rule_file_is_reported_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: ThreatRules\nrules:\n"
        "  - id: broken\n    categories: [spoofing]\n    appliesTo: element\n"
        "    title: '{nope}'\n    applicable: 'element.type =='\n"
        "    likelihood: low\n    impact: low\n    why: x\n"
    )
    with pytest.raises(InputError) as info:
        load_rules(str(bad))
    lines = sorted(p.line or 0 for p in info.value.problems)
    assert lines == [7, 8]
