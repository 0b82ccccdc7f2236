"""The hand-written precision cases (tests/checks/precision_cases/): situations the
corpus audit found capsa misjudging, each scanned the way `capsa scan` scans and held to
its expect.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from capsa.scan.result import ScanResult
from capsa.scan.service import ScanRequest, scan

CASES = Path(__file__).parent / "precision_cases"


Label = tuple[str, str]
"""(`CHECK Kind/name`, file name) of one result."""


def _labels(result: ScanResult) -> tuple[set[Label], set[Label]]:
    """(findings, unknown results) as labels."""
    found = {
        (f"{f.check_id} {f.resource.kind}/{f.resource.name}", Path(f.location.path).name)
        for f in result.findings
    }
    unknown = {
        (f"{u.check_id} {u.resource.kind}/{u.resource.name}", Path(u.location.path).name)
        for u in result.unknown
    }
    return found, unknown


def _matches(expected: str, labels: set[Label]) -> bool:
    """`CHECK Kind/name` matches in any file; `CHECK Kind/name in FILE` in that file."""
    what, _, where = expected.partition(" in ")
    return any(what == have and where in ("", file) for have, file in labels)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_precision_case(case: str) -> None:
    folder = CASES / case
    expect = yaml.safe_load((folder / "expect.yaml").read_text())
    files = [str(p) for p in sorted(folder.rglob("*.yaml")) if p.name != "expect.yaml"]
    result = scan(ScanRequest(paths=files))
    assert not result.errors, [e.message for e in result.errors]
    found, unknown = _labels(result)
    for line in expect.get("fires", []):
        assert _matches(line, found), f"{case}: expected a finding {line}; got {sorted(found)}"
    for line in expect.get("silent", []):
        assert not _matches(line, found), f"{case}: {line} must stay silent"
    for line in expect.get("unknown", []):
        assert _matches(line, unknown), f"{case}: expected unknown {line}; got {sorted(unknown)}"


def test_every_case_says_what_it_expects() -> None:
    for folder in (p for p in CASES.iterdir() if p.is_dir()):
        expect = yaml.safe_load((folder / "expect.yaml").read_text())
        assert expect.get("note") and (expect.get("fires") or expect.get("silent")), folder.name
