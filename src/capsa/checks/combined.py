"""Several checks of one scope evaluated on a resource in one CEL program.

Evaluated one by one, each check costs a call into the engine, and checks that share
their first variables (the kubeadm checks all bind `kubeadmSpec`, the API server ones
`apiServerFlags` too, which parses every flag) work those out again each time. The
combined program binds each shared variable once and gives every check's value in one
list (corpus x5: CEL time 0.34 -> 0.14 s). The values are the ones each check's own
program gives: the same variables and outcome expression, each wrapped as `compiled`
wraps it (`scalar_only`). When the combined program fails, which happens when any one
of its checks fails, the engine evaluates each check alone, so an error is reported as
that check's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capsa.checks.environment import environment
from capsa.checks.program import outcome_expression
from capsa.checks.variables import BOUND, bind_references

if TYPE_CHECKING:
    from capsa.cel import CompiledList
    from capsa.checks.model import Check

Variable = tuple[str, str]


@dataclass
class _Node:
    """Checks whose variables begin with the same ones: each item is a check (its
    position) or a further variable with the checks under it, in the order met."""

    items: list[int | tuple[Variable, _Node]]


@dataclass(frozen=True)
class Combined:
    """The programs of a set of checks, each with the position in the set of every
    value it gives. One program when the engine's parser takes it whole; otherwise one
    per variable the checks begin with (the parser refuses nesting deeper than 32), and
    a part it refuses even so is left out: its checks are evaluated alone."""

    parts: tuple[tuple[CompiledList, tuple[int, ...]], ...]

    def values(self, activation: Any) -> dict[int, Any]:
        """Each value a part gives, by its check's position in the set (CelError when a
        part fails)."""
        from capsa.cel import CelError

        values: dict[int, Any] = {}
        for program, order in self.parts:
            given = _flat(program.evaluate(activation))
            if len(given) != len(order):
                raise CelError(f"{len(given)} values for {len(order)} checks")
            values.update(zip(order, given, strict=True))
        return values


def _flat(values: list[Any]) -> list[Any]:
    """The values of nested lists, in order: each variable's checks give a list of their
    own (a check's value is never a list: `scalar_only` says what it is instead)."""
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(_flat(value))
        else:
            flat.append(value)
    return flat


def _tree(checks: Sequence[Check]) -> _Node:
    root = _Node([])
    for position, check in enumerate(checks):
        node = root
        for variable in ((v.name, v.expression) for v in check.variables):
            below = next(
                (item[1] for item in node.items if isinstance(item, tuple) and item[0] == variable),
                None,
            )
            if below is None:
                below = _Node([])
                node.items.append((variable, below))
            node = below
        node.items.append(position)
    return root


def _text(
    items: Sequence[int | tuple[Variable, _Node]], checks: Sequence[Check], order: list[int]
) -> str:
    """The list `items` give: a check's value, or a variable bound around the list of the
    checks under it; `order` gets each value's check, in the order they come."""
    from capsa.cel import scalar_only

    texts: list[str] = []
    for item in items:
        if isinstance(item, int):
            order.append(item)
            texts.append(scalar_only(bind_references(outcome_expression(checks[item]))))
            continue
        (name, expression), below = item
        inner = _text(below.items, checks, order)
        texts.append(f"cel.bind({BOUND}{name}, {bind_references(expression)}, {inner})")
    return f"[{', '.join(texts)}]"


def combined_text(checks: Sequence[Check]) -> tuple[str, tuple[int, ...]]:
    """The combined program's text and the check of each value it gives."""
    order: list[int] = []
    return _text(_tree(checks).items, checks, order), tuple(order)


def _parts(scope: str, checks: Sequence[Check]) -> tuple[tuple[CompiledList, tuple[int, ...]], ...]:
    from capsa.cel import CelError

    compile_list = environment(scope).compile_list
    whole = _tree(checks).items
    tried = [whole] if len(whole) < 2 else [whole, *([item] for item in whole)]
    parts: list[tuple[CompiledList, tuple[int, ...]]] = []
    for items in tried:
        order: list[int] = []
        text = _text(items, checks, order)
        try:
            parts.append((compile_list(text), tuple(order)))
        except CelError:
            continue
        if items is whole:
            break
    return tuple(parts)


Key = tuple[str, tuple[int, ...]]

_BY_TEXT: dict[tuple[str, str], Combined | None] = {}
"""Programs by scope and text: checks loaded again (each scan loads its own) meet the
program compiled for the same checks before."""
_BY_IDS: dict[Key, tuple[tuple[Check, ...], Combined | None]] = {}
"""The program of each set of checks by their identities (the entry holds the checks,
so the identities stay theirs): the text is made once per set, not once per object."""
_ASKED: dict[Key, int] = {}
_KEPT_TEXT = [0]  # characters of the programs compiled

COMPILE_AFTER = 64
"""Times a set of checks is asked for before its program is compiled. Compiling costs
about 0.6 ms a check (the control plane's 24: 14 ms), each use saves some microseconds
a check, so a set pays back after a few hundred uses; a set met a few times (an object
whose unresolved values hold back an unusual few) never would (corpus x1: 0.92 -> 0.85
s CPU with 64 rather than 4; x5 and x20, where most sets are met hundreds of times, no
slower)."""

TEXT_BUDGET = 400_000
"""Characters of combined programs a process keeps compiled. A compiled program holds
about 75 bytes per character of its text (the control plane's, 15,600 characters: 1.1
MB), so this bounds them near 30 MB; the corpus x20 needs 27 programs, 110,000
characters. Past it, further sets are evaluated check by check."""

SETS_KEPT = 4096
"""Sets of checks whose asks are counted, and sets known by identity, before either
table starts again (the programs stay, by text)."""


def combined(scope: str, checks: Sequence[Check]) -> Combined | None:
    """The combined program of `checks` (all of `scope`), compiled once per process when
    the set has been asked for `COMPILE_AFTER` times and the programs kept stay within
    `TEXT_BUDGET`; None otherwise, or when it does not compile (each check is then
    evaluated alone)."""
    key = (scope, tuple(id(check) for check in checks))
    entry = _BY_IDS.get(key)
    if entry is not None and all(a is b for a, b in zip(entry[0], checks, strict=True)):
        return entry[1]
    if len(_ASKED) >= SETS_KEPT:
        _ASKED.clear()
    asked = _ASKED[key] = _ASKED.get(key, 0) + 1
    if asked < COMPILE_AFTER:
        return None
    del _ASKED[key]
    text = combined_text(checks)[0]
    if (scope, text) in _BY_TEXT:
        made = _BY_TEXT[(scope, text)]
    elif _KEPT_TEXT[0] + len(text) > TEXT_BUDGET:
        made = None  # remembered by identity below, so the text is not made again
    else:
        parts = _parts(scope, checks)
        made = Combined(parts) if parts else None
        _BY_TEXT[(scope, text)] = made
        _KEPT_TEXT[0] += len(text) if parts else 0
    if len(_BY_IDS) >= SETS_KEPT:
        _BY_IDS.clear()
    _BY_IDS[key] = (tuple(checks), made)
    return made


def forget_all() -> None:
    """Drop every kept program and count (for tests, and a process that changes checks)."""
    _BY_TEXT.clear()
    _BY_IDS.clear()
    _ASKED.clear()
    _KEPT_TEXT[0] = 0
