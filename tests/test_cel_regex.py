"""`matches` on a literal pattern is answered from a memo: the same answers and the same
errors as cel-cpp's own `matches`, and only where that is certain."""

from __future__ import annotations

from typing import Any

import pytest
from cel_expr_python import cel
from hypothesis import given, settings
from hypothesis import strategies as st

from capsa import cel_regex
from capsa.cel import CelEnvironment, CelError, explained
from capsa.cel_regex import MAX_MEMO_TEXT, MEMO, memo_matches, rewritten


@pytest.fixture(scope="module")
def env() -> CelEnvironment:
    return CelEnvironment(["object"])


def _engine(expression: str, data: dict[str, Any]) -> object:
    """What cel-cpp alone answers (no rewriting): the value, or the error text as capsa
    puts a runtime error in words (`capsa.cel.explained`)."""
    plain_env = cel.NewEnv(variables={"object": cel.Type.DYN})
    try:
        value = plain_env.compile(expression).eval(data={"object": data})
    except Exception as error:
        return f"error: {explained(str(error).strip())}"
    if value.type() == cel.Type.ERROR:
        return f"error: {explained(str(value.value()))}"
    return value.plain_value()


def _capsa(env: CelEnvironment, expression: str, data: dict[str, Any]) -> object:
    try:
        return env.compile(expression).evaluate({"object": data})
    except CelError as error:
        return f"error: {error}"


DATA = {"flag": "profiling=false", "n": 1, "items": ["a", 2], "pattern": "^p"}


@pytest.mark.parametrize(
    "expression",
    [
        "object.flag.matches(r'^profiling=(?i:false|f|0)$')",
        "object.flag.matches('^PROFILING')",
        "object.flag . matches ( '''^prof''' )",
        "object.n.matches('x')",  # no overload: the error names `matches`
        "object.items.exists(v, v.matches('a'))",  # an error absorbed as before
        "object.items.all(v, v.matches('a'))",
        "object.flag.matches('(')",  # a pattern cel-cpp refuses fails as before
        "object.flag.matches(object.pattern)",
        "matches(object.flag, '^p')",
        "object.flag.matches(b'x')",
    ],
)
def test_answers_and_errors_are_cel_cpps(env: CelEnvironment, expression: str) -> None:
    assert _capsa(env, expression, DATA) == _engine(expression, DATA)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=40),
    pattern=st.sampled_from(
        [
            r"^(protect-kernel-defaults|make-iptables-util-chains)=(?i:false|f|0)$",
            r"@sha256:[0-9a-f]{64}$",
            r"(?i)(password|secret|token|key)$",
            r"\b(curl|wget)\b",
            r"[4-7]$",
        ]
    ),
)
def test_the_memo_agrees_with_cel_cpp_on_any_text(text: str, pattern: str) -> None:
    literal = "r'" + pattern + "'"
    expected = _engine(f"object.t.matches({literal})", {"t": text})
    assert memo_matches(text, pattern) == expected
    assert memo_matches(text, pattern) == expected  # remembered, still the same


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("x.matches('a')", f"x.{MEMO}('a')"),
        ("x.matches(r'\\d') || y.matches(\"b\")", f"x.{MEMO}(r'\\d') || y.{MEMO}(\"b\")"),
        ("x . matches( 'a' )", f"x . {MEMO}( 'a' )"),
    ],
)
def test_calls_on_a_literal_pattern_are_rewritten(expression: str, expected: str) -> None:
    assert rewritten(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "x.matches(y)",  # not a literal: the pattern may change per call
        "x.matches('a' + y)",
        "x.matches('(')",  # refused by cel-cpp: its own error must be reported
        "x.matches(b'a')",  # bytes: a type error cel-cpp reports
        "matches(x, 'a')",  # the global form
        "x.?matches",  # an optional field read, not a call
        "'x.matches(\\'a\\')' == y",  # inside a string literal
        "x.matchesAll('a')",
    ],
)
def test_other_calls_are_left_alone(expression: str) -> None:
    assert rewritten(expression) == expression


def test_long_texts_are_matched_each_time_not_kept() -> None:
    before = cel_regex._remembered.cache_info().currsize
    long_text = "curl " + "x" * MAX_MEMO_TEXT
    assert memo_matches(long_text, r"\b(curl|wget)\b") is True
    assert cel_regex._remembered.cache_info().currsize == before
    assert (
        memo_matches("curl " + "y" * 60, r"\b(curl|wget)\b") is True
    )  # longer than hypothesis makes
    assert cel_regex._remembered.cache_info().currsize == before + 1


def test_every_shipped_literal_pattern_is_memoised() -> None:
    """Each check that calls `matches` on a literal gets the memo: the patterns shipped
    are all ones cel-cpp accepts."""
    from capsa.checks.catalog import load_checks
    from capsa.checks.program import program_text

    texts = [program_text(check) for check in load_checks()]
    calling = [text for text in texts if ".matches(" in text]
    assert calling
    assert all(".matches(" not in rewritten(text) for text in calling)
