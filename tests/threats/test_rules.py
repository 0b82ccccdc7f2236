"""What the engine does with a rule beyond firing and staying silent (the inline examples
in rules.yaml cover that, see test_rule_examples.py): mitigation read from the model,
severity and explanation, and a broken rules file."""

from __future__ import annotations

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


def test_mitigated_when_reads_the_model() -> None:
    rules = load_rules()
    open_one = _one("actor", human=True, privileged=True)
    with_mfa = _one("actor", human=True, privileged=True, requires_authentication=["mfa"])
    [found] = [t for t in generate(open_one, rules) if t.rule == "privileged-human-without-mfa"]
    [fixed] = [t for t in generate(with_mfa, rules) if t.rule == "privileged-human-without-mfa"]
    assert (found.mitigated, fixed.mitigated) == (False, True)


def test_mfa_stated_on_the_login_flow_counts() -> None:
    rules = load_rules()
    model = build_model(
        elements=[
            element("admin", "actor", human=True, privileged=True),
            element("api"),
        ],
        flows=[flow("login", "admin", "api", authentication="oidc", mfa=True)],
    )
    [threat] = [t for t in generate(model, rules) if t.rule == "privileged-human-without-mfa"]
    assert threat.mitigated
    without = model.model_copy(
        update={"data_flows": [model.data_flows[0].model_copy(update={"mfa": None})]}
    )
    [open_one] = [t for t in generate(without, rules) if t.rule == "privileged-human-without-mfa"]
    assert not open_one.mitigated


def test_audit_threats_skip_managed_services_unless_they_do_not_log() -> None:
    rules = [r for r in load_rules() if r.spec.id == "unaudited-privileged-call"]

    def fired(**attrs: object) -> bool:
        model = build_model(
            elements=[
                element("admin", "actor", human=True, privileged=True),
                element("cloud-api", "service", **attrs),
            ],
            flows=[flow("call", "admin", "cloud-api", authentication="aws-sigv4")],
        )
        return bool(generate(model, rules))

    assert fired()
    assert not fired(managed=True)
    assert fired(managed=True, audit_logging=False)


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
        "    likelihood: low\n    impact: low\n    why: x\n    rationale: r\n"
    )
    with pytest.raises(InputError) as info:
        load_rules(str(bad))
    lines = sorted(p.line or 0 for p in info.value.problems)
    assert lines == [7, 8]


def test_every_problem_of_a_rules_file_is_reported_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: ThreatRules\nrules:\n"
        "  - id: typo\n    categories: [spoofing]\n    appliesTo: element\n"
        "    title: t\n    applicable: 'true'\n    likelihood: sometimes\n    impact: low\n"
        "    why: x\n    rationale: r\n"
        "  - id: broken\n    categories: [spoofing]\n    appliesTo: element\n"
        "    title: '{nope}'\n    applicable: 'element.type =='\n"
        "    likelihood: low\n    impact: low\n    why: x\n    rationale: r\n"
        "    examples:\n      fail:\n        - subject: ghost\n"
        "          elements: [{id: a, name: A, type: process, boundary: nowhere}]\n"
    )
    with pytest.raises(InputError) as info:
        load_rules(str(bad))
    found = [(p.line, p.message.split(":")[0]) for p in info.value.problems]
    # the schema error of the first rule does not hide the second rule's problems:
    # placeholder, expression, an example element in a missing boundary, a missing subject
    assert found == [
        (9, "typo"),
        (16, "rule broken"),
        (17, "rule broken"),
        (24, "rule broken"),
        (25, "element 'a' sits in unknown boundary 'nowhere'"),
    ]
