"""The Markdown summary: severity counts, a findings table that survives odd text, and
hidden criticals, expired suppressions and input errors named."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from capsa.checks.catalog import load_checks
from capsa.report.scan_markdown import render_markdown
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

MANIFEST = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: workers, namespace: team-a}
spec:
  template:
    spec: {instanceType: t3.large}
"""


def _result(tmp_path: Path) -> ScanResult:
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("a: [\n", encoding="utf-8")
    imds = next(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    request = ScanRequest(
        paths=[str(tmp_path / "m.yaml"), str(tmp_path / "bad.yaml")],
        today=date(2026, 3, 1),
        checks=(imds,),
    )
    return scan(request)


def test_counts_and_a_findings_row(tmp_path: Path) -> None:
    text = render_markdown(_result(tmp_path))
    assert "| high | 1 |" in text and "| critical | 0 |" in text
    row = next(line for line in text.splitlines() if "CAPSA-IMDS-001" in line)
    assert row.startswith("| high | CAPSA-IMDS-001 | AWSMachineTemplate team-a/workers |")
    assert row.count(" | ") == 5  # six cells
    assert "## Input errors" in text and "bad.yaml" in text


def test_pipes_and_newlines_cannot_break_the_table(tmp_path: Path) -> None:
    result = _result(tmp_path)
    odd = replace(result.findings[0], message="a | b\nc")
    row = next(
        line
        for line in render_markdown(replace(result, findings=(odd,))).splitlines()
        if "CAPSA-IMDS-001" in line
    )
    assert "a \\| b c" in row


def test_suppressed_criticals_are_named(tmp_path: Path) -> None:
    from capsa.checks.findings import Severity

    result = _result(tmp_path)
    hidden = replace(
        result.findings[0],
        severity=Severity.CRITICAL,
        suppressed=True,
        suppression_reason="accepted by CISO",
    )
    text = render_markdown(replace(result, findings=(hidden,)))
    assert "## Critical findings not shown as open" in text
    assert "accepted by CISO" in text
    assert "## Findings" not in text
