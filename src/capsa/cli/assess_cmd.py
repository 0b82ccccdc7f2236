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

from capsa.cli import options as opt
from capsa.cli.aws_cmd import aws_options
from capsa.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    Verbosity,
    err,
    fail_input,
    write_output,
)
from capsa.cli.options import FAIL_ON_METAVAR, DiffFailOn, FailOn
from capsa.display import display_path
from capsa.terminal import console

app = typer.Typer(help="Write, re-render and compare the self-assessment.", no_args_is_help=True)


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"
    SARIF = "sarif"
    JSON = "json"


class DiffFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


FILE_OF = {
    ReportFormat.MD: "assessment.md",
    ReportFormat.HTML: "assessment.html",
    ReportFormat.SARIF: "results.sarif",
    ReportFormat.JSON: "assessment.json",
}
# Markdown and HTML are a main report plus companion documents beside it
# (`capsa.report.companions`), written together: the main report links to them.
WITH_COMPANIONS = (ReportFormat.MD, ReportFormat.HTML)
STEM = "assessment"


def files_of(fmt: ReportFormat, stem: str = STEM) -> list[str]:
    """Every file one format writes, main report first."""
    from capsa.report.companions import KEYS, MAIN, file_name

    if fmt not in WITH_COMPANIONS:
        return [FILE_OF[fmt]]
    return [file_name(stem, key, fmt.value) for key in (MAIN, *KEYS)]


OUTPUT_FILES = tuple(name for fmt in FILE_OF for name in files_of(fmt))


def parse_formats(text: str) -> list[ReportFormat]:
    """`--formats md,html`: the reports to write, in the order given (case-insensitive)."""
    chosen: list[ReportFormat] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in {f.value for f in ReportFormat}:
            known = ", ".join(f.value for f in ReportFormat)
            raise typer.BadParameter(f"{part.strip()!r} is not one of {known}")
        if ReportFormat(name) not in chosen:
            chosen.append(ReportFormat(name))
    if not chosen:
        raise typer.BadParameter("name at least one of md, html, json, sarif")
    return chosen


def _usage(message: str) -> typer.Exit:
    err(f"error: {message}")
    return typer.Exit(EXIT_UNUSABLE)


def render_documents(assessment: Any, fmt: ReportFormat, stem: str = STEM) -> dict[str, str]:
    """One output format of an Assessment as its files (name → text), main report first."""
    if fmt is ReportFormat.MD:
        from capsa.report.assessment_markdown import render_assessment_markdown_documents

        return render_assessment_markdown_documents(assessment, stem)
    if fmt is ReportFormat.HTML:
        from capsa.report.assessment_html import render_assessment_html_documents

        return render_assessment_html_documents(assessment, stem)
    if fmt is ReportFormat.SARIF:
        from capsa.report.assessment_sarif import render_assessment_sarif

        return {FILE_OF[fmt]: render_assessment_sarif(assessment)}
    return {FILE_OF[fmt]: str(assessment.to_json())}


def render(assessment: Any, fmt: ReportFormat) -> str:
    """The main document of one output format."""
    return next(iter(render_documents(assessment, fmt).values()))


def write_all(assessment: Any, out: Path, formats: list[ReportFormat] | None = None) -> list[Path]:
    """Write the reports asked for (default: all four, Markdown and HTML each with their
    companions) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats or list(FILE_OF):
        if fmt is ReportFormat.JSON:  # the largest by far: written as it is made
            target = out / FILE_OF[fmt]
            partial = target.with_name(f".{target.name}.part")
            try:
                with partial.open("wb") as handle:
                    assessment.write_json(handle)
            except BaseException:
                partial.unlink(missing_ok=True)  # the previous report stays whole
                raise
            partial.replace(target)
            written.append(target)
            continue
        for name, text in render_documents(assessment, fmt).items():
            target = out / name
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def written_lines(written: list[Path]) -> list[str]:
    """The files written, a line each, a main report's companions on one line under it."""
    from capsa.report.companions import KEYS

    lines: list[str] = []
    for path in written:
        key = path.stem.rpartition("-")[2]
        if key in KEYS and path.stem.endswith(f"{STEM}-{key}"):
            if lines and lines[-1].startswith("  + "):
                lines[-1] += f", {key}"
            else:
                lines.append(f"  + {key}")
        else:
            lines.append(str(path))
    return [
        line.replace("  + ", "  + companions: ", 1) if line.startswith("  + ") else line
        for line in lines
    ]


