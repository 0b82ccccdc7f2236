"""`capsa assess` takes the selection options of `scan` (and from the configuration file),
and a mitigation whose checks the selection left out is never verified or violated: it is
not assessed, and says which option (and file) left them out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from capsa.cli.main import app

runner = CliRunner()
M5 = "STRIDE-SPOOF-1.M5"  # evidenced by CAPSA-IMDS-001 and CAPSA-IDENT-001


def _assess(*args: str) -> Any:
    return runner.invoke(app, ["-q", "assess", "clusters", "-o", "out", "--formats", "json", *args])


def _document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path("out/assessment.json").read_text())
    return data


def _mitigation(data: dict[str, Any], mitigation_id: str) -> dict[str, Any]:
    return next(m for t in data["threats"] for m in t["mitigations"] if m["id"] == mitigation_id)


def test_without_selection_the_mitigation_is_violated(repo: Path) -> None:
    assert _assess().exit_code == 0
    data = _document()
    assert _mitigation(data, M5)["deploymentStatus"] == "violated"
    assert data["inputs"]["selection"] == [] and data["inputs"]["excludedChecks"] == []


def test_a_skipped_check_leaves_its_mitigation_not_assessed_and_says_why(repo: Path) -> None:
    assert _assess("--skip-check", "capsa-imds-*").exit_code == 0
    data = _document()
    m5 = _mitigation(data, M5)
    assert m5["deploymentStatus"] == "not-assessable"
    assert "CAPSA-IMDS-001" in m5["reason"] and "--skip-check capsa-imds-*" in m5["reason"]
    assert "the checks that ran found 1 finding" in m5["reason"]
    assert not [f for f in data["findings"] if f["check"].startswith("CAPSA-IMDS-")]
    assert "CAPSA-IMDS-001" in data["inputs"]["excludedChecks"]
    assert data["inputs"]["selection"] == ["--skip-check capsa-imds-*"]
    assert not [c for c in data["checks"] if c["id"].startswith("CAPSA-IMDS-")]


def test_the_terminal_summary_says_what_the_selection_left_out(repo: Path) -> None:
    args = ["assess", "clusters", "-o", "out", "--formats", "json", "--skip-path", "test"]
    table = runner.invoke(app, [*args, "--skip-check", "CAPSA-IMDS-*"]).stdout
    shown = " ".join(table.replace("│", " ").split())  # the cell's wrapped lines, joined
    assert (
        "selection 2 check(s) left out, their mitigations not assessed; 1 file(s) unread" in shown
    )
    assert "--skip-check CAPSA-IMDS-* --skip-path test" in shown


def test_check_keeps_only_the_named_checks(repo: Path) -> None:
    assert _assess("--check", "CAPSA-IMDS-001").exit_code == 0
    data = _document()
    assert {f["check"] for f in data["findings"]} == {"CAPSA-IMDS-001"}
    m5 = _mitigation(data, M5)
    assert m5["deploymentStatus"] == "not-assessable"
    assert "CAPSA-IDENT-001" in m5["reason"] and "--check CAPSA-IMDS-001" in m5["reason"]


def test_severity_leaves_out_the_checks_below_it(repo: Path) -> None:
    assert _assess("--severity", "CRITICAL").exit_code == 0
    data = _document()
    assert all(f["severity"] == "critical" for f in data["findings"])
    assert "--severity critical" in _mitigation(data, M5)["reason"]


def test_the_configuration_file_selects_and_is_named(repo: Path) -> None:
    Path(".capsa.yaml").write_text("skipChecks: [CAPSA-IDENT-001]\nskipPaths: [test]\n")
    assert _assess().exit_code == 0
    data = _document()
    assert "--skip-check CAPSA-IDENT-001 (from .capsa.yaml)" in _mitigation(data, M5)["reason"]
    assert data["inputs"]["skippedFiles"] == 1
    assert "--skip-path test (from .capsa.yaml)" in data["inputs"]["selection"]
    markdown = runner.invoke(app, ["report", "--from", "out/assessment.json", "-f", "md"])
    assert "Files left unread by --skip-path: 1" in markdown.stdout
    shown = runner.invoke(app, ["config", "show", "clusters", "--command", "assess"]).stdout
    assert "skipChecks" in shown and "CAPSA-IDENT-001  (.capsa.yaml)" in shown
    assert "failOn      none  (default)" in shown


def test_unknown_patterns_and_values_end_in_exit_2(repo: Path) -> None:
    unknown = _assess("--skip-check", "CAPSA-NOPE-*")
    assert unknown.exit_code == 2 and "'CAPSA-NOPE-*' names no check" in unknown.stderr
    assert not Path("out").exists()
    bad = _assess("--severity", "urgent")
    assert bad.exit_code == 2 and "'urgent' is not one of low, medium, high" in bad.stderr


def test_every_file_skipped_is_an_error(repo: Path) -> None:
    result = _assess("--skip-path", "*.yaml")
    assert result.exit_code == 2 and "every file was skipped by --skip-path" in result.stderr
