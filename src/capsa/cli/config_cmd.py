"""`capsa config show`: the settings a run would use and where each came from."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import typer

from capsa.cli.common import fail_input, write_output
from capsa.cli.options import FailOn, config_option, fail_on_option
from capsa.errors import InputError

app = typer.Typer(
    help="The project configuration (.capsa.yaml, pyproject.toml \\[tool.capsa]).",
    no_args_is_help=True,
)


class ConfigCommand(StrEnum):
    SCAN = "scan"
    ASSESS = "assess"


class ShowFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _shown(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}=…" for k in value)  # variable values may be secrets
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@app.command("show")
def show(
    paths: list[str] = typer.Argument(
        None, metavar="PATH", help="Where the scan would start (default: the working directory)."
    ),
    command: ConfigCommand = typer.Option(
        ConfigCommand.SCAN,
        "--command",
        case_sensitive=False,
        help="The command whose settings to show (their defaults differ: fail-on).",
    ),
    config_file: str | None = config_option(),
    fail_on: FailOn | None = fail_on_option(
        None, "As a run would be given it: shows the override."
    ),
    fmt: ShowFormat = typer.Option(
        ShowFormat.TABLE, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to this file."
    ),
) -> None:
    """Print the effective settings of `capsa scan` (or --command assess: fail-on
    defaults to none there) from the defaults, the configuration file found from PATH
    upwards and the command line, and where each came from. Variable values are never
    printed, only their names."""
    from capsa import SCHEMA
    from capsa.cli.config import resolve

    try:
        config = resolve(
            paths or [],
            {"failOn": fail_on},
            default_fail_on=FailOn.NONE if command is ConfigCommand.ASSESS else FailOn.HIGH,
            config_file=config_file,
        )
    except InputError as error:
        fail_input(error)
    if fmt is ShowFormat.JSON:
        document = {
            "schema": SCHEMA,
            "kind": "Config",
            "file": config.file,
            "settings": {
                name: {
                    "value": sorted(s.value) if name == "variables" else s.value,
                    "source": s.source,
                }
                for name, s in config.settings.items()
            },
        }
        write_output(json.dumps(document, indent=2, default=str), output)
        return
    width = max(len(n) for n in config.settings)
    lines = [f"configuration file: {config.file or 'none found'}"]
    for name, setting in config.settings.items():
        lines.append(f"{name.ljust(width)}  {_shown(setting.value)}  ({setting.source})")
    write_output("\n".join(lines), output)
