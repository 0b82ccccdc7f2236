"""ClusterClass inline patches, applied the way the topology controller would, where that
can be done without running user code: JSON patches whose value is literal or comes from
a variable. Go-template values, external (runtime-extension) patches and `enabledIf`
conditions beyond a handful of simple forms are recorded as not evaluated, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from capsa.yamlio import LineDict, LineList

_MISSING = object()


class PatchError(Exception):
    """A JSON patch operation that cannot be applied to the template."""


def copy_tree(value: Any) -> Any:
    """Deep copy that keeps LineDict/LineList positions, so a patched template still
    points at lines of the file it came from."""
    if isinstance(value, LineDict):
        new_dict = LineDict()
        new_dict.same_places(value)
        for key, item in value.items():
            new_dict[key] = copy_tree(item)
        return new_dict
    if isinstance(value, LineList):
        new_list = LineList()
        new_list.same_places(value)
        new_list.extend(copy_tree(item) for item in value)
        return new_list
    if isinstance(value, dict):
        return {key: copy_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_tree(item) for item in value]
    return value


def pointer_steps(pointer: str) -> list[str]:
    """Split an RFC 6901 JSON pointer into unescaped steps."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"path {pointer!r} is not a JSON pointer")
    return [step.replace("~1", "/").replace("~0", "~") for step in pointer[1:].split("/")]


def _index(container: list[Any], step: str, allow_end: bool) -> int:
    if step == "-" and allow_end:
        return len(container)
    if not step.isdigit():
        raise PatchError(f"list index {step!r} is not a number")
    index = int(step)
    if index > len(container) or (index == len(container) and not allow_end):
        raise PatchError(f"list index {index} is out of range")
    return index


def apply_operation(doc: Any, op: str, pointer: str, value: Any = None) -> list[str | int]:
    """Apply one add/replace/remove operation in place; return the concrete path changed.

    Missing parent objects are created on `add` and `replace` (and `replace` of a missing
    key adds it): templates often leave out optional sections that class patches fill in,
    and a scanner should see the value the patch intends rather than stop.
    """
    steps = pointer_steps(pointer)
    if not steps:
        raise PatchError("patching the whole object is not supported")
    parent = doc
    concrete: list[str | int] = []
    for step in steps[:-1]:
        if isinstance(parent, dict):
            if step not in parent or parent[step] is None:
                if op == "remove":
                    raise PatchError(f"path {pointer!r} does not exist")
                parent[step] = {}
            parent = parent[step]
            concrete.append(step)
        elif isinstance(parent, list):
            index = _index(parent, step, allow_end=False)
            parent = parent[index]
            concrete.append(index)
        else:
            raise PatchError(f"path {pointer!r} goes through a scalar")
    last = steps[-1]
    if isinstance(parent, dict):
        concrete.append(last)
        if op in ("add", "replace"):
            parent[last] = value
        elif op == "remove":
            if last not in parent:
                raise PatchError(f"path {pointer!r} does not exist")
            del parent[last]
        else:
            raise PatchError(f"operation {op!r} is not supported")
    elif isinstance(parent, list):
        index = _index(parent, last, allow_end=op == "add")
        concrete.append(index)
        if op == "add":
            if isinstance(parent, LineList):
                parent.insert_item(index, value, parent.position)
            else:
                parent.insert(index, value)
        elif op == "replace":
            parent[index] = value
        elif op == "remove":
            if isinstance(parent, LineList):
                parent.remove_item(index)
            else:
                del parent[index]
        else:
            raise PatchError(f"operation {op!r} is not supported")
    else:
        raise PatchError(f"path {pointer!r} goes through a scalar")
    return concrete


def lookup_variable(variables: Mapping[str, Any], dotted: str) -> Any:
    """Value of a dotted variable path (`region`, `builtin.cluster.name`, `cfg.a.b`), or
    the module's missing marker `MISSING` when it is not set."""
    node: Any = variables
    for step in dotted.split("."):
        if isinstance(node, Mapping) and step in node:
            node = node[step]
        else:
            return MISSING
    return node


MISSING: Any = _MISSING


# --- enabledIf: a tiny, closed subset of Go templates ------------------------------------

_TEMPLATE = re.compile(r"^\s*\{\{-?\s*(?P<body>.*?)\s*-?\}\}\s*$", re.DOTALL)
_IF_TRUE = re.compile(
    r"^\s*\{\{-?\s*if\s+(?P<body>.*?)\s*-?\}\}\s*true\s*\{\{-?\s*end\s*-?\}\}\s*$", re.DOTALL
)
_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()"]+))')
_FUNCTIONS = frozenset({"not", "eq", "ne", "and", "or"})


class _Unsupported(Exception):
    pass


def _truthy(value: Any) -> bool:
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise _Unsupported(text)
        pos = match.end()
        kind = match.lastgroup
        if kind is None:
            break
        out.append((kind, match.group(kind)))
    return out


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    variables: Mapping[str, Any]
    pos: int = 0

    def _next(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _Unsupported("unexpected end")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _term(self) -> Any:
        kind, text = self._next()
        if kind == "lp":
            value = self.pipeline()
            if self._next()[0] != "rp":
                raise _Unsupported("unbalanced parenthesis")
            return value
        if kind == "str":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "word":
            if text.startswith("."):
                return lookup_variable(self.variables, text[1:])
            if text in ("true", "false"):
                return text == "true"
            if re.fullmatch(r"-?\d+", text):
                return int(text)
        raise _Unsupported(text)

    def pipeline(self) -> Any:
        kind, text = self.tokens[self.pos] if self.pos < len(self.tokens) else ("", "")
        if kind == "word" and text in _FUNCTIONS:
            self.pos += 1
            args: list[Any] = []
            while self.pos < len(self.tokens) and self.tokens[self.pos][0] != "rp":
                args.append(self._term())
            return _call(text, args)
        return self._term()


def _call(name: str, args: list[Any]) -> Any:
    if name == "not" and len(args) == 1:
        return not _truthy(args[0])
    if name in ("eq", "ne") and len(args) == 2:
        left, right = (None if a is MISSING else a for a in args)
        return (left == right) == (name == "eq")
    if name == "and" and args:
        for arg in args:
            if not _truthy(arg):
                return arg
        return args[-1]
    if name == "or" and args:
        for arg in args:
            if _truthy(arg):
                return arg
        return args[-1]
    raise _Unsupported(name)


def evaluate_enabled_if(expression: str, variables: Mapping[str, Any]) -> bool | None:
    """Decide a patch's `enabledIf`: True/False, or None when the template is outside the
    supported subset (`.var`, literals, `not`, `eq`, `ne`, `and`, `or`, parentheses, and
    `{{ if EXPR }}true{{ end }}`)."""
    conditional = _IF_TRUE.match(expression)
    match = conditional or _TEMPLATE.match(expression)
    if match is None:
        return None
    try:
        parser = _Parser(_tokens(match.group("body")), variables)
        value = parser.pipeline()
        if parser.pos != len(parser.tokens):
            return None
    except (_Unsupported, UnicodeDecodeError):
        return None
    if conditional is not None:
        return _truthy(value)
    if value is MISSING:
        return False
    if isinstance(value, bool):
        return value
    return str(value) == "true"