def print_threats(assessment: Any, console: Console) -> None:
    """One row per threat: its status and the one-line reason for it."""
    from rich.table import Table

    if not assessment.threats:
        derived = len(assessment.candidates)
        console.print(
            "no threat of the catalogue applies to this model"
            + (f"; {derived} threats derived from it are in the report" if derived else ""),
            soft_wrap=False,
        )
        return
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
    if assessment.candidates:
        from capsa.report.assessment_text import candidate_split

        opened, mitigated, unknown = candidate_split(assessment.candidates)
        saved = f", {unknown} saved without a status" if unknown else ""
        table.add_row(
            "derived threats",
            f"{len(assessment.candidates)}: {opened} open, {mitigated} mitigated in the "
            f"model{saved} (no check assesses them)",
        )
    table.add_row(
        "open findings",
        ", ".join(f"{v} {k}" for k, v in s.findings_by_severity.items() if v) or "none",
    )
    if s.suppressed:
        table.add_row("suppressed", str(s.suppressed))
    table.add_row("resources", str(s.resources))
    if s.paths_not_searched:
        table.add_row("attack paths", "not searched: " + "; ".join(s.paths_not_searched))
    else:
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
    inputs = assessment.inputs
    if inputs.provider_note:
        table.add_row("providers", inputs.provider_note)
    if inputs.selection:
        left_out = f"{len(inputs.excluded_checks)} check(s) left out, their mitigations not "
        left_out += f"assessed; {inputs.skipped_files} file(s) unread"
        table.add_row("selection", left_out + "\n" + "\n".join(inputs.selection))
    if s.errors:
        table.add_row("input problems", str(s.errors))
    table.add_row("written", "\n".join(written_lines(written)))
    console.print(table)


