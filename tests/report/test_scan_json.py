"""The `capsa/v1` JSON report: the documented fields, suppression details, errors, and
that it round-trips as a baseline."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from capsa.checks.catalog import load_checks
from capsa.checks.suppressions import read_baseline
from capsa.report.scan_json import SCHEMA, render_json, to_json
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

MANIFESTS = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: workers, namespace: team-a}
spec:
  template:
    spec: {instanceType: t3.large}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: lab, namespace: sandbox}
spec:
  template:
    spec: {instanceType: t3.large}
"""
IGNORE = """apiVersion: capsa.dev/v1alpha1
kind: Suppressions
suppressions:
  - check: CAPSA-IMDS-001
    resource: {namespace: sandbox}
    reason: throwaway lab
    expires: 2026-12-31
    approver: sec@example.com
  - check: CAPSA-IMDS-002
    reason: old entry
    expires: 2025-01-01
    approver: sec@example.com
"""


def _result(tmp_path: Path) -> ScanResult:
    (tmp_path / "m.yaml").write_text(MANIFESTS, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: [\n", encoding="utf-8")
    (tmp_path / "ignore.yaml").write_text(IGNORE, encoding="utf-8")
    imds = next(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    request = ScanRequest(
        paths=[str(tmp_path / "m.yaml"), str(tmp_path / "bad.yaml")],
        ignore_file=str(tmp_path / "ignore.yaml"),
        today=date(2026, 3, 1),
        checks=(imds,),
    )
    return scan(request)


def test_findings_have_the_documented_fields(tmp_path: Path) -> None:
    data = json.loads(render_json(_result(tmp_path)))
    assert data["schema"] == SCHEMA == "capsa/v1"
    first = data["findings"][0]
    for key in (
        "fingerprint", "check", "severity", "threats", "mitigation", "resource", "location",
        "message", "remediation", "suppressed",
    ):  # fmt: skip
        assert key in first, key
    assert first["resource"] == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
        "kind": "AWSMachineTemplate",
        "namespace": "team-a",
        "name": "workers",
    }
    assert first["location"] == {"path": "m.yaml", "line": 6}  # relative to the root
    assert first["severity"] == "high" and first["suppressed"] is False


def test_suppressed_findings_say_by_what_and_expired_entries_are_listed(tmp_path: Path) -> None:
    data = to_json(_result(tmp_path))
    (lab,) = [f for f in data["findings"] if f["suppressed"]]
    assert lab["resource"]["name"] == "lab"
    assert lab["suppression"]["source"] == "file"
    assert lab["suppression"]["approver"] == "sec@example.com"
    assert lab["suppression"]["expires"] == "2026-12-31"
    (expired,) = data["suppressions"]["expired"]
    assert expired["check"] == "CAPSA-IMDS-002" and expired["line"] == 9


def test_errors_and_summary(tmp_path: Path) -> None:
    data = to_json(_result(tmp_path))
    (error,) = data["errors"]
    assert error["path"] == str(tmp_path / "bad.yaml") and error["line"] == 3
    assert error["message"]
    summary = data["summary"]
    assert summary["bySeverity"]["high"] == 1
    assert (summary["open"], summary["suppressed"], summary["errors"]) == (1, 1, 1)
    assert summary["expiredSuppressions"] == 1
    assert summary["files"] == 2


def test_the_report_is_a_baseline(tmp_path: Path) -> None:
    result = _result(tmp_path)
    path = tmp_path / "baseline.json"
    path.write_text(render_json(result), encoding="utf-8")
    assert read_baseline(path).fingerprints == {f.fingerprint for f in result.findings}


def test_a_baseline_written_from_another_root_matches_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for folder in (tmp_path / "repo", tmp_path / "moved" / "repo"):
        folder.mkdir(parents=True)
        (folder / "m.yaml").write_text(MANIFESTS, encoding="utf-8")
    imds = (next(c for c in load_checks() if c.id == "CAPSA-IMDS-001"),)
    written = scan(ScanRequest(paths=["repo"], checks=imds))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(render_json(written), encoding="utf-8")

    again = scan(ScanRequest(paths=["repo"], checks=imds, baseline=str(baseline)))
    assert again.summary.baseline == len(written.findings) == 2
    assert not [n for n in again.notes if n.path == str(baseline)]

    moved = scan(ScanRequest(paths=["moved"], checks=imds, baseline=str(baseline)))
    assert moved.summary.baseline == 0 and len(moved.findings) == 2
    (note,) = [n for n in moved.notes if n.path == str(baseline)]
    assert "none of the baseline's 2 findings match" in note.message
    assert "'repo', not 'moved'" in note.message


def test_passes_are_listed_with_the_default_they_rest_on(tmp_path: Path) -> None:
    """An auditor asks why a check passed: an upstream default is named, an explicit
    setting has none."""
    (tmp_path / "m.yaml").write_text(
        MANIFESTS.replace(
            "spec: {instanceType: t3.large}\n---", "spec: {instanceType: t3.large}\n---", 1
        )
        + "---\n"
        + "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\n"
        + "kind: AWSMachineTemplate\n"
        + "metadata: {name: tight, namespace: team-a}\n"
        + "spec:\n  template:\n    spec:\n"
        + "      instanceMetadataOptions: {httpTokens: required, httpPutResponseHopLimit: 1}\n",
        encoding="utf-8",
    )
    hop = next(c for c in load_checks() if c.id == "CAPSA-IMDS-002")
    doc = to_json(scan(ScanRequest(paths=[str(tmp_path / "m.yaml")], checks=(hop,))))
    by_name = {p["resource"]["name"]: p for p in doc["passes"]}
    assert doc["summary"]["passes"] == len(doc["passes"])
    assert by_name["tight"]["byDefault"] is None
    assert by_name["workers"]["byDefault"].startswith("CAPA sets httpPutResponseHopLimit 1")
