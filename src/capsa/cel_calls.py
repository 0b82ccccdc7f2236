"""Calls from an expression into Python that give back what the CEL binding keeps.

cel-expr-python 0.1.3 (the version capsa pins) never releases two references when an
expression calls a Python function: the tuple of converted arguments and the result
(`PyCelFunctionAdapter::Invoke` in cel_expr_python/py_cel_function.cc calls
`PyObject_CallObject(py_function_, py_args)` with no `Py_DECREF(py_args)` and no
`Py_XDECREF(result)`; upstream added both in cel-expr/cel-python 45eefa7, not released).
Each call so keeps its arguments alive for good: about 200 bytes plus the argument texts,
which a scan makes a few thousand times per thousand files (every `matches` answered from
capsa's memo, every `findAll` over a container's arguments, every `parseYAML` of a payload).

`returned` wraps a function so that, when `active()`, a call hands both back, and only
where that is certain:

- the argument tuple, for calls whose arguments are all texts (every function capsa's
  own checks call; a list or map argument may hold a `None` the binding never counted,
  which freeing the tuple would release). With the collector held off, it is the
  nearest tracked object before the wrapper's own `*args` tuple that holds exactly the
  same objects, looked for in the young generation only (the walk stops at a
  generation's head and never takes `*args` itself). A collection between the two
  untracks a tuple of texts: it is then not found, and kept as before.
- the result, when it is a list, a map or a text of two characters or more: the wrapper
  returns a fresh copy that nothing else holds (kept by id, never a local a traceback
  could hold), and hands it back once the evaluation has converted it (`release`) and
  only while exactly the binding's reference remains.

Nothing is handed back unless a probe, run once, finds the collector's generation heads
where CPython 3.11-3.13 keeps them and sees the binding keep exactly one reference to
an argument tuple and to a result. State is per thread, and the walk holds a lock.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import sysconfig
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

#: How many tracked objects before the wrapper's tuple are looked at (the binding's
#: tuple is the one just before it when the arguments are texts).
LOOKBACK = 64

_WORD = ctypes.sizeof(ctypes.c_void_p)
_GC_HEAD = 2 * _WORD  # PyGC_Head: _gc_next, _gc_prev, just before the object
_FLAG_BITS = 3  # _gc_prev's low bits are flags, not address
_TYPE_AT = _WORD  # ob_refcnt, then ob_type
_SIZE_AT = 2 * _WORD  # a tuple's ob_size
_ITEMS_AT = 3 * _WORD  # a tuple's ob_item[0]
# struct gc_generation {PyGC_Head head; int threshold, count;}: three of them, then the
# `generation0` pointer (to the first's head), then the permanent generation
_GENERATION = _GC_HEAD + 8
_GENERATION0_AT = 3 * _GENERATION
_PERMANENT_AT = _GENERATION0_AT + _WORD
_decref = ctypes.pythonapi.Py_DecRef
_decref.argtypes = [ctypes.c_void_p]
_decref.restype = None

_walking = threading.Lock()
_state = threading.local()


def _kept() -> tuple[list[int], dict[int, Any]]:
    """This thread's argument tuples (addresses) and results (by id) the binding kept."""
    try:
        return _state.tuples, _state.results
    except AttributeError:
        _state.tuples, _state.results = [], {}
        return _state.tuples, _state.results


def _word_at(address: int) -> int:
    return ctypes.c_size_t.from_address(address).value


def _prev(address: int) -> int:
    """The collector's node before the one at `address` (a PyGC_Head)."""
    return _word_at(address + _WORD) & ~_FLAG_BITS


def _laid_out_as_read() -> bool:
    """Whether this interpreter places objects as the walk reads them."""
    return (
        sys.implementation.name == "cpython"
        and (3, 11) <= sys.version_info[:2] <= (3, 13)
        and not sysconfig.get_config_var("Py_GIL_DISABLED")
        and _WORD == 8
    )


