"""results.sarif from an Assessment: valid SARIF 2.1.0, one result per finding, suppressions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from assessment_fixtures import F

from capsa.report.assessment_sarif import render_assessment_sarif

SCHEMA = Path("/work/shared/reference/sarif-schema-2.1.0.json")


def _sarif() -> dict[str, object]:
    findings = [F.finding(), F.finding(fingerprint="b" * 64, suppressed=True, line=None)]
    return dict(json.loads(render_assessment_sarif(F.make_assessment(findings))))


def test_validates_against_the_sarif_schema() -> None:
    if not SCHEMA.exists():
        pytest.skip("SARIF schema not available")
    import jsonschema  # type: ignore[import-untyped]

    jsonschema.validate(_sarif(), json.loads(SCHEMA.read_text()))


def test_results_rules_locations_and_suppressions() -> None:
    run = _sarif()["runs"][0]  # type: ignore[index]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == ["CAPSA-AWS-001", "CAPSA-IMG-001"]
    first, second = run["results"]
    assert first["partialFingerprints"] == {"capsaFingerprint/v2": "f" * 64}
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    assert first["level"] == "error" and "suppressions" not in first
    assert second["suppressions"][0]["justification"] == "accepted for the sandbox"
    assert "region" not in second["locations"][0]["physicalLocation"]


def test_no_findings_is_still_a_valid_run() -> None:
    run = json.loads(render_assessment_sarif(F.make_assessment()))["runs"][0]
    assert run["results"] == []


def test_same_alert_keys_and_levels_as_the_scan_sarif() -> None:
    """Built on the scan writer: its fingerprint key, levels and scores, so code scanning
    matches alerts from `capsa scan` and `capsa assess`; the older key stays too."""
    from capsa.report.sarif import FINGERPRINT_KEY, LEVEL, SECURITY_SCORE

    findings = [F.finding(severity=F.Severity.LOW, path="team a/workers.yaml")]
    assessment = F.make_assessment(findings)
    run = json.loads(render_assessment_sarif(assessment))["runs"][0]
    result = run["results"][0]
    assert result["partialFingerprints"] == {FINGERPRINT_KEY: "f" * 64}
    assert FINGERPRINT_KEY == "capsaFingerprint/v2", "the value names the file since v2"
    assert result["level"] == LEVEL[F.Severity.LOW]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    check = next(c for c in assessment.checks if c.id == result["ruleId"])
    assert rule["properties"]["security-severity"] == SECURITY_SCORE[check.severity]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "team%20a/workers.yaml", "uriBaseId": "SCANROOT"}
