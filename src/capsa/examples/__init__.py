"""Example deployments shipped with capsa (what `capsa assess` with no arguments reads)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_path() -> Path:
    """Directory of the bundled Cluster API + CAPA example deployment."""
    return Path(str(resources.files("capsa.examples") / "capa-demo"))
