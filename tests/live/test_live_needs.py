"""Every kind a live check's analysis reads is in its `needs`: a kind that could not be
read then makes the check unknown, never a pass on the default it fell back to (LIVE-009
read KubeadmControlPlanes for the CA validity without needing them, and passed on the
10-year default when they were forbidden)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from capsa.live.catalog import live_checks
from capsa.live.index import LiveIndex
from capsa.live.registry import LiveInput, registered
from capsa.sources.resource import Resource

# Kinds read only to word a message (the finding stands without them).
MESSAGE_ONLY = {
    "CAPSA-LIVE-003": {"Secret"},  # "its bootstrap data Secret still exists"
    "CAPSA-LIVE-010": {"Secret", "Deployment", "Provider"},  # the static keys' age
}


@dataclass
class RecordingIndex(LiveIndex):
    """A LiveIndex that records every kind looked up."""

    read: set[str] = field(default_factory=set)

    def kind(self, kind: str) -> list[Resource]:
        self.read.add(kind)
        return super().kind(kind)

    def get(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        self.read.add(kind)
        return super().get(kind, namespace, name)

    def has(self, kind: str) -> bool:
        self.read.add(kind)
        return super().has(kind)


class _Unlisted(list[Resource]):
    """Every object at once bypasses the record: a live analysis reads by kind."""

    def __iter__(self) -> Any:
        raise AssertionError("a live analysis must read objects by kind")


def _every_example(mgmt_resources: list[Resource]) -> list[Resource]:
    out = list(mgmt_resources)
    for check in live_checks().values():
        for example in (*check.examples.fail, *check.examples.pass_):
            out.extend(example.resources())
    return out


def _reads(check_id: str, resources: list[Resource]) -> set[str]:
    index = RecordingIndex(resources)
    index.resources = _Unlisted()
    index.read.clear()
    registered()[check_id].function(LiveInput(index, _now()))
    return index.read


def _now() -> Any:
    from live_support import FIXED_NOW

    return FIXED_NOW


@pytest.mark.parametrize("check_id", sorted(live_checks()))
def test_a_live_check_reads_only_the_kinds_it_needs(
    check_id: str, mgmt_resources: list[Resource]
) -> None:
    needs = set(live_checks()[check_id].needs) | MESSAGE_ONLY.get(check_id, set())
    read = _reads(check_id, _every_example(mgmt_resources))
    assert read <= needs, f"{check_id} reads {sorted(read - needs)} without needing them"


def test_the_record_sees_a_kind_read_without_being_needed(mgmt_resources: list[Resource]) -> None:
    """The audit fires: LIVE-009 reads KubeadmControlPlane, which LIVE-008 does not need."""
    read = _reads("CAPSA-LIVE-009", _every_example(mgmt_resources))
    assert "KubeadmControlPlane" in read
    assert "KubeadmControlPlane" not in live_checks()["CAPSA-LIVE-008"].needs
