"""What users install: the wheel `python -m build` makes, installed into a clean virtual
environment by the GitHub Action's own install step. Built and installed once per session
and shared by the packaging, action and pre-commit tests (each install fetches capsa's
dependencies from the package index, or the local pip cache)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from integration_support import ROOT, run, run_step


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)])
    assert built.returncode == 0, built.stdout + built.stderr
    [found] = out.glob("capsa-*.whl")
    return found


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's install step, given the wheel: the bin folder it put on PATH."""
    runner_temp = tmp_path_factory.mktemp("runner")
    process, _, added = run_step(
        "Install capsa", {"capsa-version": str(wheel)}, runner_temp, cwd=runner_temp
    )
    assert process.returncode == 0, process.stdout + process.stderr
    [bin_dir] = added
    assert (Path(bin_dir) / "capsa").is_file()
    return Path(bin_dir)
