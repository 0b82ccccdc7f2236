"""Fixtures the command-line tests share."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import IDENTITY_OPEN, IMDS_OPEN


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with two manifests, one of them under test/, and no configuration;
    the working directory is its top."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "clusters").mkdir()
    (root / "clusters" / "workers.yaml").write_text(IMDS_OPEN)
    (root / "clusters" / "test").mkdir()
    (root / "clusters" / "test" / "identity.yaml").write_text(IDENTITY_OPEN)
    monkeypatch.chdir(root)
    return root
