"""`slotted.replaced` makes what `dataclasses.replace` makes, without running `__init__`."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any, cast

import pytest

from capsa.assess.model import FindingRecord
from capsa.checks.findings import CheckResult, Finding, Location, ResourceRef, Severity
from capsa.slotted import Slotted, copied, replaced

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
