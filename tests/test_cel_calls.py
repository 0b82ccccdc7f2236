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
    assert env.compile("words(x) == ['a', 'b']").evaluate({"x": "a b"}) is True
    assert env.compile("asMap(x) == {'value': [1, 2], 'size': 2}").evaluate({"x": [1, 2]})
    with pytest.raises(CelError, match="refused 3"):
        env.compile("refuse(x)").evaluate({"x": "abc"})
    # the binding's own error text names the function through a repr it keeps (one string
    # per call, not handed back); capsa's functions return the types they declare
    with pytest.raises(CelError):
        env.compile("wrongType(x)").evaluate({"x": "abc"})


def test_a_list_argument_keeps_its_tuple_and_gives_back_its_result() -> None:
    """A list or map argument may hold a None the binding never counted (its null is
    returned uncounted into the list it builds): freeing the tuple would release it, so
    such a call keeps its tuple; its result, a fresh map, is still handed back."""
    env = CelEnvironment(["x"], FUNCTIONS)
    left = _blocks_left(env, "asMap(x).size == 2", lambda i: [{"k": i}, None])
    assert 2 * CALLS <= left < 40 * CALLS  # the tuple and the converted list, not the map
    assert env.compile("asMap(x).size").evaluate({"x": [None, None]}) == 2


def test_an_interpreter_laid_out_otherwise_gets_plain_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cel_calls._heads_if_active.cache_clear()
    try:
        monkeypatch.setattr(cel_calls, "_laid_out_as_read", lambda: False)
        assert not cel_calls.active()
        assert cel_calls.returned(_words) is _words
    finally:
        cel_calls._heads_if_active.cache_clear()


def test_generation_heads_not_found_give_plain_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    cel_calls._heads_if_active.cache_clear()
    try:
        monkeypatch.setattr(cel_calls, "_GENERATION0_AT", 8)  # not where the pointer is
        assert cel_calls._generation_heads() is None
        assert not cel_calls.active()
    finally:
        cel_calls._heads_if_active.cache_clear()


def test_a_binding_that_releases_them_gets_plain_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the probe cannot see a kept tuple (a mended binding frees it), nothing is
    handed back, which would otherwise free objects twice."""
    cel_calls._heads_if_active.cache_clear()
    try:
        monkeypatch.setattr(cel_calls, "_argument_tuple", lambda own, heads: None)
        assert not cel_calls.active()
        monkeypatch.undo()
    finally:
        cel_calls._heads_if_active.cache_clear()
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
        ("words(x).join('|')", {"x": joined, "s": ""}),
        ("asMap(x).value.join('|') + string(asMap(x).size)", {"x": texts, "s": ""}),
    ):
        ours = HANDING_BACK.compile(expression).evaluate(data)
        assert ours == PLAIN.compile(expression).evaluate(data)


def test_collections_at_any_moment_leave_answers_right() -> None:
    """With the collector running at almost every allocation, tuples move between its
    lists and are untracked while calls are made: every call still answers, whatever
    the walk finds (a collection before it is looked for leaves it kept)."""
    env = CelEnvironment(["x"], FUNCTIONS)
    echo, words, as_map = (
        env.compile(e) for e in ("x.echo('!')", "words(x).join('|')", "asMap(x).value[0].k")
    )
    threshold = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for i in range(300):
            assert echo.evaluate({"x": f"t{i}"}) == f"t{i}!"
            assert words.evaluate({"x": f"a {i}"}) == f"a|{i}"
            assert as_map.evaluate({"x": [{"k": i}]}) == i
    finally:
        gc.set_threshold(*threshold)


# Found by an audit of this module, each run apart: a regression crashes the interpreter.
OWN_TUPLE = """
import sys
from capsa.cel import CelEnvironment, CelFunction
KEPT = []
def keep(a, b):
    KEPT.append((a + b,))  # a 1-tuple held only here
    return 0
env = CelEnvironment(["x"], [
    CelFunction("size2", ["list"], "int", False, lambda l: len(l)),
    CelFunction("keep", ["string", "string"], "int", True, keep),
])
c = env.compile("size2(x) + 'a'.keep('b')")
data = {"x": [{"k": [i, [i]]} for i in range(300)]}
for i in range(100):
    c.evaluate(data)
    assert sys.getrefcount(KEPT[-1]) == 2, ("freed while held", i)
print("held")
"""

NULL_IN_A_LIST = """
import sys
from capsa.checks.environment import environment
c = environment("object").compile("object.l.sum() == null && object.l.isSorted()")
before = sys.getrefcount(None)
for i in range(3 * before):
    assert c.evaluate({"object": {"l": [None]}}) is True
