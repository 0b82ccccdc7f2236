"""Options every command spells the same way, declared once: each `*_option()` factory
is the one declaration of that option for every command that takes it (scan, assess,
paths, fmea, config show), so its name, value label, help and checks cannot drift apart.
Also the checks that keep a flag's stray value (`--strict true`) from being read as an
input path.

One `FailOn` scale serves scan, assess and diff: `none` never fails, a severity fails on an
open finding at or above it. Values are matched without regard to case (`HIGH` = `high`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from capsa.cli.common import DEFAULT_IGNORE_FILE, EXIT_UNUSABLE, err, live_timeout
from capsa.display import display_path


class FailOn(StrEnum):
    """When a command exits 1: `none` never; a severity: an open finding at or above it."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class DiffFailOn(StrEnum):
    """`capsa diff --fail-on`: the shared scale, plus `new` (any new finding)."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NEW = "new"


FAIL_ON_METAVAR = "none|low|medium|high|critical"
SEVERITIES = ("low", "medium", "high", "critical")

AWS_HELP = (
    "Read the AWS account (read-only: an explicit allowlist of Describe/List/Get calls; "
    "credentials, profile and endpoint from the standard AWS configuration)."
)
TIMEOUT_HELP = "Seconds the whole live read may take (with --cluster; default 180)."
CONFIG_HELP = (
    "Configuration file (default: .capsa.yaml or pyproject.toml \\[tool.capsa], looked up "
    "from the first PATH upwards)."
)


def fail_on_option(default: FailOn | None, help_text: str | None = None) -> Any:
    """`--fail-on`, with the command's own default stated in its help."""
    return typer.Option(
        None,
        "--fail-on",
        case_sensitive=False,
        metavar=FAIL_ON_METAVAR,
        help=help_text
        or "Exit 1 when an open finding is at or above this severity; none never fails. "
        f"Default: {default.value if default else 'none'}.",
    )


def check_option() -> Any:
    return typer.Option(
        [], "--check", metavar="ID|GLOB", help="Run only these checks (repeatable)."
    )


def skip_check_option() -> Any:
    return typer.Option(
        [], "--skip-check", metavar="ID|GLOB", help="Do not run these checks (repeatable)."
    )


def severity_value(value: str | None) -> str | None:
    """--severity: one of the four levels, any case."""
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in SEVERITIES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(SEVERITIES)}")
    return lowered


def severity_option(effect: str) -> Any:
    """`--severity`; `effect` says what the threshold does for this command."""
    return typer.Option(
        None,
        "--severity",
        metavar="low|medium|high|critical",
        callback=severity_value,
        help=f"{effect} Default: low.",
    )


def skip_path_option() -> Any:
    return typer.Option(
        [],
        "--skip-path",
        metavar="GLOB",
        help="Do not read files matching this, relative to the scanned folder (repeatable).",
    )


def var_option() -> Any:
    return typer.Option(
        [], "--var", metavar="NAME=VALUE", help="A clusterctl variable value (repeatable)."
    )


def vars_file_option() -> Any:
    return typer.Option(
        [],
        "--vars-file",
        metavar="FILE",
        help="clusterctl variables file (YAML or NAME=VALUE lines; repeatable).",
    )


def ignore_file_option() -> Any:
    return typer.Option(
        None,
        "--ignore-file",
        metavar="FILE",
        help=f"Suppressions file (default: {DEFAULT_IGNORE_FILE} next to the config file or "
        "in the working directory, when it exists).",
    )


def config_option() -> Any:
    return typer.Option(None, "--config", metavar="FILE", help=CONFIG_HELP)


def root_option() -> Any:
    return typer.Option(
        None,
        "--root",
        metavar="DIR",
        help="Report file locations relative to this folder (default: the folder the "
        "PATHs name; several: the deepest folder holding them all).",
    )


def cluster_option(help_text: str) -> Any:
    return typer.Option(False, "--cluster", help=help_text)


def kubeconfig_option() -> Any:
    return typer.Option(None, "--kubeconfig", metavar="FILE", help="kubeconfig for --cluster.")


def context_option() -> Any:
    return typer.Option(None, "--context", metavar="NAME", help="kubeconfig context for --cluster.")


def timeout_option() -> Any:
    return typer.Option(
        None, "--timeout", metavar="SECONDS", callback=live_timeout, help=TIMEOUT_HELP
    )


def aws_option() -> Any:
    return typer.Option(False, "--aws", help=AWS_HELP)


def aws_profile_option() -> Any:
    return typer.Option(
        None,
        "--aws-profile",
        metavar="NAME",
        help="AWS profile for --aws (default: the standard chain).",
    )


def aws_region_option() -> Any:
    return typer.Option(
        [],
        "--aws-region",
        metavar="REGION",
        help="Region for --aws (repeatable; default: the configured one).",
    )


_FLAG_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})


def refuse_flag_values(paths: Sequence[str] | None) -> None:
    """Exit 2 when an input path is a flag's value in disguise: `--strict true` makes `true`
    a PATH to Click, and scanning a missing file named `true` would hide the mistake."""
    for raw in paths or ():
        if raw.lower() in _FLAG_WORDS and not Path(raw).exists():
            err(
                f"error: {raw!r} is not a file or directory; flags such as --strict take no "
                "value (write --strict, or --no-strict to turn it off)"
            )
            raise typer.Exit(EXIT_UNUSABLE)


def missing_paths(paths: list[str] | None) -> None:
    """Exit 2 before anything is printed when a named input does not exist."""
    refuse_flag_values(paths)
    unusable = False
    for path in paths or ():
        if path == "-":
            continue
        try:
            os.lstat(path)
        except FileNotFoundError:
            reason = "no such file or directory"
        except OSError as error:
            reason = f"cannot read: {error.strerror or type(error).__name__}"
        except ValueError:
            reason = "cannot read: invalid path"
        else:
            continue
        err(f"error: {display_path(path)}: {reason}")
        unusable = True
    if unusable:
        raise typer.Exit(EXIT_UNUSABLE)
