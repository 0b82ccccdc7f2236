"""Calls from an expression into Python that give back what the CEL binding keeps.

cel-expr-python 0.1.3 (the version capsa pins) never releases two references when an
expression calls a Python function: the tuple of converted arguments and the result
(`PyCelFunctionAdapter::Invoke` in cel_expr_python/py_cel_function.cc calls
`PyObject_CallObject(py_function_, py_args)` with no `Py_DECREF(py_args)` and no
`Py_XDECREF(result)`; upstream added both in cel-expr/cel-python 45eefa7, not released).
Each call so keeps its arguments alive for good: about 200 bytes plus the argument texts,
which a scan makes a few thousand times per thousand files (every `matches` answered from
capsa's memo, every `findAll` over a container's arguments, every `parseYAML` of a payload).

`returned` wraps a function so that, when `active()`, each call hands both references back:
the argument tuple is the object tracked just before the wrapper's own `*args` tuple (the
binding builds it, then converts the arguments into it, then calls), found by walking the
collector's list of young objects a bounded number of steps and recognised by holding
exactly this call's argument objects; the result is held until the evaluation has
converted it (`release`, called once an evaluation ends). Nothing is released unless a
probe, run once, sees the binding keep exactly one reference to each on this interpreter
(CPython 3.11 to 3.13 with the GIL: the layout read here). A binding that has been mended,
or an interpreter laid out otherwise, leaves the wrapper a plain call.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import sysconfig
from collections.abc import Callable
from functools import cache
from typing import Any

#: How many tracked objects before the wrapper's tuple are looked at. The binding's tuple
#: is the one just before, unless an argument is a list or map: each container in it was
#: tracked in between.
LOOKBACK = 4096

_WORD = ctypes.sizeof(ctypes.c_void_p)
_GC_HEAD = 2 * _WORD  # PyGC_Head: _gc_next, _gc_prev, just before the object
_FLAG_BITS = 3  # _gc_prev's low bits are flags, not address
_TYPE_AT = _WORD  # ob_refcnt, then ob_type
_SIZE_AT = 2 * _WORD  # a tuple's ob_size
_ITEMS_AT = 3 * _WORD  # a tuple's ob_item[0]
_decref = ctypes.pythonapi.Py_DecRef
_decref.argtypes = [ctypes.c_void_p]
_decref.restype = None

#: Addresses of argument tuples the binding kept, and results it kept, this evaluation.
_kept_tuples: list[int] = []
_kept_results: list[Any] = []


def _word_at(address: int) -> int:
    return ctypes.c_size_t.from_address(address).value


def _laid_out_as_read() -> bool:
    """Whether this interpreter places objects as the walk reads them."""
    return (
        sys.implementation.name == "cpython"
        and (3, 11) <= sys.version_info[:2] <= (3, 13)
        and not sysconfig.get_config_var("Py_GIL_DISABLED")
        and _WORD == 8
    )


def _argument_tuple(own: tuple[Any, ...]) -> int | None:
    """The address of the tuple the binding called with: the nearest tracked object before
    `own` (the wrapper's `*args`) that is a tuple of exactly these objects. The collector
    is held off meanwhile: a collection moves objects between its lists and untracks
    tuples of plain values (clearing the links read here). Should one have run since
    `own` was made, `own` may be untracked already: then nothing is looked for."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        if not gc.is_tracked(own):
            return None
        return _walk_back(own)
    finally:
        if enabled:
            gc.enable()


def _walk_back(own: tuple[Any, ...]) -> int | None:
    wanted = [id(item) for item in own]
    node = _word_at(id(own) - _GC_HEAD + _WORD) & ~_FLAG_BITS
    for _ in range(LOOKBACK):
        address = node + _GC_HEAD
        if (
            _word_at(address + _TYPE_AT) == id(tuple)
            and _word_at(address + _SIZE_AT) == len(wanted)
            and all(
                _word_at(address + _ITEMS_AT + _WORD * i) == item for i, item in enumerate(wanted)
            )
        ):
            return address
        node = _word_at(node + _WORD) & ~_FLAG_BITS
    return None


def _handing_back(impl: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        # looked for first: `impl` may allocate enough to start a collection
        found = _argument_tuple(args)
        if found is not None:
            _kept_tuples.append(found)
        result = impl(*args)
        _kept_results.append(result)
        return result

    return call


def release() -> None:
    """Hand back what the binding kept during the evaluation that just ended. Both are
    unused by then: the tuple once the call began, the result once it was converted.
    Each is handed back only while the binding's reference is all that holds the tuple
    and one of those holding the result."""
    while _kept_tuples:
        address = _kept_tuples.pop()
        if _word_at(address) == 1 and _word_at(address + _TYPE_AT) == id(tuple):
            _decref(address)
    while _kept_results:
        # the list's, getrefcount's argument and the binding's at least
        if sys.getrefcount(_kept_results[-1]) >= 3:
            _decref(id(_kept_results[-1]))
        _kept_results.pop()


@cache
def active() -> bool:
    """Whether the binding keeps one reference to each argument tuple and result here (so
    handing them back is right), seen once on a probe call."""
    if not _laid_out_as_read():
        return False
    from cel_expr_python import cel

    seen: dict[str, Any] = {}
    answer = ["probe"]

    def probe(*args: Any) -> list[str]:
        found = _argument_tuple(args)
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
        return False
    _decref(id(kept))
    _decref(id(answer))
    return True


def returned(impl: Callable[..., Any]) -> Callable[..., Any]:
    """`impl` as the binding should call it: handing back what it keeps, where it keeps it."""
    return _handing_back(impl) if active() else impl
