"""`capsa scan`, `capsa checks list|show` and `capsa policy export`.

Mount with `register(app)`: it adds the `scan` command and the `checks` and `policy`
groups to the root Typer app. Only typer and rich are imported here; the scanner, the
check engine and the writers load when a command runs.

Exit codes: 0 nothing open at or above --fail-on; 1 open findings at or above it;
2 usage error, unusable suppressions/baseline, or unusable input (nothing could be read,
or any input error under --strict).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from capsa.cli.aws_cmd import AWS_HELP, aws_options
from capsa.cli.common import (
    DEFAULT_IGNORE_FILE,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    TIMEOUT_HELP,
    err,
    fail_input,
    live_timeout,
    parse_vars,
    print_problems,
    write_output,
)
from capsa.errors import InputError
from capsa.terminal import console

if TYPE_CHECKING:
    from capsa.checks.model import Check
    from capsa.scan.result import ScanResult


checks_app = typer.Typer(help="List and explain the checks capsa runs.", no_args_is_help=True)
policy_app = typer.Typer(
    help="Export checks as admission policies for a management cluster.", no_args_is_help=True
)


class ScanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MD = "md"


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class FailOn(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Action(StrEnum):
    DENY = "Deny"
    WARN = "Warn"
    AUDIT = "Audit"


def _write(text: str, output: str | None) -> None:
    write_output(text if text.endswith("\n") else text + "\n", output)


def _emit(result: ScanResult, fmt: ScanFormat, output: str | None) -> None:
    if fmt is ScanFormat.TABLE and output is None:
        from capsa.report.scan_table import print_table

        print_table(result, console(soft_wrap=False))
        return
    if fmt is ScanFormat.TABLE:
        from capsa.report.scan_table import render_table

        text = render_table(result)
    elif fmt is ScanFormat.JSON:
        from capsa.report.scan_json import render_json

        text = render_json(result)
    elif fmt is ScanFormat.SARIF:
        from capsa.report.sarif import render_sarif

        text = render_sarif(result)
    else:
        from capsa.report.scan_markdown import render_markdown

        text = render_markdown(result)
    _write(text, output)
    print_problems(result.errors)


def _exit_code(result: ScanResult, fail_on: FailOn) -> int:
    from capsa.checks.findings import Severity

    if result.unusable:
        return EXIT_UNUSABLE
    worst = result.worst_open()
    return EXIT_FINDINGS if worst is not None and worst >= Severity(fail_on.value) else EXIT_OK


def scan(
    paths: list[str] = typer.Argument(
        None,
        metavar="[PATH]...",
        help="Manifest files or directories; - reads standard input.",
    ),
    fmt: ScanFormat = typer.Option(ScanFormat.TABLE, "--format", "-f", help="Output format."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    fail_on: FailOn = typer.Option(
        FailOn.HIGH, "--fail-on", help="Exit 1 when an open finding is at least this severe."
    ),
    var: list[str] = typer.Option(
        [], "--var", metavar="NAME=VALUE", help="A clusterctl variable value (repeatable)."
    ),
    vars_file: list[str] = typer.Option(
        [], "--vars-file", help="clusterctl variables file (YAML or NAME=VALUE lines)."
    ),
    ignore_file: str | None = typer.Option(
        None,
        "--ignore-file",
        help=f"Suppressions file (default: ./{DEFAULT_IGNORE_FILE} when it exists).",
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="A previous JSON report; findings in it are hidden."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 on any input error."),
    cluster: bool = typer.Option(
        False, "--cluster", help="Read the live management cluster (read-only, GET only)."
    ),
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="kubeconfig for --cluster."),
    context: str | None = typer.Option(None, "--context", help="kubeconfig context."),
    namespace: list[str] = typer.Option(
        [], "--namespace", "-n", help="Only these namespaces of the cluster (repeatable)."
    ),
    aws: bool = typer.Option(False, "--aws", help=AWS_HELP),
    aws_profile: str | None = typer.Option(
        None, "--aws-profile", help="AWS profile for --aws (default: the standard chain)."
    ),
    aws_region: list[str] = typer.Option(
        [], "--aws-region", help="Region for --aws (repeatable; default: the configured one)."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", callback=live_timeout, help=TIMEOUT_HELP
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
    the security self-assessment."""
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
    variables = parse_vars(var)
    if ignore_file is None and Path(DEFAULT_IGNORE_FILE).is_file():
        ignore_file = DEFAULT_IGNORE_FILE
    request = ScanRequest(
        paths=tuple(paths or ()),
        variables=variables,
        vars_files=tuple(vars_file),
        ignore_file=ignore_file,
        baseline=baseline,
        strict=strict,
        cluster=cluster,
        kubeconfig=kubeconfig,
        context=context,
        namespaces=tuple(namespace),
        aws=account,
        cluster_timeout=timeout,
        keep_topology=False,  # reports of a scan need no topology: memory follows a group
        jobs=jobs if jobs is not None else default_jobs(),
        cache_dir=cache_dir,
    )
    try:
        result = run_scan(request)
    except InputError as error:
        fail_input(error)
    if result.nothing_read and fmt is ScanFormat.TABLE and output is None:
        print_problems(result.errors)  # no table saying "No open findings" about nothing
    else:
        _emit(result, fmt, output)
    if result.nothing_read:
        err("error: nothing could be read from the given inputs")
    raise typer.Exit(_exit_code(result, fail_on))


