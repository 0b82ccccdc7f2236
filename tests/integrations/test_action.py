"""The GitHub Action's steps, run as a runner would: install, run capsa, exit as it did."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from integration_support import ROOT, action, run_step

pytestmark = pytest.mark.slow
DEMO = ROOT / "src" / "capsa" / "examples" / "capa-demo"


def test_action_shape() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    uses = [s.get("uses", "") for s in spec["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert spec["inputs"]["fail-on"]["default"] == "high"


@pytest.mark.parametrize(("fail_on", "status"), [("high", "1"), ("none", "0")])
def test_scan_step_writes_sarif_and_keeps_the_exit_code(
    installed: Path, tmp_path: Path, fail_on: str, status: str
) -> None:
    inputs = {"paths": str(DEMO), "fail-on": fail_on, "sarif": "capsa.sarif"}
    process, outputs, _ = run_step("Run capsa", inputs, tmp_path, tmp_path, str(installed))
    assert process.returncode == 0, process.stderr  # the step itself never fails
    assert outputs == {"sarif": "capsa.sarif", "status": status}
    sarif = json.loads((tmp_path / "capsa.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "CAPSA-" in process.stdout  # the table in the job log
    last, _, _ = run_step("Exit as capsa did", {}, tmp_path, tmp_path, outputs=outputs)
    assert last.returncode == int(status)


def test_sarif_uris_are_relative_to_the_repository_top(installed: Path, tmp_path: Path) -> None:
    """Code scanning reads a relative URI from the repository's top and ignores
    originalUriBaseIds, so a subfolder scan must still name `clusters/...`."""
    shutil.copytree(DEMO, tmp_path / "clusters")
    inputs = {"paths": "clusters", "fail-on": "none", "sarif": "capsa.sarif"}
    process, outputs, _ = run_step("Run capsa", inputs, tmp_path, tmp_path, str(installed))
    assert outputs["status"] == "0", process.stderr
    run = json.loads((tmp_path / "capsa.sarif").read_text())["runs"][0]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris and all(u.startswith("clusters/") for u in uris), uris
    assert run["originalUriBaseIds"]["SCANROOT"]["uri"] == tmp_path.as_uri() + "/"


def test_assess_step_uploads_the_assessments_sarif(installed: Path, tmp_path: Path) -> None:
    inputs = {"command": "assess", "paths": str(DEMO), "fail-on": "none", "sarif": "a.sarif"}
    process, outputs, _ = run_step("Run capsa", inputs, tmp_path, tmp_path, str(installed))
    assert process.returncode == 0, process.stderr
    assert outputs["status"] == "0"
    assert json.loads((tmp_path / "a.sarif").read_text())["version"] == "2.1.0"


def test_a_missing_path_fails_the_job_with_exit_2(installed: Path, tmp_path: Path) -> None:
    inputs = {"paths": "no-such-dir"}
    process, outputs, _ = run_step("Run capsa", inputs, tmp_path, tmp_path, str(installed))
    assert outputs["status"] == "2" and "no such file or directory" in process.stderr
    assert not (tmp_path / "capsa.sarif").exists()  # no empty SARIF closing every alert
