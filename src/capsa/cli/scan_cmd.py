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

from capsa.cli import options as opt
from capsa.cli.aws_cmd import aws_options
from capsa.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    detail,
    err,
    fail_input,
    note,
    print_problems,
    write_output,
)
from capsa.cli.options import FailOn, missing_paths
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
    """Each target written. Every writer makes the locations it shows relative to the
    root; the result is rebased once here when a target shows more than findings, so
    several such targets share one rebasing (the terminal list moves the findings
    alone)."""
    from capsa.scan.locations import rebased

    if any(t.fmt != ScanFormat.TABLE or t.path is not None for t in targets):
        result = rebased(result)
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
    fail_on: FailOn | None = opt.fail_on_option(FailOn.HIGH),
    check: list[str] = opt.check_option(),
    skip_check: list[str] = opt.skip_check_option(),
    severity: str | None = opt.severity_option("Show only findings at or above this severity."),
    skip_path: list[str] = opt.skip_path_option(),
    var: list[str] = opt.var_option(),
    vars_file: list[str] = opt.vars_file_option(),
    ignore_file: str | None = opt.ignore_file_option(),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        metavar="FILE",
        help="A previous JSON report; findings in it are hidden.",
    ),
    config_file: str | None = opt.config_option(),
    root: str | None = opt.root_option(),
    strict: bool = typer.Option(False, "--strict/--no-strict", help="Exit 2 on any input error."),
    compact: bool = typer.Option(
        False, "--compact", help="Table format: one line per finding, without title and fix."
    ),
    cluster: bool = opt.cluster_option("Read the live management cluster (read-only, GET only)."),
    kubeconfig: str | None = opt.kubeconfig_option(),
    context: str | None = opt.context_option(),
    namespace: list[str] = typer.Option(
        [],
        "--namespace",
        "-n",
        metavar="NAME",
        help="Only these namespaces of the cluster (repeatable).",
    ),
    aws: bool = opt.aws_option(),
    aws_profile: str | None = opt.aws_profile_option(),
    aws_region: list[str] = opt.aws_region_option(),
    timeout: float | None = opt.timeout_option(),
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
        metavar="DIR",
        help="Keep what each file and group gave here; a re-scan then re-reads only what "
        "changed (keyed by file content, variables and check set). Off unless given.",
    ),
) -> None:
    """Scan Cluster API manifests (and/or a live management cluster) against the checks of
    the security self-assessment.

    Exit codes: 0 nothing open at or above --fail-on; 1 open findings at or above it; 2 unusable input (a missing path, nothing readable, an unreachable cluster, any input error under --strict) or a usage error."""
    from capsa.cli.config import given, resolve
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
    targets = plan(output, fmt.value if fmt else None, ScanFormat.TABLE.value, set(ScanFormat))
    try:
        config = resolve(
            paths or [],
            {
                **given(fail_on, check, skip_check, severity, skip_path, var, vars_file),
                "ignoreFile": ignore_file,
                "root": root,
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
        from capsa.scan.selection import expand_skipping

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
        root=_root(paths or [], config.value("root")),
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
    from capsa.scan.selection import at_or_above, only_selected
    from capsa.scan.service import collector_paused

    with collector_paused():  # the result's objects are many, and freed with the process
        result = only_selected(result, config.value("checks"), config.value("skipChecks"))
        result = at_or_above(result, config.value("severity"))
        _emit(result, targets, compact)
    raise typer.Exit(_exit_code(result, FailOn(config.value("failOn"))))


def _root(paths: list[str], explicit: str | None) -> str | None:
    """The scan root of the PATHs as typed (before --skip-path lists their files)."""
    from capsa.sources.root import scan_root

    root = scan_root(paths, explicit)
    return None if root is None else str(root)


def _selected_checks(only: list[str], skip: list[str]) -> list[Check] | None:
    """The manifest checks to run; None (every shipped check) without a selection. A
    pattern that names no check at all is an error (live and cloud check ids count)."""
    if not only and not skip:
        return None
    from capsa.checks.catalog import load_checks
    from capsa.scan.selection import every_check_id, refuse_unknown, select_checks

    refuse_unknown([*only, *skip], every_check_id())
    return select_checks(load_checks(), only, skip)


def register(root: typer.Typer) -> None:
    """Add `scan`, `checks` and `policy` to the root app."""
    from capsa.cli import checks_cmd

    root.command("scan")(scan)
    root.add_typer(checks_cmd.checks_app, name="checks")
    root.add_typer(checks_cmd.policy_app, name="policy")
