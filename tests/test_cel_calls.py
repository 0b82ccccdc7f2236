"""Calls from an expression into Python leave nothing behind: cel-expr-python 0.1.3 keeps
the argument tuple and the result of each call, and capsa hands both back."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capsa import cel_calls
from capsa.cel import CelEnvironment, CelError, CelFunction

CALLS = 2000


def _echo_text(text: str, suffix: str) -> str:
    return text + suffix


def _words(text: str) -> list[str]:
    return text.split()


def _as_map(value: Any) -> dict[str, Any]:
    return {"value": value, "size": len(value)}


def _refuse(text: str) -> bool:
    raise ValueError(f"refused {len(text)}")


def _wrong_type(text: str) -> object:
    return object()


FUNCTIONS = [
    CelFunction("echo", ["string", "string"], "string", True, _echo_text),
    CelFunction("words", ["string"], "list", False, _words),
    CelFunction("asMap", ["list"], "map", False, _as_map),
    CelFunction("refuse", ["string"], "bool", False, _refuse),
    CelFunction("wrongType", ["string"], "bool", False, _wrong_type),
]


@pytest.fixture
def plain_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The binding's own calls, nothing handed back (as before this module)."""
    monkeypatch.setattr(cel_calls, "returned", lambda impl: impl)
    monkeypatch.setattr("capsa.cel.returned", lambda impl: impl)
    yield


def _blocks_left(env: CelEnvironment, expression: str, make: Callable[[int], Any]) -> int:
    """Allocated blocks left over after CALLS evaluations, each on fresh data."""
    compiled = env.compile(expression)

    def run(i: int) -> None:
        with contextlib.suppress(CelError):
            compiled.evaluate({"x": make(i)})

    for i in range(50):  # warm up caches and free lists
        run(i)
    gc.collect()
    before = sys.getallocatedblocks()
    for i in range(CALLS):
        run(i)
    gc.collect()
    return sys.getallocatedblocks() - before


CASES = [
    ("x.echo('-tail')", lambda i: f"text {i} " * 20),
    ("words(x).size() > 0", lambda i: f"a b c {i}"),
    ("asMap(x).size == 2", lambda i: [{"k": i}, {"k": i + 1}]),
    ("refuse(x)", lambda i: f"refused text {i}"),
]


def test_the_binding_is_seen_to_keep_both_references() -> None:
    assert cel_calls.active()


@pytest.mark.parametrize(("expression", "make"), CASES)
def test_calls_leave_nothing_behind(expression: str, make: Callable[[int], Any]) -> None:
    env = CelEnvironment(["x"], FUNCTIONS)
    assert _blocks_left(env, expression, make) < CALLS // 20


@pytest.mark.parametrize(("expression", "make"), CASES)
def test_without_handing_back_each_call_leaks(
    plain_calls: None, expression: str, make: Callable[[int], Any]
) -> None:
    env = CelEnvironment(["x"], FUNCTIONS)
    assert _blocks_left(env, expression, make) >= 2 * CALLS


def test_answers_and_errors_are_the_binding_own() -> None:
    env = CelEnvironment(["x"], FUNCTIONS)
    assert env.compile("x.echo('!')").evaluate({"x": "hi"}) == "hi!"
    assert env.compile("words(x)").evaluate({"x": "a b"}) == ["a", "b"]
    assert env.compile("asMap(x)").evaluate({"x": [1, 2]}) == {"value": [1, 2], "size": 2}
    with pytest.raises(CelError, match="refused 3"):
        env.compile("refuse(x)").evaluate({"x": "abc"})
    # the binding's own error text names the function through a repr it keeps (one string
    # per call, not handed back); capsa's functions return the types they declare
    with pytest.raises(CelError):
        env.compile("wrongType(x)").evaluate({"x": "abc"})


def test_a_tuple_beyond_the_lookback_is_left_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Containers in an argument are tracked between the binding's tuple and the wrapper's;
    past LOOKBACK the tuple is not found: the call still answers, only the hand-back is
    skipped."""
    monkeypatch.setattr(cel_calls, "LOOKBACK", 3)
    env = CelEnvironment(["x"], FUNCTIONS)
    many = [{"k": i} for i in range(10)]
    assert env.compile("asMap(x).size").evaluate({"x": many}) == 10
    assert env.compile("x.echo('!')").evaluate({"x": "hi"}) == "hi!"


def test_an_interpreter_laid_out_otherwise_gets_plain_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cel_calls.active.cache_clear()
    try:
        monkeypatch.setattr(cel_calls, "_laid_out_as_read", lambda: False)
        assert not cel_calls.active()
        assert cel_calls.returned(_words) is _words
    finally:
        cel_calls.active.cache_clear()


def test_a_binding_that_releases_them_gets_plain_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the probe cannot see a kept tuple (a mended binding frees it), nothing is
    handed back, which would otherwise free objects twice."""
    cel_calls.active.cache_clear()
    try:
        monkeypatch.setattr(cel_calls, "_argument_tuple", lambda own: None)
        assert not cel_calls.active()
        monkeypatch.undo()
    finally:
        cel_calls.active.cache_clear()
    assert cel_calls.active()


def _plain_environment() -> CelEnvironment:
    """The same environment with the binding's own calls (nothing handed back)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("capsa.cel.returned", lambda impl: impl)
        return CelEnvironment(["x", "s"], FUNCTIONS)


HANDING_BACK = CelEnvironment(["x", "s"], FUNCTIONS)
PLAIN = _plain_environment()


@settings(max_examples=80, deadline=None)
@given(
    texts=st.lists(st.text(max_size=40), min_size=1, max_size=6),
    suffix=st.text(max_size=5),
)
def test_results_are_those_of_plain_calls(texts: list[str], suffix: str) -> None:
    """Handing back changes no answer: the same values as the binding's own calls give
    (which, for instance, end a text at a NUL character)."""
    joined = " ".join(texts)
    for expression, data in (
        ("x.echo(s)", {"x": joined, "s": suffix}),
        ("words(x)", {"x": joined, "s": ""}),
        ("asMap(x)", {"x": texts, "s": ""}),
    ):
        ours = HANDING_BACK.compile(expression).evaluate(data)
        assert ours == PLAIN.compile(expression).evaluate(data)


def test_collections_at_any_moment_leave_answers_right() -> None:
    """With the collector running at almost every allocation, tuples move between its
    lists and are untracked while calls are made: every call still answers, whatever
    the walk finds (a collection before it is looked for leaves it kept)."""
    env = CelEnvironment(["x"], FUNCTIONS)
    echo, words, as_map = (env.compile(e) for e in ("x.echo('!')", "words(x)", "asMap(x)"))
    threshold = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for i in range(300):
            assert echo.evaluate({"x": f"t{i}"}) == f"t{i}!"
            assert words.evaluate({"x": f"a {i}"}) == ["a", str(i)]
            assert as_map.evaluate({"x": [{"k": i}]}) == {"value": [{"k": i}], "size": 1}
    finally:
        gc.set_threshold(*threshold)
