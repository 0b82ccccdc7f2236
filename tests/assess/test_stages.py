"""The real stages' own logic: suppressions, unusable input, display paths, the example scan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from capsa.assess.model import DeploymentStatus
from capsa.assess.pipeline import AssessRequest
from capsa.assess.service import assess
from capsa.assess.stages import scan_stage, threat_stage
from capsa.errors import InputError
from capsa.examples import demo_path
from capsa.model.loader import load_model
from capsa.threats.service import assess_threats

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def test_ignore_file_suppresses_and_the_mitigation_becomes_accepted(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "apiVersion: capsa.dev/v1alpha1\n"
        "kind: Suppressions\n"
        "suppressions:\n"
        "  - check: CAPSA-*\n"
        "    reason: sandbox runs a legacy AMI\n"
        "    expires: 2024-12-31\n"
        "    approver: security@example.com\n"
    )
    request = AssessRequest(ignore_file=str(ignore), now=NOW)
    result = assess(request)
    assert result.findings and all(f.suppressed for f in result.findings)
    assert not any(t.deployment_status is DeploymentStatus.VIOLATED for t in result.threats)
    accepted = 0
    for threat in result.threats:
        for m in threat.mitigations:
            found = [result.finding(fp) for fp in m.findings]
            if found and all(f is not None and f.suppressed for f in found):
                assert m.deployment_status is DeploymentStatus.ACCEPTED, m.id
                accepted += 1
    assert accepted


def test_expired_suppression_stops_suppressing(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "apiVersion: capsa.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
        "  - {check: CAPSA-IMDS-*, reason: old, expires: 2024-01-31, approver: me}\n"
    )
    result = assess(AssessRequest(ignore_file=str(ignore), now=NOW))
    assert not any(f.suppressed for f in result.findings)


def test_unreadable_manifest_path_is_unusable_input(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        scan_stage(AssessRequest(paths=[str(tmp_path / "missing")]), [str(tmp_path / "missing")])


def test_example_scan_has_findings_passes_and_every_check(tmp_path: Path) -> None:
    stage = scan_stage(AssessRequest(), [str(demo_path())])
    assert stage.resources > 10
    assert stage.findings and stage.passes
    assert {f.check_id for f in stage.findings} <= {c.id for c in stage.checks}
    assert stage.result is not None


def test_candidates_keep_the_status_and_severity_capsa_threats_gives() -> None:
    """The assessment's candidate threats say which the model mitigates, as the threats
    report does, so its table can keep them apart from the open ones."""
    stage = threat_stage(load_model("builtin:capi-aws"), AssessRequest(now=NOW))
    report = {t.id: t for t in assess_threats("builtin:capi-aws").generated_threats}
    assert stage.candidates
    for c in stage.candidates:
        assert (c.mitigated_in_model, c.severity) == (
            report[c.id].mitigated_in_model,
            report[c.id].severity,
        )
    assert any(c.mitigated_in_model for c in stage.candidates)
