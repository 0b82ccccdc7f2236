"""clusterctl variable substitution, as `clusterctl generate cluster` does it.

clusterctl rewrites legacy `${ VAR }` to `${VAR}` and then runs drone/envsubst (v2) over
the whole template. This module follows that grammar: `${VAR}`, defaults (`:=`, `:-`,
`=`, and `:?`/`:+` which envsubst also treats as defaults), casing (`,` `,,` `^` `^^`),
length `${#VAR}`, substring `${VAR:pos[:len]}`, replacement (`/` `//` `/#` `/%`), prefix
and suffix removal (`#` `##` `%` `%%`, glob patterns), nested expressions in arguments,
and `$$` as an escaped `$` (so `$${X}` stays the literal `${X}`).

Differences, chosen so a scan never fails where clusterctl would merely complain:
- `${VAR-default}` is rejected by envsubst ("missing closing brace"); here it is read as
  a default and reported as a problem.
- A variable with no value and no default is *unknown*: the expression becomes the marker
  `__CAPSA_UNRESOLVED_<VAR>__`, which keeps YAML valid and lets the loader record the
  field as unknown. It is always a string, so a number or boolean field never reads as a
  compliant value.
- A value containing a line break is not spliced into the text (that would move every
  later line); it becomes `__CAPSA_VALUE_<n>__` and `Substitution.deferred` maps the
  marker back, so the loader puts the value into the parsed string where the marker sits.
  A multi-line value therefore always lands as a string, never as YAML structure.
- Substring offsets count characters, not UTF-8 bytes (the same for ASCII values), and
  suffix patterns are matched directly rather than by reversing the pattern.
- A malformed expression is reported with its line and left as text.

Bounds (a hostile configuration and manifest must not exhaust memory or time):
- The substituted text, counting every value the loader will put back, never grows past
  `MAX_EXPANDED_CHARS` (the manifest size cap): a file whose variables would expand it
  further is refused with a problem at the line where it crossed, and the other files
  are read as usual. Every intermediate value (a default made of many references, a
  `//` replacement) is held to the same cap before it is built.
- Prefix and suffix removal runs in one pass over the value (a lazy automaton over the
  pattern's units, `_Trimmer`), not a regex match of every prefix, and a pattern without
  `*` checks its one possible length only. The passes of one file together scan at most
  `TRIM_STEPS_PER_CHAR` characters per character of the file plus `TRIM_STEPS_BASE`;
  past that a trimmed value is unknown (reported), never a long wait.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from capsa.datafile import DataFile
from capsa.display import MARKER_SUFFIX as MARKER_SUFFIX  # the marker is defined beside
from capsa.display import UNRESOLVED_PREFIX as UNRESOLVED_PREFIX  # `shown`, which turns
from capsa.display import UNRESOLVED_RE as UNRESOLVED_RE  # it back into `${VAR}`
from capsa.display import display_path
from capsa.errors import InputError, Problem
from capsa.reader import MAX_DATA_FILE_BYTES, MAX_FILE_BYTES, read_text
from capsa.sources.clusterctl_config import SETTINGS, variables_section
from capsa.yamlio import LineDict, last_break_end, line_breaks

VALUE_PREFIX = "__CAPSA_VALUE_"
VALUE_RE = re.compile(r"__CAPSA_VALUE_(\d+)__")

# clusterctl's legacy form: spaces inside the braces. Only blanks, never line breaks, are
# removed here so that line numbers stay put.
_LEGACY = re.compile(r"\$\{([ \t]*)([A-Za-z0-9_$]+)([ \t]*)\}")

MAX_EXPANDED_CHARS = MAX_FILE_BYTES
"""The most characters one file's substituted text (values put back included) may hold."""
TRIM_STEPS_PER_CHAR = 100
TRIM_STEPS_BASE = 5_000_000
"""Prefix/suffix removal budget of one file: characters scanned per character of the file,
plus a base (a few seconds at most)."""


