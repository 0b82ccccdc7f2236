"""`capsa paths`: attack paths from entry points to critical targets, and the smallest set
of mitigations that closes them all.

Mount with `app.command(name="paths")(paths_cmd.paths)`; `paths_cmd.app` runs the
command on its own (used by the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from capsa.cli.aws_cmd import AWS_HELP, aws_options
from capsa.cli.common import (
    DEFAULT_IGNORE_FILE,
    EXIT_UNUSABLE,
    TIMEOUT_HELP,
    err,
    fail_input,
    live_timeout,
    print_problems,
    write_output,
)
from capsa.errors import InputError
from capsa.terminal import console

if TYPE_CHECKING:
    from capsa.graph.search import AttackPath, PathReport

app = typer.Typer(help="Attack paths and the minimum cut of mitigations.", add_completion=False)


class PathsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MERMAID = "mermaid"
    DOT = "dot"


@app.command()
def paths(
    inputs: list[str] = typer.Argument(
        None, metavar="PATH", help="Manifest files or directories ('-' for stdin)."
    ),
    model: str = typer.Option(
        "builtin:capi-aws",
        "--model",
        "-m",
        help="Model file or builtin:NAME; drops techniques it has no elements for.",
    ),
    entry: list[str] = typer.Option(None, "--entry", help="Entry capability id (repeatable)."),
    target: list[str] = typer.Option(None, "--target", help="Target capability id (repeatable)."),
    top: int = typer.Option(5, "--top", min=1, help="Path shapes per entry/target pair."),
    assume: list[str] = typer.Option(
        None, "--assume", help="Mitigation id to treat as applied (repeatable): what-if."
    ),
    cluster: bool = typer.Option(
        False, "--cluster", help="Also read the live management cluster (read-only)."
    ),
    generic: bool = typer.Option(
        False,
        "--generic",
        help="Search one generic cluster standing for the model, every mitigation unknown, "
        "instead of a deployment.",
    ),
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="kubeconfig file."),
    context: str | None = typer.Option(None, "--context", help="kubeconfig context."),
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
    output_format: PathsFormat = typer.Option(
        PathsFormat.TABLE, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to a file."
    ),
) -> None:
    """Find ranked attack paths and the cut in the deployment given (with no input, the
    bundled example `capsa assess` reads; with --generic, a generic cluster)."""
    from capsa.cli.options import missing_paths
    from capsa.examples import demo_path
    from capsa.graph import render
    from capsa.graph.search import what_if
    from capsa.graph.service import attack_paths, generic_scan, scan_manifests
    from capsa.model.loader import load_model

    missing_paths(inputs)
    if not cluster and (kubeconfig or context or timeout is not None):
        err("error: --kubeconfig, --context and --timeout only apply with --cluster")
        raise typer.Exit(EXIT_UNUSABLE)
    account = aws_options(aws, aws_profile, aws_region)
    if generic and (inputs or cluster or account is not None):
        typer.echo(
            "error: --generic searches no deployment: give no inputs, --cluster or --aws",
            err=True,
        )
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        loaded = load_model(model)
        if generic:
            scan = generic_scan()
        else:
            scan = scan_manifests(
                inputs or ([] if cluster or account is not None else [str(demo_path())]),
                cluster=cluster,
                kubeconfig=kubeconfig,
                context=context,
                aws=account,
                cluster_timeout=timeout,
                # suppressed findings stop counting as violations, as in scan and assess
                ignore_file=DEFAULT_IGNORE_FILE if Path(DEFAULT_IGNORE_FILE).is_file() else None,
            )
        result = attack_paths(
            scan,
            model=loaded,
            entries=entry or None,
            targets=target or None,
            top=top,
            assume=assume or (),
        )
        removed = None
        if assume:
            removed = what_if(result.graph, assume, entry or None, target or None, top).removed
    except InputError as error:
        fail_input(error)
    if scan.problems:
        print_problems(scan.problems)
    if scan.nothing_read:
        err("error: nothing could be read from the given inputs")
        raise typer.Exit(EXIT_UNUSABLE)
    report = result.report
    if output_format is PathsFormat.JSON:
        import json

        doc = render.report_dict(report)
        if removed is not None:
            doc["removedByAssumed"] = [render.path_dict(p) for p in removed]
        write_output(json.dumps(doc, indent=2), output)
    elif output_format is PathsFormat.MERMAID:
        write_output(render.to_mermaid(report), output)
    elif output_format is PathsFormat.DOT:
        write_output(render.to_dot(report), output)
    else:
        _print_table(report, removed, output)


def _print_table(
    report: PathReport, removed: Sequence[AttackPath] | None, output: str | None
) -> None:
    import io

    from rich.table import Table

    from capsa.graph import render

    out = console(file=io.StringIO(), width=200, record=True) if output else console()
    if not report.paths:
        out.print("no open attack path from the entry points to the targets")
    # ids (capabilities, techniques, clusters, mitigations) wrap, never cut
    table = Table(expand=True)
    table.add_column("#", no_wrap=True)
    table.add_column("entry -> target", overflow="fold", ratio=2)
    table.add_column("score", no_wrap=True)
    table.add_column("techniques", overflow="fold", ratio=3)
    table.add_column("clusters", overflow="fold", ratio=2)
    table.add_column("evidence", no_wrap=True)
    for row in render.path_rows(report):
        table.add_row(*row)
    out.print(table)
    cut = Table(title="Minimum cut")
    for header in ("mitigation", "effort", "checks", "paths cut"):
        cut.add_column(header, overflow="fold")
    for item in report.cut.mitigations:
        cut.add_row(
            item.mitigation,
            f"{item.effort:g}",
            ", ".join(item.checks),
            ", ".join(str(i + 1) for i in item.paths_cut),
        )
    out.print(cut)
    if not report.cut.exact:
        out.print("cut: search budget exceeded, greedy result shown (may not be minimal)")
    for route in report.cut.routes:
        via = " > ".join(route.techniques)
        out.print(f"no checkable mitigation closes {route.entry} -> {route.target} via {via}")
    if report.cut.mitigations and report.cut.closes_every_path:
        out.print("the cut closes every path from the entry points to the targets")
    if removed is not None:
        out.print(f"assumed {', '.join(report.assumed)}: {len(removed)} path(s) removed")
        for path in removed:
            out.print(f"  - {path.entry} -> {path.target}: {' > '.join(path.shape)}")
    if output is not None:
        write_output(out.export_text(), output)