def exit_code(assessment: Any, fail_on: FailOn) -> int:
    """1 when an open finding of the assessment is at or above `fail_on`; 2 when no
    check ran at all (a gate must not read that as clean)."""
    if assessment.summary.judged_nothing:
        return EXIT_UNUSABLE
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
        None,
        metavar="PATH",
        help="Manifest files or directories ('-' for stdin). None: the bundled example, "
        "when the model describes Cluster API on AWS (a model of another system is then "
        "judged on no evidence, and says so).",
    ),
    model: str = typer.Option(
        "builtin:capi-aws", "--model", "-m", metavar="FILE", help="Model file or builtin:NAME."
    ),
    cluster: bool = opt.cluster_option("Also read the live management cluster (read-only)."),
    kubeconfig: str | None = opt.kubeconfig_option(),
    context: str | None = opt.context_option(),
    aws: bool = opt.aws_option(),
    aws_profile: str | None = opt.aws_profile_option(),
    aws_region: list[str] = opt.aws_region_option(),
    timeout: float | None = opt.timeout_option(),
    repo: str | None = typer.Option(
        None, "--repo", metavar="DIR", help="Project repository for DEV-* gaps."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="DIR",
        help="Directory the reports are written to. Default: capsa-report.",
    ),
    out: Path | None = typer.Option(None, "--out", hidden=True, help="Old name of --output."),
    formats: str = typer.Option(
        "md,html,json,sarif",
        "--formats",
        metavar="md,html,json,sarif",
        help="The reports to write (comma-separated); md and html each come with their "
        "companion documents (threats, paths, findings, system, fmea) beside them.",
    ),
    fail_on: FailOn | None = opt.fail_on_option(FailOn.NONE),
    check: list[str] = opt.check_option(),
    skip_check: list[str] = opt.skip_check_option(),
    severity: str | None = opt.severity_option(
        "Assess with only the checks at or above this severity; the others count as not run."
    ),
    skip_path: list[str] = opt.skip_path_option(),
    var: list[str] = opt.var_option(),
    vars_file: list[str] = opt.vars_file_option(),
    ignore_file: str | None = opt.ignore_file_option(),
    config_file: str | None = opt.config_option(),
    root: str | None = opt.root_option(),
    tracking: str | None = typer.Option(
        None, "--tracking", metavar="FILE", help="Threat tracking decisions."
    ),
) -> None:
    """Run model → threats → scan → paths and write assessment.md/.html/.json and
    results.sarif (or the --formats chosen) into the output directory; the Markdown and
    HTML reports link to their companion documents written beside them.

    A mitigation whose checks --check, --skip-check or --severity leave out is not assessed (never verified or violated) and says which option left them out; the files --skip-path leaves out are counted in the report's scope.

    Exit codes: 0 nothing open at or above --fail-on; 1 open findings at or above it; 2 unusable input (a missing path, nothing readable, an unreachable cluster), a broken configuration or a usage error."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from capsa.assess.pipeline import AssessRequest
    from capsa.assess.repository_checks import repository_checks
    from capsa.assess.service import assess as run_assessment
    from capsa.cli.config import given, resolve, selection_of
    from capsa.cli.options import missing_paths
    from capsa.errors import InputError

    missing_paths(paths)
    chosen_formats = parse_formats(formats)
    target_dir = output or out or Path("capsa-report")
    if not cluster and (kubeconfig or context or timeout is not None):
        raise _usage("--kubeconfig, --context and --timeout only apply with --cluster")
    try:
        config = resolve(
            paths or [],
            {
                **given(fail_on, check, skip_check, severity, skip_path, var, vars_file),
                "ignoreFile": ignore_file,
                "root": root,
            },
            default_fail_on=FailOn.NONE,
            config_file=config_file,
        )
        selection = selection_of(config, list(repository_checks()))
    except InputError as error:
        fail_input(error)
    account = aws_options(aws, aws_profile, aws_region)
    request = AssessRequest(
        paths=list(paths or []),
        model=model,
        cluster=cluster,
        kubeconfig=kubeconfig,
        context=context,
        cluster_timeout=timeout,
        repo=repo,
        variables=config.value("variables"),
        vars_files=tuple(config.value("varsFiles")),
        ignore_file=config.value("ignoreFile"),
        tracking=tracking,
        aws=account,
        root=config.value("root"),
        selection=selection,
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
            written = write_all(result, target_dir, chosen_formats)
    except InputError as error:
        fail_input(error)
    except OSError as error:
        raise _usage(f"{error.filename or target_dir}: {error.strerror}") from None
    if Verbosity.level >= 0:  # -q: the reports are in the files; say nothing more
        screen = console()
        print_threats(result, screen)
        print_summary(result, written, screen)
    for problem in result.errors:
        err(f"error: {problem.label}")
    raise typer.Exit(exit_code(result, FailOn(config.value("failOn"))))


def _kind_of(text: str) -> tuple[str | None, str | None]:
    """(schema, kind) of a JSON document, when it is a JSON object that says them."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    schema, kind = data.get("schema"), data.get("kind")
    if kind is None and "findings" in data and "summary" in data:
        kind = "ScanReport"  # scan output of capsa before outputs named their kind
    return (
        schema if isinstance(schema, str) else None,
        kind if isinstance(kind, str) else None,
    )


def load_assessment(path: str) -> Any:
    """Read an assessment.json; unusable input exits 2 with the file named and what was
    expected instead of what it holds."""
    from pydantic import ValidationError

    from capsa import READABLE_SCHEMAS
    from capsa.assess.model import Assessment
    from capsa.errors import InputError
    from capsa.reader import MAX_FILE_BYTES, read_text

    try:
        text = read_text(path, what="assessment", limit=MAX_FILE_BYTES)
    except InputError as error:
        fail_input(error)
    shown = display_path(path)
    expected = (
        f"expected an assessment.json written by `capsa assess` "
        f'("schema": "{READABLE_SCHEMAS[-1]}", "kind": "Assessment")'
    )
    schema, kind = _kind_of(text)
    if kind is not None and kind != "Assessment":
        hint = ""
        if kind == "ScanReport":
            hint = "; it is the output of `capsa scan`: run `capsa assess` to write one"
        raise _usage(f"{shown}: this is a capsa {kind}, {expected}{hint}")
    try:
        return Assessment.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        found = f" (it says schema {schema!r})" if schema not in (None, *READABLE_SCHEMAS) else ""
        raise _usage(f"{shown}: {expected}{found}; {where}: {first['msg']}") from None