def _generation_heads() -> frozenset[int] | None:
    """The heads of the collector's generation lists (not objects: a walk stops there),
    found from a fresh object in an emptied young generation and confirmed by the
    runtime's own `generation0` pointer to the first; None when not found so."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        fresh: list[Any] = []
        node = _prev(id(fresh) - _GC_HEAD)
        for _ in range(LOOKBACK):
            if _word_at(node + _GENERATION0_AT) == node:
                first = node
                break
            node = _prev(node)
        else:
            return None
        del fresh
        heads = [first + at * _GENERATION for at in range(3)]
        return frozenset([*heads, first + _PERMANENT_AT])
    finally:
        if enabled:
            gc.enable()


def _argument_tuple(own: tuple[Any, ...], heads: frozenset[int]) -> int | None:
    """The address of the tuple the binding called with: the nearest tracked object
    before `own` (the wrapper's `*args`) in its generation that is a tuple of exactly
    these objects. The collector is held off meanwhile (a collection moves objects
    between lists and untracks tuples of texts); when one ran since `own` was made,
    `own` may be untracked already, and nothing is looked for."""
    with _walking:
        enabled = gc.isenabled()
        gc.disable()
        try:
            if not gc.is_tracked(own):
                return None
            return _walk_back(own, heads)
        finally:
            if enabled:
                gc.enable()


def _walk_back(own: tuple[Any, ...], heads: frozenset[int]) -> int | None:
    wanted = [id(item) for item in own]
    start = id(own) - _GC_HEAD
    node = _prev(start)
    for _ in range(LOOKBACK):
        if node in heads or node == start:
            return None  # the generation's head: the binding's tuple is not in it
        address = node + _GC_HEAD
        if (
            _word_at(address + _TYPE_AT) == id(tuple)
            and _word_at(address + _SIZE_AT) == len(wanted)
            and all(
                _word_at(address + _ITEMS_AT + _WORD * i) == item for i, item in enumerate(wanted)
            )
        ):
            return address
        node = _prev(node)
    return None


def _copied(result: Any) -> bool:
    """Whether `result` is handed back through a copy: a list, a map, or a text of two
    characters or more (booleans, numbers, None and shorter texts are shared by CPython,
    and a kept reference to one costs nothing)."""
    kind = type(result)
    return kind is list or kind is dict or (kind is str and len(result) >= 2)


def _keyed_copy(result: Any) -> tuple[int, Any]:
    """(id, copy) of `result`: a copy nothing else holds, so the binding's kept reference
    is then the only one beside capsa's own."""
    kind = type(result)
    copy = list(result) if kind is list else dict(result) if kind is dict else "".join(["", result])
    return id(copy), copy


def _handing_back(impl: Callable[..., Any], heads: frozenset[int]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        # looked for first: `impl` may allocate enough to start a collection
        if all(type(arg) is str for arg in args):
            found = _argument_tuple(args, heads)
            if found is not None:
                _kept()[0].append(found)
        result = impl(*args)
        if not _copied(result):
            return result
        # the copy is never a local of this frame: were the call interrupted between
        # keeping it and returning it, no traceback would hold it, and the binding
        # (given no result) would hold none, which `release` then sees
        return _kept()[1].setdefault(*_keyed_copy(result))

    return call


def release() -> None:
    """Hand back what the binding kept during this thread's evaluation that just ended.
    Both are unused by then: the tuple once the call began, the result once converted.
    The tuple is handed back while the binding's reference is the only one, the result
    while the binding's is the only one beside this list's (one that never reached the
    binding, when the call was interrupted after the copy, has none)."""
    tuples, results = _kept()
    while tuples:
        address = tuples.pop()
        if _word_at(address) == 1 and _word_at(address + _TYPE_AT) == id(tuple):
            _decref(address)
    while results:
        _, result = results.popitem()
        # `result`, getrefcount's argument and the binding's
        if sys.getrefcount(result) == 3:
            _decref(id(result))
        del result


@cache
def _heads_if_active() -> frozenset[int] | None:
    """The generation heads when handing back is right here, else None: the layout is
    the one read, and a probe call sees the binding keep exactly one reference to its
    argument tuple and to its result."""
    if not _laid_out_as_read():
        return None
    heads = _generation_heads()
    if heads is None:
        return None
    from cel_expr_python import cel

    seen: dict[str, Any] = {}
    answer = ["probe", "answer"]

    def probe(*args: Any) -> list[str]:
        found = _argument_tuple(args, heads)
        if found is not None:
            seen["tuple"] = ctypes.cast(found, ctypes.py_object).value
        return answer

    overload = cel.Overload(
        "capsa_probe_global_1",
        return_type=cel.Type.LIST,
        parameters=[cel.Type.STRING],
        is_member=False,
        impl=probe,
    )
    env = cel.NewEnv(
        variables={"x": cel.Type.DYN},
        functions=[cel.FunctionDecl("capsaProbe", [overload])],
    )
    value = env.compile("capsaProbe(x)").eval(data={"x": "probe text"}).plain_value()
    del value, env
    kept = seen.pop("tuple", None)
    # held by `kept` (or `answer`'s cell), by getrefcount's argument, and by the binding
    if kept is None or sys.getrefcount(kept) != 3 or sys.getrefcount(answer) != 3:
        return None
    _decref(id(kept))
    _decref(id(answer))
    return heads


def active() -> bool:
    """Whether calls hand back what the binding keeps (see `_heads_if_active`)."""
    return _heads_if_active() is not None


def returned(impl: Callable[..., Any]) -> Callable[..., Any]:
    """`impl` as the binding should call it: handing back what it keeps, where it keeps it."""
    heads = _heads_if_active()
    return impl if heads is None else _handing_back(impl, heads)
