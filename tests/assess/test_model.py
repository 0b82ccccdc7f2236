"""The Assessment is pure data: JSON round-trips and carries the schema marker."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from assessment_factory import finding, make_assessment, passed
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _written(a: Assessment) -> bytes:
    out = io.BytesIO()
    a.write_json(out)
    return out.getvalue()


def test_the_json_written_a_field_at_a_time_is_to_json_byte_for_byte() -> None:
    for a in (make_assessment(), make_assessment(with_paths=False)):
        assert _written(a) == a.to_json().encode("utf-8")


@settings(max_examples=40, deadline=None)
@given(
    messages=st.lists(st.text(max_size=30), max_size=4),
    lines=st.lists(st.one_of(st.none(), st.integers(1, 10**6)), min_size=4, max_size=4),
    passes=st.integers(0, 3),
)
def test_any_findings_and_passes_write_as_to_json(
    messages: list[str], lines: list[int | None], passes: int
) -> None:
    """Text with quotes, escapes, newlines and non-ASCII, lists empty or not, lines or
    none: the streamed document never differs from the whole one."""
    found = [
        finding(fingerprint=f"{n:064x}", message=text, line=lines[n])
        for n, text in enumerate(messages)
    ]
    a = make_assessment(found, [passed("CAPSA-IMG-001")] * passes)
    assert _written(a) == a.to_json().encode("utf-8")


def test_a_failed_json_write_leaves_the_previous_report_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from capsa.cli.assess_cmd import ReportFormat, write_all

    a = make_assessment([finding()])
    write_all(a, tmp_path, [ReportFormat.JSON])
    before = (tmp_path / "assessment.json").read_bytes()
    assert before == a.to_json().encode("utf-8")

    def half_then_fail(self: Assessment, out: io.BufferedIOBase) -> None:
        out.write(b'{\n  "schema": ')
        raise OSError("disk full")

    monkeypatch.setattr(Assessment, "write_json", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_all(a, tmp_path, [ReportFormat.JSON])
    assert (tmp_path / "assessment.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assessment.json"]


def test_every_list_of_records_is_written_one_item_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Findings, passes and the other result lists are dataclasses, paths are models:
    each item is serialized apart, and no list is made whole as one string."""
    import capsa.assess.model as model

    items: list[object] = []
    original = model._item_json

    def counted(item: object) -> str:
        items.append(item)
        return original(item)

    monkeypatch.setattr(model, "_item_json", counted)
    a = make_assessment([finding(), finding(fingerprint="e" * 64)], [passed("CAPSA-IMG-001")])
    assert _written(a) == a.to_json().encode("utf-8")
    for records in (a.findings, a.passes, a.paths):
        assert records and all(any(r is i for i in items) for r in records)
