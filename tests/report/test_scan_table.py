"""The terminal report: open findings with their fix, then what is hidden and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from capsa.checks.catalog import load_checks
from capsa.checks.model import Check
from capsa.report.scan_table import render_table
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

CRITICAL = Check.model_validate(
    {
        "id": "CAPSA-TEST-001",
        "title": "Bastion reachable from anywhere",
        "severity": "critical",
        "threats": ["STRIDE-EOP-1"],
        "mitigation": "STRIDE-EOP-1.M1",
        "match": {"kinds": [{"group": "infrastructure.cluster.x-k8s.io", "kind": "AWSCluster"}]},
        "scope": "object",
        "expression": "size(object.?spec.?bastion.?allowedCIDRBlocks.orValue([])) > 0",
        "field": "spec.bastion",
        "message": "The bastion accepts SSH from any address.",
        "remediation": "Set spec.bastion.allowedCIDRBlocks.",
        "references": ["https://cluster-api-aws.sigs.k8s.io/topics/bastion"],
        "providers": ["aws"],
    }
)
MANIFESTS = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: workers, namespace: team-a}
spec:
  template:
    spec: {instanceType: t3.large}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSCluster
metadata: {name: prod, namespace: team-a}
spec:
  bastion: {enabled: true}
"""
IGNORE = """apiVersion: capsa.dev/v1alpha1
kind: Suppressions
suppressions:
  - check: CAPSA-TEST-001
    reason: bastion torn down next sprint
    expires: 2026-12-31
    approver: sec@example.com
    allowCritical: true
  - check: CAPSA-IMDS-002
    reason: stale
    expires: 2025-01-01
    approver: sec@example.com
"""


def _result(tmp_path: Path, ignore: bool) -> ScanResult:
    (tmp_path / "m.yaml").write_text(MANIFESTS, encoding="utf-8")
    (tmp_path / "ignore.yaml").write_text(IGNORE, encoding="utf-8")
    imds = next(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    return scan(
        ScanRequest(
            paths=[str(tmp_path / "m.yaml"), str(tmp_path / "gone.yaml")],
            ignore_file=str(tmp_path / "ignore.yaml") if ignore else None,
            today=date(2026, 3, 1),
            checks=(imds, CRITICAL),
        )
    )


def test_open_findings_are_listed_with_location_and_fix(tmp_path: Path) -> None:
    text = render_table(_result(tmp_path, ignore=False), width=400)
    assert "critical" in text and "CAPSA-TEST-001" in text and "AWSCluster/team-a/prod" in text
    assert "Set spec.bastion.allowedCIDRBlocks." in text
    assert "\nm.yaml (2 findings)" in "\n" + text  # one header line per file, root-relative
    assert "1 critical, 1 high" in text
    assert text.index("CAPSA-TEST-001") < text.index("CAPSA-IMDS-001")  # worst first


def test_at_80_columns_findings_are_grouped_by_file_and_ids_are_whole(tmp_path: Path) -> None:
    result = _result(tmp_path, ignore=False)
    text = render_table(result, width=80)
    lines = text.splitlines()
    unwrapped = text.replace("\n    ", " ")  # a long header continues indented by four
    headers = [line for line in unwrapped.splitlines() if line.startswith("m.yaml")]
    assert headers == ["m.yaml (2 findings)"]
    for finding in result.open_findings:
        entry = next(line for line in lines if f" {finding.check_id} " in line)
        assert f"{finding.location.line}  {finding.severity.value}" in entry  # line, severity
        assert finding.check_id in entry.split()  # the id is one whole word
    assert max(len(line) for line in lines if " " in line.strip()) <= 80


def test_compact_leaves_out_the_title_and_fix_only(tmp_path: Path) -> None:
    result = _result(tmp_path, ignore=False)
    full = render_table(result, width=80)
    compact = render_table(result, width=80, compact=True)
    assert "Set spec.bastion.allowedCIDRBlocks." in full
    assert "Set spec.bastion.allowedCIDRBlocks." not in compact
    for finding in result.open_findings:
        assert finding.check_id in compact and finding.resource.name in compact
    ids = {f.check_id for f in result.open_findings}
    entries = [line for line in compact.splitlines() if ids & set(line.split())]
    assert len(entries) == len(result.open_findings)  # one line each
    assert len(compact.splitlines()) < len(full.splitlines())


def test_hidden_criticals_expired_entries_and_errors_are_named(tmp_path: Path) -> None:
    text = render_table(_result(tmp_path, ignore=True), width=400)
    assert "critical finding suppressed: CAPSA-TEST-001" in text
    assert "bastion torn down next sprint" in text
    assert "expired suppression (2025-01-01, approved by sec@example.com)" in text
    assert "gone.yaml: no such file or directory" in text
    assert "1 suppressed" in text


def test_a_clean_scan_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    imds = next(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    request = ScanRequest(paths=[str(tmp_path / "empty.yaml")], checks=(imds,))
    result = scan(request)
    assert "No open findings." in render_table(result)


def test_names_from_inputs_are_not_read_as_markup(tmp_path: Path) -> None:
    from dataclasses import replace

    from capsa.checks.findings import ResourceRef

    result = _result(tmp_path, ignore=False)
    odd = replace(
        result.findings[0], resource=ResourceRef("v1", "AWSCluster", None, "[/bold][red]x")
    )
    text = render_table(replace(result, findings=(odd,)), width=400)
    assert "AWSCluster/[/bold][red]x" in text


def test_an_error_names_its_file_from_the_scan_root_whole_at_80_columns(tmp_path: Path) -> None:
    deep = tmp_path / "clusters" / ("a-rather-long-folder-name-" * 4 + "end")
    deep.mkdir(parents=True)
    (deep / "broken-cluster-template.yaml").write_text("kind: [\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MANIFESTS, encoding="utf-8")
    imds = next(c for c in load_checks() if c.id == "CAPSA-IMDS-001")
    result = scan(ScanRequest(paths=[str(tmp_path)], checks=(imds,)))
    text = render_table(result, width=80)
    wanted = f"clusters/{deep.name}/broken-cluster-template.yaml:2"
    lines = [line.strip() for line in text.splitlines()]
    assert any(line.startswith(wanted) for line in lines)  # one piece, relative to the root
    error = lines.index("error:")
    shown = lines[error : error + 3]
    assert shown[1].startswith(wanted) and "did not find expected node" in shown[2]
    assert not any(str(tmp_path) in line for line in shown)
