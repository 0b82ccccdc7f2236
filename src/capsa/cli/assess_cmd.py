"""`capsa assess`, `capsa report` and `capsa diff`: write, re-render and compare assessments.

Commands are plain functions registered on `app`; the main CLI mounts them. Everything
heavy (pydantic models, the pipeline, jinja2) is imported when a command runs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

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
    write_output,
)
from capsa.display import display_path
from capsa.terminal import console

app = typer.Typer(help="Write, re-render and compare the self-assessment.", no_args_is_help=True)


class FailOn(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NONE = "none"


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"
    SARIF = "sarif"
    JSON = "json"


class DiffFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


OUTPUT_FILES = ("assessment.md", "assessment.html", "results.sarif", "assessment.json")


def _usage(message: str) -> typer.Exit:
    err(f"error: {message}")
    return typer.Exit(EXIT_UNUSABLE)


def render(assessment: Any, fmt: ReportFormat) -> str:
    """One output format of an Assessment."""
    if fmt is ReportFormat.MD:
        from capsa.report.assessment_markdown import render_assessment_markdown

        return render_assessment_markdown(assessment)
    if fmt is ReportFormat.HTML:
        from capsa.report.assessment_html import render_assessment_html

        return render_assessment_html(assessment)
    if fmt is ReportFormat.SARIF:
        from capsa.report.assessment_sarif import render_assessment_sarif

        return render_assessment_sarif(assessment)
    return str(assessment.to_json())


def write_all(assessment: Any, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    formats = (ReportFormat.MD, ReportFormat.HTML, ReportFormat.SARIF, ReportFormat.JSON)
    for name, fmt in zip(OUTPUT_FILES, formats, strict=True):
        target = out / name
        target.write_text(render(assessment, fmt), encoding="utf-8")
        written.append(target)
    return written


def print_threats(assessment: Any, console: Console) -> None:
    """One row per threat: its status and the one-line reason for it."""
    from rich.table import Table

    table = Table(title="threats", show_lines=False, expand=True)
    table.add_column("threat", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("why", ratio=1)
    for threat in assessment.threats:
        status = threat.deployment_status.value.replace("-", " ")
        table.add_row(threat.id, status, threat.reason)
    console.print(table)


def print_summary(assessment: Any, written: list[Path], console: Console) -> None:
    from rich.table import Table

    s = assessment.summary
    table = Table(title="capsa assessment", show_header=False)
    table.add_column("")
    table.add_column("")
    table.add_row(
        "threats",
        ", ".join(f"{v} {k.replace('-', ' ')}" for k, v in s.threats_by_status.items() if v)
        or "none",
    )
    table.add_row(
        "open findings",
        ", ".join(f"{v} {k}" for k, v in s.findings_by_severity.items() if v) or "none",
    )
    if s.suppressed:
        table.add_row("suppressed", str(s.suppressed))
    table.add_row("resources", str(s.resources))
    table.add_row("open attack paths", str(s.open_paths))
    table.add_row("recommended cut", ", ".join(s.cut) or "-")
    if s.uncuttable:
        table.add_row(
            "left open",
            "no checkable mitigation closes " + ", ".join(s.uncuttable),
        )
    elif s.cut:
        table.add_row("left open", "none: the cut closes every path")
    cloud = assessment.inputs.cloud
    table.add_row("cloud evidence", "\n".join(cloud) or assessment.inputs.cloud_note or "-")
    if s.errors:
        table.add_row("input problems", str(s.errors))
    table.add_row("written", "\n".join(str(p) for p in written))
    console.print(table)


def _exit_code(assessment: Any, fail_on: FailOn) -> int:
    if fail_on is FailOn.NONE:
        return EXIT_OK
    from capsa.assess.model import Severity
    from capsa.assess.summary import worst_open_severity

    worst = worst_open_severity(assessment.findings)
    threshold = Severity(fail_on.value)
    return EXIT_FINDINGS if worst is not None and worst.rank >= threshold.rank else EXIT_OK


@app.command("assess")
def assess(
    paths: list[str] = typer.Argument(
        None, help="Manifest files or directories ('-' for stdin). None: the bundled example."
    ),
    model: str = typer.Option(
        "builtin:capi-aws", "--model", "-m", help="Model file or builtin:NAME."
    ),
    cluster: bool = typer.Option(False, "--cluster", help="Also read the live management cluster."),
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="Kubeconfig for --cluster."),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context for --cluster."),
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
    repo: str | None = typer.Option(None, "--repo", help="Project repository for DEV-* gaps."),
    out: Path = typer.Option(Path("capsa-report"), "--out", "-o", help="Output directory."),
    fail_on: FailOn = typer.Option(
        FailOn.NONE, "--fail-on", help="Exit 1 if an open finding is at or above this severity."
    ),
    var: list[str] = typer.Option([], "--var", help="clusterctl variable NAME=VALUE (repeatable)."),
    vars_file: str | None = typer.Option(None, "--vars-file", help="YAML file of variables."),
    ignore_file: str | None = typer.Option(
        None,
        "--ignore-file",
        help=f"Suppressions file (default: ./{DEFAULT_IGNORE_FILE} when it exists).",
    ),
    tracking: str | None = typer.Option(None, "--tracking", help="Threat tracking decisions."),
) -> None:
    """Run model → threats → scan → paths and write assessment.md/.html/.json and results.sarif."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from capsa.assess.pipeline import AssessRequest
    from capsa.assess.service import assess as run_assessment
    from capsa.errors import InputError

    if not cluster and (kubeconfig or context or timeout is not None):
        raise _usage("--kubeconfig, --context and --timeout only apply with --cluster")
    if ignore_file is None and Path(DEFAULT_IGNORE_FILE).is_file():
        ignore_file = DEFAULT_IGNORE_FILE  # the same default `capsa scan` uses
    account = aws_options(aws, aws_profile, aws_region)
    request = AssessRequest(
        paths=list(paths or []),
        model=model,
        cluster=cluster,
        kubeconfig=kubeconfig,
        context=context,
        cluster_timeout=timeout,
        repo=repo,
        variables=parse_vars(var),
        vars_file=vars_file,
        ignore_file=ignore_file,
        tracking=tracking,
        aws=account,
    )
    steps = ("model", "threats", "scan", "paths", "repository", "assessment")
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("assessing", total=len(steps))

            def tell(step: str) -> None:
                bar.update(task, description=f"assessing: {step}", completed=steps.index(step))

            result = run_assessment(request, progress=tell)
            bar.update(task, description="writing reports", completed=len(steps))
            written = write_all(result, out)
    except InputError as error:
        fail_input(error)
    except OSError as error:
        raise _usage(f"{error.filename or out}: {error.strerror}") from None
    screen = console()
    print_threats(result, screen)
    print_summary(result, written, screen)
    for problem in result.errors:
        err(f"error: {problem.label}")
    raise typer.Exit(_exit_code(result, fail_on))


