"""Named CEL variables in the ValidatingAdmissionPolicy form, made runnable here.

A check declares `variables: [{name, expression}]` and reads them as `variables.<name>`,
exactly as an admission policy does, so `capsa policy export` hands them to Kubernetes
unchanged. cel-expr-python has no such feature, so a check's program is composed once:
each `variables.<name>` becomes a plain identifier bound with `cel.bind`, which cel-cpp
evaluates lazily and at most once per evaluation, the semantics Kubernetes gives policy
variables.

References are found with a small CEL lexer that skips string literals, so a pattern
like `'variables.x'` inside a regex is never mistaken for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from capsa.cel_lex import IDENT, STRING_PREFIX, identifiers, is_member, skip_string

#: A variable name: a CEL identifier, as the admission API requires.
NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: Prefix of the identifier a variable is bound to in the composed program.
BOUND = "_var_"

_SELECTION = re.compile(r"\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Reference:
    """One `variables.<name>` in an expression: where it starts and ends, and the name
    (None when `variables` is read some other way, which the admission API rejects)."""

    start: int
    end: int
    name: str | None


@lru_cache(maxsize=4096)
def references(expression: str) -> tuple[Reference, ...]:
    """Every top-level read of `variables` in `expression`, outside string literals
    (cached: loading asks for the same expressions several times)."""
    found: list[Reference] = []
    for ident in identifiers(expression):
        if ident.group() != "variables" or is_member(expression, ident.start()):
            continue
        selection = _SELECTION.match(expression, ident.end())
        if selection is not None:
            found.append(Reference(ident.start(), selection.end(), selection.group(1)))
        else:
            found.append(Reference(ident.start(), ident.end(), None))
    return tuple(found)


def split_outside_strings(expression: str) -> list[str]:
    """`expression` split at blanks that are not inside a string literal."""
    words: list[str] = []
    start = i = 0
    while i < len(expression):
        char = expression[i]
        ident = IDENT.match(expression, i)
        if ident is not None:
            end = ident.end()
            raw = "r" in ident.group().lower()
            quoted = end < len(expression) and expression[end] in "'\""
            if quoted and STRING_PREFIX.match(ident.group()):
                i = skip_string(expression, end, raw=raw)
            else:
                i = end
            continue
        if char in "'\"":
            i = skip_string(expression, i, raw=False)
            continue
        if char.isspace():
            if i > start:
                words.append(expression[start:i])
            start = i + 1
        i += 1
    if start < len(expression):
        words.append(expression[start:])
    return words


def referenced_names(expression: str) -> list[str]:
    """Names read as `variables.<name>`, in order of first appearance."""
    names: list[str] = []
    for ref in references(expression):
        if ref.name is not None and ref.name not in names:
            names.append(ref.name)
    return names


def bind_references(expression: str) -> str:
    """`expression` with each `variables.<name>` replaced by its bound identifier."""
    out: list[str] = []
    last = 0
    for ref in references(expression):
        if ref.name is None:
            continue
        out.append(expression[last : ref.start])
        out.append(BOUND + ref.name)
        last = ref.end
    out.append(expression[last:])
    return "".join(out)


def declaration_problems(variables: Sequence[tuple[str, str]]) -> list[str]:
    """What is wrong with a list of (name, expression) variables, in the admission API's
    terms: names are unique and a variable reads only variables listed before it."""
    issues: list[str] = []
    declared: list[str] = []
    for name, text in variables:
        if name in declared:
            issues.append(f"variable {name} is declared twice")
        issues.extend(undeclared_reads(text, f"variable {name}", declared))
        declared.append(name)
    return issues


def reading_problems(variables: Sequence[tuple[str, str]], expression: str) -> list[str]:
    """What is wrong with how `expression` reads `variables`: every name it reads is
    declared, and every variable is read (by the expression or a variable it reads)."""
    issues = undeclared_reads(expression, "expression", [name for name, _ in variables])
    reached = _reached(referenced_names(expression), dict(variables))
    issues.extend(
        f"variable {name} is declared but never read"
        for name, _ in variables
        if name not in reached
    )
    return issues


def undeclared_reads(text: str, who: str, declared: Sequence[str]) -> list[str]:
    """Reads of `variables` in `text` that are not `variables.<a declared name>`."""
    issues = []
    for ref in references(text):
        if ref.name is None:
            issues.append(f"{who} reads `variables` other than as variables.<name>")
        elif ref.name not in declared:
            issues.append(f"{who} reads variables.{ref.name}, which is not declared before it")
    return issues


def _reached(start: Iterable[str], expressions: dict[str, str]) -> set[str]:
    """Names reachable from `start` through the variables' own references."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in expressions:
            continue
        seen.add(name)
        todo.extend(referenced_names(expressions[name]))
    return seen


def compose(variables: Sequence[tuple[str, str]], expression: str) -> str:
    """One CEL program equal to evaluating `expression` with `variables` in scope: each
    variable wraps the rest in `cel.bind`, outermost first, so later variables (and the
    expression) see earlier ones. Without variables the expression is returned as is."""
    program = bind_references(expression)
    for name, text in reversed(variables):
        program = f"cel.bind({BOUND}{name}, {bind_references(text)}, {program})"
    return program
