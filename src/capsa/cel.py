"""A small adapter over the CEL engine (cel-expr-python, a binding of cel-cpp).

Rules and checks only see `compile` and `evaluate`; the engine behind them can be swapped
without touching rule files. Expressions are compiled once and evaluated many times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class CelError(Exception):
    """An expression that does not compile, or that fails while evaluating."""


@dataclass(frozen=True)
class CelFunction:
    """A custom function made available to expressions (e.g. the Kubernetes CEL libraries)."""

    name: str
    parameters: Sequence[str]  # CEL type names: "dyn", "string", "list", "map", "int", "bool"
    returns: str
    member: bool
    impl: Callable[..., Any]


def _cel_type(cel: Any, name: str) -> Any:
    return {
        "dyn": cel.Type.DYN,
        "string": cel.Type.STRING,
        "list": cel.Type.LIST,
        "map": cel.Type.MAP,
        "int": cel.Type.INT,
        "bool": cel.Type.BOOL,
        "double": cel.Type.DOUBLE,
    }[name]


class CelEnvironment:
    """Declares the variables (all dynamic) and extra functions expressions may use."""

    def __init__(self, variables: Sequence[str], functions: Sequence[CelFunction] = ()) -> None:
        from cel_expr_python import cel
        from cel_expr_python.ext import ext_bindings, ext_optional, ext_strings

        self._cel = cel
        decls = []
        for fn in functions:
            overload = cel.Overload(
                f"{fn.name}_{'member' if fn.member else 'global'}_{len(fn.parameters)}",
                return_type=_cel_type(cel, fn.returns),
                parameters=[_cel_type(cel, p) for p in fn.parameters],
                is_member=fn.member,
                impl=fn.impl,
            )
            decls.append(cel.FunctionDecl(fn.name, [overload]))
        self._env = cel.NewEnv(
            variables={name: cel.Type.DYN for name in variables},
            # cel.bind: checks' named variables are composed into one program with it.
            extensions=[
                ext_optional.ExtOptional(),
                ext_strings.ExtStrings(),
                ext_bindings.ExtBindings(),
            ],
            functions=decls,
        )

    def activation(self, bindings: Mapping[str, Any]) -> Any:
        """The bindings converted once, to evaluate many expressions of this environment
        against (converting per expression costs more than evaluating)."""
        try:
            return self._env.Activation(data=dict(bindings))
        except Exception as exc:  # the binding raises plain RuntimeError/ValueError
            raise CelError(str(exc).strip()) from None

    def compile(self, expression: str) -> CompiledExpression:
        try:
            program = self._env.compile(expression)
        except Exception as exc:  # the binding raises plain RuntimeError/ValueError
            raise CelError(str(exc).strip()) from None
        return CompiledExpression(expression, program, self._cel)


class CompiledExpression:
    """A compiled expression; `evaluate` returns a plain Python value or raises CelError.

    Bindings must be plain dicts/lists/scalars (see `capsa.yamlio.plain`); convert a
    document once and evaluate every expression against it.
    """

    def __init__(self, source: str, program: Any, cel: Any) -> None:
        self.source = source
        self._program = program
        self._cel = cel

    def evaluate(self, bindings: Mapping[str, Any], activation: Any = None) -> Any:
        """Evaluate against the bindings, or against an `activation` of the environment
        that compiled this expression (the same bindings, converted once)."""
        try:
            if activation is not None:
                value = self._program.eval(activation=activation)
            else:
                value = self._program.eval(data=dict(bindings))
        except Exception as exc:
            raise CelError(str(exc).strip()) from None
        if value.type() == self._cel.Type.ERROR:
            raise CelError(str(value.value()))
        return value.plain_value()