@dataclass(frozen=True)
class DefaultUse:
    """Where a template's own default stands in the substituted text: the line and
    column of the value's first character, and the variables that had no value and took
    their default there (`${CLUSTER_IDENTITY_TYPE:=AWSClusterControllerIdentity}`), and
    the value put there (kept while the file is read, to find it in the parsed field)."""

    line: int
    column: int
    variables: tuple[str, ...]
    value: str


@dataclass(frozen=True)
class Substitution:
    """Result of substituting one text.

    `unresolved` names variables that had no value and no usable default; `deferred` maps
    each `__CAPSA_VALUE_<n>__` marker to a multi-line value the loader must put back;
    `defaults` says where a variable without a value took its default.
    """

    text: str
    unresolved: set[str]
    problems: list[Problem]
    deferred: dict[str, str] = field(default_factory=dict)
    refused: bool = False  # the variables expand the file past MAX_EXPANDED_CHARS
    defaults: tuple[DefaultUse, ...] = ()


class _TooLarge(Exception):
    """A value or the substituted text would pass the expansion cap."""


class _TooCostly(Exception):
    """Prefix/suffix removal would pass the file's budget."""


MAX_NESTING = 50
"""`${A:-${B:-...}}` deeper than this is refused (a problem at its line, the text left as
written): parsing and evaluating recurse once per level."""


class _BadExpression(Exception):
    """An expression envsubst would refuse; `at` is the offset where parsing stopped."""

    def __init__(self, message: str, at: int, *, rest_of_line: bool = False) -> None:
        super().__init__(message)
        self.at = at
        self.rest_of_line = rest_of_line  # leave the rest of the line as written


@dataclass
class _Func:
    """One `${...}` expression: the variable, the operator, and argument node lists."""

    param: str
    op: str
    args: list[list[_Node]]


_Node = str | _Func


