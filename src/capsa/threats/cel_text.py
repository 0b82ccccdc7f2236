"""Reading rule expressions as text: top-level parts, and a fast pre-check for the simple
first part most rules start with.

A rule's first `&&` part is usually one comparison of one fact (`flow.authentication ==
"none"`, `element.attributes.policy_decision_point`). Checking it in Python before CEL
runs skips most evaluations; the result is the same, since `false && …` is false in CEL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_PATH = r"[a-z]+(?:\.[a-z_]+)+"
_BOOL = re.compile(rf"^(!?)({_PATH})$")
_COMPARE = re.compile(rf'^({_PATH}) (==|!=|>=|<=|>|<) ("[^"\\]*"|true|false|-?\d+)$')
_MEMBER = re.compile(rf'^({_PATH}) in \[((?:"[^"\\]*"(?:, )?)+)\]$')

Guard = Callable[[Mapping[str, Any]], bool]


def outside_strings(text: str) -> str:
    """The text with string literals blanked, so operators inside them are not seen."""
    return _STRING.sub(lambda m: " " * len(m.group(0)), text)


def strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        blank = outside_strings(text)
        depth = 0
        for i, ch in enumerate(blank):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def split_top(text: str, operator: str) -> list[str]:
    """Parts of an expression joined by `operator` at the outermost level."""
    text = strip_parens(text)
    blank = outside_strings(text)
    parts, depth, start, i = [], 0, 0, 0
    while i < len(blank):
        ch = blank[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and blank.startswith(operator, i):
            parts.append(text[start:i].strip())
            start = i + len(operator)
            i += len(operator)
            continue
        i += 1
    parts.append(text[start:].strip())
    return [strip_parens(p) for p in parts if p.strip()]


def _lookup(bindings: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    current: Any = bindings
    for step in path.split("."):
        if not isinstance(current, Mapping) or step not in current:
            return False, None
        current = current[step]
    return True, current


def _literal(text: str) -> Any:
    if text.startswith('"'):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return int(text)


def _same_kind(value: Any, literal: Any) -> bool:
    if isinstance(literal, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(literal, bool)
    return type(value) is type(literal)


def guard(expression: str) -> Guard | None:
    """A Python check equivalent to the expression's first `&&` part when that part is one
    simple comparison of one fact; it answers False only when CEL would."""
    parts = split_top(expression, "&&")
    if len(parts) < 2 and "||" in outside_strings(expression):
        return None
    first = parts[0] if parts else ""
    if "||" in outside_strings(first):
        return None
    if m := _BOOL.match(first):
        negate, path = m.group(1) == "!", m.group(2)

        def check_bool(bindings: Mapping[str, Any]) -> bool:
            found, value = _lookup(bindings, path)
            if not found or not isinstance(value, bool):
                return True  # let CEL decide (and report) anything unusual
            return value != negate

        return check_bool
    if m := _COMPARE.match(first):
        path, op, literal = m.group(1), m.group(2), _literal(m.group(3))

        def check_compare(bindings: Mapping[str, Any]) -> bool:
            found, value = _lookup(bindings, path)
            if not found or not _same_kind(value, literal):
                return True
            result: bool = {
                "==": value == literal,
                "!=": value != literal,
                ">=": value >= literal if op == ">=" else False,
                "<=": value <= literal if op == "<=" else False,
                ">": value > literal if op == ">" else False,
                "<": value < literal if op == "<" else False,
            }[op]
            return result

        return check_compare
    if m := _MEMBER.match(first):
        path = m.group(1)
        options = frozenset(re.findall(r'"([^"\\]*)"', m.group(2)))

        def check_member(bindings: Mapping[str, Any]) -> bool:
            found, value = _lookup(bindings, path)
            if not found or not isinstance(value, str):
                return True
            return value in options

        return check_member
    return None
