"""A small adapter over the CEL engine (cel-expr-python, a binding of cel-cpp).

Rules and checks only see `compile` and `evaluate`; the engine behind them can be swapped
without touching rule files. Expressions are compiled once and evaluated many times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from capsa.cel_calls import release, returned


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

        from capsa.cel_regex import MEMO, memo_matches

        self._cel = cel
        decls = []
        memo = CelFunction(MEMO, ["string", "string"], "bool", member=True, impl=memo_matches)
        for fn in [*functions, memo]:
            overload = cel.Overload(
                f"{fn.name}_{'member' if fn.member else 'global'}_{len(fn.parameters)}",
                return_type=_cel_type(cel, fn.returns),
                parameters=[_cel_type(cel, p) for p in fn.parameters],
                is_member=fn.member,
                impl=returned(fn.impl),
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
        """The compiled expression; its `matches` calls on a literal pattern answered from
        a memo (`capsa.cel_regex`). Should the rewritten text not compile, the original
        is compiled, so its own error is the one reported."""
        from capsa.cel_regex import rewritten

        faster = rewritten(expression)
        for text, renamed in ((faster, True), (expression, False)):
            if renamed and faster == expression:
                continue
            try:
                program = self._env.compile(scalar_only(text))
            except Exception:  # noqa: S112 - the text as written is compiled below
                continue
            return CompiledExpression(expression, program, self._cel, renamed=renamed)
        try:
            self._env.compile(expression)
        except Exception as exc:  # the binding raises plain RuntimeError/ValueError
            raise CelError(str(exc).strip()) from None
        raise CelError(f"cannot be evaluated as a value: {expression}")

    def compile_list(self, expression: str) -> CompiledList:
        """`expression`, which gives a list of values each made by `scalar_only`,
        compiled as it is (its `matches` calls on literal patterns answered from the
        memo, as `compile` does)."""
        from capsa.cel_regex import rewritten

        try:
            program = self._env.compile(rewritten(expression))
        except Exception as exc:  # the binding raises plain RuntimeError/ValueError
            raise CelError(str(exc).strip()) from None
        return CompiledList(program, self._cel)


class CompiledList:
    """A compiled program giving a list of scalar values (see `compile_list`): several
    expressions evaluated on one activation in one call, where each alone would cost a
    call and its own work on what they share."""

    def __init__(self, program: Any, cel: Any) -> None:
        self._program = program
        self._cel = cel

    def evaluate(self, activation: Any) -> list[Any]:
        """The values; CelError when the program fails (any one of its expressions)."""
        values = _plain_result(self._program, self._cel, str, activation=activation)
        if not isinstance(values, list):
            raise CelError(f"the program gives {type(values).__name__}, not a list")
        return values


def _plain_result(program: Any, cel: Any, said: Callable[[str], str], **given: Any) -> Any:
    """`program` run on `given` (an `activation=`, or the bindings as `data=`), its value
    as plain Python; CelError, in the words `said` gives, when it fails. What the binding
    kept during the run is handed back however it ends (`cel_calls.release`)."""
    try:
        try:
            value = program.eval(**given)
        except Exception as exc:  # the binding raises plain RuntimeError/ValueError
            raise CelError(said(str(exc).strip())) from None
        if value.type() == cel.Type.ERROR:
            raise CelError(said(str(value.value())))
        return value.plain_value()
    finally:
        release()


#: What a program gives in place of a value other than a boolean, number or text.
NOT_SCALAR = "\x00capsa: not a scalar: "
_RESULT = "capsa__result"


def scalar_only(expression: str) -> str:
    """`expression` giving its value when that is a boolean, a number or a text, and a
    text saying what it is otherwise. Every caller wants one of those; and the binding
    (cel-expr-python 0.1.3) turns each null it hands to Python into a `None` it never
    counted, so results holding nulls would, evaluated often enough, free `None` itself
    and abort the interpreter."""
    kinds = (
        f"type({_RESULT}) == null_type ? 'null' : type({_RESULT}) == list ? 'a list' :"
        f" type({_RESULT}) == map ? 'a map' : type({_RESULT}) == bytes ? 'bytes' : 'a message'"
    )
    return (
        f"cel.bind({_RESULT}, dyn({expression}),"
        f" type({_RESULT}) in [bool, int, uint, double, string] ? {_RESULT} :"
        f" {NOT_SCALAR!r} + ({kinds}))"
    )


class CompiledExpression:
    """A compiled expression; `evaluate` returns a plain Python value or raises CelError.

    Bindings must be plain dicts/lists/scalars (see `capsa.yamlio.plain`); convert a
    document once and evaluate every expression against it.
    """

    def __init__(self, source: str, program: Any, cel: Any, renamed: bool = False) -> None:
        self.source = source
        self._program = program
        self._cel = cel
        self._renamed = renamed  # compiled from `capsa.cel_regex.rewritten(source)`

    def evaluate(self, bindings: Mapping[str, Any], activation: Any = None) -> Any:
        """Evaluate against the bindings, or against an `activation` of the environment
        that compiled this expression (the same bindings, converted once)."""
        given = {"activation": activation} if activation is not None else {"data": dict(bindings)}
        plain = _plain_result(self._program, self._cel, self._said, **given)
        if isinstance(plain, str) and plain.startswith(NOT_SCALAR):
            raise CelError(
                f"the expression gives {plain[len(NOT_SCALAR) :]}, where a boolean, a number"
                " or a text is expected"
            )
        return plain

    def _said(self, error: str) -> str:
        """The error as the source, not its rewritten form, would have said it, and in
        words when it is a type mismatch (`explained`)."""
        if self._renamed:
            from capsa.cel_regex import original_error

            error = original_error(error)
        return explained(error)


_NO_OVERLOAD = re.compile(r"No matching overloads? found\s*:\s*(\S+?)(?:\((.*)\))?\s*$")
_OPERATORS = {
    "_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=",
    "_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/", "_%_": "%", "@in": "in", "_[_]": "[]",
    "!_": "!", "-_": "unary -", "_&&_": "&&", "_||_": "||",
}  # fmt: skip
_TYPES = {"int64": "int", "uint64": "uint", "double": "double", "string": "string"}


def explained(error: str) -> str:
    """cel-cpp's runtime "No matching overloads found : _>_(string, int64)" in words: the
    operator and the types it met, and what usually causes it in a manifest (a number
    or a boolean written in quotes is text). Any other error is returned as it is."""
    found = _NO_OVERLOAD.search(error)
    if found is None:
        return error
    operator = _OPERATORS.get(found.group(1), found.group(1))
    types = [_TYPES.get(t.strip(), t.strip()) for t in _top_level(found.group(2) or "")]
    met = f" on {' and '.join(types)}" if types else ""
    quoted = "string" in types and bool({"int", "uint", "double", "bool"} & set(types))
    cause = ", such as a number or boolean written in quotes" if quoted or not types else ""
    return (
        f"'{operator}' cannot be applied{met} (no matching overload): a field holds another"
        f" type than the expression expects{cause}; convert it (int(), double(), string())"
        " or test its type before using it"
    )


def _top_level(types: str) -> list[str]:
    """The comma-separated types of an overload list, a type's own parameters
    (`map(string, dyn)`) kept whole."""
    out: list[str] = []
    depth, start = 0, 0
    for at, char in enumerate(types):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            out.append(types[start:at].strip())
            start = at + 1
    out.append(types[start:].strip())
    return [t for t in out if t]
