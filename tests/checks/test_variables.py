"""Named CEL variables: finding `variables.<name>` reads, checking their order, and the
composed program behaving like an admission policy's lazily evaluated variables."""

from __future__ import annotations

import pytest

from capsa.cel import CelEnvironment, CelError
from capsa.checks.variables import (
    compose,
    declaration_problems,
    reading_problems,
    referenced_names,
    references,
)


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("variables.a + variables.b", ["a", "b"]),
        ("variables . spaced", ["spaced"]),
        ("c ? variables.yes : variables.no", ["yes", "no"]),
        ("'variables.inside' + variables.outside", ["outside"]),
        ('"variables.x" + """variables.y""" + variables.z', ["z"]),
        (r"r'\' + variables.afterRaw", ["afterRaw"]),
        (r"'\'' + variables.afterEscape", ["afterEscape"]),
        ("object.spec.topology.variables.size() + object.?variables.orValue(0)", []),
        ("1e3 + variables.n + variables.n", ["n"]),
    ],
)
def test_references_are_found_outside_strings_and_selections(
    expression: str, names: list[str]
) -> None:
    assert referenced_names(expression) == names


def test_reading_variables_other_than_by_name_is_a_reference_without_name() -> None:
    assert [r.name for r in references("variables['a'] == variables.b")] == [None, "b"]
    assert reading_problems([("b", "1")], "variables['a'] == variables.b") == [
        "expression reads `variables` other than as variables.<name>"
    ]


def test_declarations_are_unique_and_read_only_earlier_variables() -> None:
    assert declaration_problems([("a", "1"), ("b", "variables.a + 1")]) == []
    assert declaration_problems([("a", "variables.b"), ("b", "1")]) == [
        "variable a reads variables.b, which is not declared before it"
    ]
    assert declaration_problems([("a", "1"), ("a", "2")]) == ["variable a is declared twice"]


def test_every_variable_is_read_and_every_read_is_declared() -> None:
    declared = [("a", "1"), ("b", "variables.a"), ("c", "2")]
    assert reading_problems(declared, "variables.b > 0 && variables.d") == [
        "expression reads variables.d, which is not declared before it",
        "variable c is declared but never read",
    ]


def _evaluate(variables: list[tuple[str, str]], expression: str, obj: object) -> object:
    program = CelEnvironment(["object"]).compile(compose(variables, expression))
    return program.evaluate({"object": obj})


def test_composed_program_sees_earlier_variables() -> None:
    variables = [("spec", "object.spec"), ("doubled", "variables.spec.n * 2")]
    assert _evaluate(variables, "variables.doubled == 6", {"spec": {"n": 3}}) is True


def test_a_variable_is_evaluated_only_when_read_like_in_an_admission_policy() -> None:
    variables = [("missing", "object.absent.deeper")]
    assert _evaluate(variables, "true || variables.missing", {}) is True
    with pytest.raises(CelError):
        _evaluate(variables, "variables.missing == 1", {})


def test_a_variable_is_evaluated_once_however_often_it_is_read() -> None:
    calls: list[int] = []

    def count(value: int) -> int:
        calls.append(value)
        return value

    from capsa.cel import CelFunction

    env = CelEnvironment(["object"], [CelFunction("count", ["int"], "int", False, count)])
    program = env.compile(
        compose([("n", "count(object.n)")], "[1, 2, 3].all(i, variables.n + i > 0)")
    )
    assert program.evaluate({"object": {"n": 4}}) is True
    assert calls == [4]


def test_without_variables_the_expression_is_unchanged() -> None:
    assert compose([], "object.a == 'variables.b'") == "object.a == 'variables.b'"
