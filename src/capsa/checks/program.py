"""A check's CEL, compiled once: the environment each scope sees, the program composed
from the check's variables and expression, and the compile problems of each part.

Each part (a variable, the expression) is also compiled on its own, with `variables`
declared as a map, so a mistake is reported against that part and its own text rather
than against the composed program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from capsa.checks.environment import SCOPE_VARIABLES, environment
from capsa.checks.variables import compose

if TYPE_CHECKING:
    from capsa.cel import CompiledExpression
    from capsa.checks.model import Check
__all__ = [
    "FAILS",
    "NOT_APPLICABLE",
    "PASSES",
    "PASSES_BY_DEFAULT",
    "SCOPE_VARIABLES",
    "UNDECIDED",
    "compiled",
    "environment",
    "guard_programs",
    "outcome_expression",
    "part_problems",
    "program_text",
]


#: What a composed program returns when a check has `appliesWhen`, `byDefault` or
#: `undecided` (a check without any returns the expression's own true or false).
FAILS, PASSES, PASSES_BY_DEFAULT, NOT_APPLICABLE, UNDECIDED = 0, 1, 2, 3, 4


def outcome_expression(check: Check) -> str:
    """The CEL deciding a check's outcome: the expression itself (true = pass) or, with
    `appliesWhen`/`byDefault`/`undecided`, an int (FAILS, PASSES, PASSES_BY_DEFAULT,
    NOT_APPLICABLE, UNDECIDED). Each part runs only when it decides: `undecided.when` and
    then the expression only where the check applies, `byDefault.when` only on a pass."""
    if check.applies_when is None and check.by_default is None and check.undecided is None:
        return check.expression
    passed = (
        f"(({check.by_default.when}) ? {PASSES_BY_DEFAULT} : {PASSES})"
        if check.by_default is not None
        else str(PASSES)
    )
    decided = f"(({check.expression}) ? {passed} : {FAILS})"
    if check.undecided is not None:
        decided = f"(({check.undecided.when}) ? {UNDECIDED} : {decided})"
    if check.applies_when is None:
        return decided
    return f"(({check.applies_when}) ? {decided} : {NOT_APPLICABLE})"


def program_text(check: Check) -> str:
    """The check's variables and outcome expression as one CEL program."""
    return compose([(v.name, v.expression) for v in check.variables], outcome_expression(check))


_COMPILED: dict[tuple[str, str], CompiledExpression] = {}


def compiled(check: Check) -> CompiledExpression:
    """The compiled program of a check (compiled on first use, then reused)."""
    return _compiled_once(check.scope, program_text(check))


def _compiled_once(scope: str, text: str) -> CompiledExpression:
    """`text` compiled in `scope`'s environment, once per run."""
    key = (scope, text)
    program = _COMPILED.get(key)
    if program is None:
        program = _COMPILED[key] = environment(scope).compile(text)
    return program


def guard_programs(
    check: Check,
) -> tuple[tuple[tuple[tuple[str, ...], ...], CompiledExpression], ...]:
    """Each `readsOnlyWhen` entry as (its fields' paths, its `when` composed with the
    check's variables and compiled), in the order the check lists them."""
    pairs = [(v.name, v.expression) for v in check.variables]
    return tuple(
        (guard.paths, _compiled_once(check.scope, compose(pairs, guard.when)))
        for guard in check.reads_only_when
    )


def part_problems(check: Check) -> list[tuple[tuple[str | int, ...], str]]:
    """(where, message) for every part of `check` that does not compile; where is a path
    into the check entry (`("variables", 2, "expression")`, `("expression",)`). The
    composed program is compiled first (it is needed anyway); only when it fails are the
    parts compiled one by one to say which is wrong."""
    from capsa.cel import CelError
    from capsa.checks.library import shared_names, shipped_library

    try:
        compiled(check)
        guard_programs(check)
    except CelError as error:
        composed_error = str(error)
    else:
        return []
    env = environment(check.scope, with_variables=True)
    pairs = [(v.name, v.expression) for v in check.variables]
    shared = shared_names(shipped_library(), pairs)
    # Library variables come first in a loaded check; the entry's own follow them.
    own = [(name, text) for name, text in pairs if name not in shared]
    parts: list[tuple[tuple[str | int, ...], str, str]] = [
        (("variables", i, "expression"), f"variables.{name}", text)
        for i, (name, text) in enumerate(own)
    ]
    for name in shared:
        parts.append((("use",), f"variables.{name} (from the check library)", dict(pairs)[name]))
    parts.append((("expression",), "expression", check.expression))
    if check.applies_when is not None:
        parts.append((("appliesWhen",), "appliesWhen", check.applies_when))
    if check.by_default is not None:
        parts.append((("byDefault", "when"), "byDefault.when", check.by_default.when))
    if check.undecided is not None:
        parts.append((("undecided", "when"), "undecided.when", check.undecided.when))
    for at, guard in enumerate(check.reads_only_when):
        parts.append((("readsOnlyWhen", at, "when"), f"readsOnlyWhen[{at}].when", guard.when))
    found: list[tuple[tuple[str | int, ...], str]] = []
    for where, label, text in parts:
        try:
            env.compile(text)
        except CelError as error:
            found.append((where, f"{check.id}: {label}: {error}"))
    return found or [(("expression",), f"{check.id}: expression: {composed_error}")]
