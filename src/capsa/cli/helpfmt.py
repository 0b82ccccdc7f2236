"""Help text in the user's words: value placeholders such as TEXT, FILE or low|high, never
the Python annotations typer prints by default (`<list[str]>`, `<bool>` on a flag).

`install()` replaces typer's one method that labels a parameter's value in `--help`; it is
called once by `capsa.cli.main`, so every command's help goes through it.
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Any, get_args, get_origin

import typer
from typer import core

_NAMES = {str: "TEXT", int: "INTEGER", float: "NUMBER", bool: "BOOLEAN"}
# what an option of this name holds, where its command did not say
_BY_NAME = {
    "output": "FILE",
    "model": "FILE|builtin:NAME",
    "tracking": "FILE",
    "kubeconfig": "FILE",
    "context": "NAME",
}


def _element(annotation: Any) -> Any:
    if get_origin(annotation) is list:
        (inner,) = get_args(annotation)
        return inner
    return annotation


def value_label(param: Any) -> str | None:
    """What `--help` shows for a parameter's value; None for a flag or an argument (its
    name column already says what it is)."""
    if isinstance(param, core.TyperArgument):
        return None
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    if param.metavar is not None:
        return str(param.metavar)
    if param.name in _BY_NAME:
        return _BY_NAME[param.name]
    element = _element(param.type_descriptor.annotation)
    if isinstance(element, type) and issubclass(element, Enum):
        return "|".join(str(member.value) for member in element)
    if param.type_descriptor.is_path:
        return "PATH"
    return _NAMES.get(element, "TEXT")


def one_line_summaries(app: typer.Typer) -> None:
    """Give each command the first paragraph of its docstring, joined into one line, as
    its summary in the parent's command list (typer keeps the docstring's line breaks
    there, which reads as ragged lines at 80 columns)."""
    for info in app.registered_commands:
        if info.short_help is None and info.callback is not None and info.callback.__doc__:
            first = inspect.cleandoc(info.callback.__doc__).split("\n\n")[0]
            info.short_help = " ".join(first.split())


def _display_type_rich(self: Any, ctx: Any) -> str | None:
    return value_label(self)


def install() -> None:
    """Use `value_label` for every option and argument typer renders."""
    core.TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = _display_type_rich  # type: ignore[method-assign]
