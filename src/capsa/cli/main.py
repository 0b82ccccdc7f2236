"""The `capsa` command. Sub-commands live in their own modules and import heavy
libraries only when they run, so `capsa --help` stays fast."""

from __future__ import annotations

import typer

from capsa import __version__
from capsa.cli import assess_cmd, aws_cmd, fmea_cmd, model_cmd, paths_cmd, scan_cmd, threats_cmd
from capsa.cli.guard import SafeGroup

app = typer.Typer(
    cls=SafeGroup,
    name="capsa",
    help="Cluster API Security Assessment: the SIG Security self-assessment, executable.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(model_cmd.app, name="model")
app.add_typer(threats_cmd.app, name="threats")
app.add_typer(aws_cmd.app, name="aws")
scan_cmd.register(app)
app.command("paths")(paths_cmd.paths)
app.command("fmea")(fmea_cmd.fmea)
app.command("assess")(assess_cmd.assess)
app.command("report")(assess_cmd.report)
app.command("diff")(assess_cmd.diff)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"capsa {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Model the system, derive threats, check a deployment, find attack paths, write the assessment."""


def run() -> None:
    app()