print("counted", sys.getrefcount(None) >= before)
"""

THREADS = """
import collections, gc, sys, threading
from capsa.cel import CelEnvironment, CelFunction
sys.setswitchinterval(1e-6)
env = CelEnvironment(["x"], [CelFunction("fresh", ["string"], "list", False,
                                         lambda s: [s + str(i) for i in range(20)])])
c = env.compile("fresh(x).size() + fresh(x + 'y').size() + fresh(x + 'z').size()")
# one counter per thread: `+=` on a shared one loses updates at this switch interval
counts = [collections.Counter() for _ in range(3)]
def work(seen):
    for i in range(6000):
        try:
            seen[repr(c.evaluate({"x": f"t{i}"}))] += 1
        except Exception as error:
            seen[type(error).__name__] += 1
threads = [threading.Thread(target=work, args=(seen,)) for seen in counts]
for t in threads: t.start()
for t in threads: t.join()
print(dict(sum(counts, collections.Counter())), gc.isenabled())
"""


def _run_apart(script: str) -> str:
    import subprocess
    from pathlib import Path

    src = Path(cel_calls.__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_the_wrappers_own_tuple_is_never_taken_for_the_bindings() -> None:
    """A collection between the binding's tuple and the wrapper's (a large list argument
    converted) leaves the young generation holding the wrapper's alone: the walk stops
    at the generation's head instead of coming round to it."""
    assert _run_apart(OWN_TUPLE) == "held"


def test_a_null_inside_a_list_argument_is_never_released() -> None:
    assert _run_apart(NULL_IN_A_LIST) == "counted True"


def test_threads_evaluating_at_once_each_hand_back_their_own() -> None:
    assert _run_apart(THREADS) == "{'60': 18000} True"


SHARED_WORDS = ["kept", "by", "this", "module"]


def _released(monkeypatch: pytest.MonkeyPatch, interrupt: bool) -> list[Any]:
    """The objects `release` hands back after one call of a function returning a list
    this module holds (recorded, not done), the call interrupted as it returns to the
    binding when `interrupt`."""
    import ctypes

    released: list[int] = []
    monkeypatch.setattr(cel_calls, "_decref", released.append)
    shared = CelFunction("shared", ["string"], "list", False, lambda text: SHARED_WORDS)
    program = CelEnvironment(["x"], [shared]).compile("shared(x).size()")

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_name != "call" or frame.f_code.co_filename != cel_calls.__file__:
            return None

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "return":
                raise KeyboardInterrupt
            return local

        return local

    if interrupt:
        sys.settrace(tracer)
    try:
        program.evaluate({"x": "a b"})
    except (KeyboardInterrupt, CelError):
        pass
    finally:
        sys.settrace(None)
    return [ctypes.cast(a, ctypes.py_object).value for a in released]


def test_a_call_hands_back_its_tuple_and_a_copy_of_its_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The binding is given a copy of a result someone else holds, and the copy is what
    is handed back: the holder's list keeps its references."""
    released = _released(monkeypatch, interrupt=False)
    assert sorted(type(r).__name__ for r in released) == ["list", "tuple"]
    assert all(r is not SHARED_WORDS for r in released)
    assert SHARED_WORDS in released


def test_an_interrupted_call_hands_back_nothing_it_was_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Interrupted as it returns (Ctrl-C, a signal handler), the binding receives no
    result and keeps none: only the argument tuple it did keep is handed back."""
    released = _released(monkeypatch, interrupt=True)
    assert [type(r).__name__ for r in released] == ["tuple"]


@pytest.mark.parametrize(
    ("expression", "kind"),
    [("[x]", "a list"), ("{'a': x}", "a map"), ("null", "null"), ("b'ab'", "bytes")],
)
def test_a_value_other_than_a_scalar_is_an_error_in_words(expression: str, kind: str) -> None:
    env = CelEnvironment(["x"], FUNCTIONS)
    with pytest.raises(CelError, match=f"^the expression gives {kind}, where a boolean"):
        env.compile(expression).evaluate({"x": 1})


@pytest.mark.parametrize(("expression", "value"), [("x", 1), ("x == 1", True), ("'a' + 'b'", "ab")])
def test_scalars_are_given_as_they_are(expression: str, value: object) -> None:
    assert CelEnvironment(["x"], FUNCTIONS).compile(expression).evaluate({"x": 1}) == value


NULL_RESULTS = """
import sys
from capsa.cel import CelEnvironment, CelError
program = CelEnvironment(["x"]).compile("[null, {'a': null}, x]")
for i in range(3 * sys.getrefcount(None)):
    try:
        program.evaluate({"x": None})
    except CelError:
        pass
print("alive")
"""


def test_results_holding_nulls_never_free_none() -> None:
    """The binding hands each null to Python as a `None` it never counted: converted
    often enough, `None` itself would be freed and the interpreter abort."""
    assert _run_apart(NULL_RESULTS) == "alive"