# --- checks -------------------------------------------------------------------------


def _load_checks() -> list[Check]:
    from capsa.checks.catalog import load_checks

    try:
        return load_checks()
    except InputError as error:
        fail_input(error)


def _check_dict(check: Check) -> dict[str, Any]:
    from capsa.checks.vap import exportable

    return {
        "id": check.id,
        "title": " ".join(check.title.split()),
        "severity": check.severity.value,
        "threats": list(check.threats),
        "mitigation": check.mitigation,
        "scope": check.scope,
        "kinds": [k.model_dump(exclude_none=True) for k in check.match.kinds],
        "providers": list(check.providers),
        "field": " ".join(check.field.split()),
        "variables": [{"name": v.name, "expression": v.expression} for v in check.variables],
        "expression": check.expression,
        "message": " ".join(check.message.split()),
        "remediation": " ".join(check.remediation.split()),
        "references": list(check.references),
        "unknownWhen": list(check.unknown_when),
        "exportable": exportable(check) is None,
    }


@checks_app.command("list")
def list_checks(
    fmt: ListFormat = typer.Option(ListFormat.TABLE, "--format", "-f", help="Output format."),
) -> None:
    """List every check: id, severity, threats and title."""
    checks = _load_checks()
    if fmt is ListFormat.JSON:
        import json

        _write(json.dumps([_check_dict(c) for c in checks], indent=2), None)
        return
    from rich.table import Table

    table = Table(title=f"{len(checks)} checks")
    for column in ("id", "severity", "scope", "threats", "title"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(
            check.id,
            check.severity.value,
            check.scope,
            ", ".join(check.threats),
            " ".join(check.title.split()),
        )
    console().print(table)


@checks_app.command("show")
def show_check(check_id: str = typer.Argument(..., metavar="ID", help="A check id.")) -> None:
    """Explain one check: what it matches, its CEL, why it matters and how to fix it."""
    checks = {c.id: c for c in _load_checks()}
    check = checks.get(check_id.strip().upper())
    if check is None:
        import difflib

        close = difflib.get_close_matches(check_id.upper(), list(checks), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        err(f"error: unknown check {check_id!r}{hint}")
        raise typer.Exit(EXIT_UNUSABLE)
    data = _check_dict(check)
    kinds = ", ".join(f"{k.get('group')}/{k['kind']}" for k in data["kinds"])
    lines = [
        f"{check.id}: {data['title']}",
        f"severity:    {data['severity']}",
        f"threats:     {', '.join(check.threats)}",
        f"mitigation:  {check.mitigation}",
        f"scope:       {check.scope}",
        f"matches:     {kinds}",
        f"providers:   {', '.join(check.providers)}",
        f"field:       {data['field']}",
        f"exportable:  {'yes' if data['exportable'] else 'no'}",
        "",
        *(f"variables.{v.name} = {' '.join(v.expression.split())}" for v in check.variables),
        "expression (true when compliant):",
        *(f"  {line}" for line in check.expression.strip().splitlines()),
        *_conditions(check),
        "",
        f"why: {data['message']}",
        "",
        f"fix: {data['remediation']}",
        "",
        "references:",
        *(f"  - {ref}" for ref in check.references),
    ]
    _write("\n".join(lines), None)


def _conditions(check: Check) -> list[str]:
    """When a result is not applicable, and when a pass rests on an upstream default."""
    lines: list[str] = []
    if check.applies_when is not None:
        lines += [
            "applies when (otherwise not applicable):",
            f"  {' '.join(check.applies_when.split())}",
        ]
    if check.by_default is not None:
        lines += [
            "passes by default when:",
            f"  {' '.join(check.by_default.when.split())}",
            f"  ({' '.join(check.by_default.default.split())}; {check.by_default.reference})",
        ]
    return lines


# --- policy -------------------------------------------------------------------------


@policy_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Directory to write the policy files into."),
    action: list[Action] = typer.Option(
        [Action.DENY], "--action", help="validationActions of the bindings (repeatable)."
    ),
    only: list[str] = typer.Option([], "--check", help="Export only these check ids."),
) -> None:
    """Write each object-level check as a ValidatingAdmissionPolicy and its binding."""
    import yaml

    from capsa.checks.vap import NotExportable, export_policy

    checks = _load_checks()
    wanted = {c.strip().upper() for c in only}
    unknown = sorted(wanted - {c.id for c in checks})
    if unknown:
        err(f"error: unknown check(s): {', '.join(unknown)}")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        err(f"error: {out}: cannot create directory: {error.strerror}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    written = 0
    for check in checks:
        if wanted and check.id not in wanted:
            continue
        try:
            documents = export_policy(check, tuple(a.value for a in action))
        except NotExportable as reason:
            err(f"skipped: {reason}")
            continue
        text = yaml.safe_dump_all(documents, sort_keys=False, width=100)
        _write(text, str(out / f"{check.id.lower()}.yaml"))
        written += 1
    write_output(f"wrote {written} policy file(s) to {out}", None)


def register(root: typer.Typer) -> None:
    """Add `scan`, `checks` and `policy` to the root app."""
    root.command("scan")(scan)
    root.add_typer(checks_app, name="checks")
    root.add_typer(policy_app, name="policy")
