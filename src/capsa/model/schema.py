"""The model file format's JSON Schema, generated from the pydantic types."""

from __future__ import annotations

from typing import Any

from capsa.model.types import API_VERSION, SystemModel

SCHEMA_ID = "https://capsa.dev/schemas/system-model-v1alpha1.json"


def model_json_schema() -> dict[str, Any]:
    schema = SystemModel.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"capsa SystemModel ({API_VERSION})",
        **schema,
    }
