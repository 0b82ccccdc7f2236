"""SARIF output: valid against the official 2.1.0 schema, with rules, levels, relative
locations, stable fingerprints, suppressions and input errors as notifications."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from capsa.checks.catalog import load_checks
from capsa.checks.model import Check
from capsa.report.sarif import FINGERPRINT_KEY, ROOT_ID, reference_url, render_sarif, to_sarif
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

LOW_CHECK = Check.model_validate(
    {
        "id": "CAPSA-TEST-002",
        "title": "Machine template has no instance type",
        "severity": "low",
        "threats": ["STRIDE-DOS-1"],
        "mitigation": "STRIDE-DOS-1.M1",
        "match": {
            "kinds": [{"group": "infrastructure.cluster.x-k8s.io", "kind": "AWSMachineTemplate"}]
        },
        "scope": "object",
        "expression": "has(object.spec.template.spec.instanceType)",
        "field": "spec.template.spec.instanceType",
        "message": "No instance type is set.",
        "remediation": "Set spec.template.spec.instanceType.",
        "references": ["kubernetes-sigs/cluster-api-provider-aws@0123456789abcdef:api/types.go:10"],
        "providers": ["aws"],
    }
)

MANIFESTS = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: workers
  namespace: team-a
spec:
  template:
    spec:
      instanceType: t3.large
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata:
  name: accepted
  namespace: team-a
  annotations:
    capsa.dev/ignore: "CAPSA-*=lab machine"
spec:
  template:
    spec: {}
"""


def _result(tmp_path: Path, root: Path | None = None) -> ScanResult:
    folder = tmp_path / "deploy dir"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machines.yaml").write_text(MANIFESTS, encoding="utf-8")
    (folder / "broken.yaml").write_text("kind: [\n", encoding="utf-8")
    imds = next(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    request = ScanRequest(
        paths=[str(folder)],
        today=date(2026, 3, 1),
        checks=(imds, LOW_CHECK),
        root=str(root or tmp_path),
    )
    return scan(request)


def _validate(log: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_the_log_is_valid_sarif(tmp_path: Path) -> None:
    log = json.loads(render_sarif(_result(tmp_path)))
    assert log["version"] == "2.1.0"
    _validate(log)


def test_rules_carry_metadata_and_results_point_at_them(tmp_path: Path) -> None:
    run = to_sarif(_result(tmp_path))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["CAPSA-IMDS-001", "CAPSA-TEST-002"]
    low = rules[1]
    assert low["name"] == "MachineTemplateHasNoInstanceType"
    assert low["help"]["text"] == "Set spec.template.spec.instanceType."
    assert low["properties"]["tags"] == ["security", "STRIDE-DOS-1"]
    assert low["properties"]["security-severity"] == "3.0"
    assert low["helpUri"].startswith("https://github.com/kubernetes-sigs/cluster-api-provider-aws/")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"][FINGERPRINT_KEY]) == 64


def test_levels_follow_severity(tmp_path: Path) -> None:
    run = to_sarif(_result(tmp_path))["runs"][0]
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert ("CAPSA-IMDS-001", "error") in levels  # high
    assert ("CAPSA-TEST-002", "note") in levels  # low


def test_locations_are_relative_to_the_scan_root_and_url_encoded(tmp_path: Path) -> None:
    run = to_sarif(_result(tmp_path))["runs"][0]
    assert run["originalUriBaseIds"][ROOT_ID]["uri"] == tmp_path.as_uri() + "/"
    physical = run["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "deploy%20dir/machines.yaml",
        "uriBaseId": ROOT_ID,
    }
    assert physical["region"]["startLine"] >= 1

    elsewhere = to_sarif(_result(tmp_path / "x", root=tmp_path / "y"))["runs"][0]
    uri = elsewhere["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"].startswith("file:///") and "uriBaseId" not in uri


def test_a_moved_folder_gives_the_same_results(tmp_path: Path) -> None:
    """Without --root the root is the scanned folder: the same folder scanned at another
    place gives the same results; only SCANROOT itself says where it was."""
    here = to_sarif(_result(tmp_path / "a", root=tmp_path / "a" / "deploy dir"))["runs"][0]
    there = to_sarif(_result(tmp_path / "b", root=tmp_path / "b" / "deploy dir"))["runs"][0]
    assert here["results"] == there["results"]
    assert here["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "machines.yaml",
        "uriBaseId": ROOT_ID,
    }
    assert here["originalUriBaseIds"] != there["originalUriBaseIds"]


def test_suppressed_findings_are_marked_not_dropped(tmp_path: Path) -> None:
    run = to_sarif(_result(tmp_path))["runs"][0]
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert suppressed
    assert all(
        r["suppressions"]
        == [{"kind": "inSource", "status": "accepted", "justification": "lab machine"}]
        for r in suppressed
    )
    assert any("suppressions" not in r for r in run["results"])


def test_input_errors_become_notifications(tmp_path: Path) -> None:
    invocation = to_sarif(_result(tmp_path))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    where = note["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "deploy%20dir/broken.yaml"


@pytest.mark.parametrize(
    ("reference", "url"),
    [
        ("https://example.org/doc", "https://example.org/doc"),
        (
            "kubernetes-sigs/cluster-api@abc1234:docs/book/a.md:12-20",
            "https://github.com/kubernetes-sigs/cluster-api/blob/abc1234/docs/book/a.md#L12",
        ),
        ("an upstream discussion", None),
    ],
)
def test_references_become_help_urls(reference: str, url: str | None) -> None:
    assert reference_url(reference) == url


def test_findings_of_checks_outside_the_set_get_their_own_rule(tmp_path: Path) -> None:
    from dataclasses import replace

    from capsa.checks.findings import Location

    base = _result(tmp_path)
    live = replace(
        base.findings[0],
        check_id="CAPSA-LIVE-001",
        title="Controller can read every Secret",
        location=Location("cluster://mgmt/apis/rbac.authorization.k8s.io/v1/clusterroles", None),
    )
    piped = replace(base.findings[0], location=Location("-", 4))
    log = to_sarif(replace(base, findings=(live, piped)))
    _validate(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["rules"][-1]["id"] == "CAPSA-LIVE-001"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert uris[0] == {"uri": "cluster://mgmt/apis/rbac.authorization.k8s.io/v1/clusterroles"}
    assert uris[1] == {"uri": "stdin"}
