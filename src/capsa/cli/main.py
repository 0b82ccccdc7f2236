"""The `capsa` command. Sub-commands live in their own modules and import heavy
libraries only when they run, so `capsa --help` stays fast.

Options of the whole program (`--version`, `-q/--quiet`, `-v/--verbose`, `--no-color`)
may stand before or after the sub-command: `capsa scan dir -q` is `capsa -q scan dir`.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import typer

from capsa import __version__
from capsa.cli import (
    assess_cmd,
    aws_cmd,
    config_cmd,
    fmea_cmd,
    helpfmt,
    model_cmd,
    paths_cmd,
    scan_cmd,
    threats_cmd,
)
from capsa.cli.common import Verbosity
from capsa.cli.guard import SafeGroup

helpfmt.install()

GLOBAL_FLAGS = frozenset({"-q", "--quiet", "-v", "--verbose", "-vv", "--no-color"})


class RootGroup(SafeGroup):
    """The root group: also accepts the program's own flags after the sub-command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            head, tail = args[:cut], args[cut:]
        else:
            head, tail = args, []
        flags = [a for a in head if a in GLOBAL_FLAGS]
        rest = [a for a in head if a not in GLOBAL_FLAGS]
        result: list[str] = super().parse_args(ctx, [*flags, *rest, *tail])
        return result


app = typer.Typer(
    cls=RootGroup,
    name="capsa",
    help="Cluster API Security Assessment: the SIG Security self-assessment, executable.",
    epilog="Exit codes: 0 success; 1 findings at or above --fail-on (and nothing else); "
    "2 unusable input, usage error or internal error.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
app.add_typer(model_cmd.app, name="model")
app.add_typer(threats_cmd.app, name="threats")
app.add_typer(aws_cmd.app, name="aws")
app.add_typer(config_cmd.app, name="config")
scan_cmd.register(app)
app.command("paths")(paths_cmd.paths)
app.command("fmea")(fmea_cmd.fmea)
app.command("assess")(assess_cmd.assess)
app.command("report")(assess_cmd.report)
app.command("diff")(assess_cmd.diff)
helpfmt.one_line_summaries(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"capsa {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print only errors on standard error (no notes, summaries)."
    ),
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        show_default=False,
        help="Print more detail on standard error (-vv: more).",
    ),
    no_color: bool = typer.Option(
        False, "--no-color", help="No colour in terminal output (as NO_COLOR=1 does)."
    ),
) -> None:
    """Model the system, derive threats, check a deployment, find attack paths, write the
    assessment."""
    Verbosity.level = -1 if quiet else verbose
    if no_color:
        os.environ["NO_COLOR"] = "1"


def run() -> None:
    """The `capsa` command. When it ends, every object left is moved out of the garbage
    collector's reach (`gc.freeze`): the interpreter's last full collection would
    otherwise walk a large scan's results only to free them with the process (0.4 s of
    the corpus x1's 2.4 s)."""
    try:
        app()
    finally:
        gc.freeze()
