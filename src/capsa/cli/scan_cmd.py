"""`capsa scan`; `register(app)` also mounts `capsa checks` and `capsa policy`
(`checks_cmd`) on the root Typer app. Only typer and rich are imported here; the scanner,
the check engine and the writers load when a command runs.

Exit codes: 0 nothing open at or above --fail-on; 1 open findings at or above it;
2 usage error, unusable suppressions/baseline/configuration, or unusable input (a
missing path, nothing could be read, or any input error under --strict).
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from capsa.cli.aws_cmd import AWS_HELP, aws_options
from capsa.cli.common import (
    DEFAULT_IGNORE_FILE,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    TIMEOUT_HELP,
    detail,
    err,
    fail_input,
    live_timeout,
    note,
    parse_vars,
    print_problems,
    write_output,
)
from capsa.cli.options import FAIL_ON_METAVAR, FailOn, missing_paths
from capsa.cli.outputs import Target, plan, written_summary
from capsa.errors import InputError, Problem
from capsa.terminal import console

if TYPE_CHECKING:
    from capsa.checks.model import Check
    from capsa.scan.result import ScanResult


class ScanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MD = "md"
    JUNIT = "junit"
    POLICYREPORT = "policyreport"


def _write(text: str, output: str | None) -> None:
    write_output(text if text.endswith("\n") else text + "\n", output)


def render_scan(result: ScanResult, fmt: str, compact: bool = False) -> str:
    """One output format of a scan."""
    if fmt == ScanFormat.TABLE:
        from capsa.report.scan_table import render_table

        return render_table(result, compact=compact)
    if fmt == ScanFormat.JSON:
        from capsa.report.scan_json import render_json

        return render_json(result)
    if fmt == ScanFormat.SARIF:
        from capsa.report.sarif import render_sarif

        return render_sarif(result)
    if fmt == ScanFormat.JUNIT:
        from capsa.report.scan_junit import render_junit

        return render_junit(result)
    if fmt == ScanFormat.POLICYREPORT:
        from capsa.report.policy_report import render_policy_reports

        return render_policy_reports(result)
    from capsa.report.scan_markdown import render_markdown

    return render_markdown(result)


def _emit(result: ScanResult, targets: list[Target], compact: bool = False) -> None:
    for target in targets:
        if target.fmt == ScanFormat.TABLE and target.path is None:
            from capsa.report.scan_table import print_table

            print_table(result, console(soft_wrap=False), compact)
            continue
        _write(render_scan(result, target.fmt, compact), target.path)
    print_problems([*result.errors, *result.notes])
    if any(t.path is not None for t in targets):
        note(f"capsa: {_one_line(result)}; {written_summary(targets)}")


def _one_line(result: ScanResult) -> str:
    """`N open finding(s) (2 high, 1 low), ...` for standard error after writing files."""
    s = result.summary
    by = ", ".join(f"{n} {sev}" for sev, n in s.by_severity.items() if n)
    counts = f"{s.open} open finding(s)" + (f" ({by})" if by else "")
    return (
        f"{counts}, {s.suppressed} suppressed, {s.unknown} undecided in "
        f"{s.resources} resource(s) from {s.files} file(s); {s.errors} input error(s)"
    )


def _exit_code(result: ScanResult, fail_on: FailOn) -> int:
    from capsa.checks.findings import Severity

    if result.unusable:
        return EXIT_UNUSABLE
    if fail_on is FailOn.NONE:
        return EXIT_OK
    worst = result.worst_open()
    return EXIT_FINDINGS if worst is not None and worst >= Severity(fail_on.value) else EXIT_OK


def scan(
    paths: list[str] = typer.Argument(
        None,
        metavar="PATH",
        help="Manifest files or directories; - reads standard input.",
    ),
    fmt: ScanFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        case_sensitive=False,
        help="Output format (default: table; with -o, from the file's extension).",
    ),
    output: list[str] = typer.Option(
        [],
        "--output",
        "-o",
        metavar="[FORMAT:]FILE",
        help="Write a report here (repeatable; - is standard output): -o results.sarif "
        "-o report.json -o - writes both files and the table.",
    ),
    fail_on: FailOn | None = typer.Option(
        None,
        "--fail-on",
        case_sensitive=False,
        metavar=FAIL_ON_METAVAR,
        help="Exit 1 when an open finding is at or above this severity; none never fails. "
        "Default: high.",
    ),
    check: list[str] = typer.Option(
        [], "--check", metavar="ID|GLOB", help="Run only these checks (repeatable)."
    ),
    skip_check: list[str] = typer.Option(
        [], "--skip-check", metavar="ID|GLOB", help="Do not run these checks (repeatable)."
    ),
    severity: str | None = typer.Option(
        None,
        "--severity",
        metavar="low|medium|high|critical",
        help="Show only findings at or above this severity. Default: low.",
    ),
    skip_path: list[str] = typer.Option(
        [], "--skip-path", metavar="GLOB", help="Do not read files matching this (repeatable)."
    ),
    var: list[str] = typer.Option(
        [], "--var", metavar="NAME=VALUE", help="A clusterctl variable value (repeatable)."
    ),
    vars_file: list[str] = typer.Option(
        [],
        "--vars-file",
        metavar="FILE",
        help="clusterctl variables file (YAML or NAME=VALUE lines; repeatable).",
    ),
    ignore_file: str | None = typer.Option(
        None,
        "--ignore-file",
        metavar="FILE",
        help=f"Suppressions file (default: {DEFAULT_IGNORE_FILE} next to the config file or "
        "in the working directory, when it exists).",
    ),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        metavar="FILE",
        help="A previous JSON report; findings in it are hidden.",
    ),
    config_file: str | None = typer.Option(
        None,
        "--config",
        metavar="FILE",
        help="Configuration file (default: .capsa.yaml or pyproject.toml \\[tool.capsa], "
        "looked up from the first PATH upwards).",
    ),
    strict: bool = typer.Option(False, "--strict/--no-strict", help="Exit 2 on any input error."),
    compact: bool = typer.Option(
        False, "--compact", help="Table format: one line per finding, without title and fix."
    ),
    cluster: bool = typer.Option(
        False, "--cluster", help="Read the live management cluster (read-only, GET only)."
    ),
    kubeconfig: str | None = typer.Option(
        None, "--kubeconfig", metavar="FILE", help="kubeconfig for --cluster."
    ),
    context: str | None = typer.Option(
        None, "--context", metavar="NAME", help="kubeconfig context."
    ),
    namespace: list[str] = typer.Option(
        [],
        "--namespace",
        "-n",
        metavar="NAME",
        help="Only these namespaces of the cluster (repeatable).",
    ),
    aws: bool = typer.Option(False, "--aws", help=AWS_HELP),
    aws_profile: str | None = typer.Option(
        None,
        "--aws-profile",
        metavar="NAME",
        help="AWS profile for --aws (default: the standard chain).",
    ),
    aws_region: list[str] = typer.Option(
        [],
        "--aws-region",
        metavar="REGION",
        help="Region for --aws (repeatable; default: the configured one).",
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", metavar="SECONDS", callback=live_timeout, help=TIMEOUT_HELP
    ),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        help="Processes that read and evaluate files (default: every core). The result "
        "is the same for any number.",
    ),
    cache_dir: str | None = typer.Option(
        None,
        "--cache-dir",
        help="Keep what each file and group gave here; a re-scan then re-reads only what "
        "changed (keyed by file content, variables and check set). Off unless given.",
    ),
) -> None:
    """Scan Cluster API manifests (and/or a live management cluster) against the checks of
    the security self-assessment.

    Exit codes: 0 nothing open at or above --fail-on; 1 open findings at or above it; 2 unusable input (a missing path, nothing readable, an unreachable cluster, any input error under --strict) or a usage error."""
    from capsa.cli.config import resolve
    from capsa.scan.pool import default_jobs
    from capsa.scan.service import ScanRequest
    from capsa.scan.service import scan as run_scan

    account = aws_options(aws, aws_profile, aws_region)
    if not paths and not cluster and account is None:
        err("error: give at least one PATH, or --cluster, or --aws")
        raise typer.Exit(EXIT_UNUSABLE)
    if not cluster and (kubeconfig or context or namespace or timeout is not None):
        err("error: --kubeconfig, --context, --namespace and --timeout only apply with --cluster")
        raise typer.Exit(EXIT_UNUSABLE)
    missing_paths(paths)
    severity = _severity(severity)
    targets = plan(output, fmt.value if fmt else None, ScanFormat.TABLE.value, set(ScanFormat))
    try:
        config = resolve(
            paths or [],
            {
                "failOn": fail_on,
                "severity": severity,
                "checks": check,
                "skipChecks": skip_check,
                "skipPaths": skip_path,
                "variables": parse_vars(var),
                "varsFiles": vars_file,
                "ignoreFile": ignore_file,
                "baseline": baseline,
            },
            default_fail_on=FailOn.HIGH,
            config_file=config_file,
        )
        checks = _selected_checks(config.value("checks"), config.value("skipChecks"))
    except InputError as error:
        fail_input(error)
    detail(f"capsa: configuration file: {config.file or 'none found'}")
    read_paths = list(paths or ())
    skipped_problems: list[Problem] = []
    if config.value("skipPaths") and read_paths:
        from capsa.cli.selection import expand_skipping

        read_paths, skipped_problems, skipped = expand_skipping(
            read_paths, config.value("skipPaths")
        )
        detail(f"capsa: --skip-path left out {skipped} file(s)")
        if not read_paths and not cluster and account is None:
            print_problems(skipped_problems)
            err("error: every file was skipped by --skip-path")
            raise typer.Exit(EXIT_UNUSABLE)
    request = ScanRequest(
        paths=tuple(read_paths),
        variables=config.value("variables"),
        vars_files=tuple(config.value("varsFiles")),
        ignore_file=config.value("ignoreFile"),
        baseline=config.value("baseline"),
        strict=strict,
        cluster=cluster,
        kubeconfig=kubeconfig,
        context=context,
        namespaces=tuple(namespace),
        aws=account,
        cluster_timeout=timeout,
        checks=checks,
        keep_topology=False,  # reports of a scan need no topology: memory follows a group
        jobs=jobs if jobs is not None else default_jobs(),
        cache_dir=cache_dir,
    )
    try:
        result = run_scan(request)
    except InputError as error:
        fail_input(error)
    if skipped_problems:
        result = dataclasses.replace(result, errors=(*skipped_problems, *result.errors))
    if result.nothing_read:
        # no report saying "No open findings" about nothing: the reasons, then exit 2
        print_problems([*result.errors, *result.notes])
        err("error: nothing could be read from the given inputs")
        raise typer.Exit(EXIT_UNUSABLE)
    from capsa.cli.selection import at_or_above, only_selected

    result = only_selected(result, config.value("checks"), config.value("skipChecks"))
    result = at_or_above(result, config.value("severity"))
    _emit(result, targets, compact)
    raise typer.Exit(_exit_code(result, FailOn(config.value("failOn"))))


def _severity(value: str | None) -> str | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in ("low", "medium", "high", "critical"):
        raise typer.BadParameter(
            f"{value!r} is not one of low, medium, high, critical", param_hint="--severity"
        )
    return lowered


def _selected_checks(only: list[str], skip: list[str]) -> list[Check] | None:
    """The manifest checks to run; None (every shipped check) without a selection. A
    pattern that names no check at all is an error (live and cloud check ids count)."""
    if not only and not skip:
        return None
    from capsa.checks.catalog import load_checks
    from capsa.cli.selection import select_checks, unmatched

    checks = load_checks()
    known = [c.id for c in checks] + _other_check_ids()
    unknown = unmatched([*only, *skip], known)
    if unknown:
        raise InputError(
            [Problem("--check/--skip-check", None, None, f"{p!r} names no check") for p in unknown]
        )
    return select_checks(checks, only, skip)


def _other_check_ids() -> list[str]:
    """Ids of the live and cloud checks, which --check may name too."""
    from capsa.cloud.catalog import cloud_checks
    from capsa.live.catalog import live_checks

    return [*live_checks(), *(c.id for c in cloud_checks())]


def register(root: typer.Typer) -> None:
    """Add `scan`, `checks` and `policy` to the root app."""
    from capsa.cli import checks_cmd

    root.command("scan")(scan)
    root.add_typer(checks_cmd.checks_app, name="checks")
    root.add_typer(checks_cmd.policy_app, name="policy")
