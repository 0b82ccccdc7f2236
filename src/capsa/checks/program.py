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
__all__ = ["SCOPE_VARIABLES", "compiled", "environment", "part_problems", "program_text"]


def program_text(check: Check) -> str:
    """The check's variables and expression as one CEL program."""
    return compose([(v.name, v.expression) for v in check.variables], check.expression)


_COMPILED: dict[tuple[str, str], CompiledExpression] = {}


def compiled(check: Check) -> CompiledExpression:
    """The compiled program of a check (compiled on first use, then reused)."""
    text = program_text(check)
    key = (check.scope, text)
    program = _COMPILED.get(key)
    if program is None:
        program = environment(check.scope).compile(text)
        _COMPILED[key] = program
    return program


def part_problems(check: Check) -> list[tuple[tuple[str | int, ...], str]]:
    """(where, message) for every part of `check` that does not compile; where is a path
    into the check entry (`("variables", 2, "expression")`, `("expression",)`). The
    composed program is compiled first (it is needed anyway); only when it fails are the
    parts compiled one by one to say which is wrong."""
    from capsa.cel import CelError
    from capsa.checks.library import shared_names, shipped_library

    try:
        compiled(check)
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
    found: list[tuple[tuple[str | int, ...], str]] = []
    for where, label, text in parts:
        try:
            env.compile(text)
        except CelError as error:
            found.append((where, f"{check.id}: {label}: {error}"))
    return found or [(("expression",), f"{check.id}: expression: {composed_error}")]
