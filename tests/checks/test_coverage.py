"""The coverage data (checks/data/_coverage.yaml) and docs/coverage.md: every mitigation
is either evidenced by a manifest check or explained, never both, never neither."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.checks.catalog import load_checks
from capsa.checks.coverage import COVERAGE_FILE, covered_from_manifests, load_gaps, shipped_gaps
from capsa.errors import InputError
from capsa.report.reference_docs import render_all
from capsa.threats.catalogue import builtin_catalogue


def _manifest_mitigations() -> list[str]:
    return [c.mitigation for c in load_checks() if c.mitigation]


def test_every_mitigation_is_covered_or_explained_exactly_once() -> None:
    catalogue = builtin_catalogue()
    every = {m.id for t in catalogue.threats for m in t.mitigations}
    covered = covered_from_manifests(catalogue, _manifest_mitigations())
    gaps = shipped_gaps()
    assert covered | set(gaps) == every
    assert not covered & set(gaps)


def test_same_as_counts_a_check_of_the_twin() -> None:
    covered = covered_from_manifests(builtin_catalogue(), ["STRIDE-EOP-2.M2"])
    assert {"STRIDE-INFODISCLOSE-2.M4", "STRIDE-EOP-1.M2", "STRIDE-EOP-2.M2"} <= covered


def _variant(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "_coverage.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_entry_for_a_checked_mitigation_is_stale(tmp_path: Path) -> None:
    original = COVERAGE_FILE.read_text(encoding="utf-8")
    extra = "- mitigation: STRIDE-SPOOF-1.M5\n  needs: live\n  why: stale.\n"
    with pytest.raises(InputError) as raised:
        load_gaps(
            builtin_catalogue(), _manifest_mitigations(), _variant(tmp_path, original + extra)
        )
    assert "STRIDE-SPOOF-1.M5 has a manifest check now" in str(raised.value)


def test_a_missing_entry_and_an_unknown_id_are_refused(tmp_path: Path) -> None:
    original = COVERAGE_FILE.read_text(encoding="utf-8")
    without = original.replace("- mitigation: STRIDE-DOS-6.M2\n", "- mitigation: STRIDE-DOS-9.M2\n")
    with pytest.raises(InputError) as raised:
        load_gaps(builtin_catalogue(), _manifest_mitigations(), _variant(tmp_path, without))
    message = str(raised.value)
    assert "unknown mitigation id 'STRIDE-DOS-9.M2'" in message
    assert "STRIDE-DOS-6.M2 has no manifest check and no entry here" in message


def test_the_page_lists_every_mitigation_with_its_checks_and_reason() -> None:
    page = render_all()["coverage.md"]
    catalogue = builtin_catalogue()
    gaps = shipped_gaps()
    for threat in catalogue.threats:
        assert f"### {threat.id}: " in page
        for mitigation in threat.mitigations:
            row = next(line for line in page.splitlines() if line.startswith(f"| {mitigation.id}:"))
            if mitigation.id in gaps:
                assert "| no, " in row
            else:
                assert "| yes" in row
    for check in load_checks():
        if check.mitigation:
            assert f"{check.id} ({check.evidence})" in page
    assert "| aws |" in page and "| vsphere |" in page and "| azure |" in page


def test_the_page_names_where_a_check_cannot_decide_and_what_decides() -> None:
    page = render_all()["coverage.md"]
    section = page.split("## Where a manifest check cannot decide", 1)[1].split("## Per threat")[0]
    undecided = [c for c in load_checks() if c.undecided is not None]
    assert {"CAPSA-IMDS-001", "CAPSA-IMDS-002"} <= {c.id for c in undecided}
    for check in undecided:
        assert check.undecided is not None
        row = next(line for line in section.splitlines() if line.startswith(f"| {check.id} |"))
        assert check.undecided.reference in row
    assert "launchtemplate.go:633-645" in section and "ImdsSupport" in section
