"""`.pre-commit-hooks.yaml` through `pre-commit try-repo`, on a repository made here."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from integration_support import ROOT, run
from tests.cli.cli_support import IMDS_OPEN

pytestmark = pytest.mark.slow

OPEN = IMDS_OPEN
CLOSED = """apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: AWSMachineTemplate
metadata: {name: workers, namespace: team-a}
spec:
  template:
    spec:
      instanceType: t3.large
      instanceMetadataOptions: {httpTokens: required, httpPutResponseHopLimit: 1}
"""
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _git(cwd: Path, *args: str) -> None:
    result = run(["git", *args], cwd=cwd)
    assert result.returncode == 0, result.stderr


def _repository(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "test@example.invalid")
    _git(root, "config", "user.name", "capsa tests")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "files")
    return root


def _hook_repository(tmp_path: Path) -> Path:
    """capsa's own files a hook needs (the hooks manifest and the package), committed."""
    root = tmp_path / "capsa-hooks"
    files = {
        name: (ROOT / name).read_text()
        for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md")
    }
    repository = _repository(root, files)
    shutil.copytree(ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "package")
    return repository


def _try(hook: str, hooks: Path, project: Path, env: dict[str, str]) -> tuple[int, str]:
    result = run(
        [*PRE_COMMIT, "try-repo", str(hooks), hook, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def env(tmp_path: Path, installed: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": f"{installed}{os.pathsep}{os.environ['PATH']}",
    }


def test_the_installed_capsa_hook_fails_open_findings(tmp_path: Path, env: dict[str, str]) -> None:
    hooks = _hook_repository(tmp_path)
    bad = _repository(tmp_path / "bad", {"clusters/workers.yaml": OPEN, "notes.txt": "x"})
    code, output = _try("capsa-scan-installed", hooks, bad, env)
    assert code == 1, output
    assert "CAPSA-IMDS-001" in output and "Failed" in output
    assert "clusters/workers.yaml" in output  # from the repository's top (--root .)
    assert "deprecated" not in output.lower(), output
    good = _repository(tmp_path / "good", {"clusters/workers.yaml": CLOSED})
    code, output = _try("capsa-scan-installed", hooks, good, env)
    assert code == 0, output
    assert "Passed" in output


def test_the_python_hook_installs_capsa_itself(tmp_path: Path, env: dict[str, str]) -> None:
    """pre-commit builds its own environment from the hook repository (capsa's
    dependencies come from the package index, or the local pip cache)."""
    hooks = _hook_repository(tmp_path)
    bad = _repository(tmp_path / "bad", {"workers.yaml": OPEN})
    without_capsa = {**env, "PATH": os.environ["PATH"]}
    code, output = _try("capsa-scan", hooks, bad, without_capsa)
    assert code == 1, output
    assert "CAPSA-IMDS-001" in output
    assert "deprecated" not in output.lower(), output
