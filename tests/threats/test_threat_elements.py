"""A generated threat's `elements` holds every element its title and reason name: reports,
matching and `--element`-style filters read `elements`, so an element the text blames
(a holder, an impersonator, a compromised component) but the list leaves out would be
missed by whoever asks "what threatens this element?"."""

from __future__ import annotations

import re
from functools import cache

import pytest

from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.threats.engine import GeneratedThreat, generate
from capsa.threats.rules import load_rules

RULES = load_rules()


def named_elements(model: SystemModel, text: str) -> set[str]:
    """The ids of the elements whose name the text contains as whole words. Longer names
    (of elements, assets and boundaries) are taken out first, so an element named "API"
    is not counted inside an asset named "API token"."""
    names: list[tuple[str, str | None]] = [(e.name, e.id) for e in model.elements]
    names += [(a.name, None) for a in model.assets]
    names += [(b.name, None) for b in model.boundaries]
    found: set[str] = set()
    for name, element_id in sorted(names, key=lambda n: -len(n[0])):
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
        if pattern.search(text):
            if element_id is not None:
                found.add(element_id)
            text = pattern.sub("\0", text)
    return found


def missing(model: SystemModel, threat: GeneratedThreat) -> set[str]:
    return named_elements(model, f"{threat.title}\n{threat.why}") - set(threat.elements)


@cache
def _example_models() -> list[tuple[str, SystemModel]]:
    return [
        (f"{rule.spec.id}-{verdict}-{index}", example.model())
        for rule in RULES
        for verdict, examples in rule.spec.examples.by_verdict()
        for index, example in enumerate(examples)
    ]


def _cases() -> list[object]:
    return [
        pytest.param(model, id=name)
        for name, model in [
            ("builtin:capi-aws", load_model("builtin:capi-aws")),
            *_example_models(),
        ]
    ]


@pytest.mark.parametrize("model", _cases())
def test_every_element_a_threat_names_is_among_its_elements(model: SystemModel) -> None:
    """Every rule, on the built-in model and on every rule's examples."""
    gaps = {t.id: sorted(m) for t in generate(model, RULES) if (m := missing(model, t))}
    assert not gaps, gaps


def test_holders_impersonators_and_the_compromised_are_elements() -> None:
    """The audit's case: a credential identifying the web frontend, also held by a queue
    worker that untrusted input reaches; the texts name the worker as holder,
    impersonator and compromised."""
    model = SystemModel.model_validate(
        {
            "apiVersion": "capsa.dev/v1alpha1",
            "kind": "SystemModel",
            "metadata": {"name": "webapp"},
            "elements": [
                {
                    "id": "browser",
                    "name": "Browser user",
                    "type": "actor",
                    "attributes": {"trusted": False},
                },
                {
                    "id": "web",
                    "name": "Web frontend",
                    "type": "process",
                    "attributes": {"holdsCredentials": ["db-cred"]},
                },
                {
                    "id": "worker",
                    "name": "Queue worker",
                    "type": "process",
                    "attributes": {"holdsCredentials": ["db-cred"]},
                },
                {
                    "id": "queue",
                    "name": "Job queue",
                    "type": "datastore",
                    "attributes": {"stores": ["jobs"]},
                },
            ],
            "assets": [
                {
                    "id": "db-cred",
                    "name": "DB password",
                    "kind": "credential",
                    "sensitivity": "secret",
                    "lifetime": "long",
                    "grants": ["web"],
                },
                {
                    "id": "jobs",
                    "name": "Job messages",
                    "kind": "data",
                    "sensitivity": "confidential",
                },
            ],
            "dataFlows": [
                {
                    "id": "browser-web",
                    "from": "browser",
                    "to": "web",
                    "protocol": "https",
                    "encrypted": True,
                    "carries": ["jobs"],
                },
                {
                    "id": "web-queue",
                    "from": "web",
                    "to": "queue",
                    "protocol": "queue",
                    "encrypted": True,
                    "carries": ["jobs"],
                    "direction": "push",
                },
                {
                    "id": "queue-worker",
                    "from": "worker",
                    "to": "queue",
                    "protocol": "queue",
                    "encrypted": True,
                    "returns": ["jobs"],
                },
            ],
        }
    )
    threats = {t.id: t for t in generate(model, RULES)}
    for threat_id in (
        "identity-held-or-issued-by-others@db-cred",
        "long-lived-credential@db-cred",
    ):
        assert "worker" in threats[threat_id].elements, threats[threat_id]
    assert not {t.id: missing(model, t) for t in threats.values() if missing(model, t)}
