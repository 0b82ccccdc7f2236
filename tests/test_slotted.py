"""`slotted.replaced` makes what `dataclasses.replace` makes, without running `__init__`."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any, cast

import pytest

from capsa.assess.model import FindingRecord
from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef, Severity
from capsa.slotted import Slotted, columns, copied, from_columns, replaced

REF = ResourceRef(api_version="v1", kind="ConfigMap", namespace="default", name="a")
WHERE = Location("copy/a.yaml", 3, None)
RESULT = CheckResult("CAPSA-X-001", REF, WHERE, "why")
FINDING = Finding(
    "f" * 16, "CAPSA-X-001", "t", Severity.HIGH, ("T1",), "M1", REF, WHERE, "m", "r", ("u",)
)


RECORD = FindingRecord(
    fingerprint="f" * 16, check_id="CAPSA-X-001", title="t", severity=Severity.HIGH,
    mitigation="M1", resource=REF, location=WHERE, message="m", remediation="r",
)  # fmt: skip
"""A keyword-only record of the assessment."""


@pytest.mark.parametrize("item", [WHERE, RESULT, FINDING, RECORD], ids=type)
def test_replaced_equals_dataclasses_replace(
    item: Location | CheckResult | Finding | FindingRecord,
) -> None:
    field = "path" if isinstance(item, Location) else "location"
    value: object = "b.yaml" if isinstance(item, Location) else Location("b.yaml", 9)
    made = replaced(item, **{field: value})
    assert made == dataclasses.replace(cast(Any, item), **{field: value})
    assert type(made) is type(item) and made is not item
    assert pickle.loads(pickle.dumps(made)) == made


def test_replaced_refuses_a_field_the_class_lacks() -> None:
    with pytest.raises(TypeError, match="no field 'paht'"):
        replaced(WHERE, paht="b.yaml")


@dataclasses.dataclass(frozen=True, slots=True)
class _OneSlot(Slotted):
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class _NoSlot(Slotted):
    pass


@pytest.mark.parametrize("item", [_OneSlot(7), _NoSlot(), WHERE, FINDING], ids=type)
def test_a_pickled_slots_dataclass_comes_back_equal(item: Slotted) -> None:
    """Read and restored through the class's own slot accessors, whatever their number."""
    function, (cls, values) = item.__reduce__()
    assert function(cls, values) == item
    assert values == tuple(getattr(item, name) for name in type(item).__slots__)


@pytest.mark.parametrize("item", [RESULT, FINDING], ids=type)
def test_copied_sets_one_slot_and_keeps_the_others(item: CheckResult | Finding) -> None:
    """A rebased result: its new location, everything else the same objects."""
    moved = Location("b.yaml", 9)
    made = copied(item, "location", moved)
    assert made == replaced(item, location=moved)
    assert made.location is moved and made is not item
    assert all(
        getattr(made, name) is getattr(item, name)
        for name in type(item).__slots__
        if name != "location"
    )


def test_copied_refuses_a_field_the_class_lacks() -> None:
    with pytest.raises(TypeError, match="no field 'paht'"):
        copied(WHERE, "paht", "b.yaml")


def test_records_taken_apart_into_columns_come_back_equal() -> None:
    other = CheckResult("CAPSA-X-002", REF, Location("copy/b.yaml", 9, "ConfigMap/c"), None, "d")
    results = [RESULT, other, RESULT]
    taken = columns(results)
    assert taken == (
        ("CAPSA-X-001", "CAPSA-X-002", "CAPSA-X-001"),
        (REF, REF, REF),
        (WHERE, other.location, WHERE),
        ("why", None, "why"),
        (None, "d", None),
    )
    back = from_columns(CheckResult, pickle.loads(pickle.dumps(taken)))
    assert back == results and all(type(r) is CheckResult for r in back)
    assert from_columns(Finding, columns([FINDING])) == [FINDING]
    assert columns([]) == () and from_columns(CheckResult, ()) == []
    with pytest.raises(TypeError, match="several classes"):
        columns([RESULT, FINDING])


def test_shared_slots_are_asked_once_per_distinct_object() -> None:
    asked: list[object] = []

    def one(value: object) -> object:
        asked.append(value)
        return value

    first = Location("a.yaml", 1)
    results = [CheckResult("CAPSA-X-001", REF, first), CheckResult("CAPSA-X-002", REF, first)]
    back = from_columns(CheckResult, columns(results), one, frozenset({"location", "resource"}))
    assert back == results
    assert asked.count(first) == 1 and asked.count(REF) == 1 and "CAPSA-X-001" not in asked
