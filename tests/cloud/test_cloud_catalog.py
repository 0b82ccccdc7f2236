"""The cloud check file is loaded by the one data-file loader: every problem at once,
with file:line, ids from the threat catalogue, CEL compiled, functions paired."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.cloud.catalog import cloud_checks, load_cloud_checks
from capsa.cloud.registry import registered
from capsa.errors import InputError

ENTRY = """\
- id: {id}
  title: t
  severity: low
  threats: [{threat}]
  mitigation: {mitigation}
  proves: p
  match: {{facts: instances}}
  needs: [instances]
  {body}
  message: m
  remediation: r
  references: [x]
"""


def write(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text("".join(entries), encoding="utf-8")
    return path


def test_shipped_checks_load() -> None:
    checks = cloud_checks()
    assert len(checks) >= 18
    assert {c.id for c in checks if c.function} == set(registered())


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ENTRY.format(
            id="CAPSA-AWS-901",
            threat="STRIDE-NOPE-1",
            mitigation="STRIDE-NOPE-1.M1",
            body="expression: 'true'",
        ),
        ENTRY.format(
            id="CAPSA-AWS-902",
            threat="STRIDE-SPOOF-1",
            mitigation="STRIDE-SPOOF-1.M5",
            body="expression: 'object.'",
        ),
        ENTRY.format(
            id="CAPSA-AWS-903",
            threat="STRIDE-SPOOF-1",
            mitigation="STRIDE-SPOOF-1.M5",
            body="function: true",
        ),
    )
    with pytest.raises(InputError) as raised:
        load_cloud_checks(path, functions={})
    text = str(raised.value)
    assert "STRIDE-NOPE-1" in text
    assert f"{path}:" in text
    assert "CAPSA-AWS-902: expression:" in text
    assert "@cloud_check('CAPSA-AWS-903')" in text


def test_a_function_without_an_entry_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ENTRY.format(
            id="CAPSA-AWS-901",
            threat="STRIDE-SPOOF-1",
            mitigation="STRIDE-SPOOF-1.M5",
            body="expression: 'true'",
        ),
    )
    with pytest.raises(InputError, match="CAPSA-AWS-001, which has no entry"):
        load_cloud_checks(path, functions={"CAPSA-AWS-001": registered()["CAPSA-AWS-001"]})


def test_expression_and_function_are_exclusive(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ENTRY.format(
            id="CAPSA-AWS-901",
            threat="STRIDE-SPOOF-1",
            mitigation="STRIDE-SPOOF-1.M5",
            body="function: true\n  expression: 'true'",
        ),
    )
    with pytest.raises(InputError, match="either `expression`"):
        load_cloud_checks(path, functions={})


def test_a_check_with_a_mitigation_says_what_a_pass_proves(tmp_path: Path) -> None:
    entry = ENTRY.format(
        id="CAPSA-AWS-904",
        threat="STRIDE-SPOOF-1",
        mitigation="STRIDE-SPOOF-1.M5",
        body="expression: 'true'",
    ).replace("  proves: p\n", "")
    with pytest.raises(InputError) as raised:
        load_cloud_checks(write(tmp_path, entry), functions={})
    assert "say in `proves` what a pass shows" in str(raised.value)
    hardening = entry.replace("  mitigation: STRIDE-SPOOF-1.M5\n", "")
    assert [c.mitigation for c in load_cloud_checks(write(tmp_path, hardening), functions={})] == [
        ""
    ]
