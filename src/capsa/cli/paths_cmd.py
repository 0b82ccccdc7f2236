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
        None, metavar="[PATH]...", help="Manifest files or directories ('-' for stdin)."
    ),
    model: str | None = typer.Option(
        None,
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
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="kubeconfig file."),
    context: str | None = typer.Option(None, "--context", help="kubeconfig context."),
    timeout: float | None = typer.Option(
        None, "--timeout", callback=live_timeout, help=TIMEOUT_HELP
    ),
    output_format: PathsFormat = typer.Option(PathsFormat.TABLE, "--format", "-f"),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to a file."),
) -> None:
    """Find ranked attack paths in the deployment (or a generic cluster) and the cut."""
    from capsa.graph import render
    from capsa.graph.search import what_if
    from capsa.graph.service import attack_paths, generic_scan, scan_manifests

    if not cluster and (kubeconfig or context or timeout is not None):
        err("error: --kubeconfig, --context and --timeout only apply with --cluster")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        loaded = None
        if model:
            from capsa.model.loader import load_model

            loaded = load_model(model)
        if inputs or cluster:
            scan = scan_manifests(
                inputs or (),
                cluster=cluster,
                kubeconfig=kubeconfig,
                context=context,
                cluster_timeout=timeout,
                # suppressed findings stop counting as violations, as in scan and assess
                ignore_file=DEFAULT_IGNORE_FILE if Path(DEFAULT_IGNORE_FILE).is_file() else None,
            )
        else:
            scan = generic_scan()
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
            doc["removed_by_assumed"] = [render.path_dict(p) for p in removed]
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
    table = Table("#", "entry -> target", "score", "techniques", "clusters", "evidence")
    for row in render.path_rows(report):
        table.add_row(*row)
    out.print(table)
    cut = Table("mitigation", "effort", "checks", "paths cut", title="Minimum cut")
    for item in report.cut.mitigations:
        cut.add_row(
            item.mitigation,
            f"{item.effort:g}",
            ", ".join(item.checks),
            ", ".join(str(i) for i in item.paths_cut),
        )
    out.print(cut)
    if not report.cut.exact:
        out.print("cut: search budget exceeded, greedy result shown (may not be minimal)")
    for entry_id, target_id in report.cut.uncuttable:
        out.print(f"no checked mitigation closes {entry_id} -> {target_id}")
    if removed is not None:
        out.print(f"assumed {', '.join(report.assumed)}: {len(removed)} path(s) removed")
        for path in removed:
            out.print(f"  - {path.entry} -> {path.target}: {' > '.join(path.shape)}")
    if output is not None:
        write_output(out.export_text(), output)
