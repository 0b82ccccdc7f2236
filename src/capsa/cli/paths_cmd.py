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

from capsa.cli import options as opt
from capsa.cli.aws_cmd import aws_options
from capsa.cli.common import (
    DEFAULT_IGNORE_FILE,
    EXIT_UNUSABLE,
    err,
    fail_input,
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
    entry: list[str] = typer.Option(
        None, "--entry", help="Entry capability id, one marked entry (repeatable)."
    ),
    target: list[str] = typer.Option(None, "--target", help="Target capability id (repeatable)."),
    top: int = typer.Option(5, "--top", min=1, help="Path shapes per entry/target pair."),
    assume: list[str] = typer.Option(
        None, "--assume", help="Mitigation id to treat as applied (repeatable): what-if."
    ),
    cluster: bool = opt.cluster_option("Also read the live management cluster (read-only)."),
    generic: bool = typer.Option(
        False,
        "--generic",
        help="Search one generic cluster standing for the model, every mitigation unknown, "
        "instead of a deployment.",
    ),
    kubeconfig: str | None = opt.kubeconfig_option(),
    context: str | None = opt.context_option(),
    aws: bool = opt.aws_option(),
    aws_profile: str | None = opt.aws_profile_option(),
    aws_region: list[str] = opt.aws_region_option(),
    timeout: float | None = opt.timeout_option(),
    output_format: PathsFormat = typer.Option(
        PathsFormat.TABLE, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to a file."
    ),
    compact: bool = typer.Option(
        False, "--compact", help="Table format: one line per path, without its techniques."
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
        _print_table(report, removed, output, compact)
    if not report.searched:
        # a gate reading the exit code must not take "nothing searched" for "no path"
        if output_format is not PathsFormat.TABLE or output is not None:
            for note in report.not_searched:
                err(f"error: attack paths were not searched: {note}")
        raise typer.Exit(EXIT_UNUSABLE)


def _print_table(
    report: PathReport, removed: Sequence[AttackPath] | None, output: str | None, compact: bool
) -> None:
    """Paths grouped by entry point, then the cut (80 columns, every id whole)."""
    import io

    from capsa.report.terminal_views import print_paths

    out = console(file=io.StringIO(), width=100, record=True) if output else console()
    print_paths(out, report, removed, compact)
    if output is not None:
        write_output(out.export_text(), output)
