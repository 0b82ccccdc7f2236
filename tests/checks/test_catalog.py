"""Loading check data files: the shipped ones load and compile; broken ones say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from capsa.checks.catalog import DATA_DIR, load_checks
from capsa.errors import InputError

GOOD = """\
- id: CAPSA-TEST-001
  title: t
  severity: low
  threats: [STRIDE-DOS-3]
  mitigation: STRIDE-DOS-3.M1
  match: {kinds: [{group: cluster.x-k8s.io, kind: MachineDeployment}]}
  scope: object
  expression: "has(object.spec)"
  field: spec
  message: m
  remediation: r
  references: [https://example.invalid]
  providers: [any]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_checks_load_compile_and_have_unique_ids() -> None:
    checks = load_checks()
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    assert {p.name for p in DATA_DIR.glob("*.yaml")} >= {"imds.yaml", "ssh.yaml", "audit.yaml"}


def test_a_good_file_loads(tmp_path: Path) -> None:
    [check] = load_checks([_write(tmp_path, "a.yaml", GOOD)])
    assert check.id == "CAPSA-TEST-001" and check.field_paths == (("spec",),)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("severity: low", "severity: urgent"), 3, "severity"),
        (GOOD.replace("STRIDE-DOS-3.M1", "STRIDE-DOS-2.M1"), 5, "not under"),
        (GOOD.replace("STRIDE-DOS-3.M1", "STRIDE-DOS-3.M9"), 5, "unknown mitigation id"),
        (GOOD.replace("[STRIDE-DOS-3]", "[STRIDE-DOS-9]"), 4, "unknown threat"),
        (GOOD.replace('"has(object.spec)"', '"object.spec ==="'), 8, "expression"),
        (GOOD.replace('"has(object.spec)"', '"context.role == 1"'), 8, "expression"),
        (GOOD.replace("  field: spec\n", ""), 1, "field"),
        (GOOD + "  surprise: 1\n", 14, "surprise"),
        ("- [unbalanced\n", 2, "YAML syntax error"),
        ("id: CAPSA-X-001\n", 1, "list of checks"),
    ],
)
def test_broken_entries_are_input_errors_with_lines(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_checks([_write(tmp_path, "bad.yaml", text)])
    problem = caught.value.problems[0]
    assert problem.path.endswith("bad.yaml")
    assert problem.line == line
    assert words in problem.message


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="also defined") as caught:
        load_checks([_write(tmp_path, "a.yaml", GOOD), _write(tmp_path, "b.yaml", GOOD)])
    [problem] = caught.value.problems
    assert problem.path.endswith("b.yaml") and problem.line == 1


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    second = GOOD.replace("CAPSA-TEST-001", "CAPSA-TEST-002")
    bad_schema = GOOD.replace("severity: low", "severity: urgent")
    bad_ids = second.replace("[STRIDE-DOS-3]", "[STRIDE-DOS-9]")
    files = [
        _write(tmp_path, "a.yaml", bad_schema + bad_ids),
        _write(tmp_path, "b.yaml", "- [unbalanced\n"),
    ]
    with pytest.raises(InputError) as caught:
        load_checks(files)
    found = [(Path(p.path).name, p.line) for p in caught.value.problems]
    # the schema error of the first entry, the unknown threat of the second (and the
    # mitigation no longer under a listed threat), and the other file's syntax error
    assert found == [("a.yaml", 3), ("a.yaml", 17), ("a.yaml", 18), ("b.yaml", 2)]


def test_empty_file_has_no_checks(tmp_path: Path) -> None:
    assert load_checks([_write(tmp_path, "empty.yaml", "")]) == []
