"""Kubernetes CEL library functions for capsa's CEL adapter, plus one capsa-only helper.

Kubernetes adds functions to CEL (regex `find`/`findAll`, list `isSorted`/`sum`/`min`/
`max`, ...). Checks written with them behave the same here and inside an admission
policy. `parseYAML` is capsa's own: it lets a check look inside a file a KubeadmConfig
writes (e.g. an admission configuration). A check that uses it cannot be exported as a
ValidatingAdmissionPolicy; `KUBERNETES_FUNCTIONS` says which names Kubernetes knows.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import yaml

from capsa.cel import CelFunction
from capsa.yamlio import LineLoader

#: Largest YAML text `parseYAML` will parse, and most nodes it will return.
MAX_YAML_CHARS = 1024 * 1024
MAX_YAML_NODES = 100_000


class _Budget(Exception):
    pass


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _find(text: str, pattern: str) -> str:
    found = _regex(pattern).search(text)
    return found.group(0) if found else ""


def _find_all(text: str, pattern: str) -> list[str]:
    return [m.group(0) for m in _regex(pattern).finditer(text)]


def _sortable(items: Sequence[Any]) -> list[Any]:
    return list(items)


def _is_sorted(items: Sequence[Any]) -> bool:
    values = _sortable(items)
    return all(a <= b for a, b in itertools.pairwise(values))


def _sum(items: Sequence[Any]) -> Any:
    values = _sortable(items)
    return sum(values[1:], values[0]) if values else 0


def _min(items: Sequence[Any]) -> Any:
    values = _sortable(items)
    if not values:
        raise ValueError("min called on an empty list")
    return min(values)


def _max(items: Sequence[Any]) -> Any:
    values = _sortable(items)
    if not values:
        raise ValueError("max called on an empty list")
    return max(values)


def _copy_plain(value: Any, budget: list[int]) -> Any:
    """Copy parsed YAML into fresh dicts/lists, counting nodes so shared (aliased)
    subtrees cannot expand into an exponential structure."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _Budget
    if isinstance(value, dict):
        return {str(k): _copy_plain(v, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_plain(v, budget) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # dates and other scalars the safe loader builds


def parse_yaml(text: str) -> Any:
    """The first YAML document of `text` as plain data, or None when it is not YAML (or is
    too large). Uses the safe C loader: no tags, no object construction."""
    if len(text) > MAX_YAML_CHARS:
        return None
    try:
        # capsa's safe loader: a value its type cannot hold is a YAMLError, not a crash
        data = yaml.load(text, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return None
    except RecursionError:
        return None
    try:
        return _copy_plain(data, [MAX_YAML_NODES])
    except (_Budget, RecursionError):
        return None


def _fn(
    name: str, params: Sequence[str], returns: str, member: bool, impl: Callable[..., Any]
) -> CelFunction:
    return CelFunction(name=name, parameters=params, returns=returns, member=member, impl=impl)


#: Function names that also exist in Kubernetes' CEL environment.
KUBERNETES_FUNCTIONS = frozenset({"find", "findAll", "isSorted", "sum", "min", "max"})
#: capsa-only functions; expressions using them are not exportable to admission policies.
CAPSA_FUNCTIONS = frozenset({"parseYAML"})


def functions() -> list[CelFunction]:
    """Every function capsa's check environment declares."""
    return [
        _fn("find", ["string", "string"], "string", True, _find),
        _fn("findAll", ["string", "string"], "list", True, _find_all),
        _fn("isSorted", ["list"], "bool", True, _is_sorted),
        _fn("sum", ["list"], "dyn", True, _sum),
        _fn("min", ["list"], "dyn", True, _min),
        _fn("max", ["list"], "dyn", True, _max),
        _fn("parseYAML", ["string"], "dyn", False, parse_yaml),
    ]


def uses_capsa_functions(expression: str) -> list[str]:
    """capsa-only function names called in `expression` (a conservative textual scan)."""
    return sorted(n for n in CAPSA_FUNCTIONS if re.search(rf"\b{n}\s*\(", expression))
