"""Tracking decisions: exact ids beat patterns, patterns are anchored, orphans are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.errors import InputError
from capsa.threats.tracking import Decision, default_tracking_path, load_tracking

HEADER = "apiVersion: capsa.dev/v1alpha1\nkind: ThreatTracking\ndecisions:\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "capsa-tracking.yaml"
    path.write_text(HEADER + body)
    return path


def test_exact_entry_wins_over_pattern(tmp_path: Path) -> None:
    tracking = load_tracking(
        _write(
            tmp_path,
            "  - threat: STRIDE-DOS-*\n    decision: accepted\n    justification: quotas elsewhere\n"
            "  - threat: STRIDE-DOS-5\n    decision: mitigated\n    justification: probe alerts\n"
            "    ticket: OPS-12\n    date: 2026-03-01\n    reviewer: dana\n",
        )
    )
    exact = tracking.decision_for("STRIDE-DOS-5")
    assert exact is not None and exact.decision is Decision.MITIGATED and exact.ticket == "OPS-12"
    pattern = tracking.decision_for("STRIDE-DOS-1")
    assert pattern is not None and pattern.decision is Decision.ACCEPTED
    assert tracking.decision_for("STRIDE-EOP-1") is None


def test_wildcards_are_anchored(tmp_path: Path) -> None:
    tracking = load_tracking(
        _write(
            tmp_path, "  - threat: rule-x@*\n    decision: false-positive\n    justification: n/a\n"
        )
    )
    assert tracking.decision_for("rule-x@pod") is not None
    assert tracking.decision_for("other-rule-x@pod") is None
    assert tracking.decision_for("rule-xy@pod") is None


def test_orphans_are_reported_with_line(tmp_path: Path) -> None:
    tracking = load_tracking(
        _write(
            tmp_path,
            "  - threat: STRIDE-SPOOF-1\n    decision: open\n"
            "  - threat: STRIDE-SPOOF-9\n    decision: open\n",
        )
    )
    [orphan] = tracking.orphans(["STRIDE-SPOOF-1", "STRIDE-SPOOF-2"])
    assert orphan.line == 6 and "STRIDE-SPOOF-9" in orphan.message
    assert tracking.orphans(["STRIDE-SPOOF-1", "STRIDE-SPOOF-9"]) == []


def test_closed_decision_needs_justification_and_known_values(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_tracking(
            _write(
                tmp_path,
                "  - threat: A\n    decision: accepted\n"
                "  - threat: B\n    decision: ignored\n    justification: x\n",
            )
        )
    assert len(info.value.problems) == 2
    assert {p.line for p in info.value.problems} == {4, 7}


def test_default_path_is_next_to_the_model(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    assert default_tracking_path(str(model)) is None
    _write(tmp_path, "  - threat: A\n    decision: open\n")
    assert default_tracking_path(str(model)) == tmp_path / "capsa-tracking.yaml"
    assert default_tracking_path("builtin:capi-aws") is None
