"""The one top-level handler: whatever a command raises ends in a message and exit 2.

Exit 1 means "findings at or above --fail-on" and nothing else, so neither a bug, an
unusable input that slipped through as an exception, a full disk under standard output
nor a closed pipe may exit 1 (Click's defaults) or print a traceback. `SafeGroup` is the
root command's class; every sub-command runs inside its `invoke`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from capsa.cli.common import EXIT_UNUSABLE, Verbosity, err, print_problems
from capsa.errors import InputError

REPORT_HINT = (
    "this is a bug in capsa, not a problem with your input; please report it with the "
    "command you ran (the message above names no input value)"
)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush of a stream
    that cannot be written (full disk, closed pipe) fails nowhere."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _output_failed(error: OSError) -> typer.Exit:
    _silence_stdout()
    reason = error.strerror or errno.errorcode.get(error.errno or 0, type(error).__name__)
    with contextlib.suppress(OSError, ValueError):
        err(f"error: cannot write the output: {reason}")
    return typer.Exit(EXIT_UNUSABLE)


class SafeGroup(TyperGroup):
    """The root `capsa` group: runs the chosen command and turns anything it raises
    (other than a deliberate exit) into a message on standard error and exit 2."""

    def invoke(self, ctx: Any) -> Any:
        Verbosity.level = 0  # each run starts at the default; the root's -q/-v set it anew
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as error:
            if _is_click_error(error):
                raise
            raise _handled(error) from None
        except KeyboardInterrupt:
            err("error: interrupted")
            raise typer.Exit(EXIT_UNUSABLE) from None


def _is_click_error(error: Exception) -> bool:
    """Usage errors Click reports itself (bad option, missing argument): exit 2 already."""
    from typer import _click

    return isinstance(error, _click.exceptions.ClickException)


def _handled(error: Exception) -> typer.Exit:
    if isinstance(error, InputError):
        print_problems(error.problems)
        return typer.Exit(EXIT_UNUSABLE)
    if isinstance(error, OSError) and error.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO):
        return _output_failed(error)
    if isinstance(error, BrokenPipeError):
        return _output_failed(error)
    with contextlib.suppress(OSError, ValueError):
        err(f"error: internal error ({type(error).__name__}); {REPORT_HINT}")
    return typer.Exit(EXIT_UNUSABLE)
