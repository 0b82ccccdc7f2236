"""The Assessment is pure data: JSON round-trips and carries the schema marker."""

from __future__ import annotations

import json

from assessment_factory import finding, make_assessment, passed

from capsa.assess.model import Assessment


def test_json_round_trip_is_lossless() -> None:
    original = make_assessment([finding()], [passed("CAPSA-IMG-001")])
    again = Assessment.model_validate_json(original.model_dump_json())
    assert again == original
    assert Assessment.model_validate_json(original.to_json()) == original


def test_json_carries_schema_kind_and_camel_case_keys() -> None:
    data = json.loads(make_assessment([finding()]).to_json())
    assert data["schema"] == "capsa/v1"
    assert data["kind"] == "Assessment"
    assert "capsaVersion" in data and "generatedAt" in data
    assert data["model"]["dataFlows"][0]["from"] == "operator"
    assert data["threats"][0]["mitigations"][0]["deploymentStatus"] == "violated"


def test_variable_values_are_not_part_of_the_inputs() -> None:
    data = json.loads(make_assessment().to_json())
    assert data["inputs"]["variables"] == ["AWS_REGION"]
