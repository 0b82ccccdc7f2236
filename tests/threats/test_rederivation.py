"""The generic rules re-derive the assessment's catalogue from the built-in model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from threats_support import build_model, element

from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.threats.catalogue import load_catalogue
from capsa.threats.engine import generate
from capsa.threats.matching import match
from capsa.threats.rules import load_rules
from capsa.threats.service import assess_threats

RULES = Path(__file__).parents[2] / "src" / "capsa" / "threats" / "data" / "rules.yaml"


@pytest.fixture(scope="module")
def builtin() -> SystemModel:
    return load_model("builtin:capi-aws")


def test_catalogue_ids_all_exist_in_the_builtin_model(builtin: SystemModel) -> None:
    assert len(load_catalogue(builtin).threats) == 25


def test_rules_recall_every_stride_threat(builtin: SystemModel) -> None:
    report = assess_threats(builtin)  # a model object named capi-aws gets the catalogue
    assert (report.recall_matched, report.recall_total) == (22, 22)
    assert report.missed == ()
    candidates = set(report.candidates)
    assert candidates == {t.id for t in report.generated_threats if t.matched_catalogue_id is None}


def test_most_entries_are_the_closest_match_of_some_generated_threat(
    builtin: SystemModel,
) -> None:
    result = match(load_catalogue(builtin), generate(builtin, load_rules()))
    assert result.closest >= 20
    unmatched = set(result.matched_by) - {e for e in result.best.values() if e}
    assert unmatched <= {"STRIDE-DOS-3", "STRIDE-DOS-6"}


def test_unrelated_model_gets_no_catalogue() -> None:
    report = assess_threats(build_model(elements=[element("solo", creates_resources=True)]))
    assert (report.recall_total, len(report.catalogue_threats)) == (0, 0)
    assert [t.id for t in report.generated_threats] == ["unbounded-resource-creation@solo"]


def test_rules_never_name_model_ids_or_names(builtin: SystemModel) -> None:
    text = RULES.read_text().lower()
    names = [
        *(e.id for e in builtin.elements),
        *(e.name for e in builtin.elements),
        *(f.id for f in builtin.data_flows),
        *(a.id for a in builtin.assets),
        *(a.name for a in builtin.assets),
        *(b.id for b in builtin.boundaries),
    ]
    found = [n for n in names if re.search(rf"(?<![\w-]){re.escape(n.lower())}(?![\w-])", text)]
    assert found == []


def _without_element(model: SystemModel, element_id: str) -> SystemModel:
    return model.model_copy(
        update={
            "elements": [e for e in model.elements if e.id != element_id],
            "data_flows": [f for f in model.data_flows if element_id not in (f.source, f.target)],
        }
    )


def test_removing_the_untrusted_workload_removes_threats_that_depend_on_it(
    builtin: SystemModel,
) -> None:
    rules = load_rules()
    before = {t.id for t in generate(builtin, rules)}
    after = {t.id for t in generate(_without_element(builtin, "workload-pod"), rules)}
    gone = before - after
    assert "untrusted-gains-privileged-authority@admin-kubeconfig" in gone
    assert "sensitive-asset-obtainable-by-untrusted@ca-private-keys" in gone
    assert "credential-obtainable-by-untrusted@instance-role-credentials" in gone
    assert not any(t.startswith("untrusted-gains-privileged-authority@") for t in after)
    assert "single-point-of-failure@elb" in after  # unrelated threats stay
    assert after <= before


def test_flipping_an_attribute_removes_the_threat(builtin: SystemModel) -> None:
    rules = load_rules()
    elements = [
        e.model_copy(
            update={
                "attributes": e.attributes.model_copy(update={"single_point_of_failure": False})
            }
        )
        if e.attributes.single_point_of_failure
        else e
        for e in builtin.elements
    ]
    flipped = builtin.model_copy(update={"elements": elements})
    before = {t.id for t in generate(builtin, rules)}
    after = {t.id for t in generate(flipped, rules)}
    assert before - after == {"single-point-of-failure@elb"}
