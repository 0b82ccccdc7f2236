"""Named CEL variables: finding `variables.<name>` reads, checking their order, and the
composed program behaving like an admission policy's lazily evaluated variables."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _reference_references(expression: str) -> list[tuple[int, int, str | None]]:
    """The lexer as first written, one character at a time: the oracle the faster one in
    capsa.checks.variables must agree with."""

    def skip_string(text: str, start: int, raw: bool) -> int:
        quote = text[start]
        closing = quote * 3 if text.startswith(quote * 3, start) else quote
        i = start + len(closing)
        while i < len(text):
            if not raw and text[i] == "\\":
                i += 2
                continue
            if text.startswith(closing, i):
                return i + len(closing)
            if len(closing) == 1 and text[i] == "\n":
                return i
            i += 1
        return len(text)

    found: list[tuple[int, int, str | None]] = []
    i = 0
    while i < len(expression):
        char = expression[i]
        if char in "'\"":
            i = skip_string(expression, i, raw=False)
            continue
        if char.isdigit():
            number = re.compile(r"[0-9][0-9A-Za-z_.]*").match(expression, i)
            i = number.end() if number else i + 1
            continue
        ident = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(expression, i)
        if ident is None:
            i += 1
            continue
        word, end = ident.group(), ident.end()
        prefix = re.fullmatch(r"[rR][bB]?|[bB][rR]?", word)
        if end < len(expression) and expression[end] in "'\"" and prefix:
            i = skip_string(expression, end, raw="r" in word.lower())
            continue
        before = expression[:i].rstrip()
        if before.endswith("?"):
            before = before[:-1].rstrip()
        if word == "variables" and not before.endswith("."):
            selection = re.compile(r"\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)").match(expression, end)
            if selection is not None:
                found.append((i, selection.end(), selection.group(1)))
                end = selection.end()
            else:
                found.append((i, end, None))
        i = end
    return found


_PIECES = st.sampled_from(
    ["variables", ".", "a", "x1", " ", "\n", "'", '"', "'''", '"""', "\\", "r", "b", "R",
     "?", "1", "2e3", "٣", "é", "[", "]", "+", "(", ")", ".?"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_the_lexer_agrees_with_a_character_by_character_reading(expression: str) -> None:
    got = [(r.start, r.end, r.name) for r in references(expression)]
    assert got == _reference_references(expression)