def load_assessment(path: str) -> Any:
    """Read an assessment.json; unusable input exits 2 with the file named."""
    from pydantic import ValidationError

    from capsa.assess.model import Assessment
    from capsa.errors import InputError
    from capsa.reader import MAX_FILE_BYTES, read_text

    try:
        text = read_text(path, what="assessment", limit=MAX_FILE_BYTES)
    except InputError as error:
        fail_input(error)
    try:
        return Assessment.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        shown = display_path(path)
        raise _usage(f"{shown}: not a capsa/v1 assessment ({where}: {first['msg']})") from None


@app.command("report")
def report(
    source: str = typer.Option(..., "--from", help="An assessment.json written by capsa assess."),
    fmt: ReportFormat = typer.Option(ReportFormat.MD, "--format", "-f"),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to a file."),
) -> None:
    """Re-render a saved assessment without rescanning."""
    write_output(render(load_assessment(source), fmt), output)


@app.command("diff")
def diff(
    old: str = typer.Argument(..., help="The earlier assessment.json."),
    new: str = typer.Argument(..., help="The later assessment.json."),
    fmt: DiffFormat = typer.Option(DiffFormat.TABLE, "--format", "-f"),
) -> None:
    """New, fixed and changed findings (by fingerprint) and threat/mitigation status changes."""
    from capsa.assess.diff import diff_assessments

    result = diff_assessments(load_assessment(old), load_assessment(new))
    if fmt is DiffFormat.JSON:
        write_output(result.model_dump_json(indent=2, by_alias=True), None)
        return
    _print_diff(result, console())


def _print_diff(result: Any, console: Console) -> None:
    from rich.table import Table

    if result.empty:
        console.print("no difference")
        return
    findings = Table("change", "check", "severity", "resource", "location / detail")
    for f in result.new:
        findings.add_row("new", f.check_id, f.severity.value, f.resource.label, f.location.label)
    for f in result.fixed:
        findings.add_row("fixed", f.check_id, f.severity.value, f.resource.label, f.location.label)
    for c in result.changed:
        detail = "; ".join(f"{k}: {a} → {b}" for k, (a, b) in c.changes.items())
        findings.add_row("changed", c.check_id, "", c.resource, detail)
    if findings.row_count:
        console.print(findings)
    if result.status_changes:
        statuses = Table("kind", "id", "before", "after", title="Status changes")
        for s in result.status_changes:
            statuses.add_row(s.kind, s.id, s.old or "-", s.new or "-")
        console.print(statuses)
