"""The CEL environment each check scope sees (one per scope, built once)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capsa.cel import CelEnvironment

#: Variables each scope's expressions may read.
SCOPE_VARIABLES = {"object": ("object",), "topology": ("object", "context")}


@cache
def environment(scope: str, with_variables: bool = False) -> CelEnvironment:
    """The CEL environment for a scope: object checks see only `object` (so they export
    as admission policies); topology checks also see `context`. `with_variables` adds
    the `variables` map, for compiling one part of a check on its own."""
    from capsa.cel import CelEnvironment
    from capsa.cel_k8s import functions

    names = SCOPE_VARIABLES[scope] + (("variables",) if with_variables else ())
    return CelEnvironment(names, functions())
