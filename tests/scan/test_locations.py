"""Locations made relative to the scan root (`capsa.scan.locations`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from capsa.scan.locations import rebased
from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

DEMO = Path(__file__).resolve().parents[2] / "src" / "capsa" / "examples" / "capa-demo"


def _scanned(tmp_path: Path) -> ScanResult:
    shutil.copytree(DEMO, tmp_path / "demo")
    return scan(ScanRequest(paths=[str(tmp_path / "demo")], keep_topology=False))


def test_every_result_moves_to_the_root_and_the_result_says_so(tmp_path: Path) -> None:
    result = _scanned(tmp_path)
    moved = rebased(result)
    assert moved.relative
    assert moved.findings and moved.passes
    for found in (moved.findings, moved.passes, moved.unknown, moved.not_applicable):
        assert all(not Path(r.location.path).is_absolute() for r in found)


def test_a_findings_view_moves_the_findings_alone(tmp_path: Path) -> None:
    """The terminal list shows findings only: the other results keep their real paths,
    and the result is not marked relative, so a full rebasing still moves them."""
    result = _scanned(tmp_path)
    view = rebased(result, findings_only=True)
    assert not view.relative
    assert view.findings and all(not Path(f.location.path).is_absolute() for f in view.findings)
    assert view.passes == result.passes
    assert all(Path(r.location.path).is_absolute() for r in view.passes)
    assert [f.location for f in rebased(result).findings] == [f.location for f in view.findings]
