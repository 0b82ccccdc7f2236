"""Live checks as data: the shipped entries load and pair with their functions; broken
entries and unpaired functions are load errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.errors import InputError
from capsa.live.catalog import live_checks, load_live_checks
from capsa.live.registry import LiveInput, Registration, registered
from capsa.threats.catalogue import builtin_ids

ENTRY = """\
- id: CAPSA-LIVE-901
  title: t
  severity: low
  threats: [STRIDE-DOS-3]
  mitigation: STRIDE-DOS-3.M1
  needs: [Cluster]
  remediation: r
  references: [https://example.invalid]
"""


def _nothing(live: LiveInput) -> list[object]:
    return []


def _functions(*ids: str) -> dict[str, Registration]:
    return {i: Registration(i, _nothing, f"tests.{i}") for i in ids}  # type: ignore[arg-type]


def _problems(tmp_path: Path, text: str, *ids: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_live_checks(path, _functions(*ids))
    assert all(p.path == str(path) for p in caught.value.problems)
    return [(p.line, p.message) for p in caught.value.problems]


def test_shipped_entries_pair_one_to_one_with_registered_functions() -> None:
    checks = live_checks()
    assert set(checks) == set(registered())
    assert len(checks) >= 10
    ids = builtin_ids()
    for check in checks.values():
        assert set(check.threats) <= ids.threats
        assert not check.mitigation or ids.mitigations[check.mitigation] in check.threats
        assert check.references and check.needs and check.applies_to in check.needs


def test_a_good_entry_loads(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(ENTRY, encoding="utf-8")
    [check] = load_live_checks(path, _functions("CAPSA-LIVE-901")).values()
    assert check.needs == ("Cluster",) and check.severity == "low"


def test_entry_without_a_function_is_an_error_at_its_id(tmp_path: Path) -> None:
    assert _problems(tmp_path, ENTRY) == [
        (
            1,
            "CAPSA-LIVE-901 has no analysis: register a function with @live_check('CAPSA-LIVE-901')",
        )
    ]


def test_function_without_an_entry_is_an_error(tmp_path: Path) -> None:
    [(line, message)] = _problems(tmp_path, ENTRY, "CAPSA-LIVE-901", "CAPSA-LIVE-902")
    assert line is None
    assert message.startswith("tests.CAPSA-LIVE-902 is registered as CAPSA-LIVE-902")


def test_every_broken_entry_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    text = (
        ENTRY.replace("severity: low", "severity: urgent")
        + ENTRY.replace("901", "902").replace("[STRIDE-DOS-3]", "[STRIDE-DOS-9]")
        + ENTRY.replace("901", "903").replace("  remediation: r\n", "  colour: red\n")
        + ENTRY.replace("901", "904").replace("STRIDE-DOS-3.M1", "STRIDE-DOS-2.M1")
    )
    found = _problems(
        tmp_path, text, "CAPSA-LIVE-901", "CAPSA-LIVE-902", "CAPSA-LIVE-903", "CAPSA-LIVE-904"
    )
    assert [line for line, _ in found] == [3, 12, 13, 17, 23, 29]
    messages = " | ".join(m for _, m in found)
    assert "CAPSA-LIVE-901: severity" in messages
    assert "CAPSA-LIVE-902: unknown threat id 'STRIDE-DOS-9'" in messages
    assert "CAPSA-LIVE-903: unknown field 'colour'" in messages
    assert "CAPSA-LIVE-903: remediation: Field required" in messages
    assert "CAPSA-LIVE-904: mitigation STRIDE-DOS-2.M1 is not under one of" in messages


def test_duplicate_ids_and_yaml_errors_have_lines(tmp_path: Path) -> None:
    assert [line for line, _ in _problems(tmp_path, ENTRY + ENTRY, "CAPSA-LIVE-901")] == [9]
    [(line, message)] = _problems(tmp_path, ENTRY + "- [unbalanced\n")
    assert line == 10 and message.startswith("YAML syntax error")
    [(line, message)] = _problems(tmp_path, "id: CAPSA-LIVE-901\n")
    assert line == 1 and "list of live checks" in message
