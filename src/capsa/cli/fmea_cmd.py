"""`capsa fmea`: the model's named flows under every fault, as an FMEA table.

Mount with `app.command("fmea")(fmea_cmd.fmea)`. Manifests (and a live management
cluster) are read only for the deployment settings they show; without them every setting
is the upstream default, marked assumed.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from functools import partial
from pathlib import Path

import typer

from capsa.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    fail_input,
    print_problems,
    write_output,
)
from capsa.cli.options import cluster_option, context_option, kubeconfig_option
from capsa.errors import InputError


class FmeaFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MD = "md"


class OutcomeFailOn(StrEnum):
    """fmea gates on how flows end, not on finding severities: `none` as everywhere, then
    the outcomes from the milder up."""

    NONE = "none"
    RESIDUE = "residue"
    COMPROMISED = "compromised"


_WORST = {
    OutcomeFailOn.RESIDUE: "leaves-residue",
    OutcomeFailOn.COMPROMISED: "completes-compromised",
}


def fmea(
    inputs: list[str] = typer.Argument(
        None, metavar="PATH", help="Manifests whose settings decide occurrence ('-': stdin)."
    ),
    model: str = typer.Option(
        "builtin:capi-aws", "--model", "-m", metavar="FILE", help="Model file or builtin:NAME."
    ),
    flow: list[str] = typer.Option(
        None, "--flow", metavar="ID", help="Only this named flow (repeatable)."
    ),
    fault: list[str] = typer.Option(
        None, "--fault", metavar="KIND", help="Only this fault kind (repeatable)."
    ),
    output_format: FmeaFormat = typer.Option(
        FmeaFormat.TABLE, "--format", "-f", case_sensitive=False, help="Output format."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to a file."
    ),
    top: int | None = typer.Option(None, "--top", min=1, help="Rows per flow (table, md)."),
    fail_on: OutcomeFailOn = typer.Option(
        OutcomeFailOn.NONE,
        "--fail-on",
        case_sensitive=False,
        help="Exit 1 when a failure mode leaves residue (residue: or worse), or ends "
        "compromised (compromised); none never fails.",
    ),
    cluster: bool = cluster_option("Also read the live management cluster (read-only)."),
    kubeconfig: str | None = kubeconfig_option(),
    context: str | None = context_option(),
) -> None:
    """Inject every fault at every step of the named flows and rank the failure modes."""
    from capsa.cli.options import missing_paths
    from capsa.model.loader import load_model
    from capsa.scan.service import ScanRequest, scan
    from capsa.sim.links import check_model_links
    from capsa.sim.service import run_fmea
    from capsa.sim.state import Outcome
    from capsa.sources.root import relative_to_root

    missing_paths(inputs)
    if not cluster and (kubeconfig or context):
        sys.stderr.write("error: --kubeconfig and --context only apply with --cluster\n")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        loaded = load_model(model)
        check_model_links(model)
        result = None
        if inputs or cluster:
            result = scan(
                ScanRequest(
                    paths=list(inputs or []),
                    cluster=cluster,
                    kubeconfig=kubeconfig,
                    context=context,
                    keep_topology=False,  # grouped: the FMEA reads only the clusters' views
                    keep_clusters=True,
                )
            )
            print_problems(result.errors)
            if result.nothing_read:
                sys.stderr.write("error: nothing could be read from the given inputs\n")
                raise typer.Exit(EXIT_UNUSABLE)
        report = run_fmea(
            loaded,
            result,
            flows=flow or (),
            faults=fault or (),
            model_label=model,
            display=(
                partial(relative_to_root, root=Path(result.root))
                if result is not None and result.root
                else None
            ),
        )
    except InputError as error:
        fail_input(error)
    if output_format is FmeaFormat.JSON:
        write_output(report.to_json(), output)
    elif output_format is FmeaFormat.MD:
        from capsa.report.fmea_markdown import render_fmea_markdown

        write_output(render_fmea_markdown(report, loaded), output)
    else:
        from capsa.report.fmea_table import render_fmea_table

        write_output(render_fmea_table(report, top=top), output)
    worst = _WORST.get(fail_on)
    if worst is not None:
        threshold = Outcome(worst).rank
        if any(m.outcome.rank >= threshold for m in report.modes):
            raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)
