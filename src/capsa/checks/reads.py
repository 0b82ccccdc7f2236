"""Which fields of the `context` binding a check's program reads.

Converting a binding to CEL costs more than most checks' evaluation, and a topology
check's `context` holds whole objects (the control plane, the infrastructure cluster,
machine templates, RBAC facts) of which each check reads one or two. Knowing the fields
lets the engine hand CEL only those. A program that uses `context` in any other way
(indexing, iterating, passing it whole) is said to read all of it.
"""

from __future__ import annotations

import re

from capsa.cel_lex import identifiers, is_member

#: `.name` or `.?name`; a `(` after the name makes it a call (`context.all(...)`), not a field.
_FIELD = re.compile(r"\s*\.\s*\??\s*([A-Za-z_][A-Za-z0-9_]*)(\s*\()?")


def context_fields(program: str) -> frozenset[str] | None:
    """The names read as `context.<name>` (or `context.?<name>`) in `program`, or None
    when `context` is also used some other way (a macro or method called on it too)."""
    return fields_of(program, "context")


def fields_of(program: str, variable: str) -> frozenset[str] | None:
    """The names read as `<variable>.<name>` (or `.?<name>`) in `program`, or None when
    the variable is also used some other way (so it may read any of its fields)."""
    fields: set[str] = set()
    for ident in identifiers(program):
        if ident.group() != variable or is_member(program, ident.start()):
            continue
        field = _FIELD.match(program, ident.end())
        if field is None or field.group(2) is not None:
            return None
        fields.add(field.group(1))
    return frozenset(fields)
