"""The second half of clusterctl substitution: after the text is parsed, find the markers
it left (`capsa.sources.clusterctl_vars`) in the built documents.

A multi-line value was kept out of the text as `__CAPSA_VALUE_<n>__` (splicing it in
would move every later line); it is put back into the parsed string here. A variable
without a value became `__CAPSA_UNRESOLVED_<VAR>__`; the paths holding one are listed, so
checks treat those fields as unknown, never as compliant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from capsa.sources.clusterctl_vars import (
    UNRESOLVED_PREFIX,
    UNRESOLVED_RE,
    VALUE_PREFIX,
    VALUE_RE,
)

MARKER_START = "__CAPSA_"
"""What every marker starts with (`VALUE_PREFIX`, `UNRESOLVED_PREFIX`): a document whose
text lacks it needs no walk (`documents.load_documents` tells, per document)."""


def fill_and_find_unknown(
    doc: Any, deferred: Mapping[str, str]
) -> frozenset[tuple[str | int, ...]]:
    """Put multi-line variable values back and list the paths of unresolved values."""
    unknown: set[tuple[str | int, ...]] = set()

    def fix(value: str, path: tuple[str | int, ...]) -> str:
        if deferred and VALUE_PREFIX in value:
            value = VALUE_RE.sub(lambda m: deferred.get(m.group(0), m.group(0)), value)
        if UNRESOLVED_PREFIX in value and UNRESOLVED_RE.search(value):
            unknown.add(path)
        return value

    # a string's path is made only when it holds a marker: most of a template's
    # strings hold none, and a tuple per string was most of the walk's time
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(key, str) and UNRESOLVED_PREFIX in key:
                    unknown.add((*path, key))
                if isinstance(value, str):
                    if MARKER_START in value:
                        node[key] = fix(value, (*path, key))
                elif isinstance(value, (dict, list)):
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    if MARKER_START in value:
                        node[index] = fix(value, (*path, index))
                elif isinstance(value, (dict, list)):
                    stack.append((value, (*path, index)))
    return frozenset(unknown)
