"""Every technique carries, in techniques.yaml, evidence under which its edge exists and
evidence (or a model) under which it is blocked or absent; each is run here."""

from __future__ import annotations

import pytest

from capsa.graph.examples import edge_outcomes
from capsa.graph.techniques import Technique, TechniqueExample, load_techniques

CATALOGUE = load_techniques()
EXAMPLES = [
    pytest.param(technique, example, id=f"{technique.id}-{verdict}-{index}")
    for technique in CATALOGUE.techniques
    for verdict, examples in technique.examples.by_verdict()
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize("technique", CATALOGUE.techniques, ids=lambda t: t.id)
def test_every_technique_has_a_firing_and_a_silent_example(technique: Technique) -> None:
    assert technique.examples.fail, f"{technique.id}: add an example under examples.fail"
    assert technique.examples.pass_, f"{technique.id}: add an example under examples.pass"


@pytest.mark.parametrize(("technique", "example"), EXAMPLES)
def test_technique_example(technique: Technique, example: TechniqueExample) -> None:
    assert edge_outcomes(CATALOGUE, technique, example) == {example.edge}
