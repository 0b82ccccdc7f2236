"""`matches` with a literal pattern, answered from a memo.

cel-expr-python exposes no option to precompile regular expressions, so cel-cpp builds
an RE2 program for every `matches` call: 15-200 µs each, most of the CEL time of a scan
(a check matching each container's image, each kubelet flag). The strings tested repeat
(the same flags and images across templates), so a call whose pattern is a string
literal is rewritten to `capsaMatchesMemo`, which answers each (text, pattern) pair once
by asking cel-cpp's own `matches`: the same engine decides, so results are the same.
Only patterns that cel-cpp accepts are rewritten, so a bad pattern fails as before.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from capsa.cel_lex import identifiers, string_end

#: The name a rewritten call goes by; error texts name `matches` again (`original_error`).
MEMO = "capsaMatchesMemo"
#: Texts longer than this are matched each time, not kept (bootstrap scripts are long,
#: rarely repeat, and would hold memory).
MAX_MEMO_TEXT = 512


@lru_cache(maxsize=1)
def _probe() -> Any:
    """cel-cpp's own `text.matches(pattern)`, compiled once in an environment of its own."""
    from cel_expr_python import cel

    env = cel.NewEnv(variables={"text": cel.Type.STRING, "pattern": cel.Type.STRING})
    return env.compile("text.matches(pattern)")


def _match(text: str, pattern: str) -> bool:
    """cel-cpp's answer; an error (a pattern it refuses) raises ValueError."""
    value = _probe().eval(data={"text": text, "pattern": pattern}).plain_value()
    if not isinstance(value, bool):
        raise ValueError(f"invalid regular expression: {pattern}")
    return value


_remembered = lru_cache(maxsize=8192)(_match)


def memo_matches(text: str, pattern: str) -> bool:
    """`text.matches(pattern)` as cel-cpp answers it, remembered for short texts."""
    if len(text) > MAX_MEMO_TEXT:
        return _match(text, pattern)
    return _remembered(text, pattern)


def rewritten(expression: str) -> str:
    """`expression` with each `x.matches(<literal cel-cpp accepts>)` calling the memo;
    the same text when there is none."""
    if "matches" not in expression:
        return expression
    out: list[str] = []
    last = 0
    for ident in identifiers(expression):
        if ident.group() != "matches" or not _member(expression, ident.start()):
            continue
        pattern = _literal_argument(expression, ident.end())
        if pattern is None or not _accepted(pattern):
            continue
        out.append(expression[last : ident.start()])
        out.append(MEMO)
        last = ident.end()
    if not out:
        return expression
    out.append(expression[last:])
    return "".join(out)


def original_error(text: str) -> str:
    """An error text as the unrewritten program would have given it."""
    return text.replace(MEMO, "matches")


def _member(text: str, index: int) -> bool:
    """Whether the identifier at `index` is called on something (`x.matches`), not
    selected optionally (`x.?matches`) or called on its own (`matches(x, p)`)."""
    i = index - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i >= 0 and text[i] == "." and not (i > 0 and text[i - 1] == "?")


def _literal_argument(text: str, end: int) -> str | None:
    """The text of the one string literal that is the whole argument list after a call
    name ending at `end`: `( 'pattern' )`. None otherwise."""
    i = _skip_blanks(text, end)
    if i >= len(text) or text[i] != "(":
        return None
    start = _skip_blanks(text, i + 1)
    stop = string_end(text, start)
    if stop is None:
        return None
    close = _skip_blanks(text, stop)
    if close >= len(text) or text[close] != ")":
        return None
    return text[start:stop]


def _skip_blanks(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


@lru_cache(maxsize=1024)
def _accepted(literal: str) -> bool:
    """Whether `literal` is a string (not bytes) that cel-cpp accepts as a pattern."""
    from cel_expr_python import cel

    try:
        pattern = cel.NewEnv().compile(literal).eval().plain_value()
        return isinstance(pattern, str) and isinstance(_match("", pattern), bool)
    except Exception:  # the binding raises plain RuntimeError/ValueError
        return False