def _is_ident(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Parser:
    """Recursive-descent reader of one `${...}` expression, starting after `${`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0  # expressions open around the one being read
        self.warnings: list[tuple[int, str]] = []

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect_close(self) -> None:
        if self.peek() != "}":
            raise _BadExpression("bad substitution: expected '}'", self.pos)
        self.pos += 1

    def ident(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and _is_ident(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def func(self) -> _Func:
        if self.peek() == "#":
            self.pos += 1
            name = self.ident()
            if not name:
                raise _BadExpression("bad substitution: no variable name after '#'", self.pos)
            self.expect_close()
            return _Func(name, "len", [])
        start = self.pos
        name = self.ident()
        if not name:
            raise _BadExpression("unable to parse variable name", self.pos)
        ch = self.peek()
        if ch == "}":
            self.pos += 1
            return _Func(name, "", [])
        if ch == ":":
            nxt = self.text[self.pos + 1 : self.pos + 2]
            if nxt in ("=", "-", "?", "+") and nxt:
                self.pos += 2
                return self.default(name, ":" + nxt)
            self.pos += 1
            return self.substr(name)
        if ch == "=":
            self.pos += 1
            return self.default(name, "=")
        if ch == "-":
            self.warnings.append(
                (start, f"clusterctl rejects ${{{name}-...}}; use ${{{name}:-...}}")
            )
            self.pos += 1
            return self.default(name, "-")
        if ch in (",", "^"):
            op = ch
            self.pos += 1
            if self.peek() in (",", "^") and self.peek():
                op += self.peek()
                self.pos += 1
            self.expect_close()
            return _Func(name, op, [])
        if ch == "/":
            return self.replace(name)
        if ch in ("#", "%"):
            op = ch
            self.pos += 1
            if self.peek() == ch:
                op += ch
                self.pos += 1
            arg = self.param(lambda c: c != "}", escapes=False)
            self.expect_close()
            return _Func(name, op, [arg])
        raise _BadExpression("missing closing brace", self.pos)

    def param(self, accept: Any, *, escapes: bool) -> list[_Node]:
        """One argument: a nested expression or a run of accepted characters."""
        if self.text.startswith("${", self.pos):
            if self.depth >= MAX_NESTING:
                raise _BadExpression(
                    f"expressions nested more than {MAX_NESTING} levels deep; the rest of "
                    "the line is left as written",
                    self.pos,
                    rest_of_line=True,
                )
            self.pos += 2
            self.depth += 1
            found = self.func()
            self.depth -= 1
            return [found]
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "$" and self.text.startswith("${", self.pos):
                break
            if escapes and ch == "$" and self.text.startswith("$$", self.pos):
                out.append("$")
                self.pos += 2
                continue
            if escapes and ch == "\\" and self.text[self.pos + 1 : self.pos + 2] in ("/", "\\"):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if not accept(ch):
                break
            out.append(ch)
            self.pos += 1
        if not out:
            raise _BadExpression("unable to parse substitution within function", self.pos)
        return ["".join(out)]

    def default(self, name: str, op: str) -> _Func:
        args: list[_Node] = []
        while True:
            if self.pos >= len(self.text):
                raise _BadExpression("missing closing brace", self.pos)
            if self.peek() == "}":
                self.pos += 1
                return _Func(name, op, [args] if args else [])
            args.extend(self.param(lambda c: c != "}", escapes=False))

    def substr(self, name: str) -> _Func:
        first = self.param(lambda c: c not in (":", "}"), escapes=False)
        if self.peek() == "}":
            self.pos += 1
            return _Func(name, ":", [first])
        if self.peek() != ":":
            raise _BadExpression("bad substitution in substring", self.pos)
        self.pos += 1
        second = self.param(lambda c: c != "}", escapes=False)
        self.expect_close()
        return _Func(name, ":", [first, second])

    def replace(self, name: str) -> _Func:
        op = "/"
        self.pos += 1
        if self.peek() in ("/", "#", "%") and self.peek():
            op += self.peek()
            self.pos += 1
        pattern = self.param(lambda c: c != "/", escapes=True)
        if self.peek() != "/":
            raise _BadExpression("bad substitution: replacement needs a second '/'", self.pos)
        self.pos += 1
        if self.peek() == "}":
            self.pos += 1
            return _Func(name, op, [pattern])
        replacement = self.param(lambda c: c != "}", escapes=True)
        self.expect_close()
        return _Func(name, op, [pattern, replacement])


def _glob_regex(pattern: str) -> re.Pattern[str] | None:
    """Go `path.Match` pattern as a regex (`*`/`?` never cross `/`); None if malformed."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 >= len(pattern):
                return None
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            escaped = body.replace("\\", "\\\\").replace("[", "\\[")
            out.append(f"[{'^' if negate else ''}{escaped}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out), re.S)
    except re.error:
        return None


_STAR = None
_Unit = re.Pattern[str] | None
"""One character of a glob (a one-character regex) or, as None, a `*`."""


def _glob_units(pattern: str) -> list[_Unit] | None:
    """The units `_glob_regex(pattern)` concatenates (runs of `*` as one); None if malformed."""
    whole = _glob_regex(pattern)
    if whole is None:
        return None
    units: list[_Unit] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if not units or units[-1] is not _STAR:
                units.append(_STAR)
            i += 1
            continue
        end = i + 1
        if ch == "\\":
            end = i + 2
        elif ch == "[":
            end = pattern.find("]", i + 2) + 1
        piece = _glob_regex(pattern[i:end])
        if piece is None:
            return None
        units.append(piece)
        i = end
    return units


class _Trimmer:
    """Prefix/suffix removal (`#` `##` `%` `%%`) of one file, within a budget of scanned
    characters. envsubst (drone/envsubst@179042472c46cbed86d44ecbb11a03236efbb73a
    funcs.go:171-238, `trimShortest`/`trimLongest`) removes the shortest (`#`, `%`) or
    longest (`##`, `%%`) non-empty prefix that `path.Match`es the pattern; a suffix is
    matched there by reversing value and pattern, here by reversing the pattern's units
    (so a class such as `[a-z]` keeps its meaning). The old way fullmatched a regex against every prefix (quadratic: 18 s for
    one `${A%y}` of a 1 MB value); here a pattern without `*` has one possible length, and
    one with `*` runs as an automaton over the value once (its states: how many of the
    pattern's units are matched; sets of them are built lazily, as a DFA)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.results: dict[tuple[str, str, str], str] = {}

    def trim(self, value: str, pattern: str, op: str) -> str:
        key = (op, pattern, value)
        found = self.results.get(key)
        if found is None:
            found = self.results[key] = self._trim(value, pattern, op)
        return found

    def _trim(self, value: str, pattern: str, op: str) -> str:
        units = _glob_units(pattern)
        if not units:  # malformed, or empty: matches no non-empty part
            return value
        prefix = op.startswith("#")
        size: int | None = len(units)
        if _STAR not in units:  # one possible length: one check, a unit per character
            part = value[:size] if prefix else value[len(value) - len(units) :]
            fits = len(units) <= len(value) and all(
                unit is not None and unit.fullmatch(ch)
                for unit, ch in zip(units, part, strict=True)
            )
            size = size if fits else None
        else:
            ordered = units if prefix else units[::-1]
            size = self._matched_size(value, ordered, prefix, len(op) == 1)
        if size is None:
            return value
        return value[size:] if prefix else value[: len(value) - size]

    def _matched_size(
        self, value: str, units: list[_Unit], forward: bool, shortest: bool
    ) -> int | None:
        """The shortest (or longest) non-empty part from the start (`forward`) or the end
        of `value` that `units` (reversed for the end) match; None if none does."""
        final = len(units)

        def closure(states: set[int]) -> frozenset[int]:
            out = set(states)
            for state in sorted(states):
                while state < final and units[state] is _STAR:
                    state += 1
                    out.add(state)
            return frozenset(out)

        moves: dict[tuple[frozenset[int], str], frozenset[int]] = {}

        def move(states: frozenset[int], ch: str) -> frozenset[int]:
            nxt: set[int] = set()
            for state in states:
                if state == final:
                    continue
                unit = units[state]
                if unit is _STAR:
                    if ch != "/":
                        nxt.add(state)
                elif unit.fullmatch(ch):
                    nxt.add(state + 1)
            return closure(nxt)

        states = closure({0})
        best: int | None = None
        chars = value if forward else reversed(value)
        for size, ch in enumerate(chars, start=1):
            self.budget -= 1
            if self.budget < 0:
                raise _TooCostly
            step = moves.get((states, ch))
            if step is None:
                step = moves[(states, ch)] = move(states, ch)
            states = step
            if not states:
                break
            if final in states:
                best = size
                if shortest:
                    break
        return best


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def _substr(value: str, args: list[str]) -> str:
    pos = _int(args[0])
    if pos is None:
        return value
    if pos < 0:
        pos = max(len(value) + pos, 0)
    if len(args) == 1:
        return value[pos:]
    length = _int(args[1])
    if length is None:
        return value
    if length < 0:
        return ""
    return value[pos : pos + length]


def _apply(op: str, value: str, args: list[str], trimmer: _Trimmer, limit: int) -> str:
    """Apply one envsubst string function to a known value (no result past `limit`)."""
    if op in (",", ",,", "^", "^^"):
        if op == ",,":
            return _capped(value.lower(), limit)
        if op == "^^":
            return _capped(value.upper(), limit)
        if op == ",":
            return value[:1].lower() + value[1:]
        return value[:1].upper() + value[1:]
    if op == "len":
        return str(len(value.encode("utf-8")))
    if op in ("#", "##", "%", "%%"):
        return trimmer.trim(value, args[0], op)
    if op == ":":
        return _substr(value, args)
    if op in ("/", "//", "/#", "/%"):
        old, new = args[0], (args[1] if len(args) > 1 else "")
        times = 1 if op != "//" else (value.count(old) if old else len(value) + 1)
        if len(value) + times * max(len(new) - len(old), 0) > limit:
            raise _TooLarge
        if op == "/":
            return value.replace(old, new, 1)
        if op == "//":
            return value.replace(old, new)
        if len(args) != 2:
            return value
        if op == "/#":
            return new + value[len(old) :] if value.startswith(old) else value
        return value[: len(value) - len(old)] + new if value.endswith(old) else value
    return value  # mixed casing operators such as ",^": envsubst returns the value as is


def _capped(value: str, limit: int) -> str:
    if len(value) > limit:
        raise _TooLarge
    return value


class _Evaluator:
    """Evaluates parsed expressions; None means "unknown", and the culprits are recorded.
    No value it builds is longer than `limit` (`_TooLarge` instead)."""

    def __init__(self, variables: Mapping[str, str], limit: int, trimmer: _Trimmer) -> None:
        self.variables = variables
        self.unresolved: set[str] = set()
        self.defaulted: list[str] = []  # variables that took their default, this expression
        self.limit = limit
        self.trimmer = trimmer

    def nodes(self, nodes: list[_Node]) -> str | None:
        parts: list[str] = []
        known = True
        size = 0
        for node in nodes:
            value = node if isinstance(node, str) else self.func(node)
            if value is None:
                known = False
            else:
                size += len(value)
                if size > self.limit:
                    raise _TooLarge
                parts.append(value)
        return "".join(parts) if known else None

    def func(self, fn: _Func) -> str | None:
        value = self.variables.get(fn.param)
        if fn.op in (":=", ":-", ":?", ":+", "=", "-"):
            if value:
                return value
            if fn.args:
                self.defaulted.append(fn.param)
                return self.nodes(fn.args[0])
            if value is None:
                self.unresolved.add(fn.param)
            return value
        args = [self.nodes(arg) for arg in fn.args]
        if value is None:
            self.unresolved.add(fn.param)
            return None
        if any(arg is None for arg in args):
            return None
        return _apply(fn.op, value, [a for a in args if a is not None], self.trimmer, self.limit)


def _line_of(text: str, offset: int) -> int:
    return line_breaks(text, 0, offset) + 1


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB"


def substitute(
    text: str, variables: Mapping[str, str] | None = None, *, path: str = "<text>"
) -> Substitution:
    """Substitute clusterctl variables in `text` without moving any line. If the values
    would make the text longer than `MAX_EXPANDED_CHARS`, the result is empty and
    `refused`, with one problem at the line where the text crossed the cap."""
    variables = variables or {}
    if "$" not in text:
        return Substitution(text, set(), [])
    if "${" in text:
        text = _LEGACY.sub(lambda m: "${" + m.group(2) + "}", text)
    limit = MAX_EXPANDED_CHARS
    trimmer = _Trimmer(TRIM_STEPS_BASE + TRIM_STEPS_PER_CHAR * len(text))
    evaluator = _Evaluator(variables, limit, trimmer)
    problems: list[Problem] = []
    deferred: dict[str, str] = {}
    out: list[str] = []
    uses: list[tuple[int, tuple[str, ...], str]] = []  # chunk of `out` a default became
    size = 0  # characters in `out` and in the deferred values the markers stand for
    pos = 0
    while True:
        dollar = text.find("$", pos)
        if dollar < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:dollar])
        nxt = text[dollar + 1 : dollar + 2]
        if nxt == "$":  # `$$` is an escaped `$`
            out.append("$")
            pos = dollar + 2
            continue
        if nxt != "{":
            out.append("$")
            pos = dollar + 1
            continue
        parser = _Parser(text)
        parser.pos = dollar + 2
        try:
            fn = parser.func()
        except _BadExpression as exc:
            problems.append(
                Problem(path, _line_of(text, dollar), None, f"clusterctl variable: {exc}")
            )
            if exc.rest_of_line:  # one problem, not one per level of the expression
                end = text.find("\n", dollar)
                end = len(text) if end < 0 else end
                out.append(text[dollar:end])
                pos = end
                continue
            out.append("${")
            pos = dollar + 2
            continue
        for at, warning in parser.warnings:
            problems.append(Problem(path, _line_of(text, at), None, warning))
        evaluator.defaulted = []
        try:
            value = evaluator.func(fn)
        except _TooLarge:
            value, size = "", limit + 1
        except _TooCostly:
            problems.append(
                Problem(
                    path,
                    _line_of(text, dollar),
                    None,
                    "clusterctl variable: prefix/suffix removal in this file scans too much "
                    f"of ${{{fn.param}}}; its value here is unknown",
                )
            )
            evaluator.unresolved.add(fn.param)
            value = None
        source = text[dollar : parser.pos]
        if value is not None and "\n" not in value and evaluator.defaulted:
            uses.append((len(out), tuple(dict.fromkeys(evaluator.defaulted)), value))
        if value is None:
            value = f"{UNRESOLVED_PREFIX}{fn.param}{MARKER_SUFFIX}"
        elif "\n" in value or "\r" in value:
            marker = f"{VALUE_PREFIX}{len(deferred)}{MARKER_SUFFIX}"
            deferred[marker] = value
            size += len(value)  # the loader puts it back
            value = marker
        size += dollar - pos + len(value)
        if size > limit:
            message = f"variables expand this file past {_megabytes(limit)}; it is not read"
            problem = Problem(path, _line_of(text, dollar), None, message)
            return Substitution("", set(), [problem], refused=True)
        out.append(value + "\n" * line_breaks(source))
        pos = parser.pos
    defaults = _placed_defaults(out, uses)
    return Substitution("".join(out), evaluator.unresolved, problems, deferred, False, defaults)


def _placed_defaults(
    out: list[str], uses: list[tuple[int, tuple[str, ...], str]]
) -> tuple[DefaultUse, ...]:
    """Each default's line and column in the text `out` joins into (`uses`: the index
    of the chunk the default became, its variables and value), in one pass over the
    chunks."""
    placed: list[DefaultUse] = []
    line, column, chunk = 1, 1, 0
    for at, names, value in uses:
        for piece in out[chunk:at]:
            breaks = line_breaks(piece)  # as the parser counts them, to meet its positions
            if breaks:
                line += breaks
                column = len(piece) - last_break_end(piece) + 1
            else:
                column += len(piece)
        chunk = at
        placed.append(DefaultUse(line, column, names, value))
    return tuple(placed)


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def _from_env_lines(text: str, path: str) -> tuple[dict[str, str], list[Problem]]:
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            problems.append(Problem(path, number, None, "expected KEY=VALUE"))
            continue
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in ("'", '"'):
            raw = raw[1:-1]
        values[match.group(1)] = raw
    return values, problems


def _looks_like_env(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(_ENV_LINE.match(ln) for ln in lines)


def load_vars_file(path: str) -> tuple[dict[str, str], list[Problem]]:
    """Read variables from a YAML mapping (a clusterctl config or e2e config works too:
    its `variables:` section is used) or from KEY=VALUE lines."""
    shown = display_path(path)
    try:
        text = read_text(path, what="variables file", limit=MAX_DATA_FILE_BYTES, display=shown)
    except InputError as error:
        return {}, list(error.problems)
    if _looks_like_env(text):
        return _from_env_lines(text, shown)
    try:
        data = DataFile.parse(shown, text, expect=None).root
    except InputError as error:
        return {}, list(error.problems)
    path = shown
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [Problem(path, 1, None, "expected a mapping of variable names to values")]
    data = variables_section(data)
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        if key in SETTINGS:
            continue
        text_value = _scalar_text(value)
        at = data.key_position(key) if isinstance(data, LineDict) else None
        line = at[0] if at is not None else None
        if not isinstance(key, str) or text_value is None:
            problems.append(Problem(path, line, None, f"variable {key!r} is not a plain value"))
            continue
        values[key] = text_value
    return values, problems


def looks_unresolved(value: str) -> bool:
    """True when a string still holds a variable no source could resolve.

    Checks use this where a value was copied to a new path (e.g. a ClusterClass variable
    patched into a template), since `unknown_paths` only follows the original field.
    An escaped `$${x}` became the literal `${x}` and is known, so only the marker counts.
    """
    return UNRESOLVED_PREFIX in value


_TARGET_NAMESPACE_REFERENCE = re.compile(r"\$\{\s*NAMESPACE\b")
"""A template's reference to clusterctl's target namespace: `${NAMESPACE}`, with any
operator (`${NAMESPACE:=default}`) or in the legacy spaced form."""

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
        "CertificateSigningRequest", "ClusterRoleBinding", "ClusterRole", "VolumeAttachment",
        "StorageClass", "CSIDriver", "CSINode", "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration", "CustomResourceDefinition", "PriorityClass",
        "RuntimeClass",
        # providers' own cluster-scoped kinds: clusterctl sets a namespace on them too,
        # and the API server drops it
        "ExtensionConfig", "AWSClusterControllerIdentity", "AWSClusterRoleIdentity",
        "AWSClusterStaticIdentity", "VSphereClusterIdentity", "VSphereDeploymentZone",
        "VSphereFailureDomain", "OpenStackClusterIdentity",
    }
)  # fmt: skip
"""Kinds that live in no namespace: clusterctl's list (cluster-api@ae7ff04
cmd/clusterctl/internal/util/objs.go:80-101 `IsResourceNamespaced`), and the providers'
kinds marked `scope=Cluster` (cluster-api@ae7ff04 api/runtime/v1beta2/extensionconfig_types.go;
cluster-api-provider-vsphere api/govmomi/v1beta2/vsphereclusteridentity_types.go,
vspheredeploymentzone_types.go, vspherefailuredomain_types.go;
cluster-api-provider-openstack api/v1alpha1/openstackclusteridentity_types.go; CAPA's
identities, `capi.kinds.AWS_IDENTITY_KINDS`)."""


@dataclass(frozen=True)
class TargetNamespace:
    """clusterctl's target namespace (`name`) for one file; `overrides` when the file is
    a template that refers to it, whose namespaced objects all land there."""

    name: str
    overrides: bool

    def applied(self, kind: str, namespace: str | None) -> str | None:
        """The namespace an object of `kind` written with `namespace` lands in."""
        if kind in CLUSTER_SCOPED_KINDS or not (self.overrides or not namespace):
            return namespace
        return self.name


def target_namespace(text: str, variables: Mapping[str, str]) -> TargetNamespace | None:
    """Where clusterctl renders this file's objects, when `NAMESPACE` is given, as
    `clusterctl generate cluster --target-namespace` sets it: it puts every namespaced
    object of what it renders there, whatever namespace the object names
    (cluster-api@ae7ff04 cmd/clusterctl/client/repository/template.go:125-133,
    components.go:332-347), the ClusterClasses it fetches for a Cluster included
    (cmd/clusterctl/client/clusterclass.go). A file that refers to `${NAMESPACE}` is such
    a template and all of it moves; in any other file (a ClusterClass of its own, a
    manifest capsa cannot tell from a template) only objects naming no namespace do."""
    value = variables.get("NAMESPACE")
    if not value:
        return None
    return TargetNamespace(value, _TARGET_NAMESPACE_REFERENCE.search(text) is not None)