@app.command("report")
def report(
    source: str = typer.Option(
        ..., "--from", metavar="FILE", help="An assessment.json written by capsa assess."
    ),
    fmt: ReportFormat = typer.Option(
        ReportFormat.MD, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write to a file (md and html: with their companion documents beside it, "
        "named after it).",
    ),
) -> None:
    """Re-render a saved assessment without rescanning. Markdown and HTML are a main report
    that links to companion documents (FILE-threats.md, -paths, -findings, -system, -fmea):
    with -o they are written beside FILE; on standard output only the main report is."""
    assessment = load_assessment(source)
    stem = Path(output).stem if output and output != "-" else STEM
    documents = list(render_documents(assessment, fmt, stem).items())
    to_stdout = output is None or output == "-"
    write_output(documents[0][1], None if to_stdout else output)
    if len(documents) > 1 and to_stdout:
        err(
            f"note: the {fmt.value} report links to {len(documents) - 1} companion documents; "
            "write it with -o FILE to get them beside it"
        )
    elif output is not None and not to_stdout:
        folder = Path(output).parent
        for name, text in documents[1:]:
            write_output(text, str(folder / name))


@app.command("diff")
def diff(
    old: str = typer.Argument(..., metavar="OLD", help="The earlier assessment.json."),
    new: str = typer.Argument(..., metavar="NEW", help="The later assessment.json."),
    fmt: DiffFormat = typer.Option(
        DiffFormat.TABLE, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to a file."
    ),
    fail_on: DiffFailOn = typer.Option(
        DiffFailOn.NONE,
        "--fail-on",
        case_sensitive=False,
        metavar=FAIL_ON_METAVAR + "|new",
        help="Exit 1 when NEW has an open finding at or above this severity, or (new) when "
        "it has an open finding OLD did not have; none never fails.",
    ),
) -> None:
    """New, fixed, changed and moved findings (by fingerprint) and threat/mitigation status
    changes. A finding whose only difference is its file or line is listed as moved, not
    as fixed and new."""
    from capsa.assess.diff import diff_assessments

    before, after = load_assessment(old), load_assessment(new)
    result = diff_assessments(before, after)
    if fmt is DiffFormat.JSON:
        write_output(result.model_dump_json(indent=2, by_alias=True), output)
    elif output is not None:
        import io

        recorder = console(file=io.StringIO(), width=160, record=True)
        _print_diff(result, recorder)
        write_output(recorder.export_text(), output)
    else:
        _print_diff(result, console())
    if fail_on is DiffFailOn.NEW:
        raise typer.Exit(EXIT_FINDINGS if any(not f.suppressed for f in result.new) else EXIT_OK)
    raise typer.Exit(exit_code(after, FailOn(fail_on.value)))


def _print_diff(result: Any, console: Console) -> None:
    from rich.table import Table

    if result.empty:
        console.print("no difference")
        return
    findings = Table()
    for column in ("change", "check", "severity", "resource", "location / detail"):
        findings.add_column(column, overflow="fold")  # ids and locations are never cut
    for f in result.new:
        findings.add_row("new", f.check_id, f.severity.value, f.resource.label, f.location.label)
    for f in result.fixed:
        findings.add_row("fixed", f.check_id, f.severity.value, f.resource.label, f.location.label)
    for c in result.changed:
        detail = "; ".join(f"{k}: {a} → {b}" for k, (a, b) in c.changes.items())
        findings.add_row("changed", c.check_id, "", c.resource, detail)
    for m in result.moved:
        findings.add_row("moved", m.check_id, "", m.resource, f"{m.before.label} → {m.after.label}")
    if findings.row_count:
        console.print(findings)
    if result.status_changes:
        statuses = Table(title="Status changes")
        for column in ("kind", "id", "before", "after"):
            statuses.add_column(column, overflow="fold")
        for s in result.status_changes:
            statuses.add_row(s.kind, s.id, s.old or "-", s.new or "-")
        console.print(statuses)
