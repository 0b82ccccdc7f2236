"""`capsa paths` through its own typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from capsa.cli.paths_cmd import app

RUNNER = CliRunner()
DEFAULTS = str(Path(__file__).parent / "fixtures" / "defaults")


def test_json_on_manifests() -> None:
    result = RUNNER.invoke(app, [DEFAULTS, "--format", "json", "--top", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "capsa/v1"
    assert any(p["clusters"] == ["team-a/sandbox"] for p in doc["paths"])


def test_assume_reports_removed_paths() -> None:
    result = RUNNER.invoke(
        app,
        [
            "--entry",
            "pod-create",
            "--target",
            "cloud-admin-creds",
            "--assume",
            "STRIDE-SPOOF-1.M5",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["assumed"] == ["STRIDE-SPOOF-1.M5"]
    assert doc["removed_by_assumed"]
    assert all(
        "pod-reaches-imds" in [s["technique"] for s in p["steps"]]
        for p in doc["removed_by_assumed"]
    )


def test_table_and_diagrams_without_manifests(tmp_path: Path) -> None:
    table = RUNNER.invoke(app, ["--top", "1"])
    assert table.exit_code == 0 and "Minimum cut" in table.stdout
    out = tmp_path / "paths.dot"
    dot = RUNNER.invoke(app, ["--format", "dot", "--output", str(out)])
    assert dot.exit_code == 0 and out.read_text().startswith("digraph")
    assert RUNNER.invoke(app, ["--format", "mermaid"]).stdout.startswith("flowchart")


def test_unknown_entry_exits_2() -> None:
    result = RUNNER.invoke(app, ["--entry", "nope"])
    assert result.exit_code == 2
