"""The check library: `use` and `match.kindGroups` expand into self-contained checks, and
mistakes in a check or the library itself say where they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from checks_support import all_checks

from capsa.checks.catalog import load_checks
from capsa.checks.library import LIBRARY_FILE, load_library, shipped_library
from capsa.errors import InputError

CHECK = """\
- id: CAPSA-TEST-001
  title: t
  severity: low
  threats: [STRIDE-EOP-2]
  mitigation: STRIDE-EOP-2.M1
  match:
    kindGroups: [kubeadmControlPlane]
    kinds:
      - {group: bootstrap.cluster.x-k8s.io, kind: KubeadmConfig}
  scope: object
  use: [apiServerFlags]
  variables:
    - name: profiling
      expression: variables.apiServerFlags.filter(s, s.startsWith('profiling='))
  expression: variables.profiling.size() == 0
  field: spec
  message: m
  remediation: r
  references: [https://example.invalid]
  providers: [any]
"""


def _load(tmp_path: Path, text: str) -> list[str]:
    """Ids loaded from `text`, or raise InputError."""
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    return [c.id for c in load_checks([path])]


def _problem(tmp_path: Path, text: str) -> tuple[int | None, str]:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, text)
    problem = caught.value.problems[0]
    return problem.line, problem.message


def test_use_and_kind_groups_expand_library_first(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(CHECK, encoding="utf-8")
    [check] = load_checks([path])
    assert [v.name for v in check.variables] == ["kubeadmSpec", "apiServerFlags", "profiling"]
    shared = shipped_library().variable("apiServerFlags")
    assert shared is not None and check.variables[1].expression == shared.expression
    assert [k.kind for k in check.match.kinds] == [
        "KubeadmControlPlane",
        "KubeadmControlPlaneTemplate",
        "KubeadmConfig",
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("use: [apiServerFlags]", "use: [apiServerFlag]", 11, "no variable 'apiServerFlag'"),
        ("use: [apiServerFlags]", "use: apiServerFlags", 11, "list of names"),
        ("kindGroups: [kubeadmControlPlane]", "kindGroups: [kcp]", 7, "no kind group 'kcp'"),
        ("- name: profiling", "- name: apiServerFlags", 13, "declared twice"),
        ("size() == 0", "size() == 0 && variables.other", 15, "variables.other"),
        ("filter(s, s.startsWith('profiling='))", "filter(s, s.startsWith(1 +))", 14, "profiling"),
        (
            "use: [apiServerFlags]",
            "use: [apiServerFlags, spec]",
            11,
            "nothing reads variables.spec",
        ),
        (
            "  expression: variables.profiling",
            "    - {name: unread, expression: '1'}\n  expression: variables.profiling",
            16,
            "unread is declared but never read",
        ),
    ],
)
def test_broken_references_point_at_their_line(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in CHECK
    found_line, message = _problem(tmp_path, CHECK.replace(old, new))
    assert words in message
    assert found_line == line


LIBRARY = """\
variables:
  - name: first
    description: d
    expression: object.spec
  - name: second
    description: d
    expression: variables.first.x
kindGroups:
  - name: group
    description: d
    kinds: [{group: g, kind: K}]
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("variables.first.x", "variables.third.x", 7, "variables.third"),
        ("name: second", "name: first", 5, "defined twice"),
        ("variables.first.x", "variables.first.x(", 7, "second"),
        ("kinds: [{group: g, kind: K}]", "kinds: []", 11, "kinds"),
        (
            "description: d\n    expression: object.spec",
            "expression: object.spec",
            2,
            "description",
        ),
        ("name: group", "name: group\n    color: red", 10, "color"),
    ],
)
def test_a_broken_library_says_where(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in LIBRARY
    path = tmp_path / "_library.yaml"
    path.write_text(LIBRARY.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_library(path)
    problem = caught.value.problems[0]
    assert problem.path == str(path)
    assert words in problem.message
    assert problem.line == line


def test_the_shipped_library_loads_and_every_part_is_used() -> None:
    library = load_library(LIBRARY_FILE)
    used_variables = {v.name for c in all_checks().values() for v in c.variables}
    assert {v.name for v in library.variables} <= used_variables
    used_kinds = {(k.group, k.kind) for c in all_checks().values() for k in c.match.kinds}
    for group in library.kind_groups:
        assert {(k.group, k.kind) for k in group.kinds} <= used_kinds, group.name


def test_the_extra_args_shape_is_written_once_per_field() -> None:
    """The v1beta1-map / v1beta2-list conversion (the last entry of a repeated name)
    lives in the library, not in checks."""
    shape = "type(a) == list ? a.filter(x, [a.filter(y, y.?name.orValue('')"
    texts = [shared.expression for shared in shipped_library().variables]
    assert sum(shape in text for text in texts) == 2
    data = Path(LIBRARY_FILE).parent
    for path in data.glob("[!_]*.yaml"):
        assert shape not in path.read_text(encoding="utf-8"), path.name
