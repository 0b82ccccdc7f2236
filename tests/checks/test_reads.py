"""Which `context` fields a check's program reads: the fields named, or None (all of
it) as soon as `context` is used any other way."""

from __future__ import annotations

import pytest

from capsa.checks.reads import context_fields


@pytest.mark.parametrize(
    ("program", "fields"),
    [
        ("context.role == 'worker'", {"role"}),
        ("has(context.vpc) && context.?identity.orValue(null) == null", {"vpc", "identity"}),
        ("context . rbac.access.exists(a, a.right == 'x')", {"rbac"}),
        ("object.context.x == 1 && object.?context.y == 2", set()),  # fields named context
        ("'context[0]' == object.name", set()),  # inside a string literal
        ("cel.bind(_var_cp, context.controlPlane, _var_cp.kind)", {"controlPlane"}),
    ],
)
def test_fields_read(program: str, fields: set[str]) -> None:
    assert context_fields(program) == frozenset(fields)


@pytest.mark.parametrize(
    "program",
    [
        "size(context) > 0",
        "context['role'] == 'worker'",
        "context.all(k, k != 'rbac')",  # iterating: every key matters
        "cel.bind(c, context, c.role == 'worker')",
        "'x' in context",
        "context.exists(k, k == 'rbac')",
        "context.size() > 1",
    ],
)
def test_any_other_use_reads_all_of_it(program: str) -> None:
    assert context_fields(program) is None
